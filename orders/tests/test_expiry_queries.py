"""The orders Beat batch costs the same whatever its size (expire_unpaid_orders)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Stock
from orders.selectors import order_history
from orders.services import expire_unpaid_orders
from tests.factories import ProductFactory, place_test_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sandbox_on(settings):
    settings.PAYMENT_PROVIDERS = {"sandbox": {**settings.PAYMENT_PROVIDERS["sandbox"], "enabled": True}}


def _queries_to_expire(count: int) -> int:
    products = [ProductFactory(stock=50) for _ in range(3)]
    for i in range(count):
        place_test_order(items={products[i % 3].pk: 1, products[(i + 1) % 3].pk: 2}, payment_method="online")
    with CaptureQueriesContext(connection) as queries:
        assert expire_unpaid_orders(now=timezone.now() + timedelta(days=1)) == count
    return len(queries)


def test_expiring_a_batch_takes_the_same_queries_for_2_or_20_orders():
    _queries_to_expire(1)  # warm Django's content-type cache, as any running process has it
    small = _queries_to_expire(2)
    large = _queries_to_expire(20)
    assert small == large == 12  # the outbox writes the batch's e-mails in one INSERT


def test_the_batch_still_releases_every_unit_and_writes_every_history_row():
    product = ProductFactory(stock=10)
    orders = [place_test_order(items={product.pk: 2}, payment_method="online") for _ in range(3)]
    assert Stock.objects.get(product=product).reserved == 6

    assert expire_unpaid_orders(now=timezone.now() + timedelta(days=1)) == 3

    stock = Stock.objects.get(product=product)
    assert (stock.on_hand, stock.reserved) == (10, 0)
    for order in orders:
        order.refresh_from_db()
        assert (order.status, order.version, order.expired_at is not None) == ("expired", 2, True)
        (entry,) = order_history(order=order)
        assert (entry.transition, entry.from_status, entry.to_status, entry.source, entry.reason) == (
            "expire",
            "Оформлено",
            "Термін минув",
            "beat",
            "Not paid in time",
        )

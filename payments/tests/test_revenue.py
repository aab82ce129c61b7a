"""All revenue of a delivered order is booked in one place, by payments' sweep."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ledger.integrity import verify_ledger
from ledger.models import JournalEntry
from ledger.services import credit_wallet
from orders.models import Order, Source
from orders.services import TRANSITION_SERVICES
from payments.services import recognize_delivery_revenue, recognize_revenue_of_delivered_orders
from payments.services.revenue import list_orders_awaiting_revenue
from payments.tests.conftest import deliver, money_at, online_order, start
from tests.factories import ProductFactory, UserFactory, place_test_order

pytestmark = pytest.mark.django_db


def step(order, name):
    return TRANSITION_SERVICES[name](order_id=order.pk, by=None, reason="test", source=Source.ADMIN)


def delivered_cod_order(price=10000) -> Order:
    order = place_test_order(items={ProductFactory(price=price, stock=5).pk: 1}, payment_method=Order.PaymentMethod.COD)
    for name in ("confirm", "ship", "deliver"):
        step(order, name)
    return order


def test_store_credit_and_the_online_part_of_one_order_are_booked_by_one_sweep(sandbox):
    # given an order paid 300.00 from store credit and the rest online, delivered
    user = UserFactory()
    credit_wallet(user_id=user.pk, amount=30000, reason="welcome", by=None, idempotency_key=f"w:{user.pk}")
    order = online_order(price=100000, customer=user, store_credit=30000)
    deliver(sandbox, start(order))
    step(order, "ship")
    step(order, "deliver")
    # delivery alone books nothing: the sweep does
    assert money_at("sales") == 0

    assert recognize_revenue_of_delivered_orders() == 1
    assert recognize_revenue_of_delivered_orders() == 0  # each part once

    keys = set(JournalEntry.objects.filter(kind="delivery_revenue").values_list("idempotency_key", flat=True))
    assert keys == {f"order:{order.pk}:delivered:store-credit", f"order:{order.pk}:delivered:online"}
    assert (money_at("customer_prepayments"), money_at("sales")) == (0, 100000)
    assert verify_ledger().ok


def test_the_service_is_idempotent_and_names_what_it_booked():
    order = delivered_cod_order(price=25000)
    assert recognize_delivery_revenue(order_id=order.pk) == ["cod"]
    assert recognize_delivery_revenue(order_id=order.pk) == []
    assert (money_at("cod:novaposhta"), money_at("sales")) == (25000, 25000)


def test_an_order_not_delivered_books_nothing():
    order = place_test_order(items={ProductFactory(stock=5).pk: 1}, payment_method=Order.PaymentMethod.COD)
    assert recognize_delivery_revenue(order_id=order.pk) == []
    assert list_orders_awaiting_revenue(limit=10) == []


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_finding_the_orders_due_is_one_query_whatever_the_batch(django_assert_num_queries):
    delivered_cod_order()
    with django_assert_num_queries(1):
        assert len(list_orders_awaiting_revenue(limit=50)) == 1
    for _ in range(4):
        delivered_cod_order()
    with django_assert_num_queries(1):
        assert len(list_orders_awaiting_revenue(limit=50)) == 5


def test_the_sweep_costs_the_same_per_order_whatever_the_batch():
    # given batches of one and of three delivered orders, each swept from scratch
    def sweep_of(n: int) -> int:
        for _ in range(n):
            delivered_cod_order()
        count = _queries(lambda: recognize_revenue_of_delivered_orders())
        assert recognize_revenue_of_delivered_orders() == 0
        return count

    empty = _queries(lambda: recognize_revenue_of_delivered_orders())
    one = sweep_of(1)
    three = sweep_of(3)
    # then the finding is one query and each order costs the same fixed number: no N+1
    per_order = one - empty
    assert three == empty + 3 * per_order

"""Unpaid online orders expire once, release stock once, even when two runs overlap."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_fsm_log.models import StateLog

from catalog.models import Reservation, Stock
from config.celery import app as celery_app
from orders.models import Order
from orders.services import expire_unpaid_orders
from tests.factories import ProductFactory, place_test_order

ONLINE = Order.PaymentMethod.ONLINE


def overdue_orders(product, n):
    orders = [place_test_order(items={product.pk: 1}, payment_method=ONLINE) for _ in range(n)]
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(expires_at=timezone.now() - timedelta(seconds=1))
    return orders


@pytest.mark.django_db
def test_only_overdue_online_orders_expire():
    product = ProductFactory(stock=10)
    overdue = overdue_orders(product, 2)
    fresh = place_test_order(items={product.pk: 1}, payment_method=ONLINE)
    cod = place_test_order(items={product.pk: 1})

    assert expire_unpaid_orders() == 2

    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {
        overdue[0].pk: "expired",
        overdue[1].pk: "expired",
        fresh.pk: "placed",
        cod.pk: "placed",
    }
    assert Stock.objects.get(pk=product.pk).reserved == 2
    # a second run finds nothing more to do
    assert expire_unpaid_orders() == 0
    assert Stock.objects.get(pk=product.pk).reserved == 2


@pytest.mark.django_db
def test_expiry_works_through_many_batches():
    product = ProductFactory(stock=30)
    overdue_orders(product, 25)
    assert expire_unpaid_orders(batch_size=10) == 25
    assert Stock.objects.get(pk=product.pk).reserved == 0


def test_overlapping_runs_expire_each_order_once(run_concurrently):
    # given 40 overdue orders holding 40 units
    product = ProductFactory(stock=40)
    orders = overdue_orders(product, 40)

    # when two expiry runs overlap, in small batches
    results = run_concurrently(2, lambda i: expire_unpaid_orders(batch_size=5))

    # then together they expired each order exactly once and released each unit once
    assert all(r.ok for r in results), [r.error for r in results]
    assert sum(r.value for r in results) == 40
    assert Order.objects.filter(status="expired").count() == 40
    assert StateLog.objects.filter(transition="expire", object_id__in=[o.pk for o in orders]).count() == 40
    assert Reservation.objects.filter(status="released").count() == 40
    stock = Stock.objects.get(pk=product.pk)
    assert (stock.on_hand, stock.reserved) == (40, 0)


def test_beat_schedule_names_registered_tasks():
    celery_app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in celery_app.tasks, name


def test_expiry_and_checkouts_of_the_same_products_do_not_deadlock(run_concurrently):
    # given overdue orders each holding two products, the second product with the lower id
    first, second = ProductFactory(stock=100), ProductFactory(stock=100)
    orders = [place_test_order(items={second.pk: 1, first.pk: 1}, payment_method=ONLINE) for _ in range(30)]
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(expires_at=timezone.now() - timedelta(seconds=1))

    # when expiry runs while shoppers buy the same two products
    def act(i):
        if i % 3 == 0:
            return expire_unpaid_orders(batch_size=7)
        return place_test_order(items={first.pk: 1, second.pk: 1}).pk

    results = run_concurrently(9, act)

    # then nothing failed (no deadlock) and the stock adds up
    assert all(r.ok for r in results), [r.error for r in results]
    assert Order.objects.filter(status="expired").count() == 30
    stocks = Stock.objects.filter(pk__in=[first.pk, second.pk]).values_list("reserved", flat=True)
    assert list(stocks) == [6, 6]

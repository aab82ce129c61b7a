"""Every payments Beat batch costs a fixed number of queries per item: nothing grows with the batch."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Source
from orders.services import cancel_order
from payments.models import Payment, Refund
from payments.services import (
    reconcile_payments,
    refund_money_of_closed_orders,
    request_refund,
    send_stuck_refunds,
)
from payments.tests.conftest import deliver, online_order, start

pytestmark = pytest.mark.django_db


def queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def assert_flat_per_item(make_items, sweep):
    """The sweep over 3 items costs the empty sweep plus 3 times what one item costs."""
    sweep()  # the first read of a runtime setting stores its default: not part of the batch
    empty = queries(sweep)
    make_items(1)
    one = queries(sweep)
    make_items(3)
    three = queries(sweep)
    assert three - empty == 3 * (one - empty)


def test_reconciliation(sandbox):
    def pending_payments(n):
        Payment.objects.update(status="failed")  # the earlier batch is settled: only the new one is due
        for _ in range(n):
            payment = start(online_order())
            Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(hours=1))

    # each pending payment is asked about once and then left alone until the next window
    assert_flat_per_item(pending_payments, lambda: reconcile_payments(now=timezone.now() + timedelta(minutes=1)))


def test_refunds_of_closed_orders(sandbox, django_capture_on_commit_callbacks):
    def paid_and_cancelled(n):
        for _ in range(n):
            order = online_order()
            deliver(sandbox, start(order))
            cancel_order(order_id=order.pk, by=None, reason="gone", source=Source.ADMIN)

    def sweep():
        with django_capture_on_commit_callbacks(execute=False):
            refund_money_of_closed_orders()

    assert_flat_per_item(paid_and_cancelled, sweep)
    assert Refund.objects.filter(kind="order_closed").count() == 4


def test_stuck_refunds(sandbox, django_capture_on_commit_callbacks):
    def lost_refund_sends(n):
        for i in range(n):
            payment = start(online_order())
            deliver(sandbox, payment)
            with django_capture_on_commit_callbacks(execute=False):  # the send task is lost
                request_refund(payment_id=payment.pk, amount=100, reason="r", by=None, idempotency_key=f"{n}-{i}")
        Refund.objects.update(created_at=timezone.now() - timedelta(minutes=10))

    assert_flat_per_item(lost_refund_sends, send_stuck_refunds)
    assert set(Refund.objects.values_list("status", flat=True)) == {"succeeded"}

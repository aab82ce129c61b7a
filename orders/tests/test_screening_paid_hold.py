"""An online order held for review stays held when its payment is captured: staff decide.

Through a real captured payment (the Sandbox gateway's signed callback, as payments' tests do):
the payment is captured and booked, the order stays placed and paid, no label is kicked and
the expiry sweep leaves it; approving confirms it (and kicks its label), rejecting cancels it
(and payments' sweep refunds the money).
"""

from datetime import timedelta

import pytest
from constance.test import override_config
from django.utils import timezone

from core.models import OutboxMessage
from orders.models import OrderScreening
from orders.selectors import order_history
from orders.services import approve_review, expire_unpaid_orders, reject_review
from payments.models import Payment, Refund, WebhookEvent
from payments.providers import get_provider
from payments.services import refund_money_of_closed_orders
from payments.tests.conftest import deliver, money_at, online_order, start
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox():
    return get_provider("sandbox")


LABEL_KICKS = ["shipping.tasks.create_labels_task", "shipping.tasks.plan_shipments_task"]  # sorted


def kicks() -> list[str]:
    return sorted(OutboxMessage.objects.filter(task__in=LABEL_KICKS).values_list("task", flat=True))


def confirmation_emails(order) -> int:
    return OutboxMessage.objects.filter(
        task="orders.tasks.send_order_email_task", kwargs={"order_id": order.pk, "kind": "confirmed"}
    ).count()


HOLDS = {
    "FRAUD_REVIEW_FIRST_ORDER_ABOVE": {"FRAUD_REVIEW_FIRST_ORDER_ABOVE": 40_000},
    "FRAUD_REVIEW_IP_ORDERS": {"FRAUD_REVIEW_IP_ORDERS": 1, "FRAUD_REVIEW_IP_WINDOW_MINUTES": 10},
}


@pytest.fixture(params=sorted(HOLDS))
def held_and_paid(request, sandbox):
    """An online order of 499.00 held by one rule, then paid at the Sandbox gateway."""
    with override_config(**HOLDS[request.param]):
        order = online_order(price=49900, ip="198.51.100.4")
    assert (order.screening.review, order.screening.rule) == ("pending", request.param)
    payment = start(order)
    response = deliver(sandbox, payment)
    assert (response.status_code, response.content) == (200, b"OK")
    order.refresh_from_db()
    payment.refresh_from_db()
    return order, payment, request.param


def test_a_captured_payment_does_not_confirm_an_order_held_for_review(held_and_paid):
    order, payment, rule = held_and_paid

    # the money is captured and booked, but the order stays placed, in the queue, unkicked
    assert (payment.status, payment.captured_amount, payment.is_overpayment) == ("captured", 49900, False)
    assert money_at("customer_prepayments") == 49900
    assert (order.status, order.confirmed_at) == ("placed", None)
    screening = OrderScreening.objects.get(order=order)
    assert (screening.review, screening.paid_at is not None) == ("pending", True)
    assert kicks() == []
    assert confirmation_emails(order) == 0
    assert WebhookEvent.objects.get().result == "processed"
    note = order_history(order=order)[-1]
    assert (note.transition, note.from_status, note.to_status, note.source) == (
        "paid_while_held",
        "Оформлено",
        "Оформлено",
        "webhook",
    )
    assert note.reason == (f"Paid by sandbox ({payment.reference}); held for review ({rule}), confirmed when approved")

    # and the expiry sweep, long after the payment window, leaves the paid order alone
    assert expire_unpaid_orders(now=timezone.now() + timedelta(days=2)) == 0
    order.refresh_from_db()
    assert order.status == "placed"


def test_approving_a_paid_held_order_confirms_it_and_kicks_its_label(held_and_paid):
    order, _payment, rule = held_and_paid
    support = StaffFactory(role="Support")

    approve_review(order_id=order.pk, by=support)

    order.refresh_from_db()
    assert order.status == "confirmed"
    assert order.confirmed_at is not None
    entry = order_history(order=order)[-1]
    assert (entry.transition, entry.by, entry.source, entry.reason) == (
        "pay",
        support.email,
        "admin",
        f"Review approved ({rule})",
    )
    assert OrderScreening.objects.get(order=order).review == "approved"
    assert kicks() == LABEL_KICKS
    assert confirmation_emails(order) == 1


def test_rejecting_a_paid_held_order_cancels_it_and_the_sweep_refunds_it(held_and_paid):
    order, payment, _rule = held_and_paid

    reject_review(order_id=order.pk, by=StaffFactory(role="Support"))

    order.refresh_from_db()
    assert order.status == "cancelled"
    assert kicks() == []
    assert refund_money_of_closed_orders() == 1
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.amount, refund.kind) == (payment.pk, 49900, "order_closed")


@override_config(FRAUD_REVIEW_FIRST_ORDER_ABOVE=40_000)
def test_an_order_approved_before_it_is_paid_is_confirmed_by_its_payment(sandbox):
    order = online_order(price=49900)
    approve_review(order_id=order.pk, by=StaffFactory(role="Support"))
    order.refresh_from_db()
    assert order.status == "placed"  # unpaid: approving only clears it

    deliver(sandbox, start(order))

    order.refresh_from_db()
    assert order.status == "confirmed"
    assert Payment.objects.get(order=order).status == "captured"
    assert kicks() == LABEL_KICKS
    assert order_history(order=order)[-1].transition == "pay"


def test_a_late_payment_for_an_expired_held_order_keeps_it_held(sandbox):
    # given an online order held for review that expired unpaid
    with override_config(FRAUD_REVIEW_FIRST_ORDER_ABOVE=40_000):
        order = online_order(price=49900, ip="198.51.100.4")
    payment = start(order)
    assert expire_unpaid_orders(now=timezone.now() + timedelta(days=1)) == 1
    order.refresh_from_db()
    assert order.status == "expired"

    # when its payment arrives late
    response = deliver(sandbox, payment)

    # then the money is captured and the order is placed again, paid, still in the review queue
    assert (response.status_code, response.content) == (200, b"OK")
    order.refresh_from_db()
    payment.refresh_from_db()
    assert (payment.status, payment.is_overpayment) == ("captured", False)
    assert (order.status, order.confirmed_at, order.expired_at) == ("placed", None, None)
    assert OrderScreening.objects.get(order=order).paid_at is not None
    assert kicks() == []
    assert confirmation_emails(order) == 0
    assert expire_unpaid_orders(now=timezone.now() + timedelta(days=2)) == 0  # the sweep leaves it

    # and approving it confirms it and kicks its label
    approve_review(order_id=order.pk, by=StaffFactory(role="Support"))
    order.refresh_from_db()
    assert order.status == "confirmed"
    assert kicks() == LABEL_KICKS

"""Cases a review found: each once lost or doubled money; each now has a test."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Product
from ledger.integrity import verify_ledger
from ledger.services import credit_wallet
from orders.models import Order, Source
from orders.services import cancel_order, expire_unpaid_orders
from payments.exceptions import RefundNotPossible
from payments.models import Payment, Refund
from payments.return_links import callback_url_for, return_url_for
from payments.services import (
    refund_money_of_closed_orders,
    request_refund,
    send_stuck_refunds,
    start_top_up,
)
from payments.tests.conftest import deliver, money_at, online_order, start
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def expire(order):
    Order.objects.filter(pk=order.pk).update(expires_at="2000-01-01T00:00:00Z")
    assert expire_unpaid_orders() == 1


def test_a_top_up_is_not_refunded_to_the_card(sandbox):
    user = UserFactory()
    payment = start_top_up(
        user=user,
        amount=50000,
        provider_code="sandbox",
        return_url_for=return_url_for,
        callback_url_for=callback_url_for,
    )
    deliver(sandbox, payment)
    with pytest.raises(RefundNotPossible, match="Поповнення балансу в магазині"):
        request_refund(payment_id=payment.pk, amount=50000, reason="asked", by=None, idempotency_key="t1")
    # a refund made at the provider's dashboard is put in front of a person, not booked
    deliver(sandbox, payment, "refunded", refunded=50000)
    payment.refresh_from_db()
    assert (payment.status, payment.needs_review, payment.refunded_amount) == ("captured", True, 0)
    assert verify_ledger().ok


def test_a_late_payment_never_revives_an_order_whose_store_credit_was_released(
    sandbox, django_capture_on_commit_callbacks
):
    user = UserFactory()
    credit_wallet(user_id=user.pk, amount=30000, reason="gift", by=None, idempotency_key="gift")
    order = online_order(price=100000, customer=user, store_credit=30000)
    payment = start(order)
    expire(order)

    with django_capture_on_commit_callbacks(execute=True):
        deliver(sandbox, payment)

    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == "expired"
    assert (payment.is_overpayment, payment.status) == (True, "refunded")
    assert money_at("customer_prepayments") == 0
    assert verify_ledger().ok


def test_a_late_payment_for_a_product_no_longer_sold_is_refunded_not_stuck(sandbox, django_capture_on_commit_callbacks):
    order = online_order()
    payment = start(order)
    expire(order)
    Product.objects.filter(pk=order.lines.get().product_id).update(is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(sandbox, payment)

    assert response.status_code == 200
    payment.refresh_from_db()
    assert (payment.is_overpayment, payment.status) == (True, "refunded")


def test_a_refund_callback_overtaking_our_own_record_is_booked_once(sandbox):
    payment = start(online_order(price=50000))
    deliver(sandbox, payment)
    queued = request_refund(payment_id=payment.pk, amount=30000, reason="first", by=None, idempotency_key="r1")
    sent = request_refund(payment_id=payment.pk, amount=20000, reason="second", by=None, idempotency_key="r2")
    Refund.objects.filter(pk=sent.pk).update(status="pending")  # sent; its answer not recorded yet

    deliver(sandbox, payment, "refunded", refunded=20000)  # the provider's callback comes first

    payment.refresh_from_db()
    sent.refresh_from_db()
    queued.refresh_from_db()
    assert (sent.status, queued.status) == ("succeeded", "requested")
    assert (payment.refunded_amount, payment.refund_requested_amount) == (20000, 50000)
    assert Refund.objects.count() == 2
    assert verify_ledger().ok


def test_a_refund_whose_send_task_was_lost_is_sent_by_the_sweep(sandbox):
    payment = start(online_order(price=40000))
    deliver(sandbox, payment)
    refund = request_refund(payment_id=payment.pk, amount=40000, reason="lost task", by=None, idempotency_key="l")
    assert refund.status == "requested"  # on-commit never ran here: as if the broker lost it

    assert send_stuck_refunds(now=timezone.now() + timedelta(minutes=5)) == {"sent": 1, "flagged": 0}

    refund.refresh_from_db()
    payment.refresh_from_db()
    assert (refund.status, payment.status) == ("succeeded", "refunded")
    assert send_stuck_refunds(now=timezone.now() + timedelta(minutes=10)) == {"sent": 0, "flagged": 0}


def test_a_refund_pending_for_a_day_is_put_in_front_of_a_person(sandbox):
    payment = start(online_order(price=40000))
    deliver(sandbox, payment)
    refund = request_refund(payment_id=payment.pk, amount=1000, reason="slow", by=None, idempotency_key="s")
    Refund.objects.filter(pk=refund.pk).update(status="pending")

    assert send_stuck_refunds(now=timezone.now() + timedelta(hours=25))["flagged"] == 1

    payment.refresh_from_db()
    assert payment.needs_review is True


def test_the_rest_of_a_partly_refunded_payment_goes_back_when_the_order_is_cancelled(
    sandbox, django_capture_on_commit_callbacks
):
    order = online_order(price=100000)
    payment = start(order)
    deliver(sandbox, payment)
    with django_capture_on_commit_callbacks(execute=True):
        request_refund(payment_id=payment.pk, amount=10000, reason="discount", by=None, idempotency_key="d")
    cancel_order(order_id=order.pk, by=None, reason="gone", source=Source.ADMIN)

    with django_capture_on_commit_callbacks(execute=True):
        assert refund_money_of_closed_orders() == 1

    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("refunded", 100000)
    assert Payment.objects.count() == 1
    assert verify_ledger().ok


def test_a_refund_after_delivery_comes_out_of_sales(sandbox, django_capture_on_commit_callbacks):
    from orders.services import deliver_order, ship_order
    from payments.services import recognize_revenue_of_delivered_orders

    order = online_order(price=50000)
    payment = start(order)
    deliver(sandbox, payment)
    ship_order(order_id=order.pk, by=None, source=Source.ADMIN)
    deliver_order(order_id=order.pk, by=None, source=Source.ADMIN)
    recognize_revenue_of_delivered_orders()

    with django_capture_on_commit_callbacks(execute=True):
        request_refund(payment_id=payment.pk, amount=20000, reason="returned item", by=None, idempotency_key="ret")

    assert (money_at("customer_prepayments"), money_at("sales")) == (0, 30000)
    assert verify_ledger().ok

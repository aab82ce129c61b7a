"""A provider captured money: confirm, revive or book the order, or settle an overpayment."""

from django.db import transaction
from django.utils import timezone

from catalog.exceptions import OutOfStock, ProductUnavailable
from core import outbox, runtime
from ledger import keys
from ledger.postings import record_capture, record_wallet_top_up
from orders.models import Order, Source
from orders.services import confirm_paid_order, revive_paid_order
from payments.models import Payment, Refund
from payments.providers.base import Event
from payments.services.locks import APPLIED_FIELDS
from payments.services.outcome import Outcome, applied, ignored
from payments.services.refunds import reserve_refund

S = Payment.Status


def on_pending(payment, order, update) -> Outcome:
    if payment.status == S.CREATED:
        payment.start()
        return applied("payment is pending at the provider")
    return ignored(f"payment is already {payment.status}")


def on_failed(payment, order, update) -> Outcome:
    if payment.status not in Payment.OPEN:
        return ignored(f"payment is already {payment.status}")
    if update.event == Event.EXPIRED:
        payment.expire()
    else:
        payment.fail()
    payment.failure_reason = (update.message or update.provider_status)[:500]
    return applied(f"payment {payment.status}")


def on_captured(payment, order, update) -> Outcome:
    if payment.status in Payment.PAID:
        return ignored(f"payment is already {payment.status}")
    payment.capture()
    payment.captured_amount = update.amount
    payment.fee = update.fee or 0
    payment.captured_at = timezone.now()
    if payment.purpose == Payment.Purpose.TOP_UP:
        record_wallet_top_up(
            provider=payment.provider,
            user_id=payment.customer_id,
            amount=payment.captured_amount,
            fee=min(payment.fee, payment.captured_amount - 1),
            payment_id=payment.reference,
            idempotency_key=keys.payment_capture(reference=payment.reference),
            currency=payment.currency,
        )
        return applied("store credit topped up")
    reason = f"Paid by {payment.provider} ({payment.reference})"
    outcome, confirm = "", False
    # Read with the payment's lock when the callback took it (locks.lock_payment_by_reference).
    already_paid = getattr(payment, "order_paid_by_other", None)
    if already_paid is None:
        already_paid = (
            Payment.objects.filter(order=order, status__in=Payment.PAID, is_overpayment=False)
            .exclude(pk=payment.pk)
            .exists()
        )
    if already_paid:
        outcome = f"order {order.number} was already paid"
    elif order.status == Order.Status.PLACED:
        confirm = True
    elif order.status == Order.Status.EXPIRED and order.store_credit:
        # Its store credit went back to the wallet when it expired; never revive half-paid.
        outcome = f"order {order.number} expired and its store credit was released"
    elif order.status == Order.Status.EXPIRED:
        try:
            with transaction.atomic():
                revive_paid_order(order=order, reason=f"{reason} after the order expired", source=Source.WEBHOOK)
        except (OutOfStock, ProductUnavailable):
            outcome = f"order {order.number} expired and its goods are gone"
    else:
        outcome = f"order {order.number} is {order.get_status_display().lower()}"
    # The capture is booked before the order is confirmed (which posts any store-credit hold),
    # so every entry in this transaction takes the provider's accounts before the others.
    _book_capture(payment, overpayment=bool(outcome))
    if confirm and not confirm_paid_order(order=order, reason=reason, source=Source.WEBHOOK):
        return applied(f"captured; order {order.number} waits for review")
    if not outcome:
        return applied(f"captured; order {order.number} confirmed")
    return applied(f"captured as an overpayment: {outcome}; " + _settle_overpayment(payment))


def _book_capture(payment: Payment, *, overpayment: bool) -> None:
    payment.is_overpayment = overpayment
    fee = min(payment.fee, payment.captured_amount - 1)
    record_capture(
        provider=payment.provider,
        amount=payment.captured_amount,
        fee=fee,
        payment_id=payment.reference,
        idempotency_key=keys.payment_capture(reference=payment.reference),
        currency=payment.currency,
        overpayment=overpayment,
    )


def _settle_overpayment(payment: Payment) -> str:
    if not runtime.auto_refund_overpayments():
        payment.needs_review = True
        payment.review_reason = "Overpayment: refund it, or use it for the order, by hand."
        return "left to staff (AUTO_REFUND_OVERPAYMENTS is off)"
    payment.save(update_fields=APPLIED_FIELDS)  # the capture first: the refund is checked against it
    refund = reserve_refund(
        payment=payment,
        amount=payment.captured_amount,
        reason="Overpayment refunded",
        by=None,
        idempotency_key=keys.payment_overpayment_refund(reference=payment.reference),
        kind=Refund.Kind.OVERPAYMENT,
        automatic=True,
    )
    outbox.enqueue("payments.tasks.send_refund_task", refund_id=refund.pk)
    return "refund requested automatically"

"""Reads of payments: an order's payment state, derived from its payments (never stored)."""

from django.db.models import QuerySet

from orders.models import Order
from payments.models import Payment
from payments.providers import enabled_codes, get_provider


def payments_for_order(*, order: Order) -> QuerySet[Payment]:
    return Payment.objects.filter(order=order).order_by("created_at", "id")


def order_payment_status(*, order: Order, payments=None) -> str:
    """unpaid / processing / paid / partially refunded / refunded / overpaid, from the payments."""
    if order.payment_method != Order.PaymentMethod.ONLINE:
        return order.payment_status
    payments = list(payments if payments is not None else payments_for_order(order=order))
    paid = [p for p in payments if p.status in Payment.PAID and not p.is_overpayment]
    if any(p.is_overpayment and p.status == Payment.Status.CAPTURED for p in payments):
        return "overpaid (refund under way)"
    if paid:
        payment = paid[-1]
        if payment.status == Payment.Status.REFUNDED:
            return "refunded"
        if payment.status == Payment.Status.PARTIALLY_REFUNDED:
            return "partially refunded"
        return "paid"
    if any(p.status == Payment.Status.PENDING for p in payments):
        return "payment processing"
    return "unpaid"


def can_pay_online(*, order: Order) -> bool:
    return (
        order.payment_method == Order.PaymentMethod.ONLINE
        and order.status == Order.Status.PLACED
        and not Payment.objects.filter(order=order, status__in=Payment.PAID, is_overpayment=False).exists()
    )


def payment_choices() -> list[tuple[str, str]]:
    """The providers a shopper can pay with now: (code, label)."""
    return [(code, get_provider(code).label) for code in enabled_codes()]

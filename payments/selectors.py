"""Reads of payments: an order's payment state, derived from its payments (never stored)."""

import uuid
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from orders.models import Order
from payments.exceptions import PaymentNotFound
from payments.models import Payment
from payments.providers import enabled_codes, get_provider


def payments_for_order(*, order: Order) -> QuerySet[Payment]:
    return Payment.objects.filter(order=order).order_by("created_at", "id")


def order_payment_status(*, order: Order, payments=None) -> str:
    """unpaid / processing / paid / partially refunded / refunded / overpaid, from the payments."""
    if order.payment_method != Order.PaymentMethod.ONLINE:
        return order.offline_payment_status
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


def order_payment_statuses(*, orders: Iterable[Order]) -> dict[int, str]:
    """order_payment_status of many orders, keyed by order id, with one query for them all.

    For lists: only online orders have payments to read, so a page without any costs nothing.
    """
    orders = list(orders)
    online = [order.pk for order in orders if order.payment_method == Order.PaymentMethod.ONLINE]
    by_order: dict[int, list[Payment]] = defaultdict(list)
    if online:
        for payment in Payment.objects.filter(order_id__in=online).order_by("created_at", "id"):
            by_order[payment.order_id].append(payment)
    return {order.pk: order_payment_status(order=order, payments=by_order[order.pk]) for order in orders}


def get_payment_for_user(*, user, reference: str) -> Payment:
    """A payment its owner (the order's customer or the topped-up customer) or finance staff may see.

    Anybody else's payment, like an unknown reference, is "not found", never "forbidden".
    """
    try:
        reference = uuid.UUID(str(reference))
    except ValueError:
        raise PaymentNotFound() from None
    payments = Payment.objects.select_related("order").filter(reference=reference)
    if not (user.is_staff and user.has_perm("payments.view_payment")):
        payments = payments.filter(Q(order__customer=user) | Q(purpose=Payment.Purpose.TOP_UP, customer=user))
    payment = payments.first()
    if payment is None:
        raise PaymentNotFound()
    return payment


def get_payment(*, reference: str) -> Payment:
    """A payment by its reference, with its order (no owner check: callers hold the secret)."""
    try:
        return Payment.objects.select_related("order").get(reference=reference)
    except (Payment.DoesNotExist, ValueError):
        raise PaymentNotFound() from None


def get_refundable_payment(*, reference: str) -> Payment:
    """A payment by its reference, for staff who may refund it (permission checked by the caller)."""
    try:
        return Payment.objects.select_related("order").get(reference=uuid.UUID(str(reference)))
    except (ValueError, Payment.DoesNotExist):
        raise PaymentNotFound() from None


def can_pay_online(*, order: Order) -> bool:
    return (
        order.payment_method == Order.PaymentMethod.ONLINE
        and order.status == Order.Status.PLACED
        and not Payment.objects.filter(order=order, status__in=Payment.PAID, is_overpayment=False).exists()
    )


def payment_choices() -> list[tuple[str, str]]:
    """The providers a shopper can pay with now: (code, label)."""
    return [(code, get_provider(code).label) for code in enabled_codes()]

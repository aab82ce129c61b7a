"""Row locks in the global lock order: the order first, then the payment (then its refunds)."""

from orders.services import lock_order
from payments.exceptions import PaymentNotFound
from payments.models import Payment

# What applying a provider fact may change on a payment: saved together, by name.
APPLIED_FIELDS = [
    "status",
    "captured_amount",
    "captured_at",
    "fee",
    "is_overpayment",
    "refunded_amount",
    "refund_requested_amount",
    "failure_reason",
    "needs_review",
    "review_reason",
    "last_provider_status",
    "provider_payment_id",
    "updated_at",
]


def lock_payment(payment_id: int) -> Payment:
    """Lock a payment's order (if any), then the payment, for the rest of the transaction."""
    order_id = Payment.objects.filter(pk=payment_id).values_list("order_id", flat=True).first()
    if order_id is None and not Payment.objects.filter(pk=payment_id).exists():
        raise PaymentNotFound()
    if order_id is not None:
        lock_order(order_id)
    # The order (already locked above) is read with it; FOR UPDATE OF self keeps the outer join legal.
    return Payment.objects.select_for_update(of=("self",)).select_related("order").get(pk=payment_id)


def lock_payment_and_order(*, payment_id: int, order_id: int | None) -> Payment:
    """`lock_payment` when the caller already read the payment's order id (which never changes).

    The order's row lock reads the order; the payment is then locked alone and given that
    order, so nothing is read twice.
    """
    order = lock_order(order_id) if order_id is not None else None
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if order is not None:
        payment.order = order
    return payment

"""Row locks in the global lock order: the order first, then the payment (then its refunds)."""

from django.db.models import Exists, OuterRef, Subquery

from orders.models import Order
from orders.services import lock_order
from orders.services.screening import review_pending
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


def lock_payment_by_reference(*, provider: str, reference) -> Payment | None:
    """Lock the order of our payment (provider, reference), then the payment; None if unknown.

    Two statements in the global lock order, each answering what the callback asks next: the
    order's lock finds the order through the payment (a subquery) and reads whether it waits
    for review (orders' screening); the payment's lock reads whether another payment already
    paid its order. Both are read under the order's lock, which every capture, review decision
    and refund of that order takes first, so they stay true until this transaction ends.
    """
    of_payment = Payment.objects.filter(provider=provider, reference=reference)
    order = (
        Order.objects.select_for_update(of=("self",))
        .annotate(screening_pending=review_pending())
        .filter(pk=Subquery(of_payment.values("order_id")[:1]))
        .first()
    )
    paid_by_other = Payment.objects.filter(
        order_id=OuterRef("order_id"), status__in=Payment.PAID, is_overpayment=False
    ).exclude(pk=OuterRef("pk"))
    payment = of_payment.select_for_update(of=("self",)).annotate(order_paid_by_other=Exists(paid_by_other)).first()
    if payment is not None and order is not None:
        payment.order = order
    return payment

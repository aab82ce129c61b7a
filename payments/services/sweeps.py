"""Beat sweeps over refunds: refund closed orders' money, send lost refunds, flag stuck ones."""

import logging
from datetime import timedelta

from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext

from ledger import keys
from orders.models import Order
from payments.models import Payment, Refund
from payments.services.breaker import SweepGate
from payments.services.refunds import request_refund, send_refund

logger = logging.getLogger(__name__)
S = Payment.Status


def send_stuck_refunds(*, now=None, limit: int = 100) -> dict:
    """Send refunds whose send task was lost, and flag those the provider never settled (Beat).

    A refund still `requested` a few minutes after it was asked for is sent now (sending is
    once-only: it is marked pending first). One `pending` for a day, that reconciliation
    could not settle, is put in front of a person; it is never re-sent blindly. Refunds to a
    provider whose circuit breaker is open wait (still `requested`) for a later run.
    """
    now = now or timezone.now()
    gate = SweepGate(what="sending stuck refunds", now=now)
    requested = list(
        Refund.objects.filter(status=Refund.Status.REQUESTED, created_at__lte=now - timedelta(minutes=3))
        .exclude(payment__status=S.DISPUTED)  # frozen until the dispute is resolved
        .exclude(payment__provider__in=gate.held)
        .values_list("pk", flat=True)[:limit]
    )
    for refund_id in requested:
        try:
            send_refund(refund_id=refund_id)
        except Exception:  # one bad refund must not stop the others
            logger.exception("sending refund %s failed", refund_id)
    stale = Payment.objects.filter(
        refunds__status=Refund.Status.PENDING, refunds__created_at__lte=now - timedelta(hours=24), needs_review=False
    ).distinct()
    flagged = stale.update(
        needs_review=True, review_reason="A refund has been in progress at the provider for over a day: check it there."
    )
    return {"sent": len(requested), "flagged": flagged}


def refund_money_of_closed_orders(*, limit: int = 100) -> int:
    """Refund captured payments of orders that were cancelled or expired (Beat sweep).

    A disputed payment is not among them (its status is neither): refunds wait for the dispute.
    """
    already = Refund.objects.filter(payment=OuterRef("pk"), kind=Refund.Kind.ORDER_CLOSED)
    due = (
        Payment.objects.filter(
            purpose=Payment.Purpose.ORDER,
            status__in=[S.CAPTURED, S.PARTIALLY_REFUNDED],
            is_overpayment=False,
            order__status__in=[Order.Status.CANCELLED, Order.Status.EXPIRED],
            captured_amount__gt=F("refund_requested_amount"),
        )
        .exclude(Exists(already))
        .select_related("order")
        .order_by("pk")[:limit]
    )
    requested = 0
    for payment in list(due):
        request_refund(
            payment_id=payment.pk,
            amount=payment.refundable,
            reason=gettext("Order %(number)s %(status)s")
            % {"number": payment.order.number, "status": str(payment.order.get_status_display()).lower()},
            by=None,
            idempotency_key=keys.payment_order_closed_refund(reference=payment.reference),
            kind=Refund.Kind.ORDER_CLOSED,
        )
        requested += 1
    return requested

"""Staff's decisions on the review queue (orders held by checkout's anti-abuse rules).

Approving confirms an order still waiting (cash on delivery or store credit, or an online
order whose payment was captured while it was held; an unpaid online order is confirmed by
its payment later, so approving only clears it); rejecting cancels it, which
releases its stock and store credit (and payments refunds captured money). Both lock the
order row first (orders' lock order), then the screening row, and go on the order's history.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.exceptions import ReviewAlreadyDecided
from orders.models import Order, OrderScreening, Source
from orders.services.history import record_decision
from orders.services.transitions import cancel_order, confirm_order, confirm_paid_locked_order, lock_order


def _lock_pending_screening(order_id: int) -> tuple[Order, OrderScreening]:
    order = lock_order(order_id)
    screening = OrderScreening.objects.select_for_update().get(order_id=order_id)
    if screening.review != OrderScreening.Review.PENDING:
        raise ReviewAlreadyDecided(
            _("Order %(number)s is not waiting for review (%(state)s).")
            % {"number": order.number, "state": screening.get_review_display().lower()}
        )
    return order, screening


def _decide(screening: OrderScreening, *, review: str, by) -> None:
    screening.review = review
    screening.decided_by = by
    screening.decided_at = timezone.now()
    screening.save(update_fields=["review", "decided_by", "decided_at"])


@transaction.atomic
def approve_review(*, order_id: int, by, note: str = "") -> Order:
    """Clear an order held for review; confirm it if it still waits for confirmation."""
    order, screening = _lock_pending_screening(order_id)
    reason = f"Review approved ({screening.rule}){': ' + note if note else ''}"
    if order.status == Order.Status.PLACED and order.can_be_confirmed():
        order = confirm_order(order_id=order.pk, by=by, reason=reason, source=Source.ADMIN)
    elif order.status == Order.Status.PLACED and screening.paid_at is not None:
        confirm_paid_locked_order(order, by=by, reason=reason, source=Source.ADMIN)
    else:
        record_decision(order=order, decision="approve_review", reason=reason, source=Source.ADMIN, by=by)
    _decide(screening, review=OrderScreening.Review.APPROVED, by=by)
    return order


@transaction.atomic
def reject_review(*, order_id: int, by, note: str = "") -> Order:
    """Refuse an order held for review: it is cancelled (stock and store credit released)."""
    order, screening = _lock_pending_screening(order_id)
    reason = f"Review rejected ({screening.rule}){': ' + note if note else ''}"
    if order.is_open:
        order = cancel_order(order_id=order.pk, by=by, reason=reason, source=Source.ADMIN)
    else:
        record_decision(order=order, decision="reject_review", reason=reason, source=Source.ADMIN, by=by)
    _decide(screening, review=OrderScreening.Review.REJECTED, by=by)
    return order

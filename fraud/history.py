"""Anti-abuse decisions on the order's history, next to its transitions.

The history is django-fsm-log's StateLog (orders.selectors.order_history reads it); a decision
that changes no status is a row whose source and target state are the order's current one,
named by `transition` ("review", "approve_review"), with the usual "[source] reason".
"""

from django.contrib.contenttypes.models import ContentType
from django_fsm_log.models import StateLog

from orders.models import Order
from orders.services.transitions import describe

NOTES = ("review", "approve_review", "reject_review")


def record_decision(*, order: Order, decision: str, reason: str, source: str, by=None) -> None:
    """Write one decision on the order's history (no status change); `reason` names the rule."""
    StateLog.objects.create(
        content_type=ContentType.objects.get_for_model(Order),
        object_id=order.pk,
        transition=decision,
        source_state=order.status,
        state=order.status,
        by=by if by is not None and by.is_authenticated else None,
        description=describe(source=source, reason=reason),
    )

"""The order's history (django-fsm-log's StateLog): how entries are described, and notes.

Transitions write their entries through django-fsm-log; orders.selectors.order_history reads
them back. A decision that changes no status (anti-abuse review) is a note: a row whose source
and target state are the order's current one, named by `transition` (one of NOTES), with the
usual "[source] reason".
"""

from django.contrib.contenttypes.models import ContentType
from django_fsm_log.models import StateLog

from orders.models import Order

# History rows that record a decision, not a status change; the shopper's page leaves them out.
NOTES = ("review", "paid_while_held", "approve_review", "reject_review")


def describe(*, source: str, reason: str = "") -> str:
    """The transition log's description: where the change came from, then why."""
    return f"[{source}] {reason}".strip()


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

"""The moment the carrier takes the parcel: from then on the order can no longer be cancelled or edited.

Shipping calls record_handover from its tracking path when a parcel first reports movement;
cancel_order and update_order_details read `Order.handed_over_at` under the order's row lock.
"""

from datetime import datetime

from django.db import transaction
from django_fsm_log.models import StateLog

from orders.models import Order, Source
from orders.services.transitions import describe, lock_order

# The states an order is in once its parcel may be with the carrier.
HANDED_OVER_STATUSES = (Order.Status.SHIPPED, Order.Status.DELIVERED, Order.Status.COMPLETED, Order.Status.RETURNED)


@transaction.atomic
def record_handover(*, order_id: int, at: datetime) -> Order:
    """Record that the order's parcel is with the carrier, once; its history says so.

    Locks the order row. A second call changes nothing. An order that is not shipped (or
    beyond) is left as it is: one cancelled just before the carrier took its parcel keeps
    its cancellation, and shipping flags that parcel for a person.
    """
    order = lock_order(order_id)
    if order.handed_over_at is not None or order.status not in HANDED_OVER_STATUSES:
        return order
    order.handed_over_at = at
    # The version (the ETag) stays: nothing a client or a staff form shows changed, and a
    # page loaded before the hand-over should hear why it is refused, not "reload".
    order.save(update_fields=["handed_over_at", "updated_at"])
    StateLog.objects.create(
        content_object=order,
        transition="hand_over",
        source_state=order.status,
        state=order.status,
        timestamp=at,
        description=describe(source=Source.BEAT, reason="The parcel is with the carrier"),
    )
    return order

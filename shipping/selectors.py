"""Reads of shipments, the Beat batches' worklists, and the one "not yet handed over" rule."""

from django.db.models import Q, QuerySet

from orders.models import Order
from shipping.models import Shipment


def awaiting_hand_over(shipment: Shipment) -> bool:
    """The waybill exists but the carrier does not have the parcel yet: it may still be deleted.

    The one place shipping keeps this rule (the admin's buttons, cancelling and voiding ask
    here); tracking records the hand-over in `handed_over_at` and on the order itself
    (orders.services.record_handover), whose services then refuse to cancel or edit it.
    """
    return shipment.status == Shipment.Status.LABEL_CREATED and shipment.handed_over_at is None


def shipment_for_order(*, order) -> Shipment | None:
    return order.shipments.exclude(status=Shipment.Status.CANCELLED).first()


# --- the Beat batches' worklists ---------------------------------------------------------------


def orders_to_plan(*, limit: int) -> QuerySet[Order]:
    """Confirmed orders without a live shipment, oldest confirmation first."""
    live = [s for s in Shipment.Status.values if s != Shipment.Status.CANCELLED]
    return (
        Order.objects.filter(status=Order.Status.CONFIRMED)
        .exclude(shipments__status__in=live)
        .order_by("confirmed_at", "id")[:limit]
    )


def shipments_stuck_creating(*, before, now) -> list[Shipment]:
    """Shipments in `creating` whose carrier call started before `before` and whose look-up is due."""
    return list(
        Shipment.objects.filter(status=Shipment.Status.CREATING, creating_since__lte=before)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("creating_since", "id")
    )


def shipments_due_tracking(*, now, limit: int = 1000) -> list[Shipment]:
    """Parcels with a waybill that are due a look at the carrier, the longest-waiting first."""
    return list(
        Shipment.objects.filter(status__in=Shipment.ACTIVE, next_poll_at__lte=now)
        .exclude(tracking_number="")
        .order_by("next_poll_at")[:limit]
    )


def shipments_of_cancelled_orders(*, limit: int) -> list[Shipment]:
    """Shipments of cancelled orders that still need their waybill deleted or their state settled."""
    S = Shipment.Status
    return list(
        Shipment.objects.filter(order__status=Order.Status.CANCELLED).filter(
            Q(status__in=[S.PENDING, S.LABEL_CREATED]) | Q(status=S.NEEDS_ATTENTION, waybill_ref="")
        )[:limit]
    )

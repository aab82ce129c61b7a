"""Reads of the directory and shipments, and the one "not yet handed over" rule."""

from django.db.models import Q, QuerySet
from django.db.models.functions import Length

from orders.models import Order
from shipping.exceptions import InvalidDelivery
from shipping.models import City, Shipment, Warehouse


def search_cities(*, query: str, limit: int = 20) -> QuerySet[City]:
    query = (query or "").strip()
    if len(query) < 2:
        return City.objects.none()
    return City.objects.filter(name__istartswith=query).order_by("name")[:limit]


def search_warehouses(*, city_ref: str, query: str = "", limit: int = 50) -> QuerySet[Warehouse]:
    qs = Warehouse.objects.filter(city_id=city_ref, is_active=True)
    query = (query or "").strip()
    if query:
        qs = qs.filter(name__icontains=query) if not query.isdigit() else qs.filter(number=query)
    # Numbers are text: order by length first so branch 2 comes before branch 10.
    return qs.order_by("kind", Length("number"), "number")[:limit]


def resolve_delivery(*, city_ref: str, warehouse_ref: str) -> tuple[City, Warehouse]:
    """The city and branch a shopper picked, or InvalidDelivery saying what is wrong."""
    city = City.objects.filter(ref=city_ref).first()
    if city is None:
        raise InvalidDelivery(
            "Choose your city from the Nova Poshta list.",
            extra={"errors": {"delivery_city": "Choose your city from the Nova Poshta list."}},
        )
    warehouse = Warehouse.objects.filter(ref=warehouse_ref, city=city, is_active=True).first()
    if warehouse is None:
        raise InvalidDelivery(
            f"Choose a Nova Poshta branch or parcel locker in {city.name}.",
            extra={"errors": {"delivery_branch": f"Choose a Nova Poshta branch or parcel locker in {city.name}."}},
        )
    return city, warehouse


def awaiting_hand_over(shipment: Shipment) -> bool:
    """The waybill exists but the carrier does not have the parcel yet: it may still be deleted.

    The one place this rule lives (the admin's buttons, cancelling, voiding and
    parcel_has_left all ask here); tracking records the hand-over in `handed_over_at`.
    """
    return shipment.status == Shipment.Status.LABEL_CREATED and shipment.handed_over_at is None


def shipment_for_order(*, order) -> Shipment | None:
    return order.shipments.exclude(status=Shipment.Status.CANCELLED).first()


def parcel_has_left(*, order) -> bool:
    """True when the order's parcel is with the carrier (or beyond): too late to cancel the order."""
    shipment = shipment_for_order(order=order)
    if shipment is None:
        return False
    if shipment.status in (Shipment.Status.PENDING, Shipment.Status.NEEDS_ATTENTION) and not shipment.waybill_ref:
        return False
    return not awaiting_hand_over(shipment)


# --- the Beat batches' worklists ---------------------------------------------------------------


def orders_to_plan(*, limit: int) -> QuerySet[Order]:
    """Confirmed orders without a live shipment, oldest confirmation first."""
    live = [s for s in Shipment.Status.values if s != Shipment.Status.CANCELLED]
    return (
        Order.objects.filter(status=Order.Status.CONFIRMED)
        .exclude(shipments__status__in=live)
        .order_by("confirmed_at", "id")[:limit]
    )


def shipments_stuck_creating(*, before) -> list[Shipment]:
    """Shipments in `creating` whose carrier call started before `before` (to reconcile)."""
    return list(Shipment.objects.filter(status=Shipment.Status.CREATING, creating_since__lte=before))


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

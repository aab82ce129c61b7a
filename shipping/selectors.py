"""Reads of the directory and shipments."""

from django.db.models import QuerySet
from django.db.models.functions import Length

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


def shipment_for_order(*, order) -> Shipment | None:
    return order.shipments.exclude(status=Shipment.Status.CANCELLED).first()


def parcel_has_left(*, order) -> bool:
    """True when the order's parcel is with the carrier (or beyond): too late to cancel the order."""
    shipment = shipment_for_order(order=order)
    if shipment is None:
        return False
    if shipment.status in (Shipment.Status.PENDING, Shipment.Status.NEEDS_ATTENTION) and not shipment.waybill_ref:
        return False
    return not (shipment.status == Shipment.Status.LABEL_CREATED and shipment.carrier_status_code in (None, 1))

"""Reads of the Nova Poshta directory: the checkout's picker and the check of a chosen delivery."""

from django.db.models import QuerySet
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from directory.exceptions import InvalidDelivery
from directory.models import City, Warehouse


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
        message = _("Choose your city from the Nova Poshta list.")
        raise InvalidDelivery(message, extra={"errors": {"delivery_city": message}})
    warehouse = Warehouse.objects.filter(ref=warehouse_ref, city=city, is_active=True).first()
    if warehouse is None:
        message = _("Choose a Nova Poshta branch or parcel locker in %(city)s.") % {"city": city.name}
        raise InvalidDelivery(message, extra={"errors": {"delivery_branch": message}})
    return city, warehouse

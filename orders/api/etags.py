"""An order's ETag (its version), If-Match for the services, and the one order response."""

from django.urls import reverse
from rest_framework import status
from rest_framework.response import Response

from core.api import etag_versions
from orders.api.serializers import OrderOutputSerializer
from orders.exceptions import StaleOrder
from orders.models import Order


def order_etag(order: Order) -> str:
    """The order's version as a strong ETag."""
    return f'"{order.version}"'


def expected_version(*, if_match: str | None, order: Order) -> int | None:
    """The version the client requires (checked by the service under the row lock), or None."""
    if if_match is None:
        return None
    versions = etag_versions(if_match)
    if versions is None:
        return None
    if len(versions) == 1 and next(iter(versions)).isdigit():
        return int(next(iter(versions)))
    if str(order.version) in versions:
        return order.version
    # Versions only go up, so what did not match now never will.
    raise StaleOrder(order, if_match)


def order_response(request, order: Order, *, status_code: int = status.HTTP_200_OK, location: bool = False):
    """The order as JSON, with its ETag (and its Location for a new order)."""
    response = Response(OrderOutputSerializer(order).data, status=status_code)
    response["ETag"] = order_etag(order)
    if location:
        url = reverse("api:order_detail", kwargs={"number": order.number})
        response["Location"] = request.build_absolute_uri(url)
    return response

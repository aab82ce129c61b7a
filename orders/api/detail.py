"""GET /orders/<number>/: one of the customer's own orders, with its ETag (304 while unchanged)."""

from django.utils.cache import patch_cache_control
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ETAG_RESPONSE_HEADER, IF_NONE_MATCH_PARAMETER, error_response, etag_versions
from orders.api.etags import order_etag, order_response
from orders.api.serializers import OrderOutputSerializer
from orders.selectors import get_order_for_customer


class OrderDetailApi(APIView):
    """One of the customer's own orders, with its ETag."""

    OutputSerializer = OrderOutputSerializer

    @extend_schema(
        operation_id="orders_retrieve",
        tags=["orders"],
        summary="Read one of your orders",
        parameters=[IF_NONE_MATCH_PARAMETER, ETAG_RESPONSE_HEADER],
        responses={
            200: OrderOutputSerializer,
            304: OpenApiResponse(description="Not modified: your ETag is still current."),
            401: error_response("No or a wrong token."),
            404: error_response("You have no order with this number."),
        },
    )
    def get(self, request, number: str):
        order = get_order_for_customer(customer=request.user, number=number)
        if_none_match = request.headers.get("If-None-Match")
        versions = etag_versions(if_none_match) if if_none_match is not None else set()
        if versions is None or str(order.version) in versions:
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
            response["ETag"] = order_etag(order)
        else:
            response = order_response(request, order)
        # Personal data: no shared cache may keep it, and a private one must revalidate.
        patch_cache_control(response, private=True, no_cache=True)
        return response

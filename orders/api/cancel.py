"""POST /orders/<number>/cancel/: cancel one of the customer's own orders (with If-Match)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.views import APIView

from core.api import (
    ETAG_RESPONSE_HEADER,
    IDEMPOTENCY_KEY_PARAMETER,
    IF_MATCH_PARAMETER,
    error_response,
    replayed_response_header,
)
from core.idempotency import idempotent
from orders.api.etags import expected_version, order_response
from orders.api.serializers import OrderOutputSerializer
from orders.models import Source
from orders.selectors import get_order_for_customer
from orders.services import cancel_order


class OrderCancelApi(APIView):
    """Cancel one of the customer's own orders (placed or confirmed) and release its stock."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=500, help_text="Why the order is cancelled; kept in its history.")

        class Meta:
            ref_name = "OrderCancel"

    parser_classes = [JSONParser]
    OutputSerializer = OrderOutputSerializer

    @extend_schema(
        operation_id="orders_cancel",
        tags=["orders"],
        summary="Cancel one of your orders",
        parameters=[
            IDEMPOTENCY_KEY_PARAMETER,
            IF_MATCH_PARAMETER,
            ETAG_RESPONSE_HEADER,
            replayed_response_header(200, 400, 404, 409, 412),
        ],
        request=InputSerializer,
        responses={
            200: OpenApiResponse(OrderOutputSerializer, description="Cancelled; its stock is released."),
            400: error_response("No reason given."),
            401: error_response("No or a wrong token."),
            404: error_response("You have no order with this number."),
            409: error_response(
                "invalid_transition: the order can no longer be cancelled (order_shipped: it is shipped, refuse the "
                "parcel at the branch); or idempotency_key_in_use."
            ),
            412: error_response("stale_version: the order changed since the ETag in If-Match; nothing was done."),
            422: error_response("idempotency_key_reused: this key was used with another request."),
        },
    )
    @idempotent
    def post(self, request, number: str):
        order = get_order_for_customer(customer=request.user, number=number)
        serializer = OrderCancelApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cancel_order(
            order_id=order.pk,
            by=request.user,
            reason=serializer.validated_data["reason"],
            source=Source.API,
            expected_version=expected_version(if_match=request.headers.get("If-Match"), order=order),
        )
        order = get_order_for_customer(customer=request.user, number=number)
        return order_response(request, order)

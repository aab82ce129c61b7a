"""POST /orders/: place an order; retries with the same checkout token or key are safe."""

import hashlib

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.views import APIView

from catalog.selectors import get_active_product_ids_by_sku
from core.api import (
    ETAG_RESPONSE_HEADER,
    IDEMPOTENCY_KEY_PARAMETER,
    LOCATION_RESPONSE_HEADER,
    error_response,
    replayed_response_header,
)
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.idempotency import idempotent
from core.ratelimit import client_ip
from orders.api.etags import order_response
from orders.api.serializers import OrderItemInputSerializer, OrderOutputSerializer, max_length
from orders.exceptions import InvalidCheckout
from orders.models import Order, Source
from orders.selectors import get_order_for_customer
from orders.services import MAX_LINES, new_checkout_token, place_order


def _delivery(data: dict) -> dict:
    """The delivery fields for place_order, which checks any Nova Poshta Refs against the directory."""
    return {
        "delivery_city": data.get("delivery_city", ""),
        "delivery_branch": data.get("delivery_branch", ""),
        "delivery_city_ref": data.get("delivery_city_ref", ""),
        "delivery_warehouse_ref": data.get("delivery_warehouse_ref", ""),
    }


class OrderPlaceApi(APIView):
    """Place an order for the customer; retries with the same checkout token or key are safe."""

    class InputSerializer(serializers.Serializer):
        items = OrderItemInputSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
        full_name = serializers.CharField(max_length=max_length("full_name"))
        phone = serializers.CharField(max_length=32, help_text="A Ukrainian number, e.g. +380671234567.")
        email = serializers.EmailField(max_length=max_length("email"))
        delivery_city = serializers.CharField(max_length=max_length("delivery_city"))
        delivery_branch = serializers.CharField(
            max_length=max_length("delivery_branch"), help_text="Nova Poshta branch or parcel locker."
        )
        delivery_city_ref = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=36,
            help_text="Nova Poshta city Ref (GET /shipping/cities/?q=). With delivery_warehouse_ref the parcel "
            "is labelled automatically; the names then come from the directory. Checked: a wrong pair is 400.",
        )
        delivery_warehouse_ref = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=36,
            help_text="Nova Poshta branch or parcel locker Ref (GET /shipping/warehouses/?city=<ref>).",
        )
        comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
        payment_method = serializers.ChoiceField(
            choices=Order.PaymentMethod.choices,
            help_text=(
                "How the part not paid with store credit is paid. `online`: then start a payment with "
                "POST /api/v1/orders/{number}/payments/."
            ),
        )
        store_credit = serializers.IntegerField(
            required=False,
            default=0,
            min_value=0,
            help_text="Kopiyky of the caller's store credit to use; equal to the total pays the whole order.",
        )
        checkout_token = serializers.CharField(
            required=False,
            max_length=max_length("checkout_token"),
            help_text=(
                "Makes the call idempotent by itself: the same token returns the same order (200). "
                "Derived from the Idempotency-Key when absent."
            ),
        )

        class Meta:
            ref_name = "OrderPlace"

    parser_classes = [JSONParser]
    OutputSerializer = OrderOutputSerializer

    @extend_schema(
        operation_id="orders_create",
        tags=["orders"],
        summary="Place an order",
        description=(
            "Place an order and reserve its stock, all or nothing. Items name products by `product_id` or "
            "`sku`. 201 with the new order; 200 with the existing one when its checkout token (or the "
            "Idempotency-Key it was derived from) already placed it."
        ),
        parameters=[
            IDEMPOTENCY_KEY_PARAMETER,
            ETAG_RESPONSE_HEADER,
            LOCATION_RESPONSE_HEADER,
            replayed_response_header(200, 201, 400, 409),
        ],
        request=InputSerializer,
        responses={
            201: OpenApiResponse(OrderOutputSerializer, description="The order was placed; its stock is reserved."),
            200: OpenApiResponse(OrderOutputSerializer, description="This checkout token already placed this order."),
            400: error_response("Invalid body, an unknown product, or a payment method not offered."),
            401: error_response("No or a wrong token."),
            409: error_response(
                "out_of_stock (nothing was reserved), checkout_token_conflict, or idempotency_key_in_use."
            ),
            422: error_response("idempotency_key_reused: this key was used with another request."),
        },
    )
    @idempotent
    def post(self, request):
        serializer = OrderPlaceApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order, created = place_order(
            customer=request.user,
            full_name=data["full_name"],
            phone=data["phone"],
            email=data["email"],
            **_delivery(data),
            comment=data["comment"],
            payment_method=data["payment_method"],
            items=_quantities_by_product_id(data["items"]),
            checkout_token=data.get("checkout_token") or _derived_checkout_token(request),
            source=Source.API,
            store_credit=data["store_credit"],
            ip=client_ip(request),
        )
        if not created:  # a retry: the order as it is now (a new one is answered from memory)
            order = get_order_for_customer(customer=request.user, number=order.number)
        return order_response(
            request, order, status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK, location=True
        )


def _quantities_by_product_id(items: list[dict]) -> dict[int, int]:
    """Turn the API's items (by id or SKU) into the checkout's {product_id: quantity}."""
    skus = {item["sku"] for item in items if "sku" in item}
    ids_by_sku = get_active_product_ids_by_sku(skus=skus) if skus else {}
    unknown = sorted(skus - set(ids_by_sku))
    if unknown:
        raise InvalidCheckout(
            _("No product on sale has the SKU %(skus)s.") % {"skus": ", ".join(unknown)},
            code="product_unavailable",
            extra={"skus": unknown},
        )
    quantities: dict[int, int] = {}
    for item in items:
        product_id = item["product_id"] if "product_id" in item else ids_by_sku[item["sku"]]
        if product_id in quantities:
            raise InvalidCheckout(
                _("A product appears twice in items; send it once with the total quantity."), code="duplicate_item"
            )
        quantities[product_id] = item["quantity"]
    return quantities


def _derived_checkout_token(request) -> str:
    """A checkout token for a request that sent none.

    Derived from the Idempotency-Key so that a retry with that key places no second order
    even after the key's stored response is gone (24 h); without a key, a fresh one.
    """
    key = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()
    if not key:
        return new_checkout_token()
    return hashlib.sha256(f"idem:{request.user.pk}:{key}".encode()).hexdigest()

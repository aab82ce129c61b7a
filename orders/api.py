"""API: a customer's own orders: list, place, read (with an ETag) and cancel (with If-Match).

Every lookup goes through orders.selectors scoped to request.user, so somebody else's order
is "not found", never "forbidden". Writes go through orders.services; the mutating calls
honour the Idempotency-Key header (core.idempotency, Stripe's semantics).
"""

import hashlib

from django.urls import reverse
from django.utils.cache import patch_cache_control
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.selectors import get_active_product_ids_by_sku
from core.api import (
    ETAG_RESPONSE_HEADER,
    IDEMPOTENCY_KEY_PARAMETER,
    IF_MATCH_PARAMETER,
    IF_NONE_MATCH_PARAMETER,
    LOCATION_RESPONSE_HEADER,
    error_response,
    etag_versions,
    replayed_response_header,
)
from core.exceptions import ValidationError
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.idempotency import idempotent
from directory.selectors import resolve_delivery
from orders.exceptions import InvalidCheckout, OrderStateError, StaleOrder
from orders.models import Order, Source
from orders.selectors import get_order_for_customer, list_orders_for_customer
from orders.services import MAX_LINES, MAX_QUANTITY, cancel_order, new_checkout_token, place_order
from payments.selectors import order_payment_status, order_payment_statuses, payment_choices

# --- ETags -----------------------------------------------------------------------------------


def order_etag(order: Order) -> str:
    """The order's version as a strong ETag."""
    return f'"{order.version}"'


def _expected_version(*, if_match: str | None, order: Order) -> int | None:
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


# --- serializers shared by every order endpoint ----------------------------------------------


class OrderLineOutputSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    unit_price = serializers.IntegerField(help_text="Kopiyky.")
    quantity = serializers.IntegerField()
    line_total = serializers.IntegerField(help_text="Kopiyky.")

    class Meta:
        ref_name = "OrderLine"


class OrderOutputSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=Order.Status.choices)
    payment_method = serializers.ChoiceField(choices=Order.PaymentMethod.choices)
    payment_status = serializers.SerializerMethodField(
        help_text="unpaid, payment processing, paid, partially refunded, refunded, overpaid (refund under way); "
        "cash on delivery / paid on delivery; paid with store credit."
    )
    currency = serializers.CharField()
    subtotal = serializers.IntegerField(help_text="Kopiyky.")
    delivery_fee = serializers.IntegerField(help_text="Kopiyky.")
    total = serializers.IntegerField(help_text="Kopiyky.")
    store_credit = serializers.IntegerField(help_text="Kopiyky paid with store credit.")
    amount_due = serializers.IntegerField(help_text="Kopiyky left to pay by the payment method.")
    lines = OrderLineOutputSerializer(many=True)
    full_name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.EmailField()
    delivery_city = serializers.CharField()
    delivery_branch = serializers.CharField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="When an unpaid online order expires.")
    version = serializers.IntegerField(help_text="Goes up with every change; the ETag is this number quoted.")
    url = serializers.SerializerMethodField(help_text="The order's page for the shopper (a secret link).")

    class Meta:
        ref_name = "Order"

    def get_url(self, order) -> str:
        return order.get_absolute_url()

    def get_payment_status(self, order) -> str:
        # Derived from the order's payments; a list passes them all in, read with one query.
        statuses = self.context.get("payment_statuses") or {}
        if order.pk in statuses:
            return statuses[order.pk]
        return order_payment_status(order=order)


class OrderItemInputSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(required=False, min_value=1)
    sku = serializers.CharField(required=False, max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)

    class Meta:
        ref_name = "OrderPlaceItem"

    def validate(self, attrs):
        if ("product_id" in attrs) == ("sku" in attrs):
            raise serializers.ValidationError("Give either product_id or sku for each item.")
        return attrs


def _max_length(field: str) -> int:
    """The column's length: a longer value must be a 400 here, not a database error later."""
    return Order._meta.get_field(field).max_length


def _order_response(request, order: Order, *, status_code: int = status.HTTP_200_OK, location: bool = False):
    response = Response(OrderOutputSerializer(order).data, status=status_code)
    response["ETag"] = order_etag(order)
    if location:
        url = reverse("api:order_detail", kwargs={"number": order.number})
        response["Location"] = request.build_absolute_uri(url)
    return response


# --- views -----------------------------------------------------------------------------------


class OrderListApi(APIView):
    """The customer's own orders, newest first."""

    pagination_class = PageNumberPagination
    OutputSerializer = OrderOutputSerializer

    @extend_schema(
        operation_id="orders_list",
        tags=["orders"],
        summary="List your orders",
        description="Your own orders, newest first, 20 a page.",
        responses={200: OrderOutputSerializer(many=True), 401: error_response("No or a wrong token.")},
    )
    def get(self, request):
        orders = list_orders_for_customer(customer=request.user)
        paginator = OrderListApi.pagination_class()
        page = paginator.paginate_queryset(orders, request, view=self)
        context = {"payment_statuses": order_payment_statuses(orders=page)}
        return paginator.get_paginated_response(OrderListApi.OutputSerializer(page, many=True, context=context).data)


def _delivery(data: dict) -> dict:
    """The delivery fields for place_order; Nova Poshta Refs, when sent, must be a real pair."""
    city_ref, warehouse_ref = data.get("delivery_city_ref", ""), data.get("delivery_warehouse_ref", "")
    if not (city_ref or warehouse_ref):
        return {"delivery_city": data["delivery_city"], "delivery_branch": data["delivery_branch"]}
    city, warehouse = resolve_delivery(city_ref=city_ref, warehouse_ref=warehouse_ref)
    return {
        "delivery_city": city.name,
        "delivery_branch": warehouse.name,
        "delivery_city_ref": city.ref,
        "delivery_warehouse_ref": warehouse.ref,
    }


class OrderPlaceApi(APIView):
    """Place an order for the customer; retries with the same checkout token or key are safe."""

    class InputSerializer(serializers.Serializer):
        items = OrderItemInputSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
        full_name = serializers.CharField(max_length=_max_length("full_name"))
        phone = serializers.CharField(max_length=32, help_text="A Ukrainian number, e.g. +380671234567.")
        email = serializers.EmailField(max_length=_max_length("email"))
        delivery_city = serializers.CharField(max_length=_max_length("delivery_city"))
        delivery_branch = serializers.CharField(
            max_length=_max_length("delivery_branch"), help_text="Nova Poshta branch or parcel locker."
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
            max_length=_max_length("checkout_token"),
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
        if data["payment_method"] == Order.PaymentMethod.ONLINE and not payment_choices():
            # An order nobody can pay would only hold stock until it expires.
            message = 'Online payment is not available here; use payment_method "cod" (cash on delivery).'
            raise ValidationError(
                message, code="payment_method_unavailable", extra={"errors": {"payment_method": [message]}}
            )
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
        )
        order = get_order_for_customer(customer=request.user, number=order.number)
        return _order_response(
            request, order, status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK, location=True
        )


def _quantities_by_product_id(items: list[dict]) -> dict[int, int]:
    """Turn the API's items (by id or SKU) into the checkout's {product_id: quantity}."""
    skus = {item["sku"] for item in items if "sku" in item}
    ids_by_sku = get_active_product_ids_by_sku(skus=skus) if skus else {}
    unknown = sorted(skus - set(ids_by_sku))
    if unknown:
        raise InvalidCheckout(
            f"No product on sale has the SKU {', '.join(unknown)}.", code="product_unavailable", extra={"skus": unknown}
        )
    quantities: dict[int, int] = {}
    for item in items:
        product_id = item["product_id"] if "product_id" in item else ids_by_sku[item["sku"]]
        if product_id in quantities:
            raise InvalidCheckout(
                "A product appears twice in items; send it once with the total quantity.", code="duplicate_item"
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


class OrderCollectionApi(OrderListApi, OrderPlaceApi):
    """/orders/: GET is OrderListApi, POST is OrderPlaceApi (two actions on one URL).

    Each method names its own class's serializers explicitly, so nothing is shadowed here.
    """


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
            response = _order_response(request, order)
        # Personal data: no shared cache may keep it, and a private one must revalidate.
        patch_cache_control(response, private=True, no_cache=True)
        return response


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
            409: error_response("invalid_transition: the order can no longer be cancelled; or idempotency_key_in_use."),
            412: error_response("stale_version: the order changed since the ETag in If-Match; nothing was done."),
            422: error_response("idempotency_key_reused: this key was used with another request."),
        },
    )
    @idempotent
    def post(self, request, number: str):
        order = get_order_for_customer(customer=request.user, number=number)
        serializer = OrderCancelApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if order.status == Order.Status.SHIPPED:
            # Staff may still stop a parcel before hand-over; a customer refuses it at the branch.
            raise OrderStateError(order, "cancel")
        cancel_order(
            order_id=order.pk,
            by=request.user,
            reason=serializer.validated_data["reason"],
            source=Source.API,
            expected_version=_expected_version(if_match=request.headers.get("If-Match"), order=order),
        )
        order = get_order_for_customer(customer=request.user, number=number)
        return _order_response(request, order)

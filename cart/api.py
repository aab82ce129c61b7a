"""API: the caller's cart, the same rows the shop pages show (token or session login).

One class per action: read the cart, add a line, change a line's quantity, remove a line.
Every answer is the whole cart with fresh prices and stock. Errors go through the API's one
exception handler as {"detail", "code"}.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import error_response
from cart.models import MAX_QUANTITY
from cart.requests import cart_owner_for
from cart.selectors import CartContents
from cart.services import add_to_cart, read_cart, remove_from_cart, set_line_quantities
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.idempotency import idempotent
from core.money import DEFAULT_CURRENCY

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=IDEMPOTENCY_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="A unique value that makes a retry safe: the same key and body within 24 hours replays the answer.",
)


class CartLineOutputSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(source="product.pk")
    sku = serializers.CharField(source="product.sku")
    name = serializers.CharField(source="product.name")
    unit_price = serializers.IntegerField(source="product.price", help_text="Kopiyky, today's price.")
    quantity = serializers.IntegerField()
    line_total = serializers.IntegerField(help_text="Kopiyky.")
    available = serializers.IntegerField(help_text="Units in stock that can be ordered now.")
    is_short = serializers.BooleanField(help_text="More units are wanted than are in stock now.")

    class Meta:
        ref_name = "CartLine"


class CartOutputSerializer(serializers.Serializer):
    lines = CartLineOutputSerializer(many=True)
    count = serializers.IntegerField(help_text="Units in the cart.")
    total = serializers.IntegerField(help_text="Kopiyky; delivery is paid to Nova Poshta on receipt.")
    currency = serializers.SerializerMethodField()
    dropped = serializers.IntegerField(help_text="Lines this read removed: their products are no longer sold.")

    class Meta:
        ref_name = "Cart"

    def get_currency(self, contents) -> str:
        return DEFAULT_CURRENCY


def _cart_response(contents: CartContents) -> Response:
    return Response(CartOutputSerializer(contents).data)


NOT_LOGGED_IN = error_response("No or a wrong token (or no session login).")


class CartDetailApi(APIView):
    """The caller's cart."""

    OutputSerializer = CartOutputSerializer

    @extend_schema(
        operation_id="cart_retrieve",
        tags=["cart"],
        summary="Read your cart",
        description="The lines with today's prices and stock; lines of products no longer sold are removed.",
        responses={200: CartOutputSerializer, 401: NOT_LOGGED_IN},
    )
    def get(self, request):
        return _cart_response(read_cart(owner=cart_owner_for(request)))


class CartLineAddApi(APIView):
    """Add units of a product to the caller's cart (added to the line if it is there)."""

    class InputSerializer(serializers.Serializer):
        product_id = serializers.IntegerField(min_value=1)
        quantity = serializers.IntegerField(
            min_value=1, max_value=MAX_QUANTITY, help_text=f"The line stops at {MAX_QUANTITY} units."
        )

        class Meta:
            ref_name = "CartLineAdd"

    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="cart_lines_create",
        tags=["cart"],
        summary="Add a product to your cart",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=InputSerializer,
        responses={
            200: CartOutputSerializer,
            400: error_response("Invalid body (quantity 1 to 99)."),
            401: NOT_LOGGED_IN,
            404: error_response("product_unavailable: no product on sale has this id."),
            409: error_response("out_of_stock: the product is sold out; or idempotency_key_in_use."),
            422: error_response("idempotency_key_reused: this key was used with another request."),
        },
    )
    @idempotent
    def post(self, request):
        serializer = CartLineAddApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        owner = cart_owner_for(request, create=True)
        add_to_cart(owner=owner, **serializer.validated_data)
        return _cart_response(read_cart(owner=owner))


LINE_NOT_FOUND = error_response("cart_line_not_found: this product is not in your cart.")


class CartLineUpdateApi(APIView):
    """Set the quantity of one line of the caller's cart."""

    class InputSerializer(serializers.Serializer):
        quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, help_text="Remove a line with DELETE.")

        class Meta:
            ref_name = "CartLineUpdate"

    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="cart_lines_partial_update",
        tags=["cart"],
        summary="Change a line's quantity",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=InputSerializer,
        responses={
            200: CartOutputSerializer,
            400: error_response("Invalid body (quantity 1 to 99)."),
            401: NOT_LOGGED_IN,
            404: LINE_NOT_FOUND,
            409: error_response("idempotency_key_in_use."),
            422: error_response("idempotency_key_reused: this key was used with another request."),
        },
    )
    @idempotent
    def patch(self, request, product_id: int):
        serializer = CartLineUpdateApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        owner = cart_owner_for(request, create=True)
        set_line_quantities(
            owner=owner, quantities={product_id: serializer.validated_data["quantity"]}, must_exist=True
        )
        return _cart_response(read_cart(owner=owner))


class CartLineRemoveApi(APIView):
    """Remove one line from the caller's cart."""

    @extend_schema(
        operation_id="cart_lines_destroy",
        tags=["cart"],
        summary="Remove a product from your cart",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=None,
        responses={200: CartOutputSerializer, 401: NOT_LOGGED_IN, 404: LINE_NOT_FOUND},
    )
    @idempotent
    def delete(self, request, product_id: int):
        owner = cart_owner_for(request, create=True)
        remove_from_cart(owner=owner, product_ids=[product_id], must_exist=True)
        return _cart_response(read_cart(owner=owner))


class CartLineApi(CartLineUpdateApi, CartLineRemoveApi):
    """/cart/lines/<product_id>/: PATCH is CartLineUpdateApi, DELETE is CartLineRemoveApi."""

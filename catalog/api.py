"""API: the public catalog (anybody may read it)."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Product
from catalog.selectors import get_product_for_shoppers, list_products_for_shoppers
from core.api import error_response
from core.exceptions import NotFound, ValidationError

TEXT_LANGUAGE = (
    "In the language of Accept-Language (uk or en; Ukrainian by default), the Ukrainian text when the product "
    "has no English one."
)


class ProductOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField(help_text=TEXT_LANGUAGE)
    slug = serializers.SlugField()
    description = serializers.CharField(help_text=TEXT_LANGUAGE)
    price = serializers.IntegerField(help_text="Price in kopiyky (minor units): 49900 is 499.00 UAH.")
    currency = serializers.CharField(help_text="ISO 4217 code.")
    weight_grams = serializers.IntegerField()
    available = serializers.SerializerMethodField(help_text="Units that can be ordered now.")
    in_stock = serializers.SerializerMethodField()

    class Meta:
        ref_name = "Product"

    def get_available(self, product) -> int:
        # list_products_for_shoppers annotates it; a product without a stock row has none.
        return max(product.available or 0, 0)

    def get_in_stock(self, product) -> bool:
        return self.get_available(product) > 0


class ProductListApi(APIView):
    """List the products on sale, optionally searched by name, SKU or description."""

    permission_classes = [AllowAny]
    pagination_class = PageNumberPagination
    OutputSerializer = ProductOutputSerializer

    @extend_schema(
        operation_id="products_list",
        tags=["catalog"],
        parameters=[
            OpenApiParameter(
                "search",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                description="Words in the name or text (Ukrainian or English, whatever the language), or a SKU.",
            )
        ],
        responses={
            200: ProductOutputSerializer(many=True),
            400: error_response("invalid_search: the search has a character that cannot be searched for (NUL)."),
        },
    )
    def get(self, request):
        search = request.query_params.get("search", "")
        if "\x00" in search:  # PostgreSQL refuses NUL in text: a 400 that says so, not a 500
            raise ValidationError(
                _("The search contains a character that cannot be searched for (NUL)."), code="invalid_search"
            )
        products = list_products_for_shoppers(query=search)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(products, request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class ProductDetailApi(APIView):
    """One product on sale, by its slug."""

    permission_classes = [AllowAny]
    OutputSerializer = ProductOutputSerializer

    @extend_schema(
        operation_id="products_retrieve",
        tags=["catalog"],
        responses={200: ProductOutputSerializer, 404: error_response("No product on sale has this slug.")},
    )
    def get(self, request, slug: str):
        try:
            product = get_product_for_shoppers(slug=slug)
        except Product.DoesNotExist:
            raise NotFound(_("Product not found."), code="product_not_found")
        return Response(self.OutputSerializer(product).data)

"""The DRF API, mounted under /api/v1/ (config/urls.py). Schema: /api/schema/, docs: /api/docs/."""

from django.http import JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _

from accounts.api import TokenObtainApi
from catalog.api import ProductDetailApi, ProductListApi
from orders.api import OrderCancelApi, OrderCollectionApi, OrderDetailApi
from payments.api import OrderPaymentStartApi, PaymentDetailApi, PaymentRefundApi

app_name = "api"


def endpoint_not_found(request, *args, **kwargs):
    """Answer an unknown API URL in the API's error shape instead of the shop's HTML 404 page."""
    return JsonResponse(
        {"detail": _("No API endpoint at this URL; paths end with a slash (see /api/docs/)."), "code": "not_found"},
        status=404,
    )


urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="token_obtain"),
    path("products/", ProductListApi.as_view(), name="product_list"),
    path("products/<slug:slug>/", ProductDetailApi.as_view(), name="product_detail"),
    # GET lists the customer's orders (OrderListApi), POST places one (OrderPlaceApi).
    path("orders/", OrderCollectionApi.as_view(), name="order_list"),
    path("orders/<str:number>/", OrderDetailApi.as_view(), name="order_detail"),
    path("orders/<str:number>/cancel/", OrderCancelApi.as_view(), name="order_cancel"),
    path("orders/<str:number>/payments/", OrderPaymentStartApi.as_view(), name="order_payment_start"),
    path("payments/<str:reference>/", PaymentDetailApi.as_view(), name="payment_detail"),
    path("payments/<str:reference>/refunds/", PaymentRefundApi.as_view(), name="payment_refund"),
    path("cart/", include("cart.api_urls")),
    re_path(r"", endpoint_not_found),
]

"""The cart's API routes, included under /api/v1/cart/ by config/api_urls.py (namespace "api")."""

from django.urls import path

from cart.api import CartDetailApi, CartLineAddApi, CartLineApi

urlpatterns = [
    path("", CartDetailApi.as_view(), name="cart_detail"),
    path("lines/", CartLineAddApi.as_view(), name="cart_line_add"),
    path("lines/<int:product_id>/", CartLineApi.as_view(), name="cart_line"),
]

"""GET /orders/: the customer's own orders; the same URL's POST is OrderPlaceApi."""

from drf_spectacular.utils import extend_schema
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import APIView

from core.api import error_response
from orders.api.place import OrderPlaceApi
from orders.api.serializers import OrderOutputSerializer
from orders.selectors import list_orders_for_customer
from payments.selectors import order_payment_statuses


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


class OrderCollectionApi(OrderListApi, OrderPlaceApi):
    """/orders/: GET is OrderListApi, POST is OrderPlaceApi (two actions on one URL).

    Each method names its own class's serializers explicitly, so nothing is shadowed here.
    """

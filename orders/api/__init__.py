"""API: a customer's own orders: list, place, read (with an ETag) and cancel (with If-Match).

Every lookup goes through orders.selectors scoped to request.user, so somebody else's order
is "not found", never "forbidden". Writes go through orders.services; the mutating calls
honour the Idempotency-Key header (core.idempotency, Stripe's semantics). One module per
endpoint; the serializers and the ETag helpers are shared by all of them.
"""

from orders.api.cancel import OrderCancelApi
from orders.api.detail import OrderDetailApi
from orders.api.list import OrderCollectionApi, OrderListApi
from orders.api.place import OrderPlaceApi

__all__ = ["OrderCancelApi", "OrderCollectionApi", "OrderDetailApi", "OrderListApi", "OrderPlaceApi"]

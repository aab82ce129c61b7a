"""Orders' models: the order and its lines (`order`), and its anti-abuse screening (`screening`).

One public surface: import from `orders.models`.
"""

from orders.models.order import ORDER_SEARCH_FIELDS, TRANSITIONS, Order, OrderLine, Source
from orders.models.screening import BlockedContact, OrderScreening

__all__ = ["ORDER_SEARCH_FIELDS", "TRANSITIONS", "BlockedContact", "Order", "OrderLine", "OrderScreening", "Source"]

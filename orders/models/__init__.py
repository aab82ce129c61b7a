"""Orders' models: the order and its lines (`order`), and its anti-abuse screening (`screening`).

One public surface: import from `orders.models`.
"""

from orders.models.order import TRANSITIONS, Order, OrderLine, Source
from orders.models.screening import BlockedContact, OrderScreening

__all__ = ["TRANSITIONS", "BlockedContact", "Order", "OrderLine", "OrderScreening", "Source"]

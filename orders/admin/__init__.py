"""Orders in the back office; importing the package registers the order admin."""

from orders.admin.order import OrderAdmin

__all__ = ["OrderAdmin"]

"""Orders in the back office; importing the package registers the order, block-list and review admins."""

from orders.admin.order import OrderAdmin
from orders.admin.screening import BlockedContactAdmin, OrderScreeningAdmin

__all__ = ["BlockedContactAdmin", "OrderAdmin", "OrderScreeningAdmin"]

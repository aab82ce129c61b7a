"""Every write to orders: checkout, transitions, expiry, staff edits, store credit, anti-abuse.

One package, one public surface: import from `orders.services`.
"""

from orders.services.checkout import new_checkout_token, place_order
from orders.services.expiry import expire_unpaid_orders
from orders.services.handover import record_handover
from orders.services.history import describe, record_decision
from orders.services.review import approve_review, reject_review
from orders.services.screening import block_contact, normalize_blocked_value
from orders.services.transitions import (
    EDITABLE_FIELDS,
    TIMESTAMP_FIELD,
    TRANSITION_SERVICES,
    cancel_order,
    complete_order,
    confirm_order,
    confirm_paid_order,
    deliver_order,
    lock_order,
    refuse_unless_editable,
    return_order,
    revive_paid_order,
    ship_order,
    unship_order,
    update_order_details,
)
from orders.services.validation import MAX_LINES, MAX_QUANTITY, delivery_from_directory

__all__ = [
    "EDITABLE_FIELDS",
    "MAX_LINES",
    "MAX_QUANTITY",
    "TIMESTAMP_FIELD",
    "TRANSITION_SERVICES",
    "approve_review",
    "block_contact",
    "cancel_order",
    "complete_order",
    "confirm_order",
    "confirm_paid_order",
    "deliver_order",
    "delivery_from_directory",
    "describe",
    "expire_unpaid_orders",
    "lock_order",
    "new_checkout_token",
    "normalize_blocked_value",
    "place_order",
    "record_decision",
    "record_handover",
    "refuse_unless_editable",
    "reject_review",
    "return_order",
    "revive_paid_order",
    "unship_order",
    "ship_order",
    "update_order_details",
]

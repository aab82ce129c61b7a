"""Every change to payments, one module per concern; reads live in payments.selectors.

- checkout: starting a payment for an order or a store-credit top-up
- inbox: verifying, recording and applying provider facts (webhooks and polls), exactly once
- capture: a capture confirms the order, or becomes an overpayment
- refunds: reserving, sending and booking refunds
- review: staff clearing a payment's review flag
- disputes: chargebacks opened by a provider's notice or staff, resolved won or lost
- reconciliation, sweeps, revenue: the Beat jobs

The names other apps and tasks use are re-exported here, so `from payments.services import X`
keeps working.
"""

from payments.selectors import get_payment
from payments.services.checkout import start_order_payment, start_top_up
from payments.services.disputes import open_dispute, resolve_dispute
from payments.services.inbox import handle_callback, ingest_update, reprocess_event
from payments.services.reconciliation import reconcile_payments
from payments.services.refunds import request_refund, send_refund
from payments.services.revenue import recognize_delivery_revenue, recognize_revenue_of_delivered_orders
from payments.services.review import mark_payment_reviewed
from payments.services.sweeps import refund_money_of_closed_orders, send_stuck_refunds

__all__ = [
    "get_payment",
    "handle_callback",
    "ingest_update",
    "mark_payment_reviewed",
    "open_dispute",
    "reconcile_payments",
    "recognize_delivery_revenue",
    "recognize_revenue_of_delivered_orders",
    "refund_money_of_closed_orders",
    "reprocess_event",
    "request_refund",
    "resolve_dispute",
    "send_refund",
    "send_stuck_refunds",
    "start_order_payment",
    "start_top_up",
]

"""Payments in the back office: payments, refunds and the webhook inbox, read-only.

Nothing here edits a payment. Money goes back through payments.services.request_refund (a
form with a one-time token, so a double submit refunds once), a payment leaves review through
mark_payment_reviewed, and an inbox event is applied again through reprocess_event. Every
button is checked again on the server, whatever the page showed.
"""

from payments.admin.payment import PaymentAdmin
from payments.admin.refund import RefundAdmin
from payments.admin.webhook import WebhookEventAdmin

__all__ = ["PaymentAdmin", "RefundAdmin", "WebhookEventAdmin"]

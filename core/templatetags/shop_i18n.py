"""Shopper-facing names of the machine values a page shows (payment state, sandbox status).

The values themselves stay English codes (the API returns them as they are); only what a
person reads is translated, here, where the page renders it.
"""

from django import template
from django.utils.translation import pgettext_lazy

register = template.Library()

# payments.selectors.order_payment_status and Order.offline_payment_status.
PAYMENT_STATES = {
    "unpaid": pgettext_lazy("payment state", "unpaid"),
    "payment processing": pgettext_lazy("payment state", "payment processing"),
    "paid": pgettext_lazy("payment state", "paid"),
    "partially refunded": pgettext_lazy("payment state", "partially refunded"),
    "refunded": pgettext_lazy("payment state", "refunded"),
    "overpaid (refund under way)": pgettext_lazy("payment state", "overpaid (refund under way)"),
    "paid with store credit": pgettext_lazy("payment state", "paid with store credit"),
    "paid on delivery": pgettext_lazy("payment state", "paid on delivery"),
    "cash on delivery": pgettext_lazy("payment state", "cash on delivery"),
}

# The Sandbox gateway's own status (payments.providers.sandbox).
SANDBOX_STATES = {
    "pending": pgettext_lazy("sandbox gateway status", "waiting for the payer"),
    "paid": pgettext_lazy("sandbox gateway status", "paid"),
    "declined": pgettext_lazy("sandbox gateway status", "declined"),
    "expired": pgettext_lazy("sandbox gateway status", "expired"),
    "refunded": pgettext_lazy("sandbox gateway status", "refunded"),
}


@register.filter
def payment_state(value):
    """{{ payment_status|payment_state }}: the state in the page's language (unknown values as they are)."""
    return PAYMENT_STATES.get(value, value) if isinstance(value, str) else value


@register.filter
def sandbox_state(value):
    return SANDBOX_STATES.get(value, value) if isinstance(value, str) else value

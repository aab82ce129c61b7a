"""What the payments admin pages share: status colours, links, read-only inlines."""

import json
import uuid

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext

from core.admin import badge
from payments.models import Payment, WebhookEvent

PAYMENT_COLOURS = {
    Payment.Status.CREATED: "#757575",
    Payment.Status.PENDING: "#b26a00",
    Payment.Status.CAPTURED: "#2e7d32",
    Payment.Status.PARTIALLY_REFUNDED: "#6a1b9a",
    Payment.Status.REFUNDED: "#37474f",
    Payment.Status.FAILED: "#c62828",
    Payment.Status.EXPIRED: "#757575",
    Payment.Status.DISPUTED: "#e65100",
    Payment.Status.CHARGED_BACK: "#b71c1c",
}
RESULT_COLOURS = {
    WebhookEvent.Result.RECEIVED: "#757575",
    WebhookEvent.Result.PROCESSED: "#2e7d32",
    WebhookEvent.Result.IGNORED: "#37474f",
    WebhookEvent.Result.REVIEW: "#b26a00",
    WebhookEvent.Result.REJECTED: "#c62828",
    WebhookEvent.Result.FAILED: "#c62828",
}
PRE_STYLE = "white-space:pre-wrap;word-break:break-all;max-height:30em;overflow:auto;margin:0"


def result_badge(event: WebhookEvent) -> str:
    return badge(f"kr-result-{event.result}", RESULT_COLOURS.get(event.result, "#757575"), event.get_result_display())


def preformatted(text: str) -> str:
    return format_html('<pre style="{}">{}</pre>', PRE_STYLE, text) if text else "—"


def as_json(data) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) if data else ""


def uuid_in(search_term: str) -> uuid.UUID | None:
    """The UUID a search term spells (a payment reference), or None."""
    try:
        return uuid.UUID((search_term or "").strip())
    except ValueError:
        return None


def payment_link(payment: Payment | None) -> str:
    if payment is None:
        return "—"
    url = reverse("admin:payments_payment_change", args=[payment.pk])
    return format_html('<a href="{}">{}</a>', url, payment.reference)


def order_link(payment: Payment) -> str:
    if payment.order_id is None:
        return format_html("{} {}", gettext("top-up:"), payment.customer.email if payment.customer_id else "—")
    url = reverse("admin:orders_order_change", args=[payment.order_id])
    return format_html('<a href="{}">{}</a>', url, payment.order.number)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

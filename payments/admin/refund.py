"""Refunds, read-only: money goes back only through the payment's Refund button."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.admin import ReadOnlyAdmin
from core.money import format_money
from payments.admin.common import payment_link, uuid_in
from payments.models import Refund


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "payment_reference",
        "amount_display",
        "status",
        "automatic",
        "requested_by",
        "provider_message",
        "created_at",
        "resolved_at",
    )
    list_filter = ("status", "kind", "automatic", ("created_at", admin.DateFieldListFilter))
    list_select_related = ("payment", "requested_by")
    search_fields = ("payment__order__number", "=provider_refund_id", "=idempotency_key")
    search_help_text = _("Payment reference, order number, or the provider's refund id.")
    date_hierarchy = "created_at"
    fields = (
        "payment_reference",
        "amount_display",
        "status",
        "kind",
        "automatic",
        "reason",
        "requested_by",
        "idempotency_key",
        "provider_refund_id",
        "provider_message",
        "attempts",
        "created_at",
        "resolved_at",
    )
    readonly_fields = fields

    @admin.display(description=pgettext_lazy("payment object", "payment"), ordering="payment__created_at")
    def payment_reference(self, refund):
        return payment_link(refund.payment)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, refund):
        return format_money(refund.amount, refund.payment.currency)

    def get_search_results(self, request, queryset, search_term):
        reference = uuid_in(search_term)
        if reference is not None:
            return queryset.filter(payment__reference=reference), False
        return super().get_search_results(request, queryset, search_term)

"""The queue of store-credit adjustments: who asked, who approved, what was posted.

Read-only; a waiting request is approved or rejected by an action, never edited. The
service refuses an approval by the person who asked, so the action can offer itself to
every approver and report per row.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import ReadOnlyAdmin, act_on_each, message_bulk_report
from core.money import format_money
from ledger.models import WalletAdjustmentRequest
from ledger.services import approve_wallet_adjustment, reject_wallet_adjustment


@admin.register(WalletAdjustmentRequest)
class WalletAdjustmentRequestAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "owner",
        "direction",
        "amount_display",
        "reason",
        "status",
        "requested_by",
        "approved_by",
        "rejected_by",
        "decided_at",
        "entry_link",
    )
    list_filter = ("status", "direction")
    search_fields = ("=id", "owner__email", "requested_by__email", "approved_by__email")
    list_select_related = ("owner", "requested_by", "approved_by", "rejected_by")
    date_hierarchy = "created_at"
    fields = (
        "owner",
        "direction",
        "amount_display",
        "currency",
        "reason",
        "status",
        "requested_by",
        "created_at",
        "approved_by",
        "rejected_by",
        "decided_at",
        "entry_link",
    )
    readonly_fields = fields
    actions = ["approve_selected", "reject_selected"]

    @admin.display(description=gettext_lazy("amount"), ordering="amount")
    def amount_display(self, request_row):
        return format_money(request_row.amount, request_row.currency)

    @admin.display(description=gettext_lazy("journal entry"))
    def entry_link(self, request_row):
        if request_row.entry_id is None:
            return "—"
        url = reverse("admin:ledger_journalentry_change", args=[request_row.entry_id])
        return format_html('<a href="{}">#{}</a>', url, request_row.entry_id)

    def has_approve_permission(self, request):
        return request.user.has_perm("ledger.approve_walletadjustmentrequest")

    def _rows(self, queryset):
        return [(pk, f"#{pk}") for pk in queryset.order_by("id").values_list("pk", flat=True)]

    @admin.action(description=gettext_lazy("Approve and post the selected requests"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        def approve(pk: int) -> None:
            approve_wallet_adjustment(request_id=pk, by=request.user)

        report = act_on_each(self._rows(queryset), approve)
        message_bulk_report(
            self,
            request,
            report,
            done=_("Approved and posted ({count}): {rows}."),
            failed=_("Not approved ({count}): {rows}."),
        )

    @admin.action(description=gettext_lazy("Reject the selected requests"), permissions=["approve"])
    def reject_selected(self, request, queryset):
        def reject(pk: int) -> None:
            reject_wallet_adjustment(request_id=pk, by=request.user)

        report = act_on_each(self._rows(queryset), reject)
        message_bulk_report(
            self, request, report, done=_("Rejected ({count}): {rows}."), failed=_("Not rejected ({count}): {rows}.")
        )

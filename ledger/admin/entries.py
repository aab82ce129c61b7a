"""Journal entries (with their postings) and holds: read-only; corrections are reversing entries."""

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, act_on_each, message_bulk_report
from core.large_lists import EstimatedCountPaginator
from core.money import format_money
from ledger.exceptions import AlreadyReversed
from ledger.forms import ReversalForm
from ledger.models import Hold, JournalEntry, Posting, WalletAdjustmentRequest
from ledger.services import reverse_entry


class PostingInline(admin.TabularInline):
    model = Posting
    fields = ("account", "signed_amount", "balance_after_display", "account_version", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("amount (debit +, credit −)"))
    def signed_amount(self, posting):
        return format_money(posting.amount, posting.currency)

    @admin.display(description=pgettext_lazy("ledger", "balance after"))
    def balance_after_display(self, posting):
        return format_money(posting.balance_after, posting.currency)


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "kind", "memo", "reference", "created_by", "reversal_state")
    list_filter = ("kind", "reference_type", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=id", "memo", "=reference_id", "=idempotency_key")
    # Several entries per order: no date_hierarchy (the created_at filter instead), the
    # unfiltered total from the statistics, the filtered one counted once. The memo is not
    # trigram-indexed: every index is paid for on every posting (ledger.models).
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_select_related = ("created_by",)
    inlines = [PostingInline]
    fields = (
        "kind",
        "memo",
        "reference_type",
        "reference_id",
        "idempotency_key",
        "created_by",
        "approval",
        "created_at",
        "reverses",
        "reversed_by_link",
    )
    readonly_fields = fields
    actions = ["reverse_entries"]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None or not WalletAdjustmentRequest.objects.filter(entry=obj).exists():
            fields = [name for name in fields if name != "approval"]  # only staff store-credit changes have one
        return fields

    def get_queryset(self, request):
        reversal = JournalEntry.objects.filter(reverses=OuterRef("pk"))
        return super().get_queryset(request).annotate(is_reversed=Exists(reversal))

    @admin.display(description=_("refers to"))
    def reference(self, entry):
        return f"{entry.reference_type} {entry.reference_id}".strip() or "—"

    @admin.display(description=_("reversal"))
    def reversal_state(self, entry):
        if entry.reverses_id:
            return gettext("reverses #%(id)s") % {"id": entry.reverses_id}
        return gettext("reversed") if entry.is_reversed else ""

    @admin.display(description=_("approved by"))
    def approval(self, entry):
        """Who approved a staff store-credit change (created_by is who asked for it)."""
        adjustment = WalletAdjustmentRequest.objects.filter(entry=entry).select_related("approved_by").first()
        url = reverse("admin:ledger_walletadjustmentrequest_change", args=[adjustment.pk])
        if adjustment.approved_by is None:
            return format_html('<a href="{}">#{}</a> {}', url, adjustment.pk, gettext("no approval needed"))
        return format_html('<a href="{}">#{}</a> {}', url, adjustment.pk, adjustment.approved_by)

    @admin.display(description=_("reversed by"))
    def reversed_by_link(self, entry):
        reversal = JournalEntry.objects.filter(reverses=entry).first()
        if reversal is None:
            return "—"
        url = reverse("admin:ledger_journalentry_change", args=[reversal.pk])
        return format_html('<a href="{}">#{}</a> {}', url, reversal.pk, reversal.memo)

    def has_reverse_permission(self, request):
        return request.user.has_perm("ledger.reverse_journalentry")

    @admin.action(description=_("Reverse selected entries (asks for a reason)"), permissions=["reverse"])
    def reverse_entries(self, request, queryset):
        form = ReversalForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            reason = form.cleaned_data["reason"]

            def reverse_one(entry_id: int) -> None:
                if not reverse_entry(entry_id=entry_id, reason=reason, by=request.user).created:
                    raise AlreadyReversed(gettext("already reversed"))

            rows = [(pk, f"#{pk}") for pk in queryset.order_by("id").values_list("pk", flat=True)]
            message_bulk_report(
                self,
                request,
                act_on_each(rows, reverse_one),
                done=gettext("Reversed ({count}): {rows}."),
                failed=gettext("Not reversed ({count}): {rows}."),
            )
            return None
        return TemplateResponse(
            request,
            "admin/ledger/reverse_entries.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Reverse journal entries"),
                "entries": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "account",
        "amount_display",
        "status",
        "reference_type",
        "reference_id",
        "expires_at",
        "created_at",
        "resolved_at",
    )
    list_filter = ("status",)
    search_fields = ("=id", "=reference_id", "account__code")
    list_select_related = ("account",)

    @admin.display(description=_("amount"))
    def amount_display(self, hold):
        return format_money(hold.amount, hold.currency)

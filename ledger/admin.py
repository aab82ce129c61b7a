"""The books in the back office: read-only, as books should be.

Nothing here edits or deletes a ledger row. Corrections are reversing entries (an action that
asks for a reason), store-credit changes go through ledger.services, and the integrity
check, trial balance and account statements are pages of their own.
"""

import csv
import uuid
from datetime import datetime, time, timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from core.admin import ReadOnlyAdmin, act_on_each, message_bulk_report
from core.exceptions import DomainError
from core.money import format_money
from ledger import keys
from ledger.exceptions import AlreadyReversed
from ledger.forms import ReversalForm, StatementForm, WalletAdjustmentForm
from ledger.integrity import verify_ledger
from ledger.models import Account, Hold, JournalEntry, Posting
from ledger.selectors import statement, trial_balance
from ledger.services import credit_wallet, debit_wallet, reverse_entry


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

    @admin.display(description="amount (debit +, credit −)")
    def signed_amount(self, posting):
        return format_money(posting.amount, posting.currency)

    @admin.display(description="balance after")
    def balance_after_display(self, posting):
        return format_money(posting.balance_after, posting.currency)


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "kind", "memo", "reference", "created_by", "reversal_state")
    list_filter = ("kind", "reference_type", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=id", "memo", "=reference_id", "=idempotency_key")
    date_hierarchy = "created_at"
    list_select_related = ("created_by",)
    inlines = [PostingInline]
    fields = (
        "kind",
        "memo",
        "reference_type",
        "reference_id",
        "idempotency_key",
        "created_by",
        "created_at",
        "reverses",
        "reversed_by_link",
    )
    readonly_fields = fields
    actions = ["reverse_entries"]

    def get_queryset(self, request):
        reversal = JournalEntry.objects.filter(reverses=OuterRef("pk"))
        return super().get_queryset(request).annotate(is_reversed=Exists(reversal))

    @admin.display(description="refers to")
    def reference(self, entry):
        return f"{entry.reference_type} {entry.reference_id}".strip() or "—"

    @admin.display(description="reversal")
    def reversal_state(self, entry):
        if entry.reverses_id:
            return f"reverses #{entry.reverses_id}"
        return "reversed" if entry.is_reversed else ""

    @admin.display(description="reversed by")
    def reversed_by_link(self, entry):
        reversal = JournalEntry.objects.filter(reverses=entry).first()
        if reversal is None:
            return "—"
        url = reverse("admin:ledger_journalentry_change", args=[reversal.pk])
        return format_html('<a href="{}">#{}</a> {}', url, reversal.pk, reversal.memo)

    def has_reverse_permission(self, request):
        return request.user.has_perm("ledger.reverse_journalentry")

    @admin.action(description="Reverse selected entries (asks for a reason)", permissions=["reverse"])
    def reverse_entries(self, request, queryset):
        form = ReversalForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            reason = form.cleaned_data["reason"]

            def reverse_one(entry_id: int) -> None:
                if not reverse_entry(entry_id=entry_id, reason=reason, by=request.user).created:
                    raise AlreadyReversed(_("already reversed"))

            rows = [(pk, f"#{pk}") for pk in queryset.order_by("id").values_list("pk", flat=True)]
            message_bulk_report(
                self,
                request,
                act_on_each(rows, reverse_one),
                done=_("Reversed {count}: {rows}."),
                failed=_("{count} not reversed: {rows}."),
            )
            return None
        return TemplateResponse(
            request,
            "admin/ledger/reverse_entries.html",
            {
                **self.admin_site.each_context(request),
                "title": "Reverse journal entries",
                "entries": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "shard",
        "name",
        "type",
        "currency",
        "balance_display",
        "held_display",
        "version",
        "allow_negative",
    )
    list_filter = ("type", "currency", "is_hot", "allow_negative")
    search_fields = ("code", "name", "owner__email")
    list_select_related = ("owner",)
    fields = (
        "code",
        "shard",
        "name",
        "type",
        "currency",
        "is_hot",
        "allow_negative",
        "owner",
        "balance_display",
        "held_display",
        "version",
        "created_at",
    )
    readonly_fields = fields
    change_list_template = "admin/ledger/account/change_list.html"

    @admin.display(description="balance", ordering="balance")
    def balance_display(self, account):
        return format_money(account.balance, account.currency)

    @admin.display(description="on hold", ordering="held")
    def held_display(self, account):
        return format_money(account.held, account.currency) if account.held else ""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("trial-balance/", view(self.trial_balance_view), name="ledger_trial_balance"),
            path("statement/", view(self.statement_view), name="ledger_statement"),
            path("integrity/", view(self.integrity_view), name="ledger_integrity"),
            path("store-credit/", view(self.store_credit_view), name="ledger_store_credit"),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra):
        return {**self.admin_site.each_context(request), "title": title, "opts": self.model._meta, **extra}

    def trial_balance_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        currency = request.GET.get("currency", "UAH").upper()[:3]
        return TemplateResponse(
            request,
            "admin/ledger/trial_balance.html",
            self._context(
                request,
                f"Balances and trial balance ({currency})",
                currency=currency,
                trial=trial_balance(currency=currency),
            ),
        )

    def statement_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = StatementForm(request.GET or None)
        lines, opening = None, 0
        if form.is_valid():
            tz = timezone.get_current_timezone()
            start = form.cleaned_data["start"]
            end = form.cleaned_data["end"]
            opening, lines = statement(
                code=form.cleaned_data["code"],
                currency=form.cleaned_data["currency"].upper(),
                start=datetime.combine(start, time.min, tz) if start else None,
                end=datetime.combine(end + timedelta(days=1), time.min, tz) if end else None,
            )
            if request.GET.get("format") == "csv":
                return self._statement_csv(form.cleaned_data, opening, lines)
        return TemplateResponse(
            request,
            "admin/ledger/statement.html",
            self._context(
                request, "Account statement", form=form, lines=lines, opening=opening, query=request.GET.urlencode()
            ),
        )

    @staticmethod
    def _statement_csv(data, opening, lines):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="statement-{data["code"].replace(":", "-")}.csv"'
        writer = csv.writer(response)
        writer.writerow(["date", "entry", "kind", "memo", "amount_kopiyky", "balance_kopiyky"])
        writer.writerow(["", "", "opening", "", "", opening])
        for line in lines:
            writer.writerow([line.at.isoformat(), line.entry_id, line.kind, line.memo, line.amount, line.balance])
        return response

    def integrity_view(self, request):
        if not request.user.has_perm("ledger.verify_ledger"):
            raise PermissionDenied
        report = None
        if request.method == "POST":
            report = verify_ledger()
            if report.ok:
                self.message_user(request, f"Integrity check passed: {report.summary()}.", messages.SUCCESS)
            else:
                self.message_user(request, f"INTEGRITY CHECK FAILED: {report.summary()}.", messages.ERROR)
        return TemplateResponse(
            request, "admin/ledger/integrity.html", self._context(request, "Ledger integrity check", report=report)
        )

    def store_credit_view(self, request):
        if not request.user.has_perm("ledger.adjust_wallet"):
            raise PermissionDenied
        if request.method == "POST":
            form = WalletAdjustmentForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                adjust = credit_wallet if data["direction"] == "credit" else debit_wallet
                try:
                    posted = adjust(
                        user_id=data["user"].pk,
                        amount=data["amount"],
                        reason=data["reason"],
                        by=request.user,
                        idempotency_key=keys.wallet_adjustment(token=data["token"]),
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    verb = "Gave" if data["direction"] == "credit" else "Took back"
                    note = "" if posted.created else " (this form was already submitted; nothing more was done)"
                    self.message_user(
                        request,
                        f"{verb} {format_money(data['amount'])} of store credit "
                        f"{'to' if verb == 'Gave' else 'from'} {data['email']}{note}.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:ledger_store_credit"))
        else:
            form = WalletAdjustmentForm(initial={"token": uuid.uuid4().hex, "email": request.GET.get("email", "")})
        return TemplateResponse(
            request, "admin/ledger/store_credit.html", self._context(request, "Customer store credit", form=form)
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

    @admin.display(description="amount")
    def amount_display(self, hold):
        return format_money(hold.amount, hold.currency)

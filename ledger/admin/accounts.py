"""Accounts, and the pages built on them: trial balance, statements, integrity, store credit."""

import csv
import uuid
from datetime import datetime, time, timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import runtime
from core.admin import ReadOnlyAdmin
from core.exceptions import DomainError
from core.money import format_money
from ledger.forms import StatementForm, WalletAdjustmentForm
from ledger.integrity import verify_ledger
from ledger.models import Account
from ledger.selectors import statement, trial_balance
from ledger.services import request_wallet_adjustment


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
        # A byte-order mark, or Excel reads UTF-8 as the Windows code page and ₴ and Cyrillic
        # memos come out garbled; every other CSV reader skips it.
        response.write("\ufeff")
        writer = csv.writer(response)
        # Kopiyky for programs (exact integers, the same in every language), and the amounts as
        # a person reads them in the staff member's language ("1 399,00 ₴") for the spreadsheet.
        currency = data["currency"].upper()
        writer.writerow(["date", "entry", "kind", "memo", "amount_kopiyky", "balance_kopiyky", "amount", "balance"])
        writer.writerow(["", "", "opening", "", "", opening, "", format_money(opening, currency)])
        for line in lines:
            writer.writerow(
                [
                    line.at.isoformat(),
                    line.entry_id,
                    line.kind,
                    line.memo,
                    line.amount,
                    line.balance,
                    format_money(line.amount, currency),
                    format_money(line.balance, currency),
                ]
            )
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
                try:
                    adjustment = request_wallet_adjustment(
                        user_id=data["user"].pk,
                        direction=data["direction"],
                        amount=data["amount"],
                        reason=data["reason"],
                        by=request.user,
                        token=data["token"],
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    self._tell_what_happened(request, adjustment, email=data["email"])
                    return HttpResponseRedirect(reverse("admin:ledger_store_credit"))
        else:
            form = WalletAdjustmentForm(initial={"token": uuid.uuid4().hex, "email": request.GET.get("email", "")})
        context = self._context(
            request,
            _("Customer store credit"),
            form=form,
            threshold=runtime.wallet_credit_approval_threshold(),
            queue_url=reverse("admin:ledger_walletadjustmentrequest_changelist"),
        )
        return TemplateResponse(request, "admin/ledger/store_credit.html", context)

    def _tell_what_happened(self, request, adjustment, *, email: str) -> None:
        wanted = adjustment.request
        values = {"amount": format_money(wanted.amount, wanted.currency), "email": email, "id": wanted.pk}
        if wanted.status == wanted.Status.PENDING:
            text = _(
                "Asked for approval: %(amount)s of store credit to %(email)s waits for a second person "
                "(request #%(id)s)."
            )
            level = messages.WARNING
        elif wanted.direction == wanted.Direction.CREDIT:
            text, level = _("Gave %(amount)s of store credit to %(email)s."), messages.SUCCESS
        else:
            text, level = _("Took back %(amount)s of store credit from %(email)s."), messages.SUCCESS
        text = text % values
        if not adjustment.created:
            text = text[:-1] + _(" (this form was already submitted; nothing more was done).")
        self.message_user(request, text, level)

"""Accounts, and the pages built on them: trial balance, statements, integrity, store credit."""

import csv
import uuid
from dataclasses import asdict
from datetime import datetime, time, timedelta
from types import SimpleNamespace

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core import runtime
from core.admin import ReadOnlyAdmin
from core.exceptions import DomainError
from core.money import format_money
from ledger.chart import account_name
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
        "name_shown",
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
        "name_shown",
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

    @admin.display(description=_("name"), ordering="name")
    def name_shown(self, account):
        return account_name(account.code, account.name)

    @admin.display(description=pgettext_lazy("ledger", "balance"), ordering="balance")
    def balance_display(self, account):
        return format_money(account.balance, account.currency)

    @admin.display(description=_("on hold"), ordering="held")
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
                gettext("Balances and trial balance (%(currency)s)") % {"currency": currency},
                currency=currency,
                trial=_with_type_labels(trial_balance(currency=currency)),
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
                request,
                gettext("Account statement"),
                form=form,
                lines=lines,
                opening=opening,
                query=request.GET.urlencode(),
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
                self.message_user(
                    request,
                    gettext("Integrity check passed: %(summary)s.") % {"summary": _summary(report)},
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    gettext("INTEGRITY CHECK FAILED: %(summary)s.") % {"summary": _summary(report)},
                    messages.ERROR,
                )
        return TemplateResponse(
            request,
            "admin/ledger/integrity.html",
            self._context(
                request,
                gettext("Ledger integrity check"),
                report=report,
                summary=report and _summary(report),
                checks=[_check_for_staff(check) for check in report.checks] if report else [],
            ),
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
            gettext("Customer store credit"),
            form=form,
            threshold=runtime.wallet_credit_approval_threshold(),
            queue_url=reverse("admin:ledger_walletadjustmentrequest_changelist"),
        )
        return TemplateResponse(request, "admin/ledger/store_credit.html", context)

    def _tell_what_happened(self, request, adjustment, *, email: str) -> None:
        wanted = adjustment.request
        values = {"amount": format_money(wanted.amount, wanted.currency), "email": email, "id": wanted.pk}
        if wanted.status == wanted.Status.PENDING:
            text = gettext(
                "Asked for approval: %(amount)s of store credit to %(email)s waits for a second person "
                "(request #%(id)s)."
            )
            level = messages.WARNING
        elif wanted.direction == wanted.Direction.CREDIT:
            text, level = gettext("Gave %(amount)s of store credit to %(email)s."), messages.SUCCESS
        else:
            text, level = gettext("Took back %(amount)s of store credit from %(email)s."), messages.SUCCESS
        text = text % values
        if not adjustment.created:
            text = text[:-1] + gettext(" (this form was already submitted; nothing more was done).")
        self.message_user(request, text, level)


def _summary(report) -> str:
    """The integrity report's one-line summary for staff, in their language (summary() is the log's)."""
    failed = [c.name for c in report.checks if not c.ok]
    values = {"entries": report.entries, "postings": report.postings, "accounts": report.accounts}
    head = gettext("%(entries)s entries, %(postings)s postings, %(accounts)s accounts") % values
    if failed:
        return gettext("%(head)s: FAILED %(checks)s") % {"head": head, "checks": ", ".join(failed)}
    return gettext("%(head)s: all %(count)s checks passed") % {"head": head, "count": len(report.checks)}


def _with_type_labels(trial: dict) -> dict:
    """The trial balance with each row's account type as staff read it ("Актив", not "asset")."""
    labels = dict(Account.Type.choices)
    rows = [
        SimpleNamespace(
            **asdict(row), type_label=labels.get(row.type, row.type), name_shown=account_name(row.code, row.name)
        )
        for row in trial["rows"]
    ]
    return {**trial, "rows": rows}


# The integrity checks as staff read them; the command line and the logs keep ledger.integrity's words.
CHECK_DESCRIPTIONS = {
    "balanced": _("every journal entry sums to zero per currency and has two or more postings"),
    "stored_balances": _("every stored balance equals the sum of its account's postings"),
    "versions": _("account versions are gap-free: 1..n for n postings, n = the account's version"),
    "running_balances": _("each posting's balance_after is the running sum of its account"),
    "holds": _("each account's held amount equals its active holds"),
    "limits": _("no limited account is below zero"),
    "reversals": _("each reversal is the exact opposite of the entry it reverses"),
    "trial_balance": _("the trial balance is zero in every currency (debit-normal = credit-normal balances)"),
    "provider_totals": _(
        "the ledger's money at each provider equals captured minus fees, refunds and chargebacks of payments"
    ),
}


def _check_for_staff(check) -> SimpleNamespace:
    description = CHECK_DESCRIPTIONS.get(check.name, check.description)
    return SimpleNamespace(ok=check.ok, description=description, failures=check.failures, examples=check.examples)

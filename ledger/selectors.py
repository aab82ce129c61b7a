"""Reads of the books: balances (summed over shards), statements, trial balance."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Sum, Window
from django.db.models.functions import Coalesce

from core.money import DEFAULT_CURRENCY
from ledger.chart import wallet_code
from ledger.models import Account, JournalEntry, Posting, WalletAdjustmentRequest


def entry_exists(*, key: str) -> bool:
    """Whether the fact keyed `key` (built by ledger.keys) has been booked."""
    return JournalEntry.objects.filter(idempotency_key=key).exists()


@dataclass(frozen=True)
class StatementLine:
    at: datetime
    entry_id: int
    kind: str
    memo: str
    amount: int  # on the account's normal side: + raises the balance
    balance: int
    asked_by: str = ""  # staff statements only: who asked for the entry, who approved it
    approved_by: str = ""


@dataclass(frozen=True)
class BalanceRow:
    code: str
    name: str
    type: str
    currency: str
    balance: int
    held: int


def balances(*, currency: str | None = None) -> list[BalanceRow]:
    """Every logical account with its balance, shards summed (normal side)."""
    qs = Account.objects.all()
    if currency:
        qs = qs.filter(currency=currency)
    rows = (
        qs.values("code", "currency", "name", "type")
        .annotate(balance=Sum("balance"), held=Sum("held"))
        .order_by("code", "currency")
    )
    return [BalanceRow(**r) for r in rows]


def balance_of(*, code: str, currency: str = DEFAULT_CURRENCY) -> int:
    return Account.objects.filter(code=code, currency=currency).aggregate(b=Coalesce(Sum("balance"), 0))["b"]


def trial_balance(*, currency: str = DEFAULT_CURRENCY) -> dict:
    """Debit-normal and credit-normal totals; they are equal when the books balance."""
    rows = balances(currency=currency)
    debit = sum(r.balance for r in rows if r.type in Account.DEBIT_NORMAL)
    credit = sum(r.balance for r in rows if r.type not in Account.DEBIT_NORMAL)
    return {"rows": rows, "debit": debit, "credit": credit, "difference": debit - credit}


def statement(*, code: str, currency: str = DEFAULT_CURRENCY, start=None, end=None) -> tuple[int, list[StatementLine]]:
    """(opening balance, lines) for a logical account between `start` and `end`.

    The running balance is computed over all shards in posting order, so it is right for
    hot accounts too; for a single-shard account it equals each posting's balance_after.
    """
    accounts = Account.objects.filter(code=code, currency=currency)
    sign = accounts.values_list("normal_sign", flat=True).first() or 1
    postings = Posting.objects.filter(account__in=accounts)
    opening = 0
    if start is not None:
        opening = sign * (postings.filter(created_at__lt=start).aggregate(s=Coalesce(Sum("amount"), 0))["s"])
        postings = postings.filter(created_at__gte=start)
    if end is not None:
        postings = postings.filter(created_at__lt=end)
    rows = list(
        postings.annotate(running=Window(Sum("amount"), order_by=[F("entry_id").asc(), F("id").asc()]))
        .select_related("entry__created_by")
        .order_by("entry_id", "id")
    )
    approvers = dict(
        WalletAdjustmentRequest.objects.filter(entry_id__in={p.entry_id for p in rows}, approved_by__isnull=False)
        .values_list("entry_id", "approved_by__email")
        .iterator()
    )
    lines = [
        StatementLine(
            p.created_at,
            p.entry_id,
            p.entry.kind,
            p.entry.memo,
            sign * p.amount,
            opening + sign * p.running,
            asked_by=p.entry.created_by.email if p.entry.created_by else "",
            approved_by=approvers.get(p.entry_id, ""),
        )
        for p in rows
    ]
    return opening, lines


def wallet_of(*, user_id: int, currency: str = DEFAULT_CURRENCY) -> Account | None:
    return Account.objects.filter(code=wallet_code(user_id), currency=currency).first()


def wallet_history(*, account: Account, limit: int = 50) -> list[StatementLine]:
    """The newest movements of a wallet, newest first, with the balance after each."""
    postings = Posting.objects.filter(account=account).select_related("entry").order_by("-account_version")[:limit]
    return [
        StatementLine(
            p.created_at, p.entry_id, p.entry.kind, p.entry.memo, account.normal_sign * p.amount, p.balance_after
        )
        for p in postings
    ]

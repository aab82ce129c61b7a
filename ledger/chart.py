"""The chart of accounts (DESIGN.md, Ledger). Created per currency by a data migration.

Codes are stable identifiers other apps use through ledger.services helpers; names are for
people. Hot accounts are split into HOT_SHARDS rows (see ledger/services.py).
"""

from dataclasses import dataclass

HOT_SHARDS = 8
PROVIDERS = ("fondy", "wayforpay", "liqpay", "sandbox")


@dataclass(frozen=True)
class ChartAccount:
    code: str
    name: str
    type: str
    is_hot: bool = False
    allow_negative: bool = True


CHART: tuple[ChartAccount, ...] = (
    *(ChartAccount(f"psp:{p}", f"Money held by {p.title()}", "asset", is_hot=True) for p in PROVIDERS),
    ChartAccount("cod:novaposhta", "Cash collected by Nova Poshta, not yet remitted", "asset"),
    ChartAccount("bank", "Bank account", "asset"),
    ChartAccount("customer_prepayments", "Customer prepayments (paid, not yet delivered)", "liability", is_hot=True),
    ChartAccount("overpayments", "Overpayments owed back to customers", "liability"),
    ChartAccount("sales", "Sales revenue", "revenue"),
    ChartAccount("psp_fees", "Payment provider fees", "expense"),
    ChartAccount("shipping", "Shipping costs", "expense"),
    ChartAccount("customer_goodwill", "Store credit granted as goodwill or compensation", "expense"),
)

WALLET_PREFIX = "wallet:"


def normal_sign(account_type: str) -> int:
    """+1 for debit-normal types (asset, expense), -1 for the rest."""
    return 1 if account_type in ("asset", "expense") else -1


def wallet_code(user_id: int) -> str:
    return f"{WALLET_PREFIX}{user_id}"

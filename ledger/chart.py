"""Naming and sign rules of the chart of accounts.

The chart itself (DESIGN.md, Ledger) is created per currency by the data migration
ledger/migrations/0003_chart_of_accounts.py; hot accounts there are split into 8 shards.
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

WALLET_PREFIX = "wallet:"


def normal_sign(account_type: str) -> int:
    """+1 for debit-normal types (asset, expense), -1 for the rest."""
    return 1 if account_type in ("asset", "expense") else -1


def wallet_code(user_id: int) -> str:
    return f"{WALLET_PREFIX}{user_id}"


# Money a provider took back after a lost chargeback (expense; created by payments' migration
# 0005_disputes, since payments is what books it).
CHARGEBACK_LOSSES = "chargeback_losses"


# The fixed chart's names as the back office shows them. The stored Account.name stays what the
# migrations wrote (English, like the codes); a page shows account_name(code, stored).
CHART_NAMES = {
    "psp:fondy": _("Money held by Fondy"),
    "psp:wayforpay": _("Money held by WayForPay"),
    "psp:liqpay": _("Money held by LiqPay"),
    "psp:sandbox": _("Money held by the Sandbox gateway"),
    "cod:novaposhta": _("Cash collected by Nova Poshta, not yet remitted"),
    "bank": _("Bank account"),
    "customer_prepayments": _("Customer prepayments (paid, not yet delivered)"),
    "overpayments": _("Overpayments owed back to customers"),
    "sales": _("Sales revenue"),
    "psp_fees": _("Payment provider fees"),
    "shipping": _("Shipping costs"),
    "customer_goodwill": _("Store credit granted as goodwill or compensation"),
    CHARGEBACK_LOSSES: _("Chargebacks lost (money taken back by a provider)"),
}


def account_name(code: str, stored: str) -> str:
    """The account's name in the reader's language: the chart's, a wallet's, else as stored."""
    if code in CHART_NAMES:
        return str(CHART_NAMES[code])
    if code.startswith(WALLET_PREFIX):
        return gettext("Store credit of customer %(id)s") % {"id": code.removeprefix(WALLET_PREFIX)}
    return stored

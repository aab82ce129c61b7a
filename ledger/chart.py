"""Naming and sign rules of the chart of accounts.

The chart itself (DESIGN.md, Ledger) is created per currency by the data migration
ledger/migrations/0003_chart_of_accounts.py; hot accounts there are split into 8 shards.
"""

WALLET_PREFIX = "wallet:"


def normal_sign(account_type: str) -> int:
    """+1 for debit-normal types (asset, expense), -1 for the rest."""
    return 1 if account_type in ("asset", "expense") else -1


def wallet_code(user_id: int) -> str:
    return f"{WALLET_PREFIX}{user_id}"


# Money a provider took back after a lost chargeback (expense; created by payments' migration
# 0005_disputes, since payments is what books it).
CHARGEBACK_LOSSES = "chargeback_losses"

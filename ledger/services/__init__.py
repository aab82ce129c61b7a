"""Every write to the books. Other apps post only through these functions.

The package's modules, by what they hold:
- shards: which row of an account a leg lands on (hot accounts are split into shards);
- posting: the posting engine, `post_entry` and `reverse_entry`;
- holds: money promised but not yet moved, posted or voided at most once;
- wallets: customers' store-credit accounts and staff adjustments of them;
- adjustments: staff credits and debits of store credit, four eyes on large credits;
- notifications: the e-mail a wallet's owner gets when it moves (through the outbox).

Import from `ledger.services`; the modules are its rooms, not its doors.
"""

from ledger.services.adjustments import (
    Adjustment,
    approve_wallet_adjustment,
    reject_wallet_adjustment,
    request_wallet_adjustment,
)
from ledger.services.holds import create_hold, expire_holds, post_hold, void_hold
from ledger.services.notifications import notify_wallet_change
from ledger.services.posting import Leg, Posted, post_entry, reverse_entry
from ledger.services.shards import HOT_SHARDS
from ledger.services.wallets import credit_wallet, debit_wallet, ensure_wallet

__all__ = [
    "HOT_SHARDS",
    "Adjustment",
    "Leg",
    "Posted",
    "approve_wallet_adjustment",
    "create_hold",
    "credit_wallet",
    "debit_wallet",
    "ensure_wallet",
    "expire_holds",
    "notify_wallet_change",
    "post_entry",
    "post_hold",
    "reject_wallet_adjustment",
    "request_wallet_adjustment",
    "reverse_entry",
    "void_hold",
]

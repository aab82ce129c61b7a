"""The books in the back office: read-only, as books should be.

Nothing here edits or deletes a ledger row. Corrections are reversing entries (an action that
asks for a reason), store-credit changes go through ledger.services, and the integrity
check, trial balance and account statements are pages of their own.
"""

from ledger.admin.accounts import AccountAdmin
from ledger.admin.adjustments import WalletAdjustmentRequestAdmin
from ledger.admin.entries import HoldAdmin, JournalEntryAdmin, PostingInline

__all__ = ["AccountAdmin", "HoldAdmin", "JournalEntryAdmin", "PostingInline", "WalletAdjustmentRequestAdmin"]

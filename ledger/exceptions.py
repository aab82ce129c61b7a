from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, NotFound, PermissionDenied, Unprocessable, ValidationError


class UnbalancedEntry(ValidationError):
    code = "unbalanced_entry"


class InvalidEntry(ValidationError):
    code = "invalid_entry"


class UnknownAccount(NotFound):
    code = "unknown_account"
    default_message = _("No such ledger account.")


class IdempotencyConflict(Unprocessable):
    """The key was used before for a different posting."""

    code = "ledger_idempotency_conflict"


class InsufficientFunds(Conflict):
    code = "insufficient_funds"
    default_message = _("Not enough funds on the account.")


class AlreadyReversed(Conflict):
    code = "already_reversed"
    default_message = _("This entry was already reversed.")


class HoldNotActive(Conflict):
    code = "hold_not_active"


class OwnWalletRefused(PermissionDenied):
    """Staff may not change the store credit of their own account (issue 9: self-minted credit)."""

    code = "own_wallet"
    default_message = _("Nobody may credit or debit their own store credit; ask a colleague.")


class SelfApprovalRefused(PermissionDenied):
    """Four eyes: the person who asked for an adjustment never approves it."""

    code = "self_approval"
    default_message = _("You asked for this adjustment; a second person must approve it.")


class NotAnApprover(PermissionDenied):
    code = "not_an_approver"
    default_message = _("You may not approve or reject store-credit adjustments.")


class ApprovalRequired(Conflict):
    """A staff credit above the runtime threshold must go through an approved request."""

    code = "approval_required"
    default_message = _("A credit this large needs a second person's approval.")


class AdjustmentAlreadyDecided(Conflict):
    code = "adjustment_decided"
    default_message = _("This adjustment was already decided.")


class NotAllowedToAdjust(PermissionDenied):
    code = "not_allowed_to_adjust"
    default_message = _("You may not change customers' store credit.")

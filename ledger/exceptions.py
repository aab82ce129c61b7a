from core.exceptions import Conflict, NotFound, Unprocessable, ValidationError


class UnbalancedEntry(ValidationError):
    code = "unbalanced_entry"


class InvalidEntry(ValidationError):
    code = "invalid_entry"


class UnknownAccount(NotFound):
    code = "unknown_account"
    default_message = "No such ledger account."


class IdempotencyConflict(Unprocessable):
    """The key was used before for a different posting."""

    code = "ledger_idempotency_conflict"


class InsufficientFunds(Conflict):
    code = "insufficient_funds"
    default_message = "Not enough funds on the account."


class AlreadyReversed(Conflict):
    code = "already_reversed"
    default_message = "This entry was already reversed."


class HoldNotActive(Conflict):
    code = "hold_not_active"

from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, NotFound, ValidationError


class PaymentNotPossible(Conflict):
    code = "payment_not_possible"


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    default_message = _("Payment not found.")


class RefundNotPossible(Conflict):
    code = "refund_not_possible"


class PaymentDisputed(RefundNotPossible):
    """Refunds are frozen while a chargeback is open: the money may go back through the bank."""

    code = "payment_disputed"


class DisputeNotPossible(Conflict):
    code = "dispute_not_possible"


class InvalidRefund(ValidationError):
    code = "invalid_refund"


class InvalidTopUp(ValidationError):
    code = "invalid_top_up"


class ProviderUnavailable(Conflict):
    """The provider could not be reached; nothing was charged. Retry later."""

    code = "provider_unavailable"
    status_code = 503

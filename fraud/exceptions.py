"""Why checkout refused an order. Raised inside the checkout's transaction: nothing is written."""

from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, Unprocessable


class CheckoutRefused(Unprocessable):
    """Base of the anti-abuse refusals; `rule` names the runtime setting that made the decision."""

    rule = ""

    def __init__(self, message=None, *, rule: str = "", extra: dict | None = None):
        super().__init__(message, extra={"rule": rule or self.rule, **(extra or {})})
        self.rule = rule or self.rule


class TooManyOpenOrders(CheckoutRefused, Conflict):
    code = "too_many_open_orders"
    status_code = 409
    default_message = _(
        "You already have several orders waiting for confirmation or payment. "
        "Pay or confirm them (or wait for our call) before placing another."
    )


class PrepaymentRequired(CheckoutRefused):
    code = "prepayment_required"
    default_message = _(
        "Cash on delivery is not available for this phone number because earlier parcels were not collected. "
        "Please pay online."
    )


class ContactBlocked(CheckoutRefused):
    code = "contact_blocked"
    default_message = _("We cannot accept this order online. Please call us and we will help.")

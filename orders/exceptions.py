from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, NotFound, PreconditionFailed, Unprocessable, ValidationError


class OrderNotFound(NotFound):
    code = "order_not_found"
    default_message = _("Order not found.")


class OrderStateError(Conflict):
    code = "invalid_transition"

    def __init__(self, order, transition: str, message: str | None = None):
        if message is None:
            refusal = REFUSALS.get(transition) or _("Order %(number)s cannot be changed while it is %(status)s.")
            message = str(refusal) % {"number": order.number, "status": str(order.get_status_display()).lower()}
        super().__init__(message, extra={"status": order.status, "transition": transition})


class StaleOrder(PreconditionFailed):
    def __init__(self, order, expected_version):
        super().__init__(
            gettext(
                "Order %(number)s was changed by someone else (version %(version)s, you had %(expected)s). "
                "Reload it and try again."
            )
            % {"number": order.number, "version": order.version, "expected": expected_version},
            extra={"version": order.version},
        )


class InvalidCheckout(ValidationError):
    """A checkout the shop cannot place (an empty cart, a bad phone, a payment method not offered)."""

    code = "invalid_checkout"


class InvalidOrderChange(ValidationError):
    """A cancel or edit request that is incomplete or malformed: no reason, an unknown field, a bad phone."""

    code = "invalid_order_change"


class OrderNotChangeable(Conflict):
    """The order may no longer be cancelled or edited this way; the message says what to do instead.

    Raised by orders.services under the order's row lock; the code says why (e.g.
    parcel_handed_over, waybill_exists).
    """

    code = "order_not_changeable"

    def __init__(self, order, message: str, *, code: str | None = None):
        super().__init__(message, code=code, extra={"status": order.status})


class CheckoutTokenConflict(Conflict):
    code = "checkout_token_conflict"
    default_message = _("This checkout token already belongs to another order.")


# --- anti-abuse (orders.services.screening): raised inside checkout's transaction, nothing written


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


class ReviewAlreadyDecided(Conflict):
    """Staff approve or reject an order that no longer waits for review."""

    code = "review_already_decided"


# Why a transition is refused, one sentence per transition (a past participle alone does not
# translate: Ukrainian says "cannot be confirmed" with a verb of its own).
REFUSALS = {
    "confirm": _("Order %(number)s cannot be confirmed while it is %(status)s."),
    "ship": _("Order %(number)s cannot be shipped while it is %(status)s."),
    "deliver": _("Order %(number)s cannot be marked delivered while it is %(status)s."),
    "complete": _("Order %(number)s cannot be completed while it is %(status)s."),
    "cancel": _("Order %(number)s cannot be cancelled while it is %(status)s."),
    "expire": _("Order %(number)s cannot expire while it is %(status)s."),
    "return": _("Order %(number)s cannot be marked returned while it is %(status)s."),
}

# English past participles of the transitions (the admin's success messages use them).
PAST_TENSE = {
    "confirm": "confirmed",
    "ship": "shipped",
    "deliver": "delivered",
    "complete": "completed",
    "cancel": "cancelled",
    "expire": "expired",
    "return": "returned",
}

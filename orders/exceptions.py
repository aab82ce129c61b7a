from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, NotFound, PreconditionFailed, Unprocessable, ValidationError


class OrderNotFound(NotFound):
    code = "order_not_found"
    default_message = "Order not found."


class OrderStateError(Conflict):
    code = "invalid_transition"

    def __init__(self, order, transition: str, message: str | None = None):
        label = order.get_status_display().lower()
        super().__init__(
            message or f"Order {order.number} cannot be {PAST_TENSE.get(transition, transition)} while it is {label}.",
            extra={"status": order.status, "transition": transition},
        )


class StaleOrder(PreconditionFailed):
    def __init__(self, order, expected_version):
        super().__init__(
            f"Order {order.number} was changed by someone else (version {order.version}, "
            f"you had {expected_version}). Reload it and try again.",
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
    default_message = "This checkout token already belongs to another order."


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


PAST_TENSE = {
    "confirm": "confirmed",
    "ship": "shipped",
    "deliver": "delivered",
    "complete": "completed",
    "cancel": "cancelled",
    "expire": "expired",
    "return": "returned",
}

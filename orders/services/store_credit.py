"""Store credit on orders, through the ledger.

At checkout the credit is put on hold on the customer's wallet; when the order is confirmed
the hold is posted (wallet -> customer prepayments); when an unconfirmed order expires or is
cancelled the hold is voided; when a confirmed order is cancelled the credit goes back to
the wallet. Callers hold the order's row lock, so each step happens at most once.

Revenue of a delivered order (store credit, COD cash, the online payment) is booked by
payments.services.revenue, found by its Beat sweep from the order's delivered state.
"""

from django.utils.translation import gettext

from ledger import keys
from ledger.models import Hold
from ledger.services import Leg, create_hold, ensure_wallet, notify_wallet_change, post_entry, post_hold, void_hold
from orders.models import Order


def hold_store_credit(*, order: Order, customer, amount: int) -> Hold:
    """Put `amount` of the customer's store credit on hold for this order (InsufficientFunds if short)."""
    wallet = ensure_wallet(user_id=customer.pk, currency=order.currency)
    return create_hold(
        account=wallet,
        amount=amount,
        idempotency_key=keys.order_store_credit(order_id=order.pk),
        reference_type="order",
        reference_id=order.number,
        memo=gettext("Store credit for order %(number)s") % {"number": order.number},
    )


def settle_store_credit(*, order: Order, by=None) -> None:
    """Move the held credit into customer prepayments (the order is confirmed)."""
    if order.store_credit_hold_id:
        post_hold(
            hold_id=order.store_credit_hold_id,
            to_code="customer_prepayments",
            memo=gettext("Order %(number)s paid with store credit") % {"number": order.number},
            created_by=by,
        )


def release_store_credit(*, order: Order, by=None) -> None:
    """Give the store credit back: void the hold, or refund it if it was already posted."""
    if not order.store_credit_hold_id:
        return
    hold = Hold.objects.get(pk=order.store_credit_hold_id)
    if hold.status == Hold.Status.POSTED:
        wallet = hold.account
        posted = post_entry(
            idempotency_key=keys.order_store_credit_refund(order_id=order.pk),
            kind="store_credit_refund",
            legs=[
                Leg("customer_prepayments", hold.posted_amount, hold.currency),
                Leg(wallet.code, -hold.posted_amount, hold.currency),
            ],
            memo=gettext("Order %(number)s %(status)s: store credit returned")
            % {"number": order.number, "status": str(order.get_status_display()).lower()},
            reference_type="order",
            reference_id=order.number,
            created_by=by,
        )
        if posted.created:
            notify_wallet_change(wallet)
        return
    void_hold(hold_id=hold.pk)  # a second void is a no-op

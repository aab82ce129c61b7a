"""The postings other apps need, named by what happened (DESIGN.md, Ledger).

Each takes the idempotency key from its caller: a provider's event or refund id, a
shipment id. Amounts are kopiyky, positive.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from core.money import DEFAULT_CURRENCY
from ledger.exceptions import InvalidEntry
from ledger.services import Leg, Posted, ensure_wallet, notify_wallet_change, post_entry


def _transfer(
    *,
    debit: str,
    credit: str,
    amount: int,
    currency: str,
    kind: str,
    memo: str,
    reference_type: str,
    reference_id,
    idempotency_key: str,
) -> Posted:
    """Move `amount` from one account to another: the two-leg entry most events are."""
    _positive(amount)
    return post_entry(
        idempotency_key=idempotency_key,
        kind=kind,
        legs=[Leg(debit, amount, currency), Leg(credit, -amount, currency)],
        memo=memo,
        reference_type=reference_type,
        reference_id=reference_id,
    )


def _positive(amount: int, *, captured: bool = False) -> None:
    if not isinstance(amount, int) or amount <= 0:
        if captured:
            raise InvalidEntry(_("The captured amount must be a positive whole number of kopiyky."))
        raise InvalidEntry(_("The amount must be a positive whole number of kopiyky."))


def record_capture(
    *,
    provider: str,
    amount: int,
    fee: int = 0,
    payment_id,
    idempotency_key: str,
    currency: str = DEFAULT_CURRENCY,
    overpayment: bool = False,
) -> Posted:
    """A provider captured a payment: it holds the money (less its fee), we owe the goods.

    An overpayment (a second payment for a paid order) is owed back, not a prepayment.
    """
    _positive(amount, captured=True)
    if not isinstance(fee, int) or not 0 <= fee < amount:
        raise InvalidEntry(_("The fee must be between 0 and the captured amount."))
    legs = [Leg(f"psp:{provider}", amount - fee, currency)]
    if fee:
        legs.append(Leg("psp_fees", fee, currency))
    legs.append(Leg("overpayments" if overpayment else "customer_prepayments", -amount, currency))
    return post_entry(
        idempotency_key=idempotency_key,
        kind="overpayment" if overpayment else "capture",
        legs=legs,
        memo=f"{provider} payment {payment_id}",
        reference_type="payment",
        reference_id=payment_id,
        # Captures are posted inside the webhook's transaction, which fails as a whole on any
        # error (and records the event as failed): a savepoint would only cost round trips.
        savepoint=False,
    )


def record_refund(
    *,
    provider: str,
    amount: int,
    payment_id,
    idempotency_key: str,
    currency: str = DEFAULT_CURRENCY,
    overpayment: bool = False,
    after_sale: bool = False,
) -> Posted:
    """A provider confirmed a refund: the money goes back to the customer.

    It comes out of what we owed: the overpayment, the prepayment, or, once the order was
    delivered and its revenue booked (`after_sale`), out of sales (a sales return).
    """
    source = "overpayments" if overpayment else ("sales" if after_sale else "customer_prepayments")
    return _transfer(
        debit=source,
        credit=f"psp:{provider}",
        amount=amount,
        currency=currency,
        kind="refund",
        memo=f"{provider} refund of payment {payment_id}",
        reference_type="payment",
        reference_id=payment_id,
        idempotency_key=idempotency_key,
    )


def record_delivery_revenue(
    *, order_number: str, amount: int, idempotency_key: str, currency: str = DEFAULT_CURRENCY
) -> Posted:
    """A prepaid order was delivered: the prepayment becomes a sale."""
    return _transfer(
        debit="customer_prepayments",
        credit="sales",
        amount=amount,
        currency=currency,
        kind="delivery_revenue",
        memo=f"Order {order_number} delivered",
        reference_type="order",
        reference_id=order_number,
        idempotency_key=idempotency_key,
    )


def record_cod_delivery(
    *, order_number: str, amount: int, idempotency_key: str, currency: str = DEFAULT_CURRENCY
) -> Posted:
    """Nova Poshta handed over a COD parcel and took the cash: the carrier owes it to us."""
    return _transfer(
        debit="cod:novaposhta",
        credit="sales",
        amount=amount,
        currency=currency,
        kind="cod_delivery",
        memo=f"Order {order_number} delivered, cash on delivery",
        reference_type="order",
        reference_id=order_number,
        idempotency_key=idempotency_key,
    )


def record_cod_remittance(
    *, amount: int, idempotency_key: str, reference: str, currency: str = DEFAULT_CURRENCY
) -> Posted:
    """Nova Poshta paid the collected cash into the bank."""
    return _transfer(
        debit="bank",
        credit="cod:novaposhta",
        amount=amount,
        currency=currency,
        kind="cod_remittance",
        memo=f"Nova Poshta remittance {reference}",
        reference_type="remittance",
        reference_id=reference,
        idempotency_key=idempotency_key,
    )


def record_wallet_top_up(
    *,
    provider: str,
    user_id: int,
    amount: int,
    payment_id,
    idempotency_key: str,
    fee: int = 0,
    currency: str = DEFAULT_CURRENCY,
) -> Posted:
    """A customer paid online to top up their store credit (the shop bears the fee); they get an e-mail."""
    _positive(amount)
    if not isinstance(fee, int) or not 0 <= fee < amount:
        raise InvalidEntry(_("The fee must be between 0 and the amount."))
    wallet = ensure_wallet(user_id=user_id, currency=currency)
    with transaction.atomic():
        posted = post_entry(
            idempotency_key=idempotency_key,
            kind="wallet_top_up",
            legs=[
                Leg(f"psp:{provider}", amount - fee, currency),
                *([Leg("psp_fees", fee, currency)] if fee else []),
                Leg(wallet.code, -amount, currency),
            ],
            memo=f"Store credit top-up by {provider} payment {payment_id}",
            reference_type="payment",
            reference_id=payment_id,
        )
        if posted.created:
            notify_wallet_change(wallet)
    return posted

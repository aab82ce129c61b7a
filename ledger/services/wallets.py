"""Wallets (store credit): a customer's own liability account, and staff adjustments of it."""

from django.db import transaction
from django.utils.translation import gettext as _

from core import runtime
from core.money import DEFAULT_CURRENCY, format_money
from ledger.chart import normal_sign, wallet_code
from ledger.exceptions import ApprovalRequired, InvalidEntry, OwnWalletRefused, SelfApprovalRefused
from ledger.models import Account
from ledger.services.notifications import notify_wallet_change
from ledger.services.posting import Leg, Posted, post_entry


def ensure_wallet(*, user_id: int, currency: str = DEFAULT_CURRENCY) -> Account:
    """The customer's store-credit account, created on first use; it never goes negative."""
    account, _ = Account.objects.get_or_create(
        code=wallet_code(user_id),
        currency=currency,
        shard=0,
        defaults={
            "name": f"Store credit of customer {user_id}",
            "type": Account.Type.LIABILITY,
            "normal_sign": normal_sign(Account.Type.LIABILITY),
            "allow_negative": False,
            "owner_id": user_id,
        },
    )
    return account


def _refuse_unless_four_eyes(*, user_id: int, amount: int, by, approved_by, credit: bool) -> None:
    """Nobody changes their own wallet; a large staff credit needs a second person's approval."""
    if by is not None and by.pk == user_id:
        raise OwnWalletRefused()
    if approved_by is not None:
        if approved_by.pk == user_id:
            raise OwnWalletRefused()
        if by is not None and approved_by.pk == by.pk:
            raise SelfApprovalRefused()
    if credit and by is not None and approved_by is None and amount > runtime.wallet_credit_approval_threshold():
        raise ApprovalRequired(
            _("A credit above %(threshold)s needs a second person's approval; ask for it in the store-credit form.")
            % {"threshold": format_money(runtime.wallet_credit_approval_threshold())}
        )


def _wallet_adjustment(*, user_id, amount, reason, by, approved_by, idempotency_key, currency, credit: bool) -> Posted:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidEntry(_("Say why the store credit changes (goodwill, compensation, correction...)."))
    if not isinstance(amount, int) or amount <= 0:
        raise InvalidEntry(_("The amount must be a positive whole number of kopiyky."))
    _refuse_unless_four_eyes(user_id=user_id, amount=amount, by=by, approved_by=approved_by, credit=credit)
    wallet = ensure_wallet(user_id=user_id, currency=currency)
    signed = -amount if credit else amount  # a credit on the wallet raises what we owe
    with transaction.atomic():
        posted = post_entry(
            idempotency_key=idempotency_key,
            kind="wallet_credit" if credit else "wallet_debit",
            legs=[Leg(wallet.code, signed, currency), Leg("customer_goodwill", -signed, currency)],
            memo=reason,
            reference_type="staff" if by else "customer",
            reference_id=getattr(by, "pk", "") or user_id,
            created_by=by,
        )
        if posted.created:
            notify_wallet_change(wallet)
    return posted


def credit_wallet(
    *,
    user_id: int,
    amount: int,
    reason: str,
    by,
    idempotency_key: str,
    currency: str = DEFAULT_CURRENCY,
    approved_by=None,
) -> Posted:
    """Give a customer store credit (goodwill, compensation); they get an e-mail.

    `by` is the person who asked (None: the shop itself). Refused for one's own wallet; a
    credit above the runtime threshold asked by a person needs `approved_by`, someone else
    (staff go through ledger.services.adjustments, which keeps the request and its approval).
    """
    return _wallet_adjustment(
        user_id=user_id,
        amount=amount,
        reason=reason,
        by=by,
        approved_by=approved_by,
        idempotency_key=idempotency_key,
        currency=currency,
        credit=True,
    )


def debit_wallet(
    *,
    user_id: int,
    amount: int,
    reason: str,
    by,
    idempotency_key: str,
    currency: str = DEFAULT_CURRENCY,
    approved_by=None,
) -> Posted:
    """Take store credit back; refused below zero (or below what is on hold) and for one's own wallet."""
    return _wallet_adjustment(
        user_id=user_id,
        amount=amount,
        reason=reason,
        by=by,
        approved_by=approved_by,
        idempotency_key=idempotency_key,
        currency=currency,
        credit=False,
    )

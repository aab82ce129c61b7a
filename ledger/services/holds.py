"""Holds: money promised from an account (store credit during checkout), not yet moved.

A hold is resolved at most once: posted (all or part of it), voided, or expired by Beat.
Lock order: the hold row, then the account row (the posting function locks accounts after).
"""

from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import format_money
from ledger import keys
from ledger.exceptions import HoldNotActive, IdempotencyConflict, InsufficientFunds, InvalidEntry
from ledger.models import Account, Hold
from ledger.services.notifications import notify_wallet_change
from ledger.services.posting import Leg, Posted, post_entry


def _hold_request_matches(hold: Hold, *, account_id: int, amount: int, currency: str) -> bool:
    return (hold.account_id, hold.amount, hold.currency) == (account_id, amount, currency)


def create_hold(
    *,
    account: Account,
    amount: int,
    idempotency_key: str,
    expires_at=None,
    reference_type: str = "",
    reference_id: str | int = "",
    memo: str = "",
) -> Hold:
    """Promise `amount` from `account` (not yet moved); refused beyond what is available.

    Idempotent by key. Locks the account row (after claiming the key).
    """
    if not isinstance(amount, int) or amount <= 0:
        raise InvalidEntry(_("A hold must be a positive whole number of kopiyky."))
    if account.is_hot:
        raise InvalidEntry(_("Holds are kept on single accounts such as wallets, not on hot system accounts."))
    with transaction.atomic():
        try:
            with transaction.atomic():
                hold = Hold.objects.create(
                    account_id=account.pk,
                    amount=amount,
                    currency=account.currency,
                    idempotency_key=idempotency_key,
                    expires_at=expires_at,
                    reference_type=reference_type,
                    reference_id=str(reference_id),
                    memo=memo,
                )
        except IntegrityError:
            hold = Hold.objects.get(idempotency_key=idempotency_key)
            if not _hold_request_matches(hold, account_id=account.pk, amount=amount, currency=account.currency):
                raise IdempotencyConflict(
                    _("Hold key '%(key)s' was already used for another hold.") % {"key": idempotency_key}
                ) from None
            return hold
        locked = Account.objects.select_for_update(no_key=True).get(pk=account.pk)
        if not locked.allow_negative and locked.available < amount:
            raise InsufficientFunds(
                _("Only %(available)s is available (%(account)s); %(amount)s was asked for.")
                % {
                    "available": format_money(max(locked.available, 0), locked.currency),
                    "account": locked.name,
                    "amount": format_money(amount, locked.currency),
                }
            )
        Account.objects.filter(pk=locked.pk).update(held=locked.held + amount)
    return hold


def _lock_hold(hold_id: int) -> Hold:
    try:
        return Hold.objects.select_for_update().get(pk=hold_id)
    except Hold.DoesNotExist:
        raise HoldNotActive(_("Hold #%(id)s does not exist.") % {"id": hold_id}) from None


@transaction.atomic
def post_hold(*, hold_id: int, to_code: str, amount: int | None = None, memo: str = "", created_by=None) -> Posted:
    """Move the held money (all, or `amount` of it) to `to_code`; the rest is released.

    At most once: the hold row is locked, and a hold already posted answers with its entry.
    """
    hold = _lock_hold(hold_id)
    if hold.status == Hold.Status.POSTED:
        return Posted(entry_id=hold.resolution_entry_id, created=False)
    if hold.status != Hold.Status.ACTIVE:
        raise HoldNotActive(
            _("Hold #%(id)s is %(status)s; it can no longer be posted.")
            % {"id": hold.pk, "status": str(hold.get_status_display()).lower()}
        )
    amount = hold.amount if amount is None else amount
    if not isinstance(amount, int) or not 0 < amount <= hold.amount:
        raise InvalidEntry(_("Post between 1 and %(amount)s kopiyky of this hold.") % {"amount": hold.amount})
    account = hold.account
    # Take the money out of the held account on its normal side, put it into `to_code`.
    out = -account.normal_sign * amount
    posted = post_entry(
        idempotency_key=keys.hold_post(hold_id=hold.pk),
        kind="hold_post",
        legs=[Leg(account.code, out, hold.currency), Leg(to_code, -out, hold.currency)],
        memo=memo or hold.memo,
        reference_type=hold.reference_type,
        reference_id=hold.reference_id,
        created_by=created_by,
        release_hold=(account.pk, hold.amount),
    )
    hold.status, hold.posted_amount = Hold.Status.POSTED, amount
    hold.resolution_entry_id, hold.resolved_at = posted.entry_id, timezone.now()
    hold.save(update_fields=["status", "posted_amount", "resolution_entry", "resolved_at"])
    notify_wallet_change(account)
    return posted


@transaction.atomic
def void_hold(*, hold_id: int, expired: bool = False) -> Hold:
    """Release a hold without moving money; at most once (a second void is a no-op)."""
    hold = _lock_hold(hold_id)
    target = Hold.Status.EXPIRED if expired else Hold.Status.VOIDED
    if hold.status in (Hold.Status.VOIDED, Hold.Status.EXPIRED):
        return hold
    if hold.status != Hold.Status.ACTIVE:
        raise HoldNotActive(
            _("Hold #%(id)s is %(status)s; it can no longer be voided.")
            % {"id": hold.pk, "status": str(hold.get_status_display()).lower()}
        )
    account = Account.objects.select_for_update(no_key=True).get(pk=hold.account_id)
    Account.objects.filter(pk=account.pk).update(held=account.held - hold.amount)
    hold.status, hold.resolved_at = target, timezone.now()
    hold.save(update_fields=["status", "resolved_at"])
    return hold


def expire_holds(*, now=None, batch_size: int = 100) -> int:
    """Void active holds past `expires_at` (Beat); SKIP LOCKED so overlapping runs split work.

    Set-based, a fixed number of queries per batch: lock the batch's holds, then their accounts
    (by id: the lock order of void_hold), release each account's sum, mark the holds expired.
    """
    now = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic():
            rows = list(
                Hold.objects.select_for_update(skip_locked=True)
                .filter(status=Hold.Status.ACTIVE, expires_at__lte=now)
                .order_by("expires_at", "id")
                .values_list("id", "account_id", "amount")[:batch_size]
            )
            if rows:
                _release_expired(rows)
        expired += len(rows)
        if len(rows) < batch_size:
            return expired


def _release_expired(rows: list[tuple[int, int, int]]) -> None:
    """Expire the locked active holds `rows` (id, account_id, amount) in four queries."""
    per_account: dict[int, int] = defaultdict(int)
    for _hold_id, account_id, amount in rows:
        per_account[account_id] += amount
    list(Account.objects.select_for_update(no_key=True).filter(pk__in=per_account).order_by("pk").values("pk"))
    release = Case(
        *(When(pk=pk, then=Value(total)) for pk, total in per_account.items()), output_field=BigIntegerField()
    )
    Account.objects.filter(pk__in=per_account).update(held=F("held") - release)
    Hold.objects.filter(pk__in=[hold_id for hold_id, _, _ in rows]).update(
        status=Hold.Status.EXPIRED, resolved_at=timezone.now()
    )

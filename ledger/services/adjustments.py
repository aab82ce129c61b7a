"""Staff credits and debits of store credit, with four eyes on large credits.

Every staff adjustment is a WalletAdjustmentRequest naming who asked; a credit above the
runtime threshold (core.runtime.wallet_credit_approval_threshold) waits for a second person
holding `ledger.approve_walletadjustmentrequest`, everything else is posted at once. Nobody
adjusts their own wallet or approves their own request (checked here and by the database).

Lock order: the request row, then the wallet account (inside the posting function).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core import runtime
from core.exceptions import NotFound
from core.money import DEFAULT_CURRENCY
from ledger import keys
from ledger.exceptions import (
    AdjustmentAlreadyDecided,
    IdempotencyConflict,
    InvalidEntry,
    NotAllowedToAdjust,
    NotAnApprover,
    OwnWalletRefused,
    SelfApprovalRefused,
)
from ledger.models import WalletAdjustmentRequest
from ledger.services.wallets import credit_wallet, debit_wallet

ADJUST_PERMISSION = "ledger.adjust_wallet"
APPROVE_PERMISSION = "ledger.approve_walletadjustmentrequest"
Direction = WalletAdjustmentRequest.Direction
Status = WalletAdjustmentRequest.Status


@dataclass(frozen=True)
class Adjustment:
    request: WalletAdjustmentRequest
    created: bool  # False: this form was submitted before, and nothing more was done


# How far back credits a person gave alone count against the threshold, and the advisory-lock
# namespace that weighs one requester's credits one at a time.
ALONE_LOCK_NAMESPACE = 7301
ALONE_WINDOW = timedelta(hours=24)


def needs_approval(*, direction: str, amount: int, requested_by_id: int | None = None, owner=None) -> bool:
    """Whether a staff adjustment waits for a second person.

    A credit does when, with what the same person credited alone in the last 24 hours, it
    goes above the threshold (so splitting a large credit into small ones does not dodge
    it), and always when the wallet is a staff member's. Debits never wait.
    """
    if direction != Direction.CREDIT:
        return False
    if owner is not None and owner.is_staff:
        return True
    alone = 0
    if requested_by_id is not None:
        alone = WalletAdjustmentRequest.objects.filter(
            requested_by_id=requested_by_id,
            direction=Direction.CREDIT,
            status=Status.POSTED,
            approved_by__isnull=True,
            created_at__gte=timezone.now() - ALONE_WINDOW,
        ).aggregate(total=Coalesce(Sum("amount"), 0))["total"]
    return alone + amount > runtime.wallet_credit_approval_threshold()


def request_wallet_adjustment(
    *,
    user_id: int,
    direction: str,
    amount: int,
    reason: str,
    by,
    token: str,
    currency: str = DEFAULT_CURRENCY,
) -> Adjustment:
    """Ask to credit or debit a customer's store credit; posted at once unless it needs approval.

    Idempotent by the form's `token`: the same submission again answers the first request
    (created=False); the token with other details is refused. A refused posting (a debit
    below zero) stores nothing.
    """
    if not by.has_perm(ADJUST_PERMISSION):
        raise NotAllowedToAdjust()
    if by.pk == user_id:
        raise OwnWalletRefused()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidEntry(_("Say why the store credit changes (goodwill, compensation, correction...)."))
    if direction not in Direction.values:
        raise InvalidEntry(_("Choose whether store credit is given or taken back."))
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidEntry(_("The amount must be a positive whole number of kopiyky."))
    facts = {
        "owner_id": user_id,
        "direction": direction,
        "amount": amount,
        "reason": reason,
        "currency": currency,
        "requested_by_id": by.pk,
    }
    with transaction.atomic():
        try:
            with transaction.atomic():  # the unique token is the claim; a duplicate waits on it
                request = WalletAdjustmentRequest.objects.create(token=token, **facts)
        except IntegrityError:
            request = WalletAdjustmentRequest.objects.filter(token=token).first()
            if request is None:
                raise
            if any(getattr(request, name) != value for name, value in facts.items()):
                raise IdempotencyConflict(
                    _("This form was already submitted with other details (request #%(id)s); open a fresh form.")
                    % {"id": request.pk}
                ) from None
            return Adjustment(request=request, created=False)
        # One requester's credits are weighed one at a time, so two at once cannot both fit.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ALONE_LOCK_NAMESPACE, by.pk])
        owner = get_user_model().objects.only("is_staff").get(pk=user_id)
        if not needs_approval(direction=direction, amount=amount, requested_by_id=by.pk, owner=owner):
            _post(request, approved_by=None)
    return Adjustment(request=request, created=True)


def _lock_request(request_id: int) -> WalletAdjustmentRequest:
    try:
        return WalletAdjustmentRequest.objects.select_for_update().get(pk=request_id)
    except WalletAdjustmentRequest.DoesNotExist:
        raise NotFound(_("Store-credit adjustment #%(id)s does not exist.") % {"id": request_id}) from None


def _refuse_unless_pending(request: WalletAdjustmentRequest) -> None:
    if request.status != Status.PENDING:
        raise AdjustmentAlreadyDecided(
            _("Request #%(id)s is already decided: %(status)s.")
            % {"id": request.pk, "status": request.get_status_display()}
        )


def _post(request: WalletAdjustmentRequest, *, approved_by) -> None:
    adjust = credit_wallet if request.direction == Direction.CREDIT else debit_wallet
    posted = adjust(
        user_id=request.owner_id,
        amount=request.amount,
        reason=request.reason,
        by=request.requested_by,
        approved_by=approved_by,
        idempotency_key=keys.wallet_adjustment(token=request.token),
        currency=request.currency,
    )
    request.status, request.entry_id = Status.POSTED, posted.entry_id
    request.approved_by, request.decided_at = approved_by, timezone.now()
    request.save(update_fields=["status", "entry", "approved_by", "decided_at"])


@transaction.atomic
def approve_wallet_adjustment(*, request_id: int, by) -> WalletAdjustmentRequest:
    """Approve a waiting request and post it, exactly once; never by the person who asked.

    Locks the request row: of two approvers at the same moment one posts, the other is told
    it was already decided.
    """
    if not by.has_perm(APPROVE_PERMISSION):
        raise NotAnApprover()
    request = _lock_request(request_id)
    _refuse_unless_pending(request)
    if by.pk == request.requested_by_id:
        raise SelfApprovalRefused()
    if by.pk == request.owner_id:
        raise OwnWalletRefused()
    _post(request, approved_by=by)
    return request


@transaction.atomic
def reject_wallet_adjustment(*, request_id: int, by) -> WalletAdjustmentRequest:
    """Refuse a waiting request; nothing is posted."""
    if not by.has_perm(APPROVE_PERMISSION):
        raise NotAnApprover()
    request = _lock_request(request_id)
    _refuse_unless_pending(request)
    request.status, request.rejected_by, request.decided_at = Status.REJECTED, by, timezone.now()
    request.save(update_fields=["status", "rejected_by", "decided_at"])
    return request

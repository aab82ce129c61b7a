"""Disputes (chargebacks): opened by a provider's notice or by staff, resolved by staff.

While a payment is disputed its refunds are frozen: the cardholder's bank may return the
money itself, and a refund on top would pay it out twice. Won, the payment goes back to the
state it had; lost, the provider took the money back, booked as a chargeback loss.
"""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger import keys
from ledger.chart import CHARGEBACK_LOSSES
from ledger.services import Leg, post_entry
from payments.exceptions import DisputeNotPossible
from payments.models import Payment, Refund
from payments.services.locks import lock_payment
from payments.services.outcome import Outcome, applied, ignored

logger = logging.getLogger(__name__)
S = Payment.Status

DISPUTE_FIELDS = [
    "status",
    "status_before_dispute",
    "disputed_at",
    "disputed_by",
    "dispute_reason",
    "dispute_outcome",
    "dispute_resolved_at",
    "dispute_resolved_by",
    "dispute_note",
    "needs_review",
    "review_reason",
    "updated_at",
]


def _open(payment: Payment, *, by, reason: str) -> None:
    payment.dispute()
    payment.disputed_at, payment.disputed_by, payment.dispute_reason = timezone.now(), by, reason[:500]
    payment.dispute_outcome, payment.dispute_resolved_at, payment.dispute_resolved_by = "", None, None
    payment.dispute_note = ""
    payment.needs_review = True
    payment.review_reason = f"Disputed: {reason}"[:500]


def open_dispute(*, payment_id: int, by, reason: str) -> Payment:
    """Staff mark a captured payment disputed (a chargeback letter, a bank's call)."""
    reason = (reason or "").strip()
    if not reason:
        raise DisputeNotPossible(_("Say why the payment is disputed."), code="dispute_reason_required")
    with transaction.atomic():
        payment = lock_payment(payment_id)
        if payment.status not in Payment.DISPUTABLE:
            raise DisputeNotPossible(
                _("Only a captured payment can be disputed; this one is %(status)s.")
                % {"status": str(payment.get_status_display()).lower()}
            )
        _open(payment, by=by, reason=reason)
        payment.save(update_fields=DISPUTE_FIELDS)
    logger.warning("payment %s disputed by %s: %s", payment.reference, getattr(by, "email", by), reason)
    return payment


def on_chargeback(payment: Payment, order, update) -> Outcome:
    """A provider's chargeback notice (inbox handler; the payment is locked)."""
    if payment.status == S.DISPUTED:
        return ignored("already disputed")
    if payment.status not in Payment.DISPUTABLE:
        payment.needs_review = True
        payment.review_reason = f"The provider reports a chargeback of a {payment.status} payment: check it."[:500]
        return applied("chargeback notice for a payment that is not captured: left for review")
    said = update.message or update.provider_status
    _open(payment, by=None, reason=f"Chargeback notice from {payment.provider}: {said}")
    payment.save(update_fields=DISPUTE_FIELDS)  # the inbox saves only what every fact may change
    return applied("disputed: refunds frozen")


def resolve_dispute(*, payment_id: int, by, outcome: str, note: str) -> Payment:
    """Staff close a dispute: won (the payment is as before) or lost (booked as a chargeback loss)."""
    note = (note or "").strip()
    if not note:
        raise DisputeNotPossible(_("Say how the dispute ended."), code="dispute_note_required")
    if outcome not in Payment.DisputeOutcome.values:
        raise DisputeNotPossible(
            _("Unknown dispute outcome '%(outcome)s'.") % {"outcome": outcome}, code="dispute_outcome_unknown"
        )
    with transaction.atomic():
        payment = lock_payment(payment_id)
        if payment.status != S.DISPUTED:
            raise DisputeNotPossible(_("This payment is not disputed."), code="not_disputed")
        if outcome == Payment.DisputeOutcome.WON:
            payment.win_dispute()
        else:
            _book_loss(payment)
        payment.dispute_outcome, payment.dispute_note = outcome, note[:500]
        payment.dispute_resolved_at, payment.dispute_resolved_by = timezone.now(), by
        payment.needs_review = False
        payment.review_reason = f"{payment.review_reason} Dispute {outcome}: {note}"[:500]
        payment.save(update_fields=[*DISPUTE_FIELDS, "charged_back_amount", "refund_requested_amount"])
    return payment


def _book_loss(payment: Payment) -> None:
    """The provider took back what the cardholder still had paid: out of its balance, into losses."""
    if payment.refunds.filter(status=Refund.Status.PENDING).exists():
        raise DisputeNotPossible(
            _("A refund of this payment is in progress at the provider: settle it before booking the loss."),
            code="refund_in_progress",
        )
    # Refunds asked for but frozen by the dispute are never sent now: the bank returned the money.
    frozen = payment.refunds.select_for_update().filter(status=Refund.Status.REQUESTED)
    for refund in frozen:
        refund.status, refund.resolved_at = Refund.Status.FAILED, timezone.now()
        refund.provider_message = "Not sent: the payment was charged back."
        refund.save(update_fields=["status", "resolved_at", "provider_message"])
        payment.refund_requested_amount -= refund.amount
    amount = payment.captured_amount - payment.refunded_amount
    if amount > 0:
        post_entry(
            idempotency_key=keys.payment_chargeback(reference=payment.reference),
            kind="chargeback",
            legs=[
                Leg(CHARGEBACK_LOSSES, amount, payment.currency),
                Leg(f"psp:{payment.provider}", -amount, payment.currency),
            ],
            memo=f"{payment.provider} chargeback of payment {payment.reference}",
            reference_type="payment",
            reference_id=payment.reference,
        )
    payment.charged_back_amount = amount
    payment.lose_dispute()

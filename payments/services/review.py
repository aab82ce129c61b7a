"""Staff taking a payment out of review."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import ValidationError
from payments.exceptions import PaymentNotPossible
from payments.models import Payment
from payments.services.locks import lock_payment


def mark_payment_reviewed(*, payment_id: int, by, note: str) -> Payment:
    """Clear a payment's needs_review flag (staff looked at it); nothing else changes.

    Who and why are appended to review_reason, so the reason it was flagged stays readable.
    """
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("Say what was checked or done."), code="review_note_required")
    with transaction.atomic():
        payment = lock_payment(payment_id)
        if not payment.needs_review:
            raise PaymentNotPossible(_("It was not waiting for review."), code="not_under_review")
        suffix = f" Reviewed by {getattr(by, 'email', None) or 'system'}: {note}"
        payment.needs_review = False
        payment.review_reason = (payment.review_reason[: max(0, 500 - len(suffix))] + suffix).strip()[:500]
        payment.save(update_fields=["needs_review", "review_reason", "updated_at"])
    return payment

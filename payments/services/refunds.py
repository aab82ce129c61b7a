"""Refunds: reserving them under the payment's lock, sending them once, and booking them.

Lock order: the order, then the payment, then its refunds.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import outbox
from ledger import keys
from ledger.postings import record_refund
from ledger.selectors import entry_exists
from payments.exceptions import InvalidRefund, PaymentDisputed, RefundNotPossible
from payments.models import Payment, Refund
from payments.providers import get_provider
from payments.providers.base import Event, ProviderError
from payments.services.breaker import may_call, provider_breaker, report
from payments.services.locks import APPLIED_FIELDS, lock_payment
from payments.services.outcome import Outcome, applied, ignored

S = Payment.Status


def on_refund_pending(payment, order, update) -> Outcome:
    return applied("refund in progress at the provider")


def on_refunded(payment, order, update) -> Outcome:
    if payment.purpose == Payment.Purpose.TOP_UP:
        payment.needs_review = True
        payment.review_reason = "The provider reports a refund of a store-credit top-up: take the credit back by hand."
        return applied("top-up refunded at the provider: left for review")
    total = update.refunded_total if update.refunded_total is not None else update.amount
    if total is None or total <= payment.refunded_amount:
        return ignored("nothing newly refunded")
    newly = min(total, payment.captured_amount) - payment.refunded_amount
    # Refunds already sent to the provider first (pending), then those still queued.
    open_refunds = sorted(
        payment.refunds.select_for_update().filter(status__in=[Refund.Status.PENDING, Refund.Status.REQUESTED]),
        key=lambda r: (r.status != Refund.Status.PENDING, r.pk),
    )
    unmatched = []
    for refund in open_refunds:
        if refund.amount <= newly:
            complete_refund(payment, refund)
            newly -= refund.amount
        else:
            unmatched.append(refund)
    if newly > 0 and unmatched:
        payment.needs_review = True
        payment.review_reason = (
            f"The provider reports {total} kopiyky refunded, which does not match the refunds still open; "
            "check them by hand."
        )[:500]
    elif newly > 0:  # refunded at the provider's dashboard: record it as it is
        refund = Refund.objects.create(
            payment=payment,
            amount=newly,
            reason="Refunded at the provider",
            idempotency_key=keys.payment_external(reference=payment.reference, total=total),
            kind=Refund.Kind.EXTERNAL,
            automatic=True,
            status=Refund.Status.PENDING,
        )
        payment.refund_requested_amount += newly
        complete_refund(payment, refund)
    return applied(f"refunded {payment.refunded_amount} of {payment.captured_amount}")


def complete_refund(payment: Payment, refund: Refund) -> None:
    """A refund is confirmed by the provider: book it and move the payment."""
    after_sale = bool(
        payment.order_id and entry_exists(key=keys.order_delivered(order_id=payment.order_id, part="online"))
    )
    record_refund(
        provider=payment.provider,
        amount=refund.amount,
        payment_id=payment.reference,
        idempotency_key=keys.refund(refund_id=refund.pk),
        currency=payment.currency,
        overpayment=payment.is_overpayment,
        after_sale=after_sale,
    )
    refund.status, refund.resolved_at = Refund.Status.SUCCEEDED, timezone.now()
    refund.save(update_fields=["status", "resolved_at"])
    payment.refunded_amount += refund.amount
    if payment.refunded_amount >= payment.captured_amount:
        payment.refund_fully()
    else:
        payment.refund_partly()


# --- refunds --------------------------------------------------------------------------------


def reserve_refund(
    *,
    payment: Payment,
    amount: int,
    reason: str,
    by,
    idempotency_key: str,
    kind: Refund.Kind,
    automatic: bool = False,
) -> Refund:
    """Reserve `amount` of a locked payment for a refund; never more than is left."""
    existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if (existing.payment_id, existing.amount) != (payment.pk, amount):
            raise InvalidRefund(_("This refund key was already used for another refund."), code="refund_key_reused")
        return existing
    if payment.status == S.DISPUTED:
        raise PaymentDisputed(_("This payment is disputed: refunds are frozen until the dispute is resolved."))
    if payment.status not in (S.CAPTURED, S.PARTIALLY_REFUNDED):
        raise RefundNotPossible(
            _("Only a captured payment can be refunded; this one is %(status)s.")
            % {"status": str(payment.get_status_display()).lower()}
        )
    if payment.purpose == Payment.Purpose.TOP_UP:
        # The money became store credit the customer may already have spent; take the credit
        # back in the ledger admin (Store credit) first, then refund outside kramar if needed.
        raise RefundNotPossible(_("A store-credit top-up is not refunded to the card from here."))
    if not isinstance(amount, int) or amount <= 0:
        raise InvalidRefund(_("The refund must be a positive amount."))
    if amount > payment.refundable:
        raise RefundNotPossible(
            _("At most %(refundable)s kopiyky can still be refunded on this payment; %(amount)s were asked.")
            % {"refundable": payment.refundable, "amount": amount}
        )
    payment.refund_requested_amount += amount
    payment.save(update_fields=["refund_requested_amount", "updated_at"])
    return Refund.objects.create(
        payment=payment,
        amount=amount,
        reason=reason.strip()[:500],
        idempotency_key=idempotency_key,
        kind=kind,
        requested_by=by if by else None,
        automatic=automatic,
    )


def request_refund(
    *,
    payment_id: int,
    amount: int,
    reason: str,
    by,
    idempotency_key: str,
    kind: Refund.Kind = Refund.Kind.STAFF,
) -> Refund:
    """Refund part or all of a captured payment (staff); sent to the provider after commit.

    Concurrent requests are serialised on the payment row: the total asked never exceeds
    what was captured (also a database constraint).
    """
    if not (reason or "").strip():
        raise InvalidRefund(_("Say why the money goes back."))
    with transaction.atomic():
        payment = lock_payment(payment_id)
        refund = reserve_refund(
            payment=payment, amount=amount, reason=reason, by=by, idempotency_key=idempotency_key, kind=kind
        )
        if refund.status == Refund.Status.REQUESTED:
            # Leaves once this commits; should it be lost, send_stuck_refunds picks the refund up.
            outbox.enqueue("payments.tasks.send_refund_task", refund_id=refund.pk)
    return refund


def send_refund(*, refund_id: int) -> Refund:
    """Ask the provider for a requested refund, once; the outcome comes back through ingest.

    The refund is marked pending (and committed) before the call, so a crash or timeout
    never leads to asking twice: a pending refund is followed up by reconciliation. While the
    provider's circuit breaker is open nothing is sent and the refund stays `requested`:
    send_stuck_refunds sends it once the provider answers again.
    """
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund_id)
        if refund.status != Refund.Status.REQUESTED:
            return refund
        if refund.payment.status == S.DISPUTED:
            return refund  # frozen: sent once the dispute is won, cancelled if it is lost
        breaker = provider_breaker(refund.payment.provider)
        if not may_call(breaker, what=f"sending refund {refund.pk}"):
            return refund  # left requested, nothing marked failed
        refund.status, refund.attempts = Refund.Status.PENDING, refund.attempts + 1
        refund.save(update_fields=["status", "attempts"])
    payment = refund.payment
    provider = get_provider(payment.provider)
    try:
        result = provider.refund(
            payment_ref=str(payment.reference),
            amount=refund.amount,
            currency=payment.currency,
            refund_ref=refund.idempotency_key,
            reason=refund.reason,
        )
    except ProviderError as exc:
        report(breaker, error=exc)
        refund.provider_message = str(exc)[:500]
        if exc.transient:
            refund.save(update_fields=["provider_message"])  # stays pending; reconciliation follows it up
            return refund
        return _fail_refund(refund_id=refund.pk, message=str(exc))
    report(breaker, error=None)
    if result.event == Event.FAILED:
        return _fail_refund(refund_id=refund.pk, message=result.message or result.provider_status)
    with transaction.atomic():
        payment = lock_payment(payment.pk)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        refund.provider_refund_id = result.refund_id[:100]
        refund.provider_message = result.message[:500]
        refund.save(update_fields=["provider_refund_id", "provider_message"])
        if result.event == Event.REFUNDED and refund.status == Refund.Status.PENDING:
            complete_refund(payment, refund)
            payment.save(update_fields=APPLIED_FIELDS)
    return refund


def _fail_refund(*, refund_id: int, message: str) -> Refund:
    payment_id = Refund.objects.filter(pk=refund_id).values_list("payment_id", flat=True).get()
    with transaction.atomic():
        payment = lock_payment(payment_id)  # the global lock order: order, payment, then its refunds
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status in (Refund.Status.PENDING, Refund.Status.REQUESTED):
            refund.status, refund.resolved_at = Refund.Status.FAILED, timezone.now()
            refund.provider_message = message[:500]
            refund.save(update_fields=["status", "resolved_at", "provider_message"])
            payment.refund_requested_amount -= refund.amount
            payment.needs_review, payment.review_reason = True, f"Refund failed: {message}"[:500]
            payment.save(update_fields=["refund_requested_amount", "needs_review", "review_reason", "updated_at"])
    return refund

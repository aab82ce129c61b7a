"""Every change to payments: starting one, applying what providers say, refunds, reconciliation.

One path applies every provider fact, whether it came by webhook or by polling the status
API: `ingest_update`. It records the fact in the inbox under a unique dedupe key (a
redelivery changes nothing), locks the order and then the payment (the global lock order:
order, payment, stock, ledger), checks merchant, amount and currency (a mismatch goes to
review, never to capture), and applies the payment transition, its ledger entry and the
order transition in one transaction. No network call happens while a row is locked.
"""

import dataclasses
import json
import logging
import uuid
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.exceptions import OutOfStock, ProductUnavailable
from core import runtime
from core.exceptions import ValidationError
from ledger.postings import record_capture, record_refund, record_wallet_top_up
from orders.models import Order, Source
from orders.services import confirm_paid_order, lock_order, revive_paid_order
from payments.exceptions import (
    InvalidRefund,
    PaymentNotFound,
    PaymentNotPossible,
    ProviderUnavailable,
    RefundNotPossible,
)
from payments.models import Payment, Refund, WebhookEvent
from payments.providers import get_provider
from payments.providers.base import CheckoutRequest, Event, InvalidSignature, ProviderError, ProviderUpdate

logger = logging.getLogger(__name__)
S = Payment.Status


# --- starting a payment ---------------------------------------------------------------------


def _attempt_for_order(*, order_id: int, provider_code: str) -> Payment:
    with transaction.atomic():
        order = lock_order(order_id)
        if order.payment_method != Order.PaymentMethod.ONLINE:
            raise PaymentNotPossible(f"Order {order.number} is not paid online.")
        if order.status != Order.Status.PLACED:
            raise PaymentNotPossible(
                f"Order {order.number} is {order.get_status_display().lower()}; it cannot be paid now."
            )
        if Payment.objects.filter(order=order, status__in=Payment.PAID, is_overpayment=False).exists():
            raise PaymentNotPossible(f"Order {order.number} is already paid.")
        if order.expires_at and order.expires_at <= timezone.now():
            raise PaymentNotPossible(f"Order {order.number} was not paid in time; place it again.")
        # At most one open attempt: a new one supersedes the old (a late success of the old
        # one is still taken, and refunded as an overpayment if both succeed).
        for old in Payment.objects.select_for_update().filter(order=order, status__in=Payment.OPEN):
            old.expire()
            old.failure_reason = "Superseded by a new payment attempt"
            old.save(update_fields=["status", "failure_reason", "updated_at"])
        return Payment.objects.create(
            order=order,
            provider=provider_code,
            amount=order.amount_due,
            currency=order.currency,
            purpose=Payment.Purpose.ORDER,
        )


def start_order_payment(*, order_id: int, provider_code: str, return_url_for, callback_url_for) -> Payment:
    """Open a payment attempt for an online order and get the provider's page for it.

    `return_url_for(payment)` and `callback_url_for(payment)` build the absolute URLs the
    shopper's browser and the provider's callback go to. The provider is called with
    no lock held; if it cannot be reached the attempt is marked failed and ProviderUnavailable
    (503) says to try again.
    """
    provider = get_provider(provider_code)
    payment = _attempt_for_order(order_id=order_id, provider_code=provider_code)
    order = payment.order
    request = CheckoutRequest(
        payment_ref=str(payment.reference),
        amount=payment.amount,
        currency=payment.currency,
        description=f"Order {order.number}",
        return_url=return_url_for(payment),
        callback_url=callback_url_for(payment),
        customer_email=order.email,
        lifetime_seconds=max(60, int((order.expires_at - timezone.now()).total_seconds()))
        if order.expires_at
        else 3600,
        items=tuple((line.name, line.quantity, line.unit_price) for line in order.lines.all()),
    )
    return _open_checkout(payment=payment, provider=provider, request=request)


def start_top_up(*, user, amount: int, provider_code: str, return_url_for, callback_url_for) -> Payment:
    """Open a payment that tops up the user's store credit by `amount` kopiyky."""
    if not isinstance(amount, int) or not 100 <= amount <= 10_000_000:
        raise InvalidRefund("Top up between 1.00 ₴ and 100 000.00 ₴.", code="invalid_amount")
    provider = get_provider(provider_code)
    payment = Payment.objects.create(
        customer=user, provider=provider_code, amount=amount, purpose=Payment.Purpose.TOP_UP
    )
    request = CheckoutRequest(
        payment_ref=str(payment.reference),
        amount=amount,
        currency=payment.currency,
        description="Store credit top-up",
        return_url=return_url_for(payment),
        callback_url=callback_url_for(payment),
        customer_email=user.email,
    )
    return _open_checkout(payment=payment, provider=provider, request=request)


def _open_checkout(*, payment: Payment, provider, request: CheckoutRequest) -> Payment:
    try:
        session = provider.create_checkout(request)
    except ProviderError as exc:
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment.pk)
            if payment.status == S.CREATED:
                payment.fail()
                payment.failure_reason = f"Could not open the payment page: {exc}"[:500]
                payment.save(update_fields=["status", "failure_reason", "updated_at"])
        raise ProviderUnavailable(
            f"{provider.label or provider.code} is not answering right now; nothing was charged. Try again shortly."
        ) from exc
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        payment.redirect_url = session.redirect_url
        payment.form_action = session.form_action
        payment.form_fields = dict(session.form_fields)
        payment.provider_payment_id = session.provider_payment_id or payment.provider_payment_id
        fields = ["redirect_url", "form_action", "form_fields", "provider_payment_id", "updated_at"]
        if payment.status == S.CREATED:  # a callback may already have moved it on
            payment.start()
            fields.append("status")
        payment.save(update_fields=fields)
    return payment


# --- applying provider facts ----------------------------------------------------------------


def handle_callback(
    *, provider_code: str, raw_body: bytes, content_type: str, headers: dict, remote_ip: str | None
) -> tuple[int, bytes, str]:
    """Verify, record and apply a provider's callback; return (status, body, content type).

    A bad signature is answered 403, recorded as rejected, and changes nothing. Duplicates
    are acknowledged like the original.
    """
    provider = get_provider(provider_code)
    body_text = raw_body.decode("utf-8", errors="replace")
    try:
        result = provider.parse_callback(raw_body=raw_body, content_type=content_type, headers=headers)
    except InvalidSignature as exc:
        WebhookEvent.objects.create(
            provider=provider_code,
            raw_body=body_text,
            content_type=content_type,
            headers=headers,
            remote_ip=remote_ip,
            signature_valid=False,
            result=WebhookEvent.Result.REJECTED,
            result_detail=str(exc)[:1000],
        )
        logger.warning("rejected %s callback from %s: %s", provider_code, remote_ip, exc)
        return 403, b"invalid signature", "text/plain"
    for update in result.updates:
        ingest_update(
            provider_code=provider_code,
            update=update,
            source="webhook",
            raw_body=body_text,
            content_type=content_type,
            headers=headers,
            remote_ip=remote_ip,
        )
    return result.ack_status, result.ack_body, result.ack_content_type


def _update_dict(update: ProviderUpdate) -> dict:
    """The update as JSON-safe data, for the inbox (and a later re-process)."""
    return json.loads(json.dumps(dataclasses.asdict(update), default=str))


def ingest_update(
    *,
    provider_code: str,
    update: ProviderUpdate,
    source: str,
    raw_body: str = "",
    content_type: str = "",
    headers: dict | None = None,
    remote_ip: str | None = None,
) -> WebhookEvent:
    """Record one verified provider fact in the inbox and apply it, exactly once."""
    key = update.dedupe_key
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    event = WebhookEvent.objects.create(
                        provider=provider_code,
                        dedupe_key=key,
                        source=source,
                        raw_body=raw_body,
                        content_type=content_type,
                        headers=headers or {},
                        remote_ip=remote_ip,
                        signature_valid=True,
                        event=str(update.event),
                        provider_status=update.provider_status,
                        update=_update_dict(update),
                        attempts=1,
                    )
            except IntegrityError:
                # A redelivery: it waited here until the first delivery committed.
                event = WebhookEvent.objects.select_for_update().get(provider=provider_code, dedupe_key=key)
                if event.result != WebhookEvent.Result.FAILED:
                    return event
                event.attempts += 1
            _apply(event, update, provider_code=provider_code)
            event.processed_at = timezone.now()
            event.save()
            return event
    except Exception as exc:
        _record_failure(
            provider_code=provider_code, key=key, update=update, source=source, raw_body=raw_body, error=exc
        )
        raise


def _record_failure(*, provider_code, key, update, source, raw_body, error) -> None:
    """Keep a failed event in the inbox (its transaction rolled back) so it can be re-processed."""
    detail = f"{error.__class__.__name__}: {error}"[:1000]
    updated = WebhookEvent.objects.filter(provider=provider_code, dedupe_key=key).update(
        result=WebhookEvent.Result.FAILED, result_detail=detail
    )
    if not updated:
        WebhookEvent.objects.create(
            provider=provider_code,
            dedupe_key=key,
            source=source,
            raw_body=raw_body,
            signature_valid=True,
            event=str(update.event),
            provider_status=update.provider_status,
            update=_update_dict(update),
            attempts=1,
            result=WebhookEvent.Result.FAILED,
            result_detail=detail,
        )
    logger.exception("failed to apply %s %s for payment %s", provider_code, update.event, update.payment_ref)


def reprocess_event(*, event_id: int) -> WebhookEvent:
    """Apply a recorded event again (staff); safe: a fact already applied changes nothing."""
    event = WebhookEvent.objects.get(pk=event_id)
    if not event.signature_valid:
        raise PaymentNotPossible("A callback with a bad signature is never applied.")
    data = dict(event.update)
    data["event"] = Event(data["event"])
    update = ProviderUpdate(**data)
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_id)
        if event.result in (WebhookEvent.Result.PROCESSED, WebhookEvent.Result.IGNORED):
            return event  # already applied: keep the record of what happened first
        event.attempts += 1
        _apply(event, update, provider_code=event.provider)
        event.processed_at = timezone.now()
        event.save()
    return event


def _lock_for_update(provider_code: str, payment_ref: str) -> tuple[Payment | None, Order | None]:
    """Lock the payment's order first, then the payment (the global lock order)."""
    try:
        reference = uuid.UUID(str(payment_ref))
    except ValueError:
        return None, None  # not one of our references
    found = Payment.objects.only("pk", "order_id").filter(provider=provider_code, reference=reference).first()
    if found is None:
        return None, None
    order = lock_order(found.order_id) if found.order_id else None
    return Payment.objects.select_for_update().get(pk=found.pk), order


def _mismatch(payment: Payment, update: ProviderUpdate, provider_code: str) -> str:
    config = get_provider(provider_code).config
    if update.merchant_id is not None and str(update.merchant_id) != str(config.merchant_id):
        return f"merchant {update.merchant_id} is not ours ({config.merchant_id})"
    if update.event == Event.CAPTURED:
        if update.currency and update.currency != payment.currency:
            return f"currency {update.currency}, expected {payment.currency}"
        if update.amount != payment.amount:
            return f"amount {update.amount}, expected {payment.amount}"
    return ""


def _apply(event: WebhookEvent, update: ProviderUpdate, *, provider_code: str) -> None:
    R = WebhookEvent.Result
    payment, order = _lock_for_update(provider_code, update.payment_ref)
    if payment is None:
        event.result, event.result_detail = R.REVIEW, f"No {provider_code} payment {update.payment_ref} here."
        return
    event.payment = payment
    problem = _mismatch(payment, update, provider_code)
    if problem:
        payment.needs_review, payment.review_reason = True, f"Provider reported {problem}; not captured."[:500]
        payment.save(update_fields=["needs_review", "review_reason", "updated_at"])
        event.result, event.result_detail = R.REVIEW, problem
        logger.error("payment %s needs review: %s", payment.reference, problem)
        return
    payment.last_provider_status = update.provider_status[:50]
    if update.provider_payment_id:
        payment.provider_payment_id = update.provider_payment_id[:100]
    handler = {
        Event.PENDING: _on_pending,
        Event.CAPTURED: _on_captured,
        Event.FAILED: _on_failed,
        Event.EXPIRED: _on_failed,
        Event.REFUND_PENDING: _on_refund_pending,
        Event.REFUNDED: _on_refunded,
    }[update.event]
    detail = handler(payment, order, update)
    payment.save()
    event.result = R.IGNORED if detail.startswith("ignored") else R.PROCESSED
    event.result_detail = detail


def _on_pending(payment, order, update) -> str:
    if payment.status == S.CREATED:
        payment.start()
        return "payment is pending at the provider"
    return f"ignored: payment is already {payment.status}"


def _on_failed(payment, order, update) -> str:
    if payment.status not in Payment.OPEN:
        return f"ignored: payment is already {payment.status}"
    if update.event == Event.EXPIRED:
        payment.expire()
    else:
        payment.fail()
    payment.failure_reason = (update.message or update.provider_status)[:500]
    return f"payment {payment.status}"


def _on_captured(payment, order, update) -> str:
    if payment.status in Payment.PAID:
        return f"ignored: payment is already {payment.status}"
    payment.capture()
    payment.captured_amount = update.amount
    payment.fee = update.fee or 0
    payment.captured_at = timezone.now()
    if payment.purpose == Payment.Purpose.TOP_UP:
        record_wallet_top_up(
            provider=payment.provider,
            user_id=payment.customer_id,
            amount=payment.captured_amount,
            fee=min(payment.fee, payment.captured_amount - 1),
            payment_id=payment.reference,
            idempotency_key=f"payment:{payment.reference}:capture",
            currency=payment.currency,
        )
        return "store credit topped up"
    reason = f"Paid by {payment.provider} ({payment.reference})"
    outcome, confirm = "", False
    already_paid = (
        Payment.objects.filter(order=order, status__in=Payment.PAID, is_overpayment=False)
        .exclude(pk=payment.pk)
        .exists()
    )
    if already_paid:
        outcome = f"order {order.number} was already paid"
    elif order.status == Order.Status.PLACED:
        confirm = True
    elif order.status == Order.Status.EXPIRED and order.store_credit:
        # Its store credit went back to the wallet when it expired; never revive half-paid.
        outcome = f"order {order.number} expired and its store credit was released"
    elif order.status == Order.Status.EXPIRED:
        try:
            with transaction.atomic():
                revive_paid_order(order=order, reason=f"{reason} after the order expired", source=Source.WEBHOOK)
        except (OutOfStock, ProductUnavailable):
            outcome = f"order {order.number} expired and its goods are gone"
    else:
        outcome = f"order {order.number} is {order.get_status_display().lower()}"
    # The capture is booked before the order is confirmed (which posts any store-credit hold),
    # so every entry in this transaction takes the provider's accounts before the others.
    _book_capture(payment, overpayment=bool(outcome))
    if confirm:
        confirm_paid_order(order=order, reason=reason, source=Source.WEBHOOK)
    if not outcome:
        return f"captured; order {order.number} confirmed"
    return f"captured as an overpayment: {outcome}; " + _settle_overpayment(payment)


def _book_capture(payment: Payment, *, overpayment: bool) -> None:
    payment.is_overpayment = overpayment
    fee = min(payment.fee, payment.captured_amount - 1)
    record_capture(
        provider=payment.provider,
        amount=payment.captured_amount,
        fee=fee,
        payment_id=payment.reference,
        idempotency_key=f"payment:{payment.reference}:capture",
        currency=payment.currency,
        overpayment=overpayment,
    )


def _settle_overpayment(payment: Payment) -> str:
    if not runtime.auto_refund_overpayments():
        payment.needs_review = True
        payment.review_reason = "Overpayment: refund it, or use it for the order, by hand."
        return "left to staff (AUTO_REFUND_OVERPAYMENTS is off)"
    payment.save()  # the capture first: the refund is checked against it
    refund = _create_refund(
        payment=payment,
        amount=payment.captured_amount,
        reason="Overpayment refunded",
        by=None,
        idempotency_key=f"payment:{payment.reference}:overpayment-refund",
        automatic=True,
    )
    transaction.on_commit(lambda: send_refund_task_delay(refund.pk), robust=True)
    return "refund requested automatically"


def send_refund_task_delay(refund_id: int) -> None:
    from payments.tasks import send_refund_task

    send_refund_task.delay(refund_id=refund_id)


def _on_refund_pending(payment, order, update) -> str:
    return "refund in progress at the provider"


def _on_refunded(payment, order, update) -> str:
    if payment.purpose == Payment.Purpose.TOP_UP:
        payment.needs_review = True
        payment.review_reason = "The provider reports a refund of a store-credit top-up: take the credit back by hand."
        return "top-up refunded at the provider: left for review"
    total = update.refunded_total if update.refunded_total is not None else update.amount
    if total is None or total <= payment.refunded_amount:
        return "ignored: nothing newly refunded"
    newly = min(total, payment.captured_amount) - payment.refunded_amount
    # Refunds already sent to the provider first (pending), then those still queued.
    open_refunds = sorted(
        payment.refunds.select_for_update().filter(status__in=[Refund.Status.PENDING, Refund.Status.REQUESTED]),
        key=lambda r: (r.status != Refund.Status.PENDING, r.pk),
    )
    unmatched = []
    for refund in open_refunds:
        if refund.amount <= newly:
            _complete_refund(payment, refund)
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
            idempotency_key=f"payment:{payment.reference}:external:{total}",
            automatic=True,
            status=Refund.Status.PENDING,
        )
        payment.refund_requested_amount += newly
        _complete_refund(payment, refund)
    return f"refunded {payment.refunded_amount} of {payment.captured_amount}"


def _complete_refund(payment: Payment, refund: Refund) -> None:
    """A refund is confirmed by the provider: book it and move the payment."""
    from ledger.models import JournalEntry

    after_sale = bool(
        payment.order_id
        and JournalEntry.objects.filter(idempotency_key=f"order:{payment.order_id}:delivered:online").exists()
    )
    record_refund(
        provider=payment.provider,
        amount=refund.amount,
        payment_id=payment.reference,
        idempotency_key=f"refund:{refund.pk}",
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


def _create_refund(
    *, payment: Payment, amount: int, reason: str, by, idempotency_key: str, automatic: bool = False
) -> Refund:
    """Reserve `amount` of a locked payment for a refund; never more than is left."""
    existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if (existing.payment_id, existing.amount) != (payment.pk, amount):
            raise InvalidRefund("This refund key was already used for another refund.", code="refund_key_reused")
        return existing
    if payment.status not in (S.CAPTURED, S.PARTIALLY_REFUNDED):
        raise RefundNotPossible(f"Only a captured payment can be refunded; this one is {payment.status}.")
    if payment.purpose == Payment.Purpose.TOP_UP:
        # The money became store credit the customer may already have spent; take the credit
        # back in the ledger admin (Store credit) first, then refund outside kramar if needed.
        raise RefundNotPossible("A store-credit top-up is not refunded to the card from here.")
    if not isinstance(amount, int) or amount <= 0:
        raise InvalidRefund("The refund must be a positive amount.")
    if amount > payment.refundable:
        raise RefundNotPossible(
            f"At most {payment.refundable} kopiyky can still be refunded on this payment; {amount} were asked."
        )
    payment.refund_requested_amount += amount
    payment.save(update_fields=["refund_requested_amount", "updated_at"])
    return Refund.objects.create(
        payment=payment,
        amount=amount,
        reason=reason.strip()[:500],
        idempotency_key=idempotency_key,
        requested_by=by if by else None,
        automatic=automatic,
    )


def request_refund(*, payment_id: int, amount: int, reason: str, by, idempotency_key: str) -> Refund:
    """Refund part or all of a captured payment (staff); sent to the provider after commit.

    Concurrent requests are serialised on the payment row: the total asked never exceeds
    what was captured (also a database constraint).
    """
    if not (reason or "").strip():
        raise InvalidRefund("Say why the money goes back.")
    with transaction.atomic():
        found = Payment.objects.filter(pk=payment_id).only("order_id").first()
        if found is None:
            raise PaymentNotFound()
        if found.order_id:
            lock_order(found.order_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        refund = _create_refund(payment=payment, amount=amount, reason=reason, by=by, idempotency_key=idempotency_key)
        if refund.status == Refund.Status.REQUESTED:
            # Robust: a broker hiccup must not fail the request; send_stuck_refunds picks it up.
            transaction.on_commit(lambda: send_refund_task_delay(refund.pk), robust=True)
    return refund


def send_refund(*, refund_id: int) -> Refund:
    """Ask the provider for a requested refund, once; the outcome comes back through ingest.

    The refund is marked pending (and committed) before the call, so a crash or timeout
    never leads to asking twice: a pending refund is followed up by reconciliation.
    """
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund_id)
        if refund.status != Refund.Status.REQUESTED:
            return refund
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
        refund.provider_message = str(exc)[:500]
        if exc.transient:
            refund.save(update_fields=["provider_message"])  # stays pending; reconciliation follows it up
            return refund
        return _fail_refund(refund_id=refund.pk, message=str(exc))
    if result.event == Event.FAILED:
        return _fail_refund(refund_id=refund.pk, message=result.message or result.provider_status)
    with transaction.atomic():
        if payment.order_id:
            lock_order(payment.order_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        refund.provider_refund_id = result.refund_id[:100]
        refund.provider_message = result.message[:500]
        refund.save(update_fields=["provider_refund_id", "provider_message"])
        if result.event == Event.REFUNDED and refund.status == Refund.Status.PENDING:
            _complete_refund(payment, refund)
            payment.save()
    return refund


def _fail_refund(*, refund_id: int, message: str) -> Refund:
    order_id, payment_id = Refund.objects.filter(pk=refund_id).values_list("payment__order_id", "payment_id").get()
    with transaction.atomic():
        if order_id:
            lock_order(order_id)  # the global lock order: order, payment, then its refunds
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status in (Refund.Status.PENDING, Refund.Status.REQUESTED):
            refund.status, refund.resolved_at = Refund.Status.FAILED, timezone.now()
            refund.provider_message = message[:500]
            refund.save(update_fields=["status", "resolved_at", "provider_message"])
            payment.refund_requested_amount -= refund.amount
            payment.needs_review, payment.review_reason = True, f"Refund failed: {message}"[:500]
            payment.save(update_fields=["refund_requested_amount", "needs_review", "review_reason", "updated_at"])
    return refund


def send_stuck_refunds(*, now=None, limit: int = 100) -> dict:
    """Send refunds whose send task was lost, and flag those the provider never settled (Beat).

    A refund still `requested` a few minutes after it was asked for is sent now (sending is
    once-only: it is marked pending first). One `pending` for a day, that reconciliation
    could not settle, is put in front of a person; it is never re-sent blindly.
    """
    now = now or timezone.now()
    requested = list(
        Refund.objects.filter(status=Refund.Status.REQUESTED, created_at__lte=now - timedelta(minutes=3)).values_list(
            "pk", flat=True
        )[:limit]
    )
    for refund_id in requested:
        try:
            send_refund(refund_id=refund_id)
        except Exception:  # one bad refund must not stop the others
            logger.exception("sending refund %s failed", refund_id)
    stale = Payment.objects.filter(
        refunds__status=Refund.Status.PENDING, refunds__created_at__lte=now - timedelta(hours=24), needs_review=False
    ).distinct()
    flagged = stale.update(
        needs_review=True, review_reason="A refund has been in progress at the provider for over a day: check it there."
    )
    return {"sent": len(requested), "flagged": flagged}


def mark_payment_reviewed(*, payment_id: int, by, note: str) -> Payment:
    """Clear a payment's needs_review flag (staff looked at it); nothing else changes.

    Who and why are appended to review_reason, so the reason it was flagged stays readable.
    """
    note = (note or "").strip()
    if not note:
        raise ValidationError("Say what was checked or done.", code="review_note_required")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
        if payment is None:
            raise PaymentNotFound()
        if not payment.needs_review:
            raise PaymentNotPossible("It was not waiting for review.", code="not_under_review")
        suffix = f" Reviewed by {getattr(by, 'email', None) or 'system'}: {note}"
        payment.needs_review = False
        payment.review_reason = (payment.review_reason[: max(0, 500 - len(suffix))] + suffix).strip()[:500]
        payment.save(update_fields=["needs_review", "review_reason", "updated_at"])
    return payment


# --- reconciliation (Beat) ------------------------------------------------------------------


def reconcile_payments(*, now=None, limit: int = 100) -> int:
    """Ask providers about payments pending too long and refunds still in progress.

    Goes through ingest_update like a webhook, so a lost callback costs minutes, not money.
    """
    now = now or timezone.now()
    threshold = now - timedelta(minutes=runtime.payment_reconcile_after_minutes())
    due = (
        Payment.objects.filter(status__in=Payment.OPEN, created_at__lte=threshold)
        .exclude(last_checked_at__gt=threshold)
        .order_by("created_at")[:limit]
    )
    refunding = Payment.objects.filter(
        refunds__status=Refund.Status.PENDING, refunds__created_at__lte=threshold
    ).distinct()[:limit]
    checked = 0
    for payment in [*due, *refunding]:
        Payment.objects.filter(pk=payment.pk).update(last_checked_at=now)
        try:
            update = get_provider(payment.provider).fetch_status(payment_ref=str(payment.reference))
            ingest_update(provider_code=payment.provider, update=update, source="poll")
        except ProviderError as exc:
            logger.warning("reconciliation of %s failed: %s", payment.reference, exc)
            continue
        except Exception:  # recorded in the inbox as failed; the others still get checked
            logger.exception("reconciliation of %s could not be applied", payment.reference)
            continue
        checked += 1
    return checked


def refund_money_of_closed_orders(*, limit: int = 100) -> int:
    """Refund captured payments of orders that were cancelled or expired (Beat sweep)."""
    ids = list(
        Payment.objects.filter(
            purpose=Payment.Purpose.ORDER,
            status__in=[S.CAPTURED, S.PARTIALLY_REFUNDED],
            is_overpayment=False,
            order__status__in=[Order.Status.CANCELLED, Order.Status.EXPIRED],
        ).values_list("pk", flat=True)[:limit]
    )
    requested = 0
    for payment in Payment.objects.filter(pk__in=ids).select_related("order"):
        if payment.refundable <= 0 or payment.refunds.filter(idempotency_key__endswith=":order-closed").exists():
            continue
        request_refund(
            payment_id=payment.pk,
            amount=payment.refundable,
            reason=f"Order {payment.order.number} {payment.order.get_status_display().lower()}",
            by=None,
            idempotency_key=f"payment:{payment.reference}:order-closed",
        )
        requested += 1
    return requested


def get_payment(*, reference: str) -> Payment:
    try:
        return Payment.objects.select_related("order").get(reference=reference)
    except (Payment.DoesNotExist, ValueError):
        raise PaymentNotFound() from None


def recognize_revenue_of_delivered_orders(*, limit: int = 200) -> int:
    """Turn the prepayment of delivered online orders into sales (Beat sweep, idempotent).

    Orders books store credit and COD cash itself on delivery; the online part is ours to
    book because only payments knows what was captured.
    """
    from django.db.models import CharField, Exists, OuterRef, Value
    from django.db.models.functions import Cast, Concat

    from ledger.models import JournalEntry
    from ledger.postings import record_delivery_revenue

    booked = JournalEntry.objects.filter(
        idempotency_key=Concat(
            Value("order:"), Cast(OuterRef("pk"), CharField()), Value(":delivered:online"), output_field=CharField()
        )
    )
    orders = (
        Order.objects.filter(
            status__in=[Order.Status.DELIVERED, Order.Status.COMPLETED],
            payment_method=Order.PaymentMethod.ONLINE,
            payments__status__in=Payment.PAID,
            payments__is_overpayment=False,
        )
        .exclude(Exists(booked))
        .distinct()[:limit]
    )
    done = 0
    for order in orders:
        paid = sum(
            p.captured_amount - p.refunded_amount
            for p in Payment.objects.filter(order=order, status__in=Payment.PAID, is_overpayment=False)
        )
        if paid > 0:
            record_delivery_revenue(
                order_id=order.number,
                amount=paid,
                idempotency_key=f"order:{order.pk}:delivered:online",
                currency=order.currency,
            )
            done += 1
    return done

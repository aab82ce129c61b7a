"""The webhook inbox: one path applies every provider fact, whether webhook or poll.

`ingest_update` records the fact in the inbox under a unique key naming the provider's
transaction, status, amount, currency and merchant (a redelivery changes nothing; a fact
that differs from one under review is recorded and judged on its own), locks the order and
then the payment (the global lock order: order, payment, stock, ledger), checks merchant,
amount and currency (a mismatch goes to review, never to capture), and applies the payment
transition, its ledger entry and the order transition in one transaction. No network call happens while a row is locked.
"""

import dataclasses
import json
import logging
import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.inserts import insert_unless_conflict
from orders.models import Order
from payments.exceptions import PaymentNotPossible
from payments.models import Payment, WebhookEvent
from payments.providers import get_provider
from payments.providers.base import Event, InvalidSignature, MalformedCallback, ProviderUpdate
from payments.services import capture, disputes, refunds
from payments.services.locks import APPLIED_FIELDS, lock_payment_by_reference

logger = logging.getLogger(__name__)

# What applying a fact records on its inbox event.
EVENT_FIELDS = ["payment", "result", "result_detail", "attempts", "processed_at"]


def handle_callback(
    *, provider_code: str, raw_body: bytes, content_type: str, headers: dict, remote_ip: str | None
) -> tuple[int, bytes, str]:
    """Verify, record and apply a provider's callback; return (status, body, content type).

    A bad signature is answered 403, recorded as rejected, and changes nothing. Duplicates
    are acknowledged like the original.
    """
    provider = get_provider(provider_code)
    body_text = storable_text(raw_body.decode("utf-8", errors="replace"))
    headers = {storable_text(k): storable_text(str(v)) for k, v in headers.items()}
    content_type = storable_text(content_type)
    try:
        result = provider.parse_callback(raw_body=raw_body, content_type=content_type, headers=headers)
    except (InvalidSignature, RecursionError) as exc:
        malformed = not isinstance(exc, InvalidSignature) or isinstance(exc, MalformedCallback)
        if isinstance(exc, RecursionError):
            exc = MalformedCallback("The callback body is nested too deeply to read.")
        WebhookEvent.objects.create(
            provider=provider_code,
            raw_body=body_text,
            content_type=content_type,
            headers=headers,
            remote_ip=remote_ip,
            signature_valid=False,
            result=WebhookEvent.Result.REJECTED,
            result_detail=storable_text(str(exc))[:1000],
        )
        logger.warning("rejected %s callback from %s: %s", provider_code, remote_ip, exc)
        if malformed:
            return 400, b"malformed callback", "text/plain"
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


def storable_text(text: str) -> str:
    """Text PostgreSQL will store: a NUL byte (refused in text columns) is kept escaped as \\x00."""
    return text.replace("\x00", "\\x00")


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
    key = update.inbox_key
    try:
        with transaction.atomic():
            event = WebhookEvent(
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
            # The unique (provider, dedupe_key) index is the dedupe: ON CONFLICT DO NOTHING, so a
            # redelivery costs no exception and no savepoint. A copy racing the first delivery
            # waits here until that one commits, then finds its event.
            if insert_unless_conflict(event, conflict=["provider", "dedupe_key"]) is None:
                event = WebhookEvent.objects.get(provider=provider_code, dedupe_key=key)
                if event.result != WebhookEvent.Result.FAILED:
                    return event  # applied (or judged) already: a plain read, nothing locked or written
                # A failed fact is applied again, under its row lock (one re-process at a time).
                event = WebhookEvent.objects.select_for_update().get(pk=event.pk)
                if event.result != WebhookEvent.Result.FAILED:
                    return event
                event.attempts += 1
            _apply(event, update, provider_code=provider_code)
            event.processed_at = timezone.now()
            event.save(update_fields=EVENT_FIELDS)
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
        raise PaymentNotPossible(_("A callback with a bad signature is never applied."))
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
        event.save(update_fields=EVENT_FIELDS)
    return event


def _lock_for_update(provider_code: str, payment_ref: str) -> tuple[Payment | None, Order | None]:
    """Lock the payment's order first, then the payment (the global lock order)."""
    try:
        reference = uuid.UUID(str(payment_ref))
    except ValueError:
        return None, None  # not one of our references
    payment = lock_payment_by_reference(provider=provider_code, reference=reference)
    if payment is None:
        return None, None
    return payment, payment.order if payment.order_id else None


def _mismatch(payment: Payment, update: ProviderUpdate, provider_code: str) -> str:
    config = get_provider(provider_code).config
    # Fail closed: a fact that does not name our merchant, or a capture without its currency,
    # goes to review exactly like one naming another merchant or currency.
    if update.merchant_id is None or str(update.merchant_id) != str(config.merchant_id):
        return f"merchant {update.merchant_id} is not ours ({config.merchant_id})"
    if update.event == Event.CAPTURED:
        if update.currency != payment.currency:
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
    if payment.status == Payment.Status.DISPUTED and update.event == Event.REFUNDED:
        # Refunds are frozen during a dispute: money reported back now needs a person.
        payment.needs_review = True
        payment.review_reason = "The provider reports a refund of a disputed payment: check it there."
        payment.save(update_fields=["needs_review", "review_reason", "updated_at"])
        event.result, event.result_detail = R.REVIEW, "refund reported while the payment is disputed"
        return
    payment.last_provider_status = update.provider_status[:50]
    if update.provider_payment_id:
        payment.provider_payment_id = update.provider_payment_id[:100]
    handler = {
        Event.PENDING: capture.on_pending,
        Event.CAPTURED: capture.on_captured,
        Event.FAILED: capture.on_failed,
        Event.EXPIRED: capture.on_failed,
        Event.REFUND_PENDING: refunds.on_refund_pending,
        Event.REFUNDED: refunds.on_refunded,
        Event.CHARGEBACK: disputes.on_chargeback,
    }[update.event]
    outcome = handler(payment, order, update)
    payment.save(update_fields=APPLIED_FIELDS)
    event.result = R.PROCESSED if outcome.applied else R.IGNORED
    event.result_detail = outcome.detail

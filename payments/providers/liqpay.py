"""LiqPay (PrivatBank): a browser form to /api/3/checkout, signed callbacks, and /api/request.

Every message is `data` = base64(JSON) and `signature` = base64(sha1_raw(private_key + data +
private_key)), computed over the `data` string exactly as sent or received. We do not use the
official Python SDK: its callback check hashes the *decoded* JSON, which contradicts LiqPay's
documentation and every other SDK (reference §0.4), and its api() sends raw JSON as `data`.

Amounts are decimal major units on LiqPay's side ("7.34") and integer kopiyky on ours; the
conversion lives here and never goes through a float.
"""

import base64
import binascii
import hashlib
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import parse_qs

from payments.providers import http
from payments.providers.base import (
    CallbackResult,
    CheckoutRequest,
    CheckoutSession,
    Event,
    InvalidSignature,
    PaymentProvider,
    ProviderError,
    ProviderUpdate,
    RefundResult,
    constant_time_equal,
)

logger = logging.getLogger(__name__)

API_VERSION = 3
LANGUAGE = "uk"

# §3.3 and §6 of the reference. A status we do not know is PENDING: it never captures money,
# and reconciliation asks again later.
PENDING_STATUSES = frozenset(
    {
        "processing",
        "prepared",
        "wait_secure",  # on review: may still end in success, failure or reversed
        "wait_qr",
        "wait_sender",
        "wait_card",
        "wait_lc",
        "invoice_wait",
        "cash_wait",
        "hold_wait",  # money held on the card: we never ask for holds, so it is not "paid" yet
    }
)
CAPTURED_STATUSES = frozenset(
    {
        "success",
        "wait_compensation",  # paid; LiqPay credits it in the daily settlement
        # Paid, but LiqPay keeps the money until the shop passes verification and cancels
        # the payment after 60 days otherwise. The shopper's money is gone either way, so we
        # fulfil the order; finishing verification is the operator's job, not the shopper's.
        "wait_accept",
    }
)
FAILED_STATUSES = frozenset({"failure", "error", "try_again"})
SANDBOX_STATUS = "sandbox"
SANDBOX_REFUSED = "sandbox payment refused outside test mode"

MAX_DECIMAL_PLACES = 2
HUNDRED = Decimal(100)


def sign(private_key: str, data: str) -> str:
    """LiqPay's signature of a `data` string, taken byte for byte as it travels."""
    # SHA-1 is LiqPay's choice, not ours; the private key on both sides is what makes it a MAC.
    digest = hashlib.sha1((private_key + data + private_key).encode()).digest()
    return base64.b64encode(digest).decode("ascii")


def encode_data(params: Mapping) -> str:
    """base64(JSON) in one line: a wrapped string would sign differently (reference §0.5)."""
    return base64.b64encode(json.dumps(params, separators=(",", ":")).encode()).decode("ascii")


def format_amount(minor: int) -> str:
    """Kopiyky to LiqPay's decimal string: 734 -> "7.34", 100 -> "1", 5 -> "0.05"."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"An amount in minor units must be an int, not {type(minor).__name__}")
    if minor < 0:
        raise ValueError("An amount cannot be negative")
    return format((Decimal(minor) / HUNDRED).normalize(), "f")


def parse_amount(value) -> int:
    """LiqPay's amount ("7.34", 7.34, 1) to kopiyky, exactly; more than 2 decimals is refused.

    JSON numbers arrive as floats: repr() gives the shortest string that round-trips, which for
    any amount LiqPay can send is the decimal it wrote, so no binary rounding leaks in.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError(f"Not an amount: {value!r}")
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"Not an amount: {value!r}")
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"Not an amount: {value!r}")
    minor = amount * HUNDRED
    if minor != minor.to_integral_value():
        raise ValueError(f"More than {MAX_DECIMAL_PLACES} decimal places: {value!r}")
    return int(minor)


def parse_fee(value) -> int | None:
    """A commission in kopiyky, rounded half up: it is informational and may be computed finer."""
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite():
        return None
    return int((amount * HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class LiqPayProvider(PaymentProvider):
    code = "liqpay"
    label = "LiqPay"

    @property
    def checkout_url(self) -> str:
        return f"{self.config.base_url.rstrip('/')}/api/3/checkout"

    @property
    def api_url(self) -> str:
        return f"{self.config.base_url.rstrip('/')}/api/request"

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        """Build the signed form the shopper's browser posts to LiqPay; no HTTP call."""
        expires = _utc_now() + timedelta(seconds=request.lifetime_seconds)
        params = {
            "version": API_VERSION,
            "public_key": self.config.public_key,
            "action": "pay",
            "amount": format_amount(request.amount),
            "currency": request.currency,
            "description": request.description,
            "order_id": request.payment_ref,
            "result_url": request.return_url,
            "server_url": request.callback_url,
            "language": LANGUAGE,
            # LiqPay's documented format: UTC, "2016-04-24 00:00:00".
            "expired_date": expires.strftime("%Y-%m-%d %H:%M:%S"),
        }
        if self.config.test_mode:
            params["sandbox"] = "1"
        return CheckoutSession(form_action=self.checkout_url, form_fields=self._signed(params))

    def parse_callback(self, *, raw_body: bytes, content_type: str, headers: Mapping[str, str]) -> CallbackResult:
        data, signature = _read_data_and_signature(raw_body, content_type)
        payload = self._verified_payload(data, signature)
        try:
            update = self._translate(payload)
        except ValueError as exc:
            raise InvalidSignature(f"LiqPay callback is signed but malformed: {exc}")
        return CallbackResult(updates=(update,), ack_status=200, ack_body=b"OK", ack_content_type="text/plain")

    def fetch_status(self, *, payment_ref: str) -> ProviderUpdate:
        """Ask /api/request for action=status; LiqPay answers with plain (unsigned) JSON."""
        answer = self._call({"action": "status", "order_id": payment_ref})
        status = answer.get("status")
        if (status == "error" or answer.get("result") == "error") and "payment_id" not in answer:
            # An error about the request itself (unknown order, bad key, bad signature), not
            # a payment that ended in "error": those carry their payment_id.
            code = str(answer.get("err_code") or "error")
            message = str(answer.get("err_description") or code)
            raise ProviderError(f"LiqPay refused the status request: {message}", transient=False, code=code)
        if answer.get("order_id") != payment_ref:
            raise ProviderError(
                f"LiqPay answered about order {answer.get('order_id')!r}, not {payment_ref!r}",
                transient=False,
                code="order_mismatch",
            )
        try:
            return self._translate(answer)
        except ValueError as exc:
            raise ProviderError(f"LiqPay's status answer is malformed: {exc}", transient=False, code="bad_response")

    def refund(self, *, payment_ref: str, amount: int, currency: str, refund_ref: str, reason: str) -> RefundResult:
        """Ask for a full or partial refund (action=refund) in the payment's own currency.

        LiqPay takes no idempotency key and no comment, so `refund_ref` and `reason` stay on our
        side. A refund whose answer was lost (timeout) must be checked with fetch_status before
        it is asked for again, or it may be paid out twice.
        """
        answer = self._call({"action": "refund", "order_id": payment_ref, "amount": format_amount(amount)})
        status = str(answer.get("status") or "")
        message = str(answer.get("err_description") or "")
        if status == "reversed":
            event = Event.REFUNDED
        elif status in FAILED_STATUSES or answer.get("result") == "error":
            event = Event.FAILED
            message = message or str(answer.get("err_code") or status)
        else:
            # wait_reserve (LiqPay reserves the money from future payments) or anything we do
            # not know: the outcome is open, and fetch_status follows it up.
            event = Event.REFUND_PENDING
        return RefundResult(event=event, provider_status=status, message=message, raw=answer)

    # --- protocol -------------------------------------------------------------------------

    def _signed(self, params: Mapping) -> dict[str, str]:
        data = encode_data(params)
        return {"data": data, "signature": sign(self.config.secret, data)}

    def _call(self, params: Mapping) -> dict:
        form = self._signed({"version": API_VERSION, "public_key": self.config.public_key, **params})
        answer = http.post(self.api_url, timeout=self.config.timeout, form=form)
        if not isinstance(answer, dict):
            raise ProviderError("LiqPay answered with JSON that is not an object", transient=True, code="bad_response")
        return answer

    def _verified_payload(self, data: str, signature: str) -> dict:
        """Check the signature over `data` as received, then decode it; fail closed."""
        if not data or not signature:
            raise InvalidSignature("LiqPay callback without data or signature")
        if not constant_time_equal(sign(self.config.secret, data), signature):
            raise InvalidSignature("LiqPay callback signature does not match")
        try:
            payload = json.loads(base64.b64decode(data, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise InvalidSignature(f"LiqPay callback data is not base64 JSON: {exc.__class__.__name__}")
        if not isinstance(payload, dict):
            raise InvalidSignature("LiqPay callback data is not a JSON object")
        return payload

    def _translate(self, payload: Mapping) -> ProviderUpdate:
        """One LiqPay payment record (callback or status answer) in our words."""
        order_id = payload.get("order_id")
        status = payload.get("status")
        if not isinstance(order_id, str) or not order_id:
            raise ValueError("no order_id")
        if not isinstance(status, str) or not status:
            raise ValueError("no status")
        amount = parse_amount(payload["amount"]) if payload.get("amount") is not None else None
        event, message = self._event_for(status)
        refunded_total = None
        if event is Event.REFUNDED:
            # LiqPay's reference names no refunded-total field; "refund_amount" is used when a
            # payload carries it, otherwise "reversed" is read as the whole amount refunded.
            refunded = payload.get("refund_amount")
            refunded_total = parse_amount(refunded) if refunded is not None else amount
        payment_id = payload.get("payment_id")
        provider_payment_id = "" if payment_id is None else str(payment_id)
        dedupe_key = f"liqpay:{order_id}:{provider_payment_id}:{payload.get('action', '')}:{status}"
        if event is Event.REFUNDED:
            # Two partial refunds are two facts with the same (payment_id, action, status).
            dedupe_key += f":{refunded_total}"
        return ProviderUpdate(
            payment_ref=order_id,
            event=event,
            provider_status=status,
            dedupe_key=dedupe_key,
            amount=amount,
            currency=payload.get("currency"),
            merchant_id=payload.get("public_key"),
            provider_payment_id=provider_payment_id,
            fee=parse_fee(payload.get("receiver_commission")),
            refunded_total=refunded_total,
            message=message or str(payload.get("err_description") or ""),
            raw=dict(payload),
        )

    def _event_for(self, status: str) -> tuple[Event, str]:
        if status in CAPTURED_STATUSES:
            return Event.CAPTURED, ""
        if status == SANDBOX_STATUS:
            if self.config.test_mode:
                return Event.CAPTURED, ""
            # Correctly signed (so not a forgery to answer 403), but no money moved: a test
            # payment made with our live keys. PENDING never captures, and the payment runs
            # out its lifetime like an abandoned one.
            logger.warning("LiqPay reported a sandbox payment while not in test mode")
            return Event.PENDING, SANDBOX_REFUSED
        if status in FAILED_STATUSES:
            return Event.FAILED, ""
        if status == "reversed":
            return Event.REFUNDED, ""
        if status == "wait_reserve":
            return Event.REFUND_PENDING, ""
        if status in PENDING_STATUSES or status.endswith("_verify"):
            return Event.PENDING, ""
        logger.warning("LiqPay status %r is unknown; treated as pending", status)
        return Event.PENDING, f"unknown LiqPay status {status!r}"


def _read_data_and_signature(raw_body: bytes, content_type: str) -> tuple[str, str]:
    """Pull `data` and `signature` out of a form body (LiqPay's) or a JSON one; fail closed."""
    try:
        text = raw_body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidSignature("LiqPay callback body is not UTF-8")
    if "json" in (content_type or "").lower():
        try:
            body = json.loads(text)
        except ValueError:
            raise InvalidSignature("LiqPay callback body is not JSON")
        if not isinstance(body, dict):
            raise InvalidSignature("LiqPay callback body is not a JSON object")
        data, signature = body.get("data"), body.get("signature")
    else:
        fields = parse_qs(text, keep_blank_values=True)
        if any(len(fields.get(name, ())) > 1 for name in ("data", "signature")):
            raise InvalidSignature("LiqPay callback repeats data or signature")
        data = fields.get("data", [""])[0]
        signature = fields.get("signature", [""])[0]
    if not isinstance(data, str) or not isinstance(signature, str):
        raise InvalidSignature("LiqPay callback data and signature must be strings")
    return data, signature


def _utc_now() -> datetime:
    return datetime.now(UTC)

"""Fondy, hutko and Flitt: one cloudipsp protocol (1.0, JSON), told apart only by base_url.

Amounts are integer minor units on both sides, so nothing is converted. Every request is
signed with sha1(SECRET|values...) over the sorted parameters; every callback and every
status or reverse answer is verified the same way over the fields as received.
"""

import email.policy
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from email.parser import BytesParser
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

INTEGER = re.compile(r"-?[0-9]+")

API_VERSION = "1.0.1"  # 1.0.1 adds additional_info to callbacks; 1.0 is deprecated

# Never part of the signed string: the signature itself, and the test-mode debugging hint.
UNSIGNED_FIELDS = frozenset({"signature", "response_signature_string"})

# order_status -> our event (reference §6). Preauth is never requested, so approved = captured.
ORDER_EVENTS = {
    "created": Event.PENDING,
    "processing": Event.PENDING,
    "approved": Event.CAPTURED,
    "declined": Event.FAILED,
    "expired": Event.EXPIRED,
    "reversed": Event.REFUNDED,
}

REVERSE_EVENTS = {
    "approved": Event.REFUNDED,
    "created": Event.REFUND_PENDING,
    "declined": Event.FAILED,
}


def sign(params: Mapping, secret: str) -> str:
    """Return the protocol 1.0 signature of `params` (reference §1.2).

    Keys sorted byte-wise; "" and None dropped but 0 kept; values as str(), so
    additional_info (a JSON string) is hashed verbatim; lowercase hex.
    """
    values = [
        str(params[key]) for key in sorted(params) if key not in UNSIGNED_FIELDS and params[key] not in ("", None)
    ]
    return hashlib.sha1("|".join([secret, *values]).encode("utf-8")).hexdigest()


def has_valid_signature(fields: Mapping, secret: str) -> bool:
    received = fields.get("signature")
    if not isinstance(received, str) or not received or not secret:
        return False
    return constant_time_equal(sign(fields, secret), received)


class FondyProvider(PaymentProvider):
    code = "fondy"
    label = "Fondy"

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        params = {
            "order_id": request.payment_ref,
            "order_desc": request.description,
            "amount": request.amount,
            "currency": request.currency,
            "response_url": request.return_url,
            "server_callback_url": request.callback_url,
            # Defaults differ between the brands' docs (600 s vs 36000 s): always say it.
            "lifetime": request.lifetime_seconds,
        }
        if request.customer_email:
            params["sender_email"] = request.customer_email
        response = self._call("/checkout/url/", params)
        checkout_url = response.get("checkout_url")
        if not checkout_url:
            raise ProviderError("Fondy answered without a checkout_url", transient=False, code="bad_response")
        return CheckoutSession(redirect_url=checkout_url, provider_payment_id=_text(response.get("payment_id")))

    def parse_callback(self, *, raw_body: bytes, content_type: str, headers: Mapping[str, str]) -> CallbackResult:
        fields = _decode_callback(raw_body, content_type)
        if not has_valid_signature(fields, self.config.secret):
            raise InvalidSignature("Fondy callback signature is missing or does not match")
        return CallbackResult(updates=(_update_from_order(fields, error=InvalidSignature),))

    def fetch_status(self, *, payment_ref: str) -> ProviderUpdate:
        # A failure answer (e.g. the order is unknown to Fondy) raises a non-transient
        # ProviderError carrying Fondy's error_code: it is not a payment status.
        response = self._call("/status/order_id", {"order_id": payment_ref})
        if not has_valid_signature(response, self.config.secret):
            raise ProviderError(
                "Fondy status answer is not signed with our secret", transient=False, code="bad_signature"
            )
        return _update_from_order(response, error=_bad_response)

    def refund(self, *, payment_ref: str, amount: int, currency: str, refund_ref: str, reason: str) -> RefundResult:
        # Fondy's reverse takes no idempotency key: after a timeout, read reversal_amount
        # with fetch_status before asking again, or the money may go back twice.
        params = {"order_id": payment_ref, "amount": amount, "currency": currency}
        if reason:
            params["comment"] = reason
        response = self._call("/reverse/order_id", params)
        if not has_valid_signature(response, self.config.secret):
            raise ProviderError(
                "Fondy reverse answer is not signed with our secret", transient=False, code="bad_signature"
            )
        reverse_status = _text(response.get("reverse_status"))
        return RefundResult(
            # An unknown reverse_status means we do not know yet: reconcile through fetch_status.
            event=REVERSE_EVENTS.get(reverse_status, Event.REFUND_PENDING),
            provider_status=reverse_status,
            message=_text(response.get("response_description")),
            raw=dict(response),
        )

    def _call(self, path: str, params: dict) -> dict:
        """POST a signed protocol 1.0 request; return the inner response or raise ProviderError."""
        merchant_id = self.config.merchant_id
        request = {
            **params,
            "merchant_id": int(merchant_id) if INTEGER.fullmatch(merchant_id) else merchant_id,  # as in the docs
            "version": API_VERSION,
        }
        request["signature"] = sign(request, self.config.secret)
        answer = http.post(
            self.config.base_url.rstrip("/") + path, timeout=self.config.timeout, json_body={"request": request}
        )
        response = answer.get("response") if isinstance(answer, dict) else None
        if not isinstance(response, dict):
            raise ProviderError(
                f"Fondy {path} answered without a response object", transient=False, code="bad_response"
            )
        if response.get("response_status") != "success":
            error_code = _text(response.get("error_code")) or "bad_response"
            message = _text(response.get("error_message")) or "no error_message"
            raise ProviderError(
                f"Fondy refused {path}: {message} (error {error_code})", transient=False, code=error_code
            )
        return response


def _decode_callback(raw_body: bytes, content_type: str) -> dict:
    """Return the callback's fields as received, or raise InvalidSignature (fail closed)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    try:
        if media_type == "application/x-www-form-urlencoded":
            return _decode_form(raw_body)
        if media_type == "multipart/form-data":
            return _decode_multipart(raw_body, content_type)
        if media_type == "application/json" or media_type.endswith("+json") or raw_body.lstrip().startswith(b"{"):
            return _decode_json(raw_body)
        return _decode_form(raw_body)  # Fondy's other transport; the signature check decides
    except (ValueError, UnicodeError, RecursionError) as exc:
        raise InvalidSignature(f"Fondy callback body cannot be read: {exc.__class__.__name__}") from exc


def _decode_json(raw_body: bytes) -> dict:
    data = json.loads(raw_body.decode("utf-8"))
    if isinstance(data, dict) and "signature" not in data and isinstance(data.get("response"), dict):
        data = data["response"]  # the {"response": {...}} envelope of protocol 1.0
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def _decode_form(raw_body: bytes) -> dict:
    pairs = parse_qs(
        raw_body.decode("utf-8"),
        keep_blank_values=True,
        strict_parsing=bool(raw_body),
        encoding="utf-8",
        errors="strict",
    )
    if any(len(values) != 1 for values in pairs.values()):
        raise ValueError("a field appears more than once")  # which one was signed is ambiguous
    return {key: values[0] for key, values in pairs.items()}


def _decode_multipart(raw_body: bytes, content_type: str) -> dict:
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=email.policy.HTTP).parsebytes(head + raw_body)
    if not message.is_multipart():
        raise ValueError("multipart body without parts")
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name or name in fields:
            raise ValueError("a multipart field has no name or appears more than once")
        fields[name] = (part.get_payload(decode=True) or b"").decode("utf-8")
    return fields


def _update_from_order(fields: Mapping, *, error: Callable[[str], Exception]) -> ProviderUpdate:
    """Translate a verified order (callback or status answer) into a ProviderUpdate."""
    order_id = _text(fields.get("order_id"))
    order_status = _text(fields.get("order_status"))
    if not order_id or not order_status:
        raise error("Fondy order without order_id or order_status")
    tran_type = _text(fields.get("tran_type"))
    event = ORDER_EVENTS.get(order_status, Event.PENDING)  # an unknown status changes nothing
    if tran_type == "reverse" and event in (Event.FAILED, Event.EXPIRED):
        # A refused reversal says nothing bad about the payment itself, which stays captured.
        event = Event.PENDING
    try:
        # `amount` is the order amount in the order currency, what the core compares with
        # ours; actual_amount (after a currency conversion) stays in raw for the audit trail.
        amount = _int_or_none(fields.get("amount"))
        fee = _int_or_none(fields.get("fee"))
        reversal_amount = _int_or_none(fields.get("reversal_amount"))
    except ValueError as exc:
        raise error(f"Fondy order with a non-integer amount: {exc}") from exc
    return ProviderUpdate(
        payment_ref=order_id,
        event=event,
        provider_status=order_status,
        dedupe_key=":".join(
            [
                "fondy",
                order_id,
                _text(fields.get("payment_id")),
                order_status,
                tran_type,
                _text(fields.get("reversal_amount")),
                _text(fields.get("response_code")),
            ]
        ),
        amount=amount,
        currency=_text(fields.get("currency")) or None,
        merchant_id=_text(fields.get("merchant_id")) or None,
        provider_payment_id=_text(fields.get("payment_id")),
        fee=fee,
        refunded_total=(reversal_amount or 0) if event is Event.REFUNDED else None,
        message=_text(fields.get("response_description")),
        raw=dict(fields),
    )


def _bad_response(message: str) -> ProviderError:
    return ProviderError(message, transient=False, code="bad_response")


def _text(value) -> str:
    return "" if value is None else str(value)


def _int_or_none(value) -> int | None:
    """Read a minor-units amount strictly: "1020" or 1020, never "10.20", "1_020" or " 1020"."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and INTEGER.fullmatch(value):
        return int(value)
    raise ValueError(repr(value))

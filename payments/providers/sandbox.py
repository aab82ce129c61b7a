"""Sandbox: a built-in fake gateway for demos and local runs.

It behaves like a real provider: a payment page (payments.views.sandbox_gateway) with pay,
decline and expire buttons; signed server-to-server callbacks (HMAC-SHA256 of the raw body
in the X-Sandbox-Signature header) delivered over HTTP by a Celery task that retries; a
status API and refunds. Its "gateway state" lives in the cache, as a real provider's would
live on its side. Never enable it in production (PAYMENTS_SANDBOX defaults to DEBUG).
"""

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping

import requests
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from payments.providers.base import (
    CallbackResult,
    CheckoutRequest,
    CheckoutSession,
    Event,
    InvalidSignature,
    MalformedCallback,
    PaymentProvider,
    ProviderUpdate,
    RefundResult,
    constant_time_equal,
)

SIGNATURE_HEADER = "X-Sandbox-Signature"
STATE_TTL = 7 * 24 * 3600
FEE_PER_MILLE = 15  # the sandbox charges 1.5%, so fee postings show up in the ledger
STATUS_EVENTS = {
    "pending": Event.PENDING,
    "paid": Event.CAPTURED,
    "declined": Event.FAILED,
    "expired": Event.EXPIRED,
    "refunded": Event.REFUNDED,
    "chargeback": Event.CHARGEBACK,  # the cardholder's bank opened a dispute
}


def _state_key(ref: str) -> str:
    return f"sandbox-gateway:{ref}"


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class SandboxProvider(PaymentProvider):
    code = "sandbox"
    label = _("Sandbox (test payments)")

    # --- the "provider side" ------------------------------------------------------------------

    def gateway_token(self, request: CheckoutRequest) -> str:
        return signing.dumps(
            {
                "ref": request.payment_ref,
                "amount": request.amount,
                "currency": request.currency,
                "description": request.description,
                "callback": request.callback_url,
                "return": request.return_url,
            },
            salt="payments.sandbox",
        )

    def read_token(self, token: str) -> dict:
        return signing.loads(token, salt="payments.sandbox", max_age=7 * 24 * 3600)

    def state(self, ref: str) -> dict | None:
        return cache.get(_state_key(ref))

    def set_outcome(self, *, ref: str, amount: int, currency: str, status: str, refunded: int = 0) -> dict:
        """Record what happened at the 'gateway' and build its signed callback."""
        previous = self.state(ref) or {}
        state = {
            "payment_ref": ref,
            "status": status,
            "amount": amount,
            "currency": currency,
            "merchant_id": self.config.merchant_id,
            "transaction_id": previous.get("transaction_id") or uuid.uuid4().hex[:16],
            "fee": amount * FEE_PER_MILLE // 1000 if status in ("paid", "refunded") else 0,
            "refunded_total": refunded,
        }
        cache.set(_state_key(ref), state, STATE_TTL)
        return state

    def callback_body(self, state: Mapping) -> tuple[str, str]:
        body = json.dumps(dict(state), sort_keys=True)
        return body, sign(self.config.secret, body.encode())

    # --- the adapter --------------------------------------------------------------------------

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        self.set_outcome(ref=request.payment_ref, amount=request.amount, currency=request.currency, status="pending")
        path = reverse("payments:sandbox_gateway", kwargs={"token": self.gateway_token(request)})
        return CheckoutSession(redirect_url=settings.SITE_URL.rstrip("/") + path)

    def parse_callback(self, *, raw_body: bytes, content_type: str, headers: Mapping[str, str]) -> CallbackResult:
        lowered = {k.lower(): v for k, v in headers.items()}
        signature = lowered.get(SIGNATURE_HEADER.lower(), "")
        if not signature or not constant_time_equal(signature, sign(self.config.secret, raw_body)):
            raise InvalidSignature("The sandbox signature does not match the body.")
        try:
            data = json.loads(raw_body)
        except (ValueError, RecursionError):
            raise MalformedCallback("The sandbox callback is not JSON.") from None
        if not isinstance(data, dict):
            raise MalformedCallback("The sandbox callback is not a JSON object.")
        try:
            return CallbackResult(updates=(self._update(data),))
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedCallback(f"The sandbox callback lacks or garbles a field: {exc}") from None

    def _update(self, data: Mapping) -> ProviderUpdate:
        status = data.get("status", "")
        if status not in STATUS_EVENTS:
            raise InvalidSignature(f"Unknown sandbox status {status!r}.")
        return ProviderUpdate(
            payment_ref=str(data["payment_ref"]),
            event=STATUS_EVENTS[status],
            provider_status=status,
            dedupe_key=f"sandbox:{data['payment_ref']}:{status}:{data.get('refunded_total', 0)}",
            amount=int(data["amount"]),
            currency=data.get("currency"),
            merchant_id=data.get("merchant_id"),
            provider_payment_id=data.get("transaction_id", ""),
            fee=int(data.get("fee") or 0),
            refunded_total=int(data.get("refunded_total") or 0) if status == "refunded" else None,
            raw=dict(data),
        )

    def fetch_status(self, *, payment_ref: str) -> ProviderUpdate:
        state = self.state(payment_ref) or {
            "payment_ref": payment_ref,
            "status": "pending",
            "amount": 0,
            "currency": "UAH",
            "merchant_id": self.config.merchant_id,
        }
        return self._update(state)

    def refund(self, *, payment_ref: str, amount: int, currency: str, refund_ref: str, reason: str) -> RefundResult:
        state = self.state(payment_ref)
        if not state or state["status"] not in ("paid", "refunded"):
            return RefundResult(event=Event.FAILED, provider_status="not_paid", message="The payment is not paid.")
        refunded = state.get("refunded_total", 0) + amount
        if refunded > state["amount"]:
            return RefundResult(
                event=Event.FAILED, provider_status="too_much", message="More than the payment would be refunded."
            )
        self.set_outcome(
            ref=payment_ref, amount=state["amount"], currency=state["currency"], status="refunded", refunded=refunded
        )
        return RefundResult(event=Event.REFUNDED, provider_status="refunded", refund_id=refund_ref[:100])


def deliver_callback(*, callback_url: str, body: str, signature: str) -> None:
    """POST a signed callback; raise OSError (so the task retries) unless it was accepted."""
    response = requests.post(
        callback_url,
        data=body.encode(),
        timeout=10,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
    )
    if response.status_code >= 500:
        raise OSError(f"callback answered HTTP {response.status_code}")

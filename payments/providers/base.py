"""The one interface every payment provider adapter implements.

An adapter only speaks its provider's protocol and translates: it builds checkout requests,
verifies and parses callbacks (over the raw body, failing closed), asks for a payment's
status and requests refunds. It never touches the database and never changes state;
payments.services owns every state change. Amounts cross this boundary as integer minor
units (kopiyky); converting to a provider's format (Fondy: minor units; WayForPay and
LiqPay: decimal strings) happens only inside that provider's adapter.
"""

import hashlib
import hmac
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Event(StrEnum):
    """What a provider says happened to a payment, in our words."""

    PENDING = "pending"  # nothing final yet (created, processing, in 3-D Secure...)
    CAPTURED = "captured"  # the money is ours
    FAILED = "failed"  # declined or errored
    EXPIRED = "expired"  # the payment window closed unpaid
    REFUND_PENDING = "refund_pending"  # a refund is in progress at the provider
    REFUNDED = "refunded"  # some or all of the money went back (see refunded_total)
    CHARGEBACK = "chargeback"  # the cardholder disputes the payment at their bank (a chargeback notice)


@dataclass(frozen=True)
class ProviderConfig:
    """Credentials and endpoint of one provider, from settings.PAYMENT_PROVIDERS."""

    code: str
    merchant_id: str = ""
    secret: str = ""
    public_key: str = ""  # LiqPay
    base_url: str = ""
    merchant_domain: str = ""  # WayForPay
    timeout: float = 10.0
    test_mode: bool = False


@dataclass(frozen=True)
class CheckoutRequest:
    payment_ref: str  # our id for this payment attempt; the provider's order id / orderReference
    amount: int  # minor units
    currency: str
    description: str
    return_url: str  # where the shopper's browser comes back
    callback_url: str  # where the provider posts its signed server-to-server callback
    customer_email: str = ""
    lifetime_seconds: int = 3600
    items: tuple[tuple[str, int, int], ...] = ()  # (name, quantity, unit price in minor units)


@dataclass(frozen=True)
class CheckoutSession:
    """Where to send the shopper: a redirect URL, or a form to auto-submit."""

    redirect_url: str = ""
    form_action: str = ""
    form_fields: Mapping[str, str] = field(default_factory=dict)
    provider_payment_id: str = ""


@dataclass(frozen=True)
class ProviderUpdate:
    """One provider-neutral fact about a payment, from a callback or a status call."""

    payment_ref: str
    event: Event
    provider_status: str  # the raw status, kept verbatim for the audit trail
    dedupe_key: str  # identical for redeliveries of the same fact, different for a new fact
    amount: int | None = None  # what the provider says was paid (minor units); checked by the core
    currency: str | None = None
    merchant_id: str | None = None  # checked by the core against ours
    provider_payment_id: str = ""
    fee: int | None = None  # the provider's fee, minor units, when it reports one
    refunded_total: int | None = None  # total refunded so far (minor units), for REFUNDED
    message: str = ""  # the provider's human-readable reason, e.g. a decline reason
    raw: Mapping = field(default_factory=dict)

    @property
    def inbox_key(self) -> str:
        """The key the inbox records this fact under: the adapter's key plus the facts we check.

        The adapter's `dedupe_key` names the provider's transaction and status; the core adds
        the event, amount, currency and merchant, so a signed callback that differs from ours
        in any of them (and goes to review) is a fact of its own and never blocks the genuine
        one. Every adapter translates callbacks and status answers through one function, so a
        poll of the same fact builds the same key as its callback.
        """
        amount = "-" if self.amount is None else str(self.amount)
        key = f"{self.dedupe_key}|{self.event}|{amount} {self.currency or '-'}|{self.merchant_id or '-'}"
        if len(key) > INBOX_KEY_LENGTH:  # the column's length; a digest keeps long keys distinct
            digest = hashlib.sha256(key.encode()).hexdigest()
            key = f"{key[: INBOX_KEY_LENGTH - 65]}#{digest}"
        return key


INBOX_KEY_LENGTH = 300  # WebhookEvent.dedupe_key's max_length


@dataclass(frozen=True)
class CallbackResult:
    updates: tuple[ProviderUpdate, ...]
    ack_status: int = 200
    ack_body: bytes = b"OK"
    ack_content_type: str = "text/plain"


@dataclass(frozen=True)
class RefundResult:
    """The provider's answer to a refund request."""

    event: Event  # REFUNDED (done), REFUND_PENDING (follow up with fetch_status) or FAILED
    provider_status: str
    refund_id: str = ""
    message: str = ""
    raw: Mapping = field(default_factory=dict)


class InvalidSignature(Exception):
    """The callback is not signed by the provider with our secret (or is malformed)."""


class MalformedCallback(InvalidSignature):
    """Signed (or not), the callback cannot be read: not the shape the provider sends. Answered 400."""


class ProviderError(Exception):
    """The provider could not be reached or refused the request.

    `transient` errors (timeouts, 5xx, 429) may be retried later; others need a person.
    """

    def __init__(self, message: str, *, transient: bool, code: str = ""):
        super().__init__(message)
        self.transient = transient
        self.code = code


def constant_time_equal(a: str | bytes, b: str | bytes) -> bool:
    """Compare signatures without leaking where they differ."""
    if isinstance(a, str):
        a = a.encode()
    if isinstance(b, str):
        b = b.encode()
    return hmac.compare_digest(a, b)


class PaymentProvider(ABC):
    code: str = ""
    label: str = ""

    def __init__(self, config: ProviderConfig):
        self.config = config

    @abstractmethod
    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        """Ask the provider for a payment page (or build the form that opens it)."""

    @abstractmethod
    def parse_callback(self, *, raw_body: bytes, content_type: str, headers: Mapping[str, str]) -> CallbackResult:
        """Verify the signature over the raw body (raise InvalidSignature) and translate.

        Pure: no database, no network. JSON and form bodies are both accepted where the
        provider may send either.
        """

    @abstractmethod
    def fetch_status(self, *, payment_ref: str) -> ProviderUpdate:
        """Ask the provider for the payment's current status (reconciliation)."""

    @abstractmethod
    def refund(self, *, payment_ref: str, amount: int, currency: str, refund_ref: str, reason: str) -> RefundResult:
        """Ask the provider to return `amount` (minor units) of a captured payment."""

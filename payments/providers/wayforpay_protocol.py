"""WayForPay's protocol, without I/O: field lists, status tables, amounts, signatures, decoding.

See payments.providers.wayforpay for the adapter and the protocol notes (§2 of the research).
"""

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl

from payments.providers.base import Event, InvalidSignature, constant_time_equal

API_VERSION = 1

# The fields each signature covers, in the order the provider concatenates them (§2.1, §2.2).
CALLBACK_SIGNED_FIELDS = (
    "merchantAccount",
    "orderReference",
    "amount",
    "currency",
    "authCode",
    "cardPan",
    "transactionStatus",
    "reasonCode",
)
CHECK_STATUS_RESPONSE_SIGNED_FIELDS = CALLBACK_SIGNED_FIELDS
REFUND_RESPONSE_SIGNED_FIELDS = ("merchantAccount", "orderReference", "transactionStatus", "reasonCode")

# Reason::isOK() in the PHP SDK: Ok, Ok (regular payment), waiting for 3-D Secure.
OK_REASON_CODES = frozenset({"1100", "4100", "5100"})
REASON_INVALID_SIGNATURE = "1113"
REASON_ORDER_NOT_FOUND = "1127"

STATUS_EVENTS = {
    "Created": Event.PENDING,
    "InProcessing": Event.PENDING,
    "inProcessing": Event.PENDING,  # the wiki's spelling
    "Pending": Event.PENDING,  # antifraud review
    # A hold waiting for Settle. We never ask for holds (no merchantTransactionType=AUTH), and
    # the core has no "authorized" state, so it counts as not final yet.
    "WaitingAuthComplete": Event.PENDING,
    "Approved": Event.CAPTURED,
    "Declined": Event.FAILED,
    "Expired": Event.EXPIRED,
    "RefundInProcessing": Event.REFUND_PENDING,
    "Refunded": Event.REFUNDED,
    "Voided": Event.REFUNDED,
}
REFUND_EVENTS = {
    "Refunded": Event.REFUNDED,
    "Voided": Event.REFUNDED,
    "RefundInProcessing": Event.REFUND_PENDING,
}


# --- Amounts --------------------------------------------------------------------------------


def format_amount(minor: int) -> str:
    """Format kopiyky as WayForPay's amount string: 154736 -> "1547.36", 100 -> "1", 5 -> "0.05".

    The PHP SDK signs `floatval(amount)` printed by PHP, which drops trailing zeros and the
    point ("1000", "547.36", "1.5"); we send that same string in the field, so the value and
    its signature always agree. Two-decimal currencies only (UAH, USD, EUR).
    """
    if isinstance(minor, bool) or not isinstance(minor, int) or minor < 0:
        raise ValueError(f"An amount in minor units must be a non-negative int, not {minor!r}")
    major, cents = divmod(minor, 100)
    if cents == 0:
        return str(major)
    return f"{major}.{cents:02d}".rstrip("0")


def parse_amount(value: object) -> int:
    """Convert a WayForPay amount ("1547.36", 1547.36, "1", 1) to kopiyky; ValueError if not exact."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"Not an amount: {value!r}")
    try:
        # A float reaches us only from an already-decoded API answer; its repr is the shortest
        # string that reads back as the same float, i.e. the decimal WayForPay wrote.
        amount = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise ValueError(f"Not an amount: {value!r}")
    if not amount.is_finite() or amount.adjusted() > 15:
        raise ValueError(f"Not a plausible amount: {value!r}")
    minor = amount * 100
    if amount < 0 or minor != minor.to_integral_value():
        raise ValueError(f"Not an amount in whole kopiyky: {value!r}")
    return int(minor)


# --- Signatures -----------------------------------------------------------------------------


class JsonNumber(str):
    """A number from a callback body, kept as the exact characters WayForPay sent."""


def php_string(value: object) -> str:
    """Render a decoded JSON value the way PHP's implode() would before hashing.

    null and missing become "", numbers print without trailing zeros (1.0 -> "1"), strings
    stay as they are.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | JsonNumber):
        number = Decimal(repr(value) if isinstance(value, float) else str(value))
        # Far outside any amount or code: left as written rather than expanded, so a forged
        # `1e999999999` costs nothing before the signature check refuses it.
        if not number.is_finite() or abs(number.adjusted()) > 30:
            return str(value)
        if number == number.to_integral_value():
            return str(int(number))
        return format(number.normalize(), "f")
    return str(value)


def sign(secret: str, values: Iterable[object]) -> str:
    """Hex HMAC-MD5 of the values joined with ";" (SignatureHelper::calculateSignature)."""
    message = ";".join("" if v is None else str(v) for v in values)
    return hmac.new(secret.encode(), message.encode(), hashlib.md5).hexdigest()


def signature_matches(secret: str, payload: Mapping, fields: Iterable[str], signature: object) -> bool:
    """Check `signature` over `fields` of a decoded payload; False for anything malformed.

    The raw tokens are tried first, as the reference asks. A number's PHP rendering is tried
    second: the PHP SDK hashes json_decode()d values, so a sender writing `"amount": 100.0`
    signs "100". Both strings denote the same value, so this accepts no other amount.
    """
    if not isinstance(signature, str) or not signature:
        return False
    fields = tuple(fields)
    raw = [raw_string(payload.get(name)) for name in fields]
    candidates = [raw]
    rendered = [php_string(payload.get(name)) for name in fields]
    if rendered != raw:
        candidates.append(rendered)
    matched = False
    for values in candidates:  # no early exit: the time taken doesn't depend on which matched
        matched |= constant_time_equal(sign(secret, values), signature.lower())
    return matched


def raw_string(value: object) -> str:
    if isinstance(value, JsonNumber):
        return str.__str__(value)
    return php_string(value)


def decode_callback(raw_body: bytes) -> dict:
    """Decode a serviceUrl body: JSON, or a form whose single key is the whole JSON (§2.3)."""
    try:
        text = raw_body.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise InvalidSignature("The callback body is not UTF-8")
    if not text.startswith("{"):
        # application/x-www-form-urlencoded with the JSON as the only key and an empty value.
        pairs = parse_qsl(text, keep_blank_values=True)
        if len(pairs) != 1 or pairs[0][1] != "":
            raise InvalidSignature("The callback body is neither JSON nor a form-wrapped JSON")
        text = pairs[0][0].strip()
    try:
        payload = json.loads(text, parse_float=JsonNumber, parse_int=JsonNumber)
    except ValueError:
        raise InvalidSignature("The callback body is not valid JSON")
    if not isinstance(payload, dict):
        raise InvalidSignature("The callback body is not a JSON object")
    return payload


def optional_minor(value: object, *, upper: int | None = None) -> int | None:
    """Read an informational amount; None when absent, unreadable or out of range."""
    if value is None or value == "":
        return None
    try:
        # Fees can carry more than two decimals; round half up to the kopiyka for reporting.
        number = Decimal(repr(value) if isinstance(value, float) else str(value))
        minor = int((number * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    except (InvalidOperation, ValueError):
        return None
    if minor < 0 or (upper is not None and (minor == 0 or minor > upper)):
        return None
    return minor

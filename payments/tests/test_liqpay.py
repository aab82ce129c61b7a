import base64
import json
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlencode

import pytest

from payments.providers import liqpay
from payments.providers.base import (
    CheckoutRequest,
    Event,
    InvalidSignature,
    ProviderConfig,
    ProviderError,
)
from payments.providers.liqpay import LiqPayProvider, encode_data, format_amount, parse_amount, sign
from payments.tests.fakes.liqpay import FakeLiqPay, liqpay_sign

# The documentation's own example keys (reference §3.2).
DOC_KEY = "your_private_key"
CONFIG = ProviderConfig(code="liqpay", public_key="your_public_key", secret=DOC_KEY, base_url="https://www.liqpay.ua")
FORM = "application/x-www-form-urlencoded"

# The doc's checkout example as GNU base64 prints it: wrapped every 76 characters (§0.5).
DOC_DATA_WRAPPED = (
    "eyAidmVyc2lvbiIgOiAzLCAicHVibGljX2tleSIgOiAieW91cl9wdWJsaWNfa2V5IiwgImFjdGlv\n"
    "biIgOiAicGF5IiwgImFtb3VudCIgOiAxLCAiY3VycmVuY3kiIDogIlVTRCIsICJkZXNjcmlwdGlv\n"
    "biIgOiAiZGVzY3JpcHRpb24gdGV4dCIsICJvcmRlcl9pZCIgOiAib3JkZXJfaWRfMSIgfQ=="
)
# base64('{"amount": "10.00", "order_id": "123456", "status": "success"}') (§0.4).
SDK_TEST_DATA = base64.b64encode(b'{"amount": "10.00", "order_id": "123456", "status": "success"}').decode()


def b64json(payload) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


def form_body(data: str, signature: str) -> bytes:
    return urlencode({"data": data, "signature": signature}).encode()


def paid_record(**overrides) -> dict:
    """A callback payload shaped like LiqPay's (reference §3.3)."""
    record = {
        "action": "pay",
        "payment_id": 2436431155,
        "status": "success",
        "version": 3,
        "type": "buy",
        "paytype": "card",
        "public_key": "your_public_key",
        "order_id": "pay_7f3a",
        "liqpay_order_id": "ZTW7UMEE1691657735617098",
        "description": "Order KR-1042",
        "amount": 7.34,
        "currency": "UAH",
        "sender_commission": 0.0,
        "receiver_commission": 0.11,
        "agent_commission": 0.0,
        "transaction_id": 2436431155,
    }
    record.update(overrides)
    return record


def callback(payload, *, config=CONFIG, key=DOC_KEY):
    data = b64json(payload)
    return LiqPayProvider(config).parse_callback(
        raw_body=form_body(data, sign(key, data)), content_type=FORM, headers={}
    )


def only_update(result):
    (update,) = result.updates
    return update


# --- signature vectors -----------------------------------------------------------------------


def test_signature_reproduces_the_sdk_request_vector():
    params = {
        "version": 3,
        "amount": "10",
        "currency": "USD",
        "action": "pay",
        "order_id": "123456",
        "description": "Test Order",
        "language": "en",
        "public_key": "your_public_key",
    }
    data = base64.b64encode(json.dumps(params, sort_keys=True).encode()).decode()

    assert sign(DOC_KEY, data) == "x4uWEaw2f35T0IoiVfECyKsbIeY="


def test_callback_signed_as_the_docs_say_is_accepted():
    # given the data of the SDK's own callback test, signed over the base64 string (the docs)
    body = form_body(SDK_TEST_DATA, "VGW5QAQa1bALnHZNUa+YVKUZzuU=")

    update = only_update(LiqPayProvider(CONFIG).parse_callback(raw_body=body, content_type=FORM, headers={}))

    assert update.payment_ref == "123456"
    assert update.event is Event.CAPTURED
    assert update.amount == 1000


def test_callback_signed_as_the_sdk_does_is_rejected():
    # the official SDK hashes the decoded JSON instead of the base64 string (§0.4)
    body = form_body(SDK_TEST_DATA, "mImHiMlo8z80jSh7+tWOz0enjIk=")

    with pytest.raises(InvalidSignature):
        LiqPayProvider(CONFIG).parse_callback(raw_body=body, content_type=FORM, headers={})


def test_doc_shell_example_signature_only_holds_with_its_line_wraps():
    unwrapped = DOC_DATA_WRAPPED.replace("\n", "")

    assert sign(DOC_KEY, DOC_DATA_WRAPPED) == "QvJD5u9Fg55PCx/Hdz6lzWtYwcI="
    assert sign(DOC_KEY, unwrapped) == "MPgGw632itnbRVDSd/KyNEGrAsQ="


def test_we_sign_the_one_line_data_and_never_wrap():
    # given the doc example's JSON, long enough that GNU base64 would wrap it
    params = json.loads(base64.b64decode(DOC_DATA_WRAPPED))

    data = encode_data(params)

    assert "\n" not in data
    assert len(data) > 76
    assert json.loads(base64.b64decode(data)) == params


def test_callback_whose_signature_covers_wrapped_data_is_rejected_when_sent_unwrapped():
    body = form_body(DOC_DATA_WRAPPED.replace("\n", ""), "QvJD5u9Fg55PCx/Hdz6lzWtYwcI=")

    with pytest.raises(InvalidSignature):
        LiqPayProvider(CONFIG).parse_callback(raw_body=body, content_type=FORM, headers={})


def test_wrapped_data_is_refused_even_when_its_signature_matches():
    # LiqPay never wraps; a line break in data is not strict base64, and we fail closed
    body = form_body(DOC_DATA_WRAPPED, "QvJD5u9Fg55PCx/Hdz6lzWtYwcI=")

    with pytest.raises(InvalidSignature):
        LiqPayProvider(CONFIG).parse_callback(raw_body=body, content_type=FORM, headers={})


# --- status mapping --------------------------------------------------------------------------

# every *_verify status the reference lists (§3.3)
VERIFY_STEPS = ("otp", "3ds", "cvv", "sender", "receiver", "phone", "ivr", "pin", "captcha", "password")
VERIFY_STEPS += ("senderapp", "p24", "mp")
STATUS_EVENTS = [
    ("success", Event.CAPTURED),
    ("wait_compensation", Event.CAPTURED),
    ("wait_accept", Event.CAPTURED),
    ("failure", Event.FAILED),
    ("error", Event.FAILED),
    ("try_again", Event.FAILED),
    ("reversed", Event.REFUNDED),
    ("wait_reserve", Event.REFUND_PENDING),
    ("hold_wait", Event.PENDING),
    ("processing", Event.PENDING),
    ("prepared", Event.PENDING),
    ("wait_secure", Event.PENDING),
    ("wait_qr", Event.PENDING),
    ("wait_sender", Event.PENDING),
    ("wait_card", Event.PENDING),
    ("wait_lc", Event.PENDING),
    ("invoice_wait", Event.PENDING),
    ("cash_wait", Event.PENDING),
    *[(f"{step}_verify", Event.PENDING) for step in VERIFY_STEPS],
]


@pytest.mark.parametrize(("status", "event"), STATUS_EVENTS)
def test_status_maps_to_event(status, event):
    update = only_update(callback(paid_record(status=status)))

    assert update.event is event
    assert update.provider_status == status


def test_sandbox_payment_is_captured_in_test_mode():
    update = only_update(
        callback(paid_record(status="sandbox"), config=ProviderConfig(**{**vars(CONFIG), "test_mode": True}))
    )

    assert update.event is Event.CAPTURED
    assert update.message == ""


def test_sandbox_payment_is_never_captured_outside_test_mode():
    # a correctly signed sandbox payment made with live keys: authentic, but no money moved
    result = callback(paid_record(status="sandbox"))

    update = only_update(result)
    assert update.event is Event.PENDING
    assert update.message == "sandbox payment refused outside test mode"
    assert result.ack_status == 200


def test_unknown_status_is_pending_and_says_so():
    update = only_update(callback(paid_record(status="subscribed")))

    assert update.event is Event.PENDING
    assert update.message == "unknown LiqPay status 'subscribed'"


# --- callback translation --------------------------------------------------------------------


def test_callback_translates_every_field_and_acks_ok():
    result = callback(paid_record())

    assert result.ack_status == 200
    assert result.ack_body == b"OK"
    assert result.ack_content_type == "text/plain"
    update = only_update(result)
    assert update.payment_ref == "pay_7f3a"
    assert update.event is Event.CAPTURED
    assert update.provider_status == "success"
    assert update.amount == 734
    assert update.currency == "UAH"
    assert update.merchant_id == "your_public_key"
    assert update.provider_payment_id == "2436431155"
    assert update.fee == 11
    assert update.refunded_total is None
    assert update.message == ""
    assert update.dedupe_key == "liqpay:pay_7f3a:2436431155:pay:success"
    assert update.raw == paid_record()


def test_redelivered_callback_has_the_same_dedupe_key_and_a_new_status_a_new_one():
    first = only_update(callback(paid_record(status="processing")))
    again = only_update(callback(paid_record(status="processing")))
    later = only_update(callback(paid_record(status="success")))

    assert first.dedupe_key == again.dedupe_key == "liqpay:pay_7f3a:2436431155:pay:processing"
    assert later.dedupe_key != first.dedupe_key


def test_failure_carries_the_decline_reason():
    update = only_update(callback(paid_record(status="failure", err_code="limit", err_description="Limit exceeded")))

    assert update.event is Event.FAILED
    assert update.message == "Limit exceeded"


def test_amount_given_as_a_decimal_string_is_exact():
    update = only_update(callback(paid_record(amount="1547.36", receiver_commission="23.21")))

    assert update.amount == 154736
    assert update.fee == 2321


def test_missing_commission_leaves_fee_unknown():
    payload = paid_record()
    del payload["receiver_commission"]

    assert only_update(callback(payload)).fee is None


def test_reversed_without_a_refunded_total_means_the_whole_amount():
    update = only_update(callback(paid_record(status="reversed")))

    assert update.event is Event.REFUNDED
    assert update.refunded_total == 734


def test_reversed_with_a_refunded_total_uses_it_and_each_partial_refund_is_a_new_fact():
    first = only_update(callback(paid_record(status="reversed", refund_amount=2.0)))
    second = only_update(callback(paid_record(status="reversed", refund_amount=5.0)))

    assert (first.refunded_total, second.refunded_total) == (200, 500)
    assert first.dedupe_key == "liqpay:pay_7f3a:2436431155:pay:reversed:200"
    assert second.dedupe_key != first.dedupe_key


def test_json_body_with_the_same_fields_is_accepted():
    data = b64json(paid_record())
    body = json.dumps({"data": data, "signature": sign(DOC_KEY, data)}).encode()

    result = LiqPayProvider(CONFIG).parse_callback(raw_body=body, content_type="application/json", headers={})

    assert only_update(result).amount == 734


def test_form_body_with_a_charset_in_its_content_type_is_accepted():
    data = b64json(paid_record())

    result = LiqPayProvider(CONFIG).parse_callback(
        raw_body=form_body(data, sign(DOC_KEY, data)), content_type=f"{FORM}; charset=utf-8", headers={}
    )

    assert only_update(result).event is Event.CAPTURED


# --- failing closed --------------------------------------------------------------------------


def signed_form(data: str) -> bytes:
    return form_body(data, sign(DOC_KEY, data))


def tampered() -> bytes:
    # the amount changed inside the JSON and re-encoded, the old signature kept
    data = b64json(paid_record())
    forged = b64json(paid_record(amount=0.01))
    return form_body(forged, sign(DOC_KEY, data))


GOOD_DATA = b64json(paid_record())
REJECTED_BODIES = {
    "forged with another key": form_body(GOOD_DATA, sign("not_our_private_key", GOOD_DATA)),
    "tampered json": tampered(),
    "truncated data": form_body(GOOD_DATA[:-8], sign(DOC_KEY, GOOD_DATA)),
    "truncated signature": form_body(GOOD_DATA, sign(DOC_KEY, GOOD_DATA)[:-2]),
    "missing signature": urlencode({"data": GOOD_DATA}).encode(),
    "empty signature": form_body(GOOD_DATA, ""),
    "missing data": urlencode({"signature": sign(DOC_KEY, GOOD_DATA)}).encode(),
    "empty body": b"",
    "repeated data": (
        form_body(GOOD_DATA, sign(DOC_KEY, GOOD_DATA))
        + b"&"
        + urlencode({"data": b64json(paid_record(amount=1))}).encode()
    ),
    # a raw "+" in a form body is a space: the docs' valid signature no longer matches
    "plus not url-encoded": f"data={SDK_TEST_DATA}&signature=VGW5QAQa1bALnHZNUa+YVKUZzuU=".encode(),
    "bad base64 (signed)": signed_form("not base64 at all!"),
    "base64 of not json (signed)": signed_form(base64.b64encode(b"hello").decode()),
    "json array (signed)": signed_form(b64json([paid_record()])),
    "no order_id (signed)": signed_form(b64json({k: v for k, v in paid_record().items() if k != "order_id"})),
    "no status (signed)": signed_form(b64json({k: v for k, v in paid_record().items() if k != "status"})),
    "three decimals (signed)": signed_form(b64json(paid_record(amount="7.345"))),
    "not utf-8": b"data=\xff\xfe&signature=x",
}


@pytest.mark.parametrize("body", REJECTED_BODIES.values(), ids=REJECTED_BODIES.keys())
def test_bad_callback_is_refused(body):
    with pytest.raises(InvalidSignature):
        LiqPayProvider(CONFIG).parse_callback(raw_body=body, content_type=FORM, headers={})


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"data": "x"}', b'{"data": 1, "signature": 2}'],
    ids=["empty", "not json", "array", "no signature", "not strings"],
)
def test_bad_json_callback_is_refused(body):
    with pytest.raises(InvalidSignature):
        LiqPayProvider(CONFIG).parse_callback(raw_body=body, content_type="application/json", headers={})


# --- amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "text"),
    [(734, "7.34"), (100, "1"), (5, "0.05"), (150, "1.5"), (0, "0"), (100000, "1000"), (123456789, "1234567.89")],
)
def test_amount_is_written_as_a_decimal_string(minor, text):
    assert format_amount(minor) == text


@pytest.mark.parametrize(
    ("value", "minor"),
    [
        ("7.34", 734),
        (7.34, 734),
        ("1", 100),
        (1, 100),
        (1.0, 100),
        ("0.05", 5),
        (0.05, 5),
        ("1.50", 150),
        (Decimal("7.34"), 734),
        (1234567.89, 123456789),
    ],
)
def test_amount_is_read_exactly(value, minor):
    assert parse_amount(value) == minor


@pytest.mark.parametrize("value", ["7.345", 7.345, "0.001", "-1", -0.01, "NaN", "Infinity", "abc", "", True, None, [1]])
def test_amount_that_is_not_whole_kopiyky_is_refused(value):
    with pytest.raises(ValueError, match=r"."):
        parse_amount(value)


def test_amounts_round_trip_both_ways():
    for minor in range(0, 20001):
        text = format_amount(minor)
        assert parse_amount(text) == minor
        assert parse_amount(float(text)) == minor  # as it comes back inside LiqPay's JSON


@pytest.mark.parametrize("value", [7.34, Decimal("7.34"), "734", -1, True])
def test_only_whole_non_negative_kopiyky_are_written(value):
    with pytest.raises((TypeError, ValueError)):
        format_amount(value)


# --- checkout --------------------------------------------------------------------------------

CHECKOUT = CheckoutRequest(
    payment_ref="pay_7f3a",
    amount=734,
    currency="UAH",
    description="Замовлення KR-1042",
    return_url="https://shop.example/orders/KR-1042/",
    callback_url="https://shop.example/payments/callback/liqpay/pay_7f3a/",
    lifetime_seconds=1800,
)


@pytest.fixture
def frozen_clock(monkeypatch):
    monkeypatch.setattr(liqpay, "_utc_now", lambda: datetime(2026, 3, 1, 23, 45, 0, tzinfo=UTC))


def test_checkout_form_decodes_to_exactly_the_expected_request(frozen_clock):
    session = LiqPayProvider(CONFIG).create_checkout(CHECKOUT)

    assert session.form_action == "https://www.liqpay.ua/api/3/checkout"
    assert session.redirect_url == ""
    assert set(session.form_fields) == {"data", "signature"}
    data = session.form_fields["data"]
    assert "\n" not in data
    assert session.form_fields["signature"] == sign(DOC_KEY, data)
    assert json.loads(base64.b64decode(data, validate=True)) == {
        "version": 3,
        "public_key": "your_public_key",
        "action": "pay",
        "amount": "7.34",
        "currency": "UAH",
        "description": "Замовлення KR-1042",
        "order_id": "pay_7f3a",
        "result_url": "https://shop.example/orders/KR-1042/",
        "server_url": "https://shop.example/payments/callback/liqpay/pay_7f3a/",
        "language": "uk",
        "expired_date": "2026-03-02 00:15:00",
    }


def test_checkout_in_test_mode_asks_for_a_sandbox_payment(frozen_clock):
    session = LiqPayProvider(ProviderConfig(**{**vars(CONFIG), "test_mode": True})).create_checkout(CHECKOUT)

    params = json.loads(base64.b64decode(session.form_fields["data"]))
    assert params["sandbox"] == "1"


def test_checkout_makes_no_http_call(fake):
    LiqPayProvider(fake.config()).create_checkout(CHECKOUT)

    assert fake.requests == []


# --- the API, against the fake ---------------------------------------------------------------


@pytest.fixture
def fake():
    server = FakeLiqPay().start()
    yield server
    server.stop()


@pytest.fixture
def provider(fake):
    return LiqPayProvider(fake.config())


def last_request_data(fake) -> str:
    return parse_qs(fake.requests[-1][1].decode())["data"][0]


def checkout_and_pay(fake, provider, **pay):
    fake.checkout(provider.create_checkout(CHECKOUT).form_fields)
    return fake.pay(CHECKOUT.payment_ref, **pay)


def test_fetch_status_of_a_paid_order(fake, provider):
    record = checkout_and_pay(fake, provider)

    update = provider.fetch_status(payment_ref="pay_7f3a")

    assert update.event is Event.CAPTURED
    assert update.amount == 734
    assert update.currency == "UAH"
    assert update.merchant_id == fake.public_key
    assert update.provider_payment_id == str(record["payment_id"])
    assert update.fee == 11
    assert update.dedupe_key == f"liqpay:pay_7f3a:{record['payment_id']}:pay:success"
    (path, body, headers) = fake.requests[-1]
    assert path == "/api/request"
    assert headers["content-type"] == FORM


def test_status_request_is_signed_one_line_data(fake, provider):
    checkout_and_pay(fake, provider)

    provider.fetch_status(payment_ref="pay_7f3a")

    fields = parse_qs(fake.requests[-1][1].decode(), strict_parsing=True)
    assert set(fields) == {"data", "signature"}
    (data,), (signature,) = fields["data"], fields["signature"]
    assert signature == liqpay_sign(fake.private_key, data)
    assert json.loads(base64.b64decode(data, validate=True)) == {
        "version": 3,
        "public_key": fake.public_key,
        "action": "status",
        "order_id": "pay_7f3a",
    }


def test_status_and_callback_of_the_same_fact_share_a_dedupe_key(fake, provider):
    checkout_and_pay(fake, provider)

    polled = provider.fetch_status(payment_ref="pay_7f3a")
    pushed = only_update(
        provider.parse_callback(raw_body=fake.signed_callback("pay_7f3a"), content_type=FORM, headers={})
    )

    assert pushed.dedupe_key == polled.dedupe_key
    assert pushed.event is Event.CAPTURED


def test_fetch_status_of_a_declined_payment(fake, provider):
    fake.checkout(provider.create_checkout(CHECKOUT).form_fields)
    fake.fail("pay_7f3a", err_description="Card declined")

    update = provider.fetch_status(payment_ref="pay_7f3a")

    assert update.event is Event.FAILED
    assert update.message == "Card declined"


def test_fetch_status_of_an_unknown_order_needs_a_person(provider):
    with pytest.raises(ProviderError) as caught:
        provider.fetch_status(payment_ref="never_paid")

    assert caught.value.transient is False
    assert caught.value.code == "payment_not_found"


def test_fetch_status_with_the_wrong_private_key_is_refused_by_liqpay(fake):
    provider = LiqPayProvider(fake.config(secret="an_old_private_key"))

    with pytest.raises(ProviderError) as caught:
        provider.fetch_status(payment_ref="pay_7f3a")

    assert caught.value.transient is False
    assert caught.value.code == "invalid_signature"


def test_sandbox_checkout_is_captured_only_in_test_mode(fake):
    test_provider = LiqPayProvider(fake.config(test_mode=True))
    fake.checkout(test_provider.create_checkout(CHECKOUT).form_fields)
    fake.pay("pay_7f3a")

    assert test_provider.fetch_status(payment_ref="pay_7f3a").event is Event.CAPTURED
    live = LiqPayProvider(fake.config()).fetch_status(payment_ref="pay_7f3a")
    assert live.event is Event.PENDING
    assert live.message == "sandbox payment refused outside test mode"


def test_full_refund(fake, provider):
    checkout_and_pay(fake, provider)

    result = provider.refund(payment_ref="pay_7f3a", amount=734, currency="UAH", refund_ref="rf_1", reason="Cancelled")

    assert result.event is Event.REFUNDED
    assert result.provider_status == "reversed"
    sent = json.loads(base64.b64decode(last_request_data(fake)))
    assert sent == {
        "version": 3,
        "public_key": fake.public_key,
        "action": "refund",
        "order_id": "pay_7f3a",
        "amount": "7.34",
    }
    after = provider.fetch_status(payment_ref="pay_7f3a")
    assert (after.event, after.refunded_total) == (Event.REFUNDED, 734)


def test_partial_refunds_add_up_and_an_over_refund_fails(fake, provider):
    checkout_and_pay(fake, provider)

    first = provider.refund(payment_ref="pay_7f3a", amount=200, currency="UAH", refund_ref="rf_1", reason="")
    second = provider.refund(payment_ref="pay_7f3a", amount=300, currency="UAH", refund_ref="rf_2", reason="")
    too_much = provider.refund(payment_ref="pay_7f3a", amount=235, currency="UAH", refund_ref="rf_3", reason="")

    assert (first.event, second.event) == (Event.REFUNDED, Event.REFUNDED)
    assert too_much.event is Event.FAILED
    assert too_much.message == "Amount limit was exceeded"
    after = provider.fetch_status(payment_ref="pay_7f3a")
    assert after.refunded_total == 500
    assert fake.refunded["pay_7f3a"] == 500


def test_refund_reserved_by_liqpay_is_pending(fake, provider):
    checkout_and_pay(fake, provider)
    fake.refund_mode = "wait_reserve"

    result = provider.refund(payment_ref="pay_7f3a", amount=734, currency="UAH", refund_ref="rf_1", reason="")

    assert result.event is Event.REFUND_PENDING
    assert provider.fetch_status(payment_ref="pay_7f3a").event is Event.REFUND_PENDING


def test_refund_of_an_unpaid_order_fails_with_liqpays_reason(fake, provider):
    fake.checkout(provider.create_checkout(CHECKOUT).form_fields)
    fake.fail("pay_7f3a")

    result = provider.refund(payment_ref="pay_7f3a", amount=734, currency="UAH", refund_ref="rf_1", reason="")

    assert result.event is Event.FAILED
    assert result.provider_status == "error"
    assert result.message == "Payment status is incorrect"


@pytest.mark.parametrize(("failure", "code"), [(500, "http_500"), (503, "http_503"), ("timeout", "timeout")])
def test_unreachable_liqpay_is_a_transient_error(fake, provider, failure, code):
    checkout_and_pay(fake, provider)
    fake.fail_next(failure, times=2)

    with pytest.raises(ProviderError) as status_error:
        provider.fetch_status(payment_ref="pay_7f3a")
    with pytest.raises(ProviderError) as refund_error:
        provider.refund(payment_ref="pay_7f3a", amount=734, currency="UAH", refund_ref="rf_1", reason="")

    assert (status_error.value.transient, status_error.value.code) == (True, code)
    assert (refund_error.value.transient, refund_error.value.code) == (True, code)
    assert fake.refunded == {}  # a refused refund changed nothing

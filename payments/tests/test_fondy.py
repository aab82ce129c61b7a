"""FondyProvider against the documented vectors and a local fake of Fondy's API."""

import hashlib
import json
from urllib.parse import urlencode

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from urllib3 import encode_multipart_formdata

from payments.providers import get_provider
from payments.providers.base import (
    CheckoutRequest,
    Event,
    InvalidSignature,
    ProviderConfig,
    ProviderError,
)
from payments.providers.fondy import FondyProvider, sign
from payments.tests.fakes.fondy import FakeFondy, fondy_signature

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def fake():
    server = FakeFondy(merchant_id="1396424", secret="test").start()
    yield server
    server.stop()


@pytest.fixture
def provider(fake):
    return FondyProvider(ProviderConfig(code="fondy", merchant_id="1396424", secret="test", base_url=fake.base_url))


def parse(provider, body: bytes, content_type: str = JSON):
    return provider.parse_callback(raw_body=body, content_type=content_type, headers={})


def checkout_request(**overrides) -> CheckoutRequest:
    fields = {
        "payment_ref": "pay-0001",
        "amount": 125050,
        "currency": "UAH",
        "description": "Order 1001",
        "return_url": "https://shop.example/payments/pay-0001/return/",
        "callback_url": "https://shop.example/payments/callback/fondy/pay-0001/",
        "customer_email": "olena@example.com",
        "lifetime_seconds": 1800,
    }
    return CheckoutRequest(**{**fields, **overrides})


# -- the signature: documented vectors (reference §1.2) -------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {
                "server_callback_url": "http://myshop/callback/",
                "order_id": "TestOrder2",
                "currency": "USD",
                "merchant_id": 1396424,
                "order_desc": "Test payment",
                "amount": 1000,
            },
            "91ea7da493a8367410fe3d7f877fb5e0ed666490",
        ),
        (
            {
                "order_id": "test123456",
                "order_desc": "test order",
                "currency": "USD",
                "amount": "125",
                "merchant_id": "1396424",
            },
            "df38818facfbfd79953fa847667dac73a1291127",
        ),
        (
            {
                "server_callback_url": "http://myshop/callback/",
                "order_id": "TestOrder2",
                "currency": "GEL",
                "merchant_id": 1549901,
                "order_desc": "Test payment",
                "amount": 1000,
            },
            "cd0edb710cbbdb6c2a4d965cdb91fdfabc343215",
        ),
    ],
    ids=["fondy-authentication", "hutko-signature-page", "flitt-corrected"],
)
def test_documented_signature_vectors_reproduce(params, expected):
    assert sign(params, "test") == expected


def test_zero_is_signed_and_empty_values_are_not():
    # given a zero, an empty string and a null among the values
    params = {"a": 0, "b": "", "c": None, "d": "x", "e": "0", "signature": "ignored", "response_signature_string": "x"}
    # then 0 and "0" are kept, "" and None are dropped without a separator
    assert sign(params, "s") == hashlib.sha1(b"s|0|x|0").hexdigest()


# The "expired" callback from the docs' signature troubleshooting section. The reference (§0.2)
# says it verifies with merchant 1396424 and USD; the Flitt copy of the page (the one in the
# public docs repository) changed those two values to 1549901/GEL and kept the signature.
DOC_ADDITIONAL_INFO = (
    '{"capture_status": null, "capture_amount": null, "reservation_data": null, "transaction_id": null, '
    '"bank_response_code": null, "bank_response_description": null, "client_fee": null, '
    '"settlement_fee": 0.0, "bank_name": null, "bank_country": null, "card_type": null, '
    '"card_product": null, "card_category": null, "timeend": "01.03.2018 05:18:17", '
    '"ipaddress_v4": "52.30.149.20", "payment_method": null}'
)
DOC_EXPIRED_CALLBACK = {
    "rrn": "",
    "masked_card": "",
    "sender_cell_phone": "",
    "sender_account": "",
    "currency": "USD",
    "fee": "",
    "reversal_amount": "0",
    "settlement_amount": "0",
    "actual_amount": "",
    "response_description": "",
    "sender_email": "",
    "order_status": "expired",
    "response_status": "success",
    "order_time": "28.02.2018 19:18:16",
    "actual_currency": "",
    "order_id": "TestOrder2",
    "tran_type": "purchase",
    "eci": "",
    "settlement_date": "",
    "payment_system": "",
    "approval_code": "",
    "merchant_id": 1396424,
    "settlement_currency": "",
    "payment_id": 83456044,
    "card_bin": "",
    "response_code": "",
    "card_type": "",
    "amount": "1000",
    "signature": "268b8f189f97c85696134fe6ae0f7f5ab93f28d5",
    "product_id": "",
    "merchant_data": "",
    "rectoken": "",
    "rectoken_lifetime": "",
    "verification_status": "",
    "parent_order_id": "",
    "fee_oplata": "0",
    "additional_info": DOC_ADDITIONAL_INFO,
    "response_signature_string": (
        f"**********|{DOC_ADDITIONAL_INFO}|1000|USD|0|1396424|TestOrder2|expired|28.02.2018 19:18:16|83456044"
        "|success|0|0|purchase"
    ),
}


def test_documented_expired_callback_verifies_and_maps_to_expired(provider):
    # given the docs' callback, as Fondy posts it in the {"response": ...} envelope
    body = json.dumps({"response": DOC_EXPIRED_CALLBACK}).encode()
    # when it is parsed
    result = parse(provider, body)
    # then it is accepted and translated exactly
    (update,) = result.updates
    assert update.event is Event.EXPIRED
    assert update.payment_ref == "TestOrder2"
    assert update.provider_status == "expired"
    assert update.amount == 1000
    assert update.currency == "USD"
    assert update.merchant_id == "1396424"
    assert update.provider_payment_id == "83456044"
    assert update.fee is None
    assert update.refunded_total is None
    assert update.message == ""
    assert update.dedupe_key == "fondy:TestOrder2:83456044:expired:purchase:0:"
    assert update.raw == DOC_EXPIRED_CALLBACK
    # and our signed string is the one the docs print, the masked key aside
    assert DOC_EXPIRED_CALLBACK["response_signature_string"].startswith("**********|")
    assert sign(DOC_EXPIRED_CALLBACK, "test") == DOC_EXPIRED_CALLBACK["signature"]


def test_flitt_copy_of_the_documented_callback_does_not_verify(provider):
    # the Flitt page changed merchant and currency but kept Fondy's signature (reference §0.2)
    body = json.dumps({**DOC_EXPIRED_CALLBACK, "merchant_id": 1549901, "currency": "GEL"}).encode()
    with pytest.raises(InvalidSignature):
        parse(provider, body)


# -- callbacks: status mapping ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_state", "event", "provider_status", "refunded_total", "fee", "message"),
    [
        (lambda f: None, Event.PENDING, "created", None, None, ""),
        (lambda f: f.process("A1"), Event.PENDING, "processing", None, None, ""),
        (lambda f: f.approve("A1", fee=2550), Event.CAPTURED, "approved", None, 2550, ""),
        (lambda f: f.approve("A1", fee=0), Event.CAPTURED, "approved", None, 0, ""),
        (lambda f: f.decline("A1"), Event.FAILED, "declined", None, None, "Declined by issuer"),
        (lambda f: f.expire("A1"), Event.EXPIRED, "expired", None, None, ""),
    ],
    ids=["created", "processing", "approved", "approved-zero-fee", "declined", "expired"],
)
def test_callback_status_maps_to_event(
    fake, provider, given_state, event, provider_status, refunded_total, fee, message
):
    # given an order in the state under test
    order = fake.add_order("A1", amount=125050, currency="UAH")
    given_state(fake)
    # when its callback arrives
    result = parse(provider, fake.signed_callback("A1"))
    # then it becomes exactly this update, acknowledged with 200 OK
    (update,) = result.updates
    assert update.event is event
    assert update.provider_status == provider_status
    assert update.payment_ref == "A1"
    assert update.amount == 125050
    assert update.currency == "UAH"
    assert update.merchant_id == "1396424"
    assert update.provider_payment_id == str(order["payment_id"])
    assert update.fee == fee
    assert update.refunded_total == refunded_total
    assert update.message == message
    assert (result.ack_status, result.ack_body, result.ack_content_type) == (200, b"OK", "text/plain")


def test_callback_after_partial_then_full_reversal(fake, provider):
    # given an approved order of 1000.00 UAH
    fake.add_order("A1", amount=100000, currency="UAH")
    fake.approve("A1", fee=2000)
    # when 300.00 is reversed
    provider.refund(payment_ref="A1", amount=30000, currency="UAH", refund_ref="r1", reason="one item returned")
    partial = parse(provider, fake.signed_callback("A1", tran_type="reverse")).updates[0]
    # then the callback says refunded, 300.00 so far
    assert (partial.event, partial.provider_status, partial.refunded_total) == (Event.REFUNDED, "reversed", 30000)
    assert partial.amount == 100000
    # when the rest is reversed
    provider.refund(payment_ref="A1", amount=70000, currency="UAH", refund_ref="r2", reason="order cancelled")
    full = parse(provider, fake.signed_callback("A1", tran_type="reverse")).updates[0]
    # then the total is the whole amount, and it is a new fact (a new dedupe key)
    assert (full.event, full.refunded_total) == (Event.REFUNDED, 100000)
    assert full.dedupe_key != partial.dedupe_key
    assert full.dedupe_key == f"fondy:A1:{fake.orders['A1']['payment_id']}:reversed:reverse:100000:"


def test_declined_reversal_callback_does_not_fail_the_payment(fake, provider):
    fake.add_order("A1", amount=1000)
    fake.approve("A1")
    body = fake.signed_callback("A1", tran_type="reverse", order_status="declined", response_code=1005)
    (update,) = parse(provider, body).updates
    assert (update.event, update.provider_status) == (Event.PENDING, "declined")


def test_unknown_order_status_changes_nothing(fake, provider):
    fake.add_order("A1", amount=1000)
    (update,) = parse(provider, fake.signed_callback("A1", order_status="on_hold")).updates
    assert (update.event, update.provider_status) == (Event.PENDING, "on_hold")


def test_redelivery_has_the_same_dedupe_key_and_a_failed_attempt_a_new_one(fake, provider):
    # given a delayed=Y order: processing, then one failed attempt (a response_code)
    order = fake.add_order("A1", amount=1000)
    fake.process("A1")
    first = parse(provider, fake.signed_callback("A1")).updates[0]
    again = parse(provider, fake.signed_callback("A1")).updates[0]
    fake.process("A1", response_code=1005, response_description="Declined by issuer")
    attempt = parse(provider, fake.signed_callback("A1")).updates[0]
    # then a redelivery dedupes and the failed attempt does not
    assert first.dedupe_key == again.dedupe_key == f"fondy:A1:{order['payment_id']}:processing:purchase:0:"
    assert attempt.dedupe_key == f"fondy:A1:{order['payment_id']}:processing:purchase:0:1005"
    assert (attempt.event, attempt.message) == (Event.PENDING, "Declined by issuer")


# -- callbacks: transports -------------------------------------------------------------------


def test_json_form_wrapped_and_multipart_callbacks_give_the_same_update(fake, provider):
    # given one approved order, delivered in every transport Fondy may use
    fake.add_order("A1", amount=4600, currency="UAH")
    fake.approve("A1", fee=120)
    fields = fake.signed_callback_fields("A1")
    multipart_body, multipart_type = encode_multipart_formdata({k: str(v) for k, v in fields.items()})
    bodies = [
        (fake.signed_callback("A1"), JSON),
        (fake.signed_callback("A1", wrap=True), JSON),
        (fake.signed_callback("A1"), "application/json; charset=utf-8"),
        (fake.signed_callback("A1", wrap=True), ""),  # no content type: sniffed
        (fake.signed_callback_form("A1"), FORM),
        (fake.signed_callback_form("A1"), FORM + "; charset=UTF-8"),
        (multipart_body, multipart_type),
    ]
    # when each is parsed
    updates = [parse(provider, body, ctype).updates[0] for body, ctype in bodies]
    # then all say the same thing
    for update in updates:
        assert update.event is Event.CAPTURED
        assert (update.amount, update.currency, update.fee) == (4600, "UAH", 120)
        assert update.merchant_id == "1396424"
    assert len({u.dedupe_key for u in updates}) == 1
    # and raw keeps every received field (form values as strings)
    assert updates[0].raw == fields
    assert updates[4].raw == {k: str(v) for k, v in fields.items()}


def test_non_ascii_values_are_signed_as_utf8(fake, provider):
    fake.add_order("A1", amount=1000, order_desc="Замовлення №1")
    body = fake.signed_callback("A1", response_description="Недостатньо коштів", order_status="declined")
    assert parse(provider, body).updates[0].message == "Недостатньо коштів"
    form = fake.signed_callback_form("A1", response_description="Недостатньо коштів", order_status="declined")
    assert parse(provider, form, FORM).updates[0].message == "Недостатньо коштів"


# -- callbacks: fail closed ------------------------------------------------------------------


@pytest.fixture
def approved(fake):
    fake.add_order("A1", amount=125050, currency="UAH")
    fake.approve("A1", fee=2550)
    return fake.signed_callback_fields("A1")


def test_forged_with_another_secret_is_refused(fake, provider):
    fake.add_order("A1", amount=1000)
    fake.approve("A1")
    for body, ctype in [
        (fake.signed_callback("A1", secret="not-our-secret"), JSON),
        (fake.signed_callback_form("A1", secret="not-our-secret"), FORM),
        (fake.signed_callback("A1", secret=""), JSON),
    ]:
        with pytest.raises(InvalidSignature):
            parse(provider, body, ctype)


def _every_field(fields: dict) -> list[str]:
    return sorted(set(fields) - {"signature", "response_signature_string"})


def test_tampering_with_any_signed_field_is_refused(provider, approved):
    # given a genuine approved callback, each signed field is changed in turn
    assert parse(provider, json.dumps(approved).encode()).updates[0].event is Event.CAPTURED
    fields = _every_field(approved)
    assert len(fields) == 36
    for name in fields:
        value = approved[name]
        changed = "1" if value in ("", None) else f"{value}0"
        for body, ctype in [
            (json.dumps({**approved, name: changed}).encode(), JSON),
            (urlencode({**approved, name: changed}).encode(), FORM),
        ]:
            with pytest.raises(InvalidSignature):
                parse(provider, body, ctype)
        if value not in ("", None):
            # dropping a non-empty field changes the signed string too
            without = {k: v for k, v in approved.items() if k != name}
            with pytest.raises(InvalidSignature):
                parse(provider, json.dumps(without).encode())


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_change_to_a_signed_value_is_refused(provider, approved, data):
    name = data.draw(st.sampled_from(_every_field(approved)))
    new_value = data.draw(st.one_of(st.text(min_size=1), st.integers().map(str)))
    assume(new_value != str(approved[name]))
    with pytest.raises(InvalidSignature):
        parse(provider, json.dumps({**approved, name: new_value}).encode())


def test_an_added_field_is_refused(provider, approved):
    with pytest.raises(InvalidSignature):
        parse(provider, json.dumps({**approved, "merchant_data": "injected"}).encode())
    with pytest.raises(InvalidSignature):
        parse(provider, json.dumps({**approved, "zz_extra": "0"}).encode())


def test_fields_outside_the_signature_may_change(provider, approved):
    # response_signature_string is a test-mode hint, excluded by the protocol; empty fields sign as absent
    body = json.dumps(
        {**approved, "response_signature_string": "anything", "rrn": approved["rrn"], "product_id": None}
    ).encode()
    assert parse(provider, body).updates[0].event is Event.CAPTURED


def test_zero_values_are_part_of_the_signed_string(fake, provider):
    # given a callback whose zeros Fondy signed (reversal_amount "0", fee "0", fee_oplata "0")
    fake.add_order("A1", amount=1000)
    fake.approve("A1", fee=0)
    fields = fake.signed_callback_fields("A1")
    assert (fields["reversal_amount"], fields["fee"], fields["fee_oplata"]) == ("0", "0", "0")
    assert parse(provider, json.dumps(fields).encode()).updates[0].fee == 0
    # when a signer had dropped the zeros as if they were empty
    zeros_dropped = {k: ("" if v in ("0", 0) else v) for k, v in fields.items()}
    wrong = {**fields, "signature": fondy_signature(zeros_dropped, "test")}
    # then that signature does not match ours
    with pytest.raises(InvalidSignature):
        parse(provider, json.dumps(wrong).encode())


def test_signature_of_a_different_payload_is_refused(fake, provider):
    fake.add_order("A1", amount=1000)
    fake.add_order("B2", amount=1000)
    fake.approve("A1")
    fake.approve("B2")
    other = fake.signed_callback_fields("B2")
    body = json.dumps({**fake.signed_callback_fields("A1"), "signature": other["signature"]}).encode()
    with pytest.raises(InvalidSignature):
        parse(provider, body)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", JSON),
        (b"", FORM),
        (b"", ""),
        (b"{}", JSON),
        (b"null", JSON),
        (b"[]", JSON),
        (b'"signature"', JSON),
        (b'{"response": []}', JSON),
        (b"\xff\xfe{}", JSON),
        (b"signature=&order_id=A1", FORM),
        (b"%ZZ", FORM),
        (b"not a form at all", "text/plain"),
        (b"--x\r\n\r\n--x--", "multipart/form-data; boundary=x"),
        (b"[" * 100000, JSON),
    ],
)
def test_unreadable_or_unsigned_bodies_are_refused(provider, body, content_type):
    with pytest.raises(InvalidSignature):
        parse(provider, body, content_type)


def test_truncated_body_is_refused(fake, provider, approved):
    body = json.dumps(approved).encode()
    for cut in (1, 2, len(body) // 2, len(body) - 1):
        with pytest.raises(InvalidSignature):
            parse(provider, body[:cut])
    form = fake.signed_callback_form("A1")
    # the last form field is the signature: cutting into it, or dropping it, is refused
    for cut in (len(form) - 1, len(form) - 41, form.rindex(b"&")):
        with pytest.raises(InvalidSignature):
            parse(provider, form[:cut], FORM)


def test_missing_or_malformed_signature_is_refused(provider, approved):
    without = {k: v for k, v in approved.items() if k != "signature"}
    for fields in (
        without,
        {**without, "signature": ""},
        {**without, "signature": None},
        {**without, "signature": 0},
        {**without, "signature": [approved["signature"]]},
        {**without, "signature": approved["signature"].upper()},
    ):
        with pytest.raises(InvalidSignature):
            parse(provider, json.dumps(fields).encode())


def test_duplicate_form_field_is_refused(fake, provider, approved):
    form = fake.signed_callback_form("A1") + b"&order_status=approved"
    with pytest.raises(InvalidSignature):
        parse(provider, form, FORM)


def test_signed_callback_without_order_id_or_status_is_refused(fake, provider):
    fake.add_order("A1", amount=1000)
    for body in (fake.signed_callback("A1", order_id=None), fake.signed_callback("A1", order_status=None)):
        with pytest.raises(InvalidSignature):
            parse(provider, body)


@pytest.mark.parametrize("field", ["amount", "fee", "reversal_amount"])
@pytest.mark.parametrize("value", ["10.50", "1_000", " 1000", "\u0661\u0660", "1e3", True, 10.5, [1000]])
def test_signed_callback_with_a_non_integer_amount_is_refused(fake, provider, field, value):
    fake.add_order("A1", amount=1000)
    fake.approve("A1")
    with pytest.raises(InvalidSignature):
        parse(provider, fake.signed_callback("A1", **{field: value}))


def test_empty_secret_never_verifies(fake):
    fake.add_order("A1", amount=1000)
    unconfigured = FondyProvider(ProviderConfig(code="fondy", merchant_id="1396424", secret="", base_url=""))
    with pytest.raises(InvalidSignature):
        parse(unconfigured, fake.signed_callback("A1", secret=""))


# -- create_checkout -------------------------------------------------------------------------


def test_create_checkout_sends_exactly_the_signed_fields_and_returns_the_redirect(fake, provider):
    # when a checkout is created
    session = provider.create_checkout(checkout_request())
    # then one request went to /checkout/url/ with exactly these fields
    ((path, body, headers),) = fake.requests
    assert path == "/checkout/url/"
    assert headers["content-type"] == "application/json"
    sent = json.loads(body)
    assert list(sent) == ["request"]
    request = sent["request"]
    assert request == {
        "order_id": "pay-0001",
        "order_desc": "Order 1001",
        "amount": 125050,
        "currency": "UAH",
        "merchant_id": 1396424,
        "response_url": "https://shop.example/payments/pay-0001/return/",
        "server_callback_url": "https://shop.example/payments/callback/fondy/pay-0001/",
        "lifetime": 1800,
        "sender_email": "olena@example.com",
        "version": "1.0.1",
        "signature": fondy_signature(request, "test"),
    }
    # and the shopper is sent to Fondy's page for the new order
    order = fake.orders["pay-0001"]
    assert session.redirect_url == fake.checkout_url("pay-0001")
    assert session.provider_payment_id == str(order["payment_id"])
    assert (session.form_action, dict(session.form_fields)) == ("", {})


def test_create_checkout_without_email_does_not_send_sender_email(fake, provider):
    provider.create_checkout(checkout_request(customer_email=""))
    request = json.loads(fake.requests[0][1])["request"]
    assert "sender_email" not in request
    assert request["lifetime"] == 1800


@pytest.mark.parametrize(
    ("config", "code", "message"),
    [
        ({"secret": "wrong"}, "1014", "Invalid signature"),
        ({"merchant_id": "1000"}, "1016", "Merchant not found"),
    ],
)
def test_create_checkout_refused_by_fondy_is_a_permanent_error(fake, config, code, message):
    settings_ = {"code": "fondy", "merchant_id": "1396424", "secret": "test", "base_url": fake.base_url, **config}
    provider = FondyProvider(ProviderConfig(**settings_))
    with pytest.raises(ProviderError) as caught:
        provider.create_checkout(checkout_request())
    assert (caught.value.transient, caught.value.code) == (False, code)
    assert message in str(caught.value)
    assert fake.orders == {}


def test_create_checkout_with_a_missing_parameter_is_a_permanent_error(fake, provider):
    with pytest.raises(ProviderError) as caught:
        provider.create_checkout(checkout_request(description=""))
    assert (caught.value.transient, caught.value.code) == (False, "1008")
    assert "order_desc" in str(caught.value)


# -- fetch_status ----------------------------------------------------------------------------


def test_fetch_status_approved(fake, provider):
    # given a paid order
    provider.create_checkout(checkout_request())
    fake.approve("pay-0001", fee=3126)
    # when its status is asked
    update = provider.fetch_status(payment_ref="pay-0001")
    # then the signed request was exactly this
    request = json.loads(fake.requests[-1][1])["request"]
    assert fake.requests[-1][0] == "/status/order_id"
    assert request == {
        "order_id": "pay-0001",
        "merchant_id": 1396424,
        "version": "1.0.1",
        "signature": fondy_signature(request, "test"),
    }
    # and the answer translates like a callback would
    payment_id = fake.orders["pay-0001"]["payment_id"]
    assert update.event is Event.CAPTURED
    assert (update.payment_ref, update.provider_status) == ("pay-0001", "approved")
    assert (update.amount, update.currency, update.merchant_id, update.fee) == (125050, "UAH", "1396424", 3126)
    assert update.provider_payment_id == str(payment_id)
    assert update.dedupe_key == f"fondy:pay-0001:{payment_id}:approved:purchase:0:"
    assert update.raw["masked_card"] == "444455XXXXXX1111"


def test_fetch_status_declined_created_and_reversed(fake, provider):
    provider.create_checkout(checkout_request())
    assert provider.fetch_status(payment_ref="pay-0001").event is Event.PENDING
    fake.decline("pay-0001", response_code=1005, response_description="Insufficient funds")
    declined = provider.fetch_status(payment_ref="pay-0001")
    assert (declined.event, declined.provider_status, declined.message) == (
        Event.FAILED,
        "declined",
        "Insufficient funds",
    )
    fake.approve("pay-0001")
    provider.refund(payment_ref="pay-0001", amount=50, currency="UAH", refund_ref="r1", reason="")
    assert "comment" not in json.loads(fake.requests[-1][1])["request"]
    reversed_ = provider.fetch_status(payment_ref="pay-0001")
    assert (reversed_.event, reversed_.refunded_total) == (Event.REFUNDED, 50)


def test_fetch_status_of_an_unknown_order_is_a_permanent_error(provider):
    with pytest.raises(ProviderError) as caught:
        provider.fetch_status(payment_ref="never-created")
    assert (caught.value.transient, caught.value.code) == (False, "1018")
    assert "Order not found" in str(caught.value)


def test_fetch_status_with_a_bad_response_signature_is_refused(fake, provider):
    provider.create_checkout(checkout_request())
    fake.approve("pay-0001")
    fake.tamper_next_response()
    with pytest.raises(ProviderError) as caught:
        provider.fetch_status(payment_ref="pay-0001")
    assert (caught.value.transient, caught.value.code) == (False, "bad_signature")


# -- refund ----------------------------------------------------------------------------------


def test_refund_approved_partial_then_full(fake, provider):
    # given an approved order of 1250.50 UAH
    provider.create_checkout(checkout_request())
    fake.approve("pay-0001")
    # when 250.50 is returned
    result = provider.refund(
        payment_ref="pay-0001", amount=25050, currency="UAH", refund_ref="r1", reason="one item returned"
    )
    # then the exact signed request was sent and Fondy reversed it
    path, body, _ = fake.requests[-1]
    request = json.loads(body)["request"]
    assert path == "/reverse/order_id"
    assert request == {
        "order_id": "pay-0001",
        "amount": 25050,
        "currency": "UAH",
        "comment": "one item returned",
        "merchant_id": 1396424,
        "version": "1.0.1",
        "signature": fondy_signature(request, "test"),
    }
    assert (result.event, result.provider_status, result.message) == (Event.REFUNDED, "approved", "")
    assert fake.orders["pay-0001"]["reversal_amount"] == 25050
    # when the remaining 1000.00 is returned
    second = provider.refund(payment_ref="pay-0001", amount=100000, currency="UAH", refund_ref="r2", reason="rest")
    # then the order is fully reversed
    assert second.event is Event.REFUNDED
    status = provider.fetch_status(payment_ref="pay-0001")
    assert (status.event, status.provider_status, status.refunded_total) == (Event.REFUNDED, "reversed", 125050)


def test_refund_created_is_pending_until_fondy_settles_it(fake, provider):
    provider.create_checkout(checkout_request())
    fake.approve("pay-0001")
    fake.reverse_outcomes.append("created")
    result = provider.refund(payment_ref="pay-0001", amount=125050, currency="UAH", refund_ref="r1", reason="x")
    assert (result.event, result.provider_status) == (Event.REFUND_PENDING, "created")
    assert provider.fetch_status(payment_ref="pay-0001").event is Event.CAPTURED
    fake.complete_reversal("pay-0001")
    status = provider.fetch_status(payment_ref="pay-0001")
    assert (status.event, status.refunded_total) == (Event.REFUNDED, 125050)


def test_refund_declined(fake, provider):
    # given an approved order
    provider.create_checkout(checkout_request())
    fake.approve("pay-0001")
    # when more than was paid is asked back
    result = provider.refund(payment_ref="pay-0001", amount=125051, currency="UAH", refund_ref="r1", reason="x")
    # then Fondy declines and nothing was reversed
    assert (result.event, result.provider_status) == (Event.FAILED, "declined")
    assert result.message == "Reversal amount exceeds the order amount"
    assert fake.orders["pay-0001"]["reversal_amount"] == 0
    # and a decline by Fondy's own choice carries its description
    fake.reverse_outcomes.append("declined")
    result = provider.refund(payment_ref="pay-0001", amount=100, currency="UAH", refund_ref="r2", reason="x")
    assert (result.event, result.message) == (Event.FAILED, "Reversal declined")


def test_refund_refused_by_fondy_is_a_permanent_error(fake, provider):
    with pytest.raises(ProviderError) as caught:
        provider.refund(payment_ref="never-created", amount=100, currency="UAH", refund_ref="r1", reason="x")
    assert (caught.value.transient, caught.value.code) == (False, "1018")


def test_refund_with_a_bad_response_signature_is_refused(fake, provider):
    provider.create_checkout(checkout_request())
    fake.approve("pay-0001")
    fake.tamper_next_response()
    with pytest.raises(ProviderError) as caught:
        provider.refund(payment_ref="pay-0001", amount=100, currency="UAH", refund_ref="r1", reason="x")
    assert (caught.value.transient, caught.value.code) == (False, "bad_signature")


# -- transport failures ----------------------------------------------------------------------


def _every_call(provider):
    return [
        lambda: provider.create_checkout(checkout_request()),
        lambda: provider.fetch_status(payment_ref="pay-0001"),
        lambda: provider.refund(payment_ref="pay-0001", amount=100, currency="UAH", refund_ref="r1", reason="x"),
    ]


@pytest.mark.parametrize(("failure", "code"), [(500, "http_500"), (503, "http_503"), ("timeout", "timeout")])
def test_server_errors_and_timeouts_are_transient(fake, failure, code):
    provider = FondyProvider(
        ProviderConfig(code="fondy", merchant_id="1396424", secret="test", base_url=fake.base_url, timeout=1)
    )
    for call in _every_call(provider):
        fake.fail_next(failure)
        with pytest.raises(ProviderError) as caught:
            call()
        assert (caught.value.transient, caught.value.code) == (True, code)
    assert fake.orders == {}


def test_unreachable_fondy_is_transient():
    provider = FondyProvider(
        ProviderConfig(code="fondy", merchant_id="1396424", secret="test", base_url="http://127.0.0.1:9", timeout=1)
    )
    for call in _every_call(provider):
        with pytest.raises(ProviderError) as caught:
            call()
        assert caught.value.transient is True


def test_an_answer_without_a_response_object_is_a_permanent_error(fake, provider, monkeypatch):
    monkeypatch.setattr(fake, "handle", lambda path, body, headers: (200, b'{"error": "?"}', "application/json"))
    with pytest.raises(ProviderError) as caught:
        provider.create_checkout(checkout_request())
    assert (caught.value.transient, caught.value.code) == (False, "bad_response")


# -- hutko and Flitt: the same class, another base URL --------------------------------------


@pytest.mark.parametrize("trailing_slash", ["", "/"])
def test_hutko_base_url_just_works(trailing_slash):
    # given hutko's API under /api, with its own merchant
    hutko = FakeFondy(merchant_id="1700002", secret="test", prefix="/api").start()
    try:
        provider = FondyProvider(
            ProviderConfig(
                code="fondy", merchant_id="1700002", secret="test", base_url=hutko.base_url + "/api" + trailing_slash
            )
        )
        # when the whole cycle runs
        session = provider.create_checkout(checkout_request())
        hutko.approve("pay-0001", fee=10)
        callback = parse(provider, hutko.signed_callback("pay-0001", wrap=True)).updates[0]
        status = provider.fetch_status(payment_ref="pay-0001")
        refund = provider.refund(payment_ref="pay-0001", amount=125050, currency="UAH", refund_ref="r", reason="x")
        # then it speaks to /api/... and everything checks out
        assert [path for path, _, _ in hutko.requests] == [
            "/api/checkout/url/",
            "/api/status/order_id",
            "/api/reverse/order_id",
        ]
        assert session.redirect_url == hutko.checkout_url("pay-0001")
        assert (callback.event, callback.merchant_id) == (Event.CAPTURED, "1700002")
        assert (status.event, status.merchant_id, status.fee) == (Event.CAPTURED, "1700002", 10)
        assert refund.event is Event.REFUNDED
    finally:
        hutko.stop()


def test_a_fondy_callback_is_not_valid_for_a_flitt_merchant_with_another_secret(fake):
    fake.add_order("A1", amount=1000)
    flitt = FondyProvider(
        ProviderConfig(code="fondy", merchant_id="1549901", secret="flitt-secret", base_url="https://pay.flitt.com/api")
    )
    with pytest.raises(InvalidSignature):
        parse(flitt, fake.signed_callback("A1"))


# -- registry --------------------------------------------------------------------------------


def test_registry_builds_the_adapter_from_settings():
    conf = {"enabled": True, "merchant_id": "1396424", "secret": "test", "base_url": "https://pay.hutko.org/api"}
    with override_settings(PAYMENT_PROVIDERS={"fondy": conf}):
        provider = get_provider("fondy")
    assert isinstance(provider, FondyProvider)
    assert (provider.code, provider.label) == ("fondy", "Fondy")
    assert provider.config == ProviderConfig(
        code="fondy", merchant_id="1396424", secret="test", base_url="https://pay.hutko.org/api"
    )

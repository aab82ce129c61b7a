"""WayForPay adapter: the reference's signature vectors, callbacks, and the API against a fake."""

import json
from urllib.parse import quote_plus, urlencode

import pytest

from payments.providers.base import (
    CheckoutRequest,
    Event,
    InvalidSignature,
    ProviderConfig,
    ProviderError,
)
from payments.providers.wayforpay import WayForPayProvider, format_amount, parse_amount, sign
from payments.tests.fakes.wayforpay import TEST_DOMAIN, TEST_MERCHANT, TEST_SECRET, FakeWayForPay

NOW = 1415379863  # the orderDate and ack time of the reference's vectors (§2.6)

UA_ITEMS = (
    ("Процесор Intel Core i5-4670 3.4GHz", 1, 100000),
    ("Пам'ять Kingston DDR3-1600 4096MB PC3-12800", 1, 54736),
)
RU_ITEMS = (
    ("Процессор Intel Core i5-4670 3.4GHz", 1, 100000),
    ("Память Kingston DDR3-1600 4096MB PC3-12800", 1, 54736),
)

SIGNED_FIELDS = (
    "merchantAccount",
    "orderReference",
    "amount",
    "currency",
    "authCode",
    "cardPan",
    "transactionStatus",
    "reasonCode",
)


def make_provider(base_url: str = "https://api.wayforpay.com", *, secret: str = TEST_SECRET, timeout: float = 5):
    config = ProviderConfig(
        code="wayforpay",
        merchant_id=TEST_MERCHANT,
        secret=secret,
        merchant_domain=TEST_DOMAIN,
        base_url=base_url,
        timeout=timeout,
    )
    return WayForPayProvider(config, clock=lambda: NOW)


def checkout_request(payment_ref: str = "DH783023", *, amount: int = 154736, items=UA_ITEMS, email: str = ""):
    return CheckoutRequest(
        payment_ref=payment_ref,
        amount=amount,
        currency="UAH",
        description="Order KR-1001",
        return_url="https://shop.example/pay/return/",
        callback_url="https://shop.example/payments/callback/wayforpay/DH783023/",
        customer_email=email,
        lifetime_seconds=1800,
        items=items,
    )


def trusted(update) -> tuple:
    """Everything the core decides on (all from signed fields)."""
    return (
        update.payment_ref,
        update.event,
        update.provider_status,
        update.dedupe_key,
        update.amount,
        update.currency,
        update.merchant_id,
        update.refunded_total,
    )


def signed_fields(*values: str) -> dict:
    return dict(zip(SIGNED_FIELDS, values, strict=True))


def parse(provider, body: bytes, content_type: str = "application/json"):
    return provider.parse_callback(raw_body=body, content_type=content_type, headers={})


@pytest.fixture(scope="module")
def _server():
    server = FakeWayForPay().start()
    yield server
    server.stop()


@pytest.fixture
def fake(_server):
    _server.reset()
    return _server


@pytest.fixture
def provider(fake):
    return make_provider(fake.base_url)


@pytest.fixture
def offline():
    """For callbacks: no network is involved."""
    return make_provider()


@pytest.fixture
def approved(fake):
    """A paid order DH783023 of 1547.36 UAH, known to the fake."""
    fake.add_order("DH783023", amount=154736)
    fake.approve("DH783023")
    return fake


# --- §2.6: the reference's reproducible vectors -------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "test_merch_n1;www.market.ua;DH783023;1415379863;1547.36;UAH;Процесор Intel Core i5-4670 3.4GHz;"
            "Пам'ять Kingston DDR3-1600 4096MB PC3-12800;1;1;1000;547.36",
            "ee828f71ed93441c07eb3eef67762a5c",
        ),
        (
            "test_merch_n1;www.market.ua;DH783023;1415379863;1547.36;UAH;Процессор Intel Core i5-4670 3.4GHz;"
            "Память Kingston DDR3-1600 4096MB PC3-12800;1;1;1000;547.36",
            "c9bc2d1b724bf410e36f6d6adc0d3c45",
        ),
        ("test_merch_n1;DH783023", "b1877c0b08a7d49a579f18ed68855ec6"),
        ("test_merch_n1;DH783023;1547.36;UAH", "aeef7da70d54098937a7930f64193710"),
        (
            "test_merch_n1;DH783023;1547.36;UAH;541963;41****8217;Approved;1100",
            "ee460de4b316672fa974295ed4dba738",
        ),
        ("DH783023;accept;1415379863", "bd8d3443f99fb2c7a8b610ac600c80b0"),
    ],
)
def test_sign_reproduces_the_reference_vectors(message, expected):
    assert sign(TEST_SECRET, message.split(";")) == expected


def test_the_wiki_purchase_signature_is_a_documentation_artefact():
    # given the wiki's printed purchase signature, which the reference could not reproduce
    wiki = "b95932786cbe243a76b014846b63fe92"
    # then neither spelling of the product names produces it with the published test key
    for items in (UA_ITEMS, RU_ITEMS):
        values = ["test_merch_n1", "www.market.ua", "DH783023", NOW, "1547.36", "UAH"]
        values += [name for name, _, _ in items] + ["1", "1", "1000", "547.36"]
        assert sign(TEST_SECRET, values) != wiki


@pytest.mark.parametrize(
    ("items", "expected"),
    [(UA_ITEMS, "ee828f71ed93441c07eb3eef67762a5c"), (RU_ITEMS, "c9bc2d1b724bf410e36f6d6adc0d3c45")],
)
def test_create_checkout_signs_the_reference_purchase_vector(fake, provider, items, expected):
    # when the reference's order is created at the reference's orderDate
    provider.create_checkout(checkout_request(items=items))
    # then the invoice request carries the reference signature
    (request,) = fake.api_requests()
    assert request["merchantSignature"] == expected


def test_check_status_request_signs_the_reference_vector(approved, provider):
    provider.fetch_status(payment_ref="DH783023")
    (request,) = approved.api_requests()
    assert request["merchantSignature"] == "b1877c0b08a7d49a579f18ed68855ec6"


def test_refund_request_signs_the_reference_vector(approved, provider):
    provider.refund(payment_ref="DH783023", amount=154736, currency="UAH", refund_ref="R-1", reason="Returned")
    (request,) = approved.api_requests()
    assert request["merchantSignature"] == "aeef7da70d54098937a7930f64193710"


def test_the_reference_callback_vector_verifies(offline):
    # given the reference's synthetic callback, as WayForPay would post it
    body = json.dumps(
        {
            "merchantAccount": "test_merch_n1",
            "orderReference": "DH783023",
            "merchantSignature": "ee460de4b316672fa974295ed4dba738",
            "amount": 1547.36,
            "currency": "UAH",
            "authCode": "541963",
            "email": "client@mail.ua",
            "phone": "380501234567",
            "createdDate": 1415379863,
            "processingDate": 1415379863,
            "cardPan": "41****8217",
            "cardType": "Visa",
            "issuerBankCountry": "980",
            "issuerBankName": "Privatbank",
            "recToken": "",
            "transactionStatus": "Approved",
            "reason": "Ok",
            "reasonCode": 1100,
            "fee": 0,
            "paymentSystem": "card",
        }
    ).encode()
    # when it is parsed
    result = parse(offline, body)
    # then it is a capture of exactly 1547.36 UAH for our merchant
    (update,) = result.updates
    assert trusted(update) == (
        "DH783023",
        Event.CAPTURED,
        "Approved",
        "wayforpay:DH783023:Approved:1100:541963",
        154736,
        "UAH",
        "test_merch_n1",
        None,
    )
    assert update.fee == 0
    assert update.message == "Ok"


def test_the_accept_answer_is_the_reference_vector(approved, offline):
    result = parse(offline, approved.signed_callback("DH783023"))
    assert result.ack_status == 200
    assert result.ack_content_type == "application/json"
    assert json.loads(result.ack_body) == {
        "orderReference": "DH783023",
        "status": "accept",
        "time": 1415379863,
        "signature": "bd8d3443f99fb2c7a8b610ac600c80b0",
    }


def test_declined_callbacks_are_accepted_too(approved, offline):
    # the ack means "received", not "approved": without it WayForPay keeps re-sending
    approved.decline("DH783023")
    result = parse(offline, approved.signed_callback("DH783023"))
    assert result.updates[0].event == Event.FAILED
    assert json.loads(result.ack_body)["status"] == "accept"


# --- amounts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "expected"),
    [
        (154736, "1547.36"),
        (100, "1"),
        (5, "0.05"),
        (150, "1.5"),
        (10, "0.1"),
        (100000, "1000"),
        (54736, "547.36"),
        (0, "0"),
        (123456789, "1234567.89"),
        (10**15, "10000000000000"),
    ],
)
def test_amounts_are_formatted_like_php_prints_them(minor, expected):
    assert format_amount(minor) == expected
    assert parse_amount(expected) == minor


@pytest.mark.parametrize("bad", [-1, 1.5, True, "100", None])
def test_only_non_negative_integer_kopiyky_are_formatted(bad):
    with pytest.raises(ValueError):
        format_amount(bad)


@pytest.mark.parametrize(
    ("value", "minor"), [(1547.36, 154736), ("1547.36", 154736), (1.0, 100), ("1.50", 150), (0.05, 5), (1000, 100000)]
)
def test_amounts_are_parsed_to_kopiyky_without_float_rounding(value, minor):
    assert parse_amount(value) == minor


@pytest.mark.parametrize("bad", ["1.005", "abc", "", "-1", "NaN", "Infinity", None, True, "1e999999999"])
def test_amounts_that_are_not_whole_kopiyky_are_refused(bad):
    with pytest.raises(ValueError):
        parse_amount(bad)


# --- callbacks: status mapping and encodings ---------------------------------------------------


@pytest.mark.parametrize(
    ("status", "event"),
    [
        ("Created", Event.PENDING),
        ("InProcessing", Event.PENDING),
        ("inProcessing", Event.PENDING),
        ("Pending", Event.PENDING),
        ("WaitingAuthComplete", Event.PENDING),
        ("Approved", Event.CAPTURED),
        ("Declined", Event.FAILED),
        ("Expired", Event.EXPIRED),
        ("RefundInProcessing", Event.REFUND_PENDING),
        ("Refunded", Event.REFUNDED),
        ("Voided", Event.REFUNDED),
        ("SomethingNew", Event.PENDING),  # unknown: no money moves; reconciliation settles it
    ],
)
def test_every_transaction_status_maps_to_an_event(approved, offline, status, event):
    approved.set_status("DH783023", status)
    (update,) = parse(offline, approved.signed_callback("DH783023")).updates
    assert update.event == event
    assert update.provider_status == status
    assert update.amount == 154736
    assert update.refunded_total == (154736 if event == Event.REFUNDED else None)


def test_a_refund_callback_reports_the_refunded_total(approved, offline):
    # given a partial refund made in the merchant portal
    approved.refund("DH783023", 50000)
    # when WayForPay notifies it
    (update,) = parse(offline, approved.signed_callback("DH783023")).updates
    # then the refunded total is the partial amount, and it is a new fact for each total
    assert (update.event, update.refunded_total) == (Event.REFUNDED, 50000)
    assert update.dedupe_key == "wayforpay:DH783023:Refunded:1100:541963:50000"
    approved.refund("DH783023", 104736)
    (second,) = parse(offline, approved.signed_callback("DH783023")).updates
    assert (second.refunded_total, second.dedupe_key) == (154736, "wayforpay:DH783023:Refunded:1100:541963:154736")


@pytest.mark.parametrize("refund_amount", [0, -5, 9999999, "junk", None])
def test_a_refund_total_never_exceeds_the_signed_amount(approved, offline, refund_amount):
    approved.set_status("DH783023", "Refunded")
    body = approved.signed_callback("DH783023", refundAmount=refund_amount)
    (update,) = parse(offline, body).updates
    assert update.refunded_total == 154736


def test_redeliveries_share_a_dedupe_key_and_new_facts_do_not(approved, offline):
    first = parse(offline, approved.signed_callback("DH783023")).updates[0]
    again = parse(offline, approved.signed_callback("DH783023", processingDate=NOW + 900)).updates[0]
    approved.decline("DH783023", reason_code=1101, reason="Declined To Card Issuer")
    declined = parse(offline, approved.signed_callback("DH783023")).updates[0]
    assert first.dedupe_key == again.dedupe_key == "wayforpay:DH783023:Approved:1100:541963"
    assert declined.dedupe_key == "wayforpay:DH783023:Declined:1101:541963"


def test_a_form_wrapped_callback_is_the_same_as_json(approved, offline):
    body = approved.signed_callback("DH783023", reason="Ok & done = fine")
    form_body = urlencode({body.decode(): ""}).encode()
    as_json = parse(offline, body).updates[0]
    as_form = parse(offline, form_body, "application/x-www-form-urlencoded").updates[0]
    assert trusted(as_form) == trusted(as_json)
    assert as_form.message == "Ok & done = fine"


def test_a_form_wrapped_callback_without_the_trailing_equals_sign_is_accepted(approved, offline):
    body = approved.signed_callback("DH783023")
    (update,) = parse(offline, quote_plus(body.decode()).encode(), "application/x-www-form-urlencoded").updates
    assert update.event == Event.CAPTURED


def test_raw_json_under_a_form_content_type_is_accepted(approved, offline):
    body = approved.signed_callback("DH783023")
    (update,) = parse(offline, body, "application/x-www-form-urlencoded").updates
    assert update.event == Event.CAPTURED


@pytest.mark.parametrize("amount_token", ["100", "100.0", "100.00", '"100"', "1e2"])
def test_an_amount_signed_as_php_prints_it_verifies_however_the_json_writes_it(offline, amount_token):
    # given a callback for 100 UAH signed over "100", the way the PHP side hashes json_decode()d values
    fields = signed_fields("test_merch_n1", "R-1", "100", "UAH", "1", "41****8217", "Approved", "1100")
    signature = sign(TEST_SECRET, fields.values())
    body = json.dumps({**fields, "merchantSignature": signature}).replace(
        '"amount": "100"', f'"amount": {amount_token}'
    )
    # then it verifies and means exactly 100.00 UAH
    (update,) = parse(offline, body.encode()).updates
    assert (update.amount, update.event) == (10000, Event.CAPTURED)


def test_a_callback_signed_over_the_raw_amount_token_verifies(offline):
    fields = signed_fields("test_merch_n1", "R-1", "100.0", "UAH", "", "", "Declined", "1104")
    body = json.dumps({**fields, "merchantSignature": sign(TEST_SECRET, fields.values())})
    body = body.replace('"amount": "100.0"', '"amount": 100.0')
    (update,) = parse(offline, body.encode()).updates
    assert (update.amount, update.event) == (10000, Event.FAILED)


# --- callbacks: refused bodies ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("merchantAccount", "other_merchant"),
        ("orderReference", "DH783024"),
        ("amount", 1.0),
        ("currency", "USD"),
        ("authCode", "000000"),
        ("cardPan", "41****0000"),
        ("transactionStatus", "Refunded"),
        ("reasonCode", 1101),
    ],
)
def test_tampering_with_any_signed_field_is_refused(approved, offline, field, value):
    payload = approved.transaction("DH783023")
    payload[field] = value  # the signature stays the one WayForPay made
    with pytest.raises(InvalidSignature):
        parse(offline, json.dumps(payload).encode())


def test_a_callback_signed_with_another_key_is_refused(approved, offline):
    approved.answer_secret = "not-our-secret"
    with pytest.raises(InvalidSignature):
        parse(offline, approved.signed_callback("DH783023"))


@pytest.mark.parametrize("signature", [None, "", "0" * 32, "ee460de4b316672fa974295ed4dba73", 12345])
def test_a_missing_or_wrong_signature_is_refused(approved, offline, signature):
    payload = approved.transaction("DH783023")
    payload["merchantSignature"] = signature
    with pytest.raises(InvalidSignature):
        parse(offline, json.dumps(payload).encode())


def test_a_callback_without_the_signature_field_is_refused(approved, offline):
    payload = approved.transaction("DH783023")
    del payload["merchantSignature"]
    with pytest.raises(InvalidSignature):
        parse(offline, json.dumps(payload).encode())


@pytest.mark.parametrize(
    "body",
    [b"", b"   ", b"{}", b"[]", b'"text"', b"null", b"\xff\xfe{}", b"a=1&b=2", b"merchantAccount=test_merch_n1"],
)
def test_empty_and_malformed_bodies_are_refused(offline, body):
    with pytest.raises(InvalidSignature):
        parse(offline, body)


@pytest.mark.parametrize("huge", ["1e999999999", "1e-999999999", "9" * 5000])
def test_absurd_numbers_are_refused_without_being_expanded(approved, offline, huge):
    body = approved.signed_callback("DH783023").replace(b'"amount": 1547.36', f'"amount": {huge}'.encode())
    with pytest.raises(InvalidSignature):
        parse(offline, body)


def test_a_truncated_callback_is_refused(approved, offline):
    body = approved.signed_callback("DH783023")
    with pytest.raises(InvalidSignature):
        parse(offline, body[:-20])


def test_a_correctly_signed_callback_with_an_unreadable_amount_is_refused(offline):
    fields = signed_fields("test_merch_n1", "R-1", "12.345", "UAH", "", "", "Approved", "1100")
    body = json.dumps({**fields, "merchantSignature": sign(TEST_SECRET, fields.values())}).encode()
    with pytest.raises(InvalidSignature):
        parse(offline, body)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fee", 999.99),
        ("email", "attacker@example.com"),
        ("phone", "380000000000"),
        ("createdDate", 1),
        ("processingDate", 2),
        ("recToken", "forged-token"),
        ("cardType", "MasterCard"),
        ("issuerBankName", "Elsewhere"),
        ("issuerBankCountry", "840"),
        ("reason", "Totally refunded"),
        ("paymentSystem", "googlePay"),
        ("orderNo", 42),
        ("repayUrl", "https://evil.example/"),
        ("baseAmount", 1.0),
    ],
)
def test_flipping_an_unsigned_field_changes_nothing_trusted(approved, offline, field, value):
    # given a genuine callback and the same one with an unsigned field changed by someone
    genuine = parse(offline, approved.signed_callback("DH783023")).updates[0]
    payload = approved.transaction("DH783023")
    payload[field] = value
    # when both are parsed (the signature still verifies: the field is not covered)
    flipped = parse(offline, json.dumps(payload).encode()).updates[0]
    # then every decision is the same
    assert trusted(flipped) == trusted(genuine)
    assert flipped.raw[field] == str(value)


def test_the_fee_is_reported_for_information(approved, offline):
    approved.approve("DH783023", fee=3095)
    (update,) = parse(offline, approved.signed_callback("DH783023")).updates
    assert update.fee == 3095
    (odd,) = parse(offline, approved.signed_callback("DH783023", fee="n/a")).updates
    assert odd.fee is None
    assert trusted(odd) == trusted(update)


# --- create_checkout against the fake ----------------------------------------------------------


def test_create_checkout_sends_the_exact_invoice_request(fake, provider):
    # when an invoice is created for two items
    session = provider.create_checkout(checkout_request(email="buyer@example.com"))
    # then the shopper goes to the invoice WayForPay made
    assert session.redirect_url == fake.orders["DH783023"]["invoiceUrl"]
    assert session.redirect_url.startswith("https://secure.wayforpay.com/invoice/")
    assert session.form_action == ""
    # and the request is exactly the protocol's
    (request,) = fake.api_requests()
    assert request == {
        "transactionType": "CREATE_INVOICE",
        "merchantAccount": "test_merch_n1",
        "merchantAuthType": "SimpleSignature",
        "merchantDomainName": "www.market.ua",
        "merchantSignature": "ee828f71ed93441c07eb3eef67762a5c",
        "apiVersion": 1,
        "language": "UA",
        "orderReference": "DH783023",
        "orderDate": 1415379863,
        "amount": "1547.36",
        "currency": "UAH",
        "productName": ["Процесор Intel Core i5-4670 3.4GHz", "Пам'ять Kingston DDR3-1600 4096MB PC3-12800"],
        "productCount": [1, 1],
        "productPrice": ["1000", "547.36"],
        "serviceUrl": "https://shop.example/payments/callback/wayforpay/DH783023/",
        "returnUrl": "https://shop.example/pay/return/",
        "clientEmail": "buyer@example.com",
        "orderTimeout": 1800,
        "orderLifetime": 1800,
    }
    assert fake.requests[0][0] == "/api"


def test_an_order_without_items_is_one_line_with_the_description(fake, provider):
    provider.create_checkout(checkout_request("KR-1001-1", amount=100, items=()))
    (request,) = fake.api_requests()
    assert (request["productName"], request["productCount"], request["productPrice"]) == (
        ["Order KR-1001"],
        [1],
        ["1"],
    )
    assert request["amount"] == "1"
    assert "clientEmail" not in request
    assert fake.orders["KR-1001-1"]["amount"] == 100  # the fake verified the signature and took it


def test_quantities_and_unit_prices_are_signed_as_sent(fake, provider):
    items = (("Чай", 3, 5), ("Mug; large", 2, 12050))
    provider.create_checkout(checkout_request("KR-7", amount=24115, items=items))
    (request,) = fake.api_requests()
    assert (request["productCount"], request["productPrice"]) == ([3, 2], ["0.05", "120.5"])
    assert "KR-7" in fake.orders


def test_a_refused_invoice_raises_with_the_reason_code(fake, provider):
    # given the order reference is already used at WayForPay
    provider.create_checkout(checkout_request())
    # when it is used again
    with pytest.raises(ProviderError) as caught:
        provider.create_checkout(checkout_request())
    # then it is a permanent refusal with WayForPay's code and reason
    assert (caught.value.transient, caught.value.code, str(caught.value)) == (False, "1112", "Duplicate Order ID")
    assert len(fake.orders) == 1


def test_an_invoice_signed_with_the_wrong_secret_is_refused(fake):
    provider = make_provider(fake.base_url, secret="wrong")
    with pytest.raises(ProviderError) as caught:
        provider.create_checkout(checkout_request())
    assert (caught.value.transient, caught.value.code, str(caught.value)) == (False, "1113", "Invalid signature")
    assert fake.orders == {}


# --- fetch_status -----------------------------------------------------------------------------


def test_fetch_status_translates_like_a_callback(approved, provider):
    approved.approve("DH783023", fee=3095)
    update = provider.fetch_status(payment_ref="DH783023")
    assert trusted(update) == (
        "DH783023",
        Event.CAPTURED,
        "Approved",
        "wayforpay:DH783023:Approved:1100:541963",
        154736,
        "UAH",
        "test_merch_n1",
        None,
    )
    assert update.fee == 3095


def test_fetch_status_of_an_unpaid_invoice_is_pending(fake, provider):
    provider.create_checkout(checkout_request())
    assert provider.fetch_status(payment_ref="DH783023").event == Event.PENDING


@pytest.mark.parametrize(
    ("move", "event"),
    [
        (lambda f: f.decline("DH783023"), Event.FAILED),
        (lambda f: f.expire("DH783023"), Event.EXPIRED),
        (lambda f: f.set_status("DH783023", "Pending", reason_code=1134), Event.PENDING),
    ],
)
def test_fetch_status_follows_the_order(approved, provider, move, event):
    move(approved)
    assert provider.fetch_status(payment_ref="DH783023").event == event


def test_fetch_status_reports_a_partial_refund_total(approved, provider):
    approved.refund("DH783023", 50000)
    update = provider.fetch_status(payment_ref="DH783023")
    assert (update.event, update.refunded_total) == (Event.REFUNDED, 50000)


def test_fetch_status_of_an_unknown_order_is_a_permanent_error(fake, provider):
    with pytest.raises(ProviderError) as caught:
        provider.fetch_status(payment_ref="nope")
    assert (caught.value.transient, caught.value.code, str(caught.value)) == (False, "1127", "Order not found")


def test_fetch_status_refuses_an_answer_not_signed_with_our_secret(approved, provider):
    approved.answer_secret = "someone-else"
    with pytest.raises(ProviderError) as caught:
        provider.fetch_status(payment_ref="DH783023")
    assert (caught.value.transient, caught.value.code) == (False, "invalid_signature")


def test_fetch_status_with_the_wrong_secret_is_a_permanent_error(approved):
    provider = make_provider(approved.base_url, secret="wrong")
    with pytest.raises(ProviderError) as caught:
        provider.fetch_status(payment_ref="DH783023")
    assert (caught.value.transient, caught.value.code) == (False, "1113")


# --- refunds ----------------------------------------------------------------------------------


def test_a_full_refund_is_done(approved, provider):
    result = provider.refund(
        payment_ref="DH783023", amount=154736, currency="UAH", refund_ref="R-1", reason="Customer returned it"
    )
    assert (result.event, result.provider_status, result.message) == (Event.REFUNDED, "Refunded", "Ok")
    (request,) = approved.api_requests()
    assert request == {
        "transactionType": "REFUND",
        "merchantAccount": "test_merch_n1",
        "orderReference": "DH783023",
        "amount": "1547.36",
        "currency": "UAH",
        "comment": "Customer returned it [R-1]",
        "merchantSignature": "aeef7da70d54098937a7930f64193710",
        "apiVersion": 1,
    }
    assert approved.orders["DH783023"]["refunded"] == 154736


def test_partial_refunds_add_up_and_the_rest_is_refused(approved, provider):
    first = provider.refund(payment_ref="DH783023", amount=5, currency="UAH", refund_ref="R-1", reason="")
    second = provider.refund(payment_ref="DH783023", amount=154731, currency="UAH", refund_ref="R-2", reason="")
    third = provider.refund(payment_ref="DH783023", amount=1, currency="UAH", refund_ref="R-3", reason="")
    assert [r.event for r in (first, second, third)] == [Event.REFUNDED, Event.REFUNDED, Event.FAILED]
    assert (third.provider_status, third.message) == ("Declined", "Refund limit exceeded")
    assert [r["amount"] for r in approved.api_requests()] == ["0.05", "1547.31", "0.01"]
    assert approved.api_requests()[0]["comment"] == "Refund R-1"
    assert approved.orders["DH783023"]["refunded"] == 154736


def test_a_refund_before_settlement_is_a_void(fake, provider):
    fake.add_order("DH783023", amount=154736)
    fake.approve("DH783023", settled=False)
    result = provider.refund(payment_ref="DH783023", amount=154736, currency="UAH", refund_ref="R-1", reason="x")
    assert (result.event, result.provider_status) == (Event.REFUNDED, "Voided")


def test_a_refund_in_process_is_pending_until_status_says_refunded(approved, provider):
    # given the shop's WayForPay balance can't cover the refund yet
    approved.refund_mode = "in_process"
    result = provider.refund(payment_ref="DH783023", amount=154736, currency="UAH", refund_ref="R-1", reason="x")
    assert (result.event, result.provider_status) == (Event.REFUND_PENDING, "RefundInProcessing")
    assert provider.fetch_status(payment_ref="DH783023").event == Event.REFUND_PENDING
    # when the balance is topped up
    approved.complete_refunds("DH783023")
    # then reconciliation sees the refund done
    update = provider.fetch_status(payment_ref="DH783023")
    assert (update.event, update.refunded_total) == (Event.REFUNDED, 154736)


def test_a_refund_of_a_declined_payment_fails_with_the_reason(approved, provider):
    approved.decline("DH783023")
    result = provider.refund(payment_ref="DH783023", amount=100, currency="UAH", refund_ref="R-1", reason="x")
    assert (result.event, result.provider_status, result.message) == (Event.FAILED, "Declined", "Refund limit exceeded")
    assert approved.orders["DH783023"]["refunded"] == 0


def test_a_refund_of_an_unknown_order_fails(fake, provider):
    result = provider.refund(payment_ref="nope", amount=100, currency="UAH", refund_ref="R-1", reason="x")
    assert (result.event, result.provider_status, result.message) == (Event.FAILED, "1127", "Order not found (1127)")


def test_a_refund_answer_not_signed_with_our_secret_is_not_a_failure(approved, provider):
    # the money may have moved: the caller must not treat this as a refusal and retry
    approved.answer_secret = "someone-else"
    with pytest.raises(ProviderError) as caught:
        provider.refund(payment_ref="DH783023", amount=100, currency="UAH", refund_ref="R-1", reason="x")
    assert (caught.value.transient, caught.value.code) == (False, "invalid_signature")


@pytest.mark.parametrize("amount", [0, -100])
def test_a_refund_must_be_positive(provider, amount):
    with pytest.raises(ValueError):
        provider.refund(payment_ref="DH783023", amount=amount, currency="UAH", refund_ref="R-1", reason="x")


# --- transport failures -----------------------------------------------------------------------

CALLS = {
    "create_checkout": lambda p: p.create_checkout(checkout_request("KR-9")),
    "fetch_status": lambda p: p.fetch_status(payment_ref="DH783023"),
    "refund": lambda p: p.refund(payment_ref="DH783023", amount=100, currency="UAH", refund_ref="R-1", reason="x"),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_a_server_error_is_transient(approved, call):
    approved.fail_next(500)
    with pytest.raises(ProviderError) as caught:
        call(make_provider(approved.base_url))
    assert (caught.value.transient, caught.value.code) == (True, "http_500")
    assert approved.orders["DH783023"]["refunded"] == 0
    assert "KR-9" not in approved.orders


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_a_timeout_is_transient(approved, call):
    approved.fail_next("timeout")
    with pytest.raises(ProviderError) as caught:
        call(make_provider(approved.base_url, timeout=1))
    assert (caught.value.transient, caught.value.code) == (True, "timeout")


def test_the_api_endpoint_is_derived_from_the_base_url():
    assert make_provider("https://api.wayforpay.com").api_url == "https://api.wayforpay.com/api"
    assert make_provider("https://api.wayforpay.com/").api_url == "https://api.wayforpay.com/api"


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_an_answer_that_is_not_a_json_object_is_transient(approved, call, monkeypatch):
    monkeypatch.setattr(approved, "handle", lambda path, body, headers: (200, b"[]", "application/json"))
    with pytest.raises(ProviderError) as caught:
        call(make_provider(approved.base_url))
    assert (caught.value.transient, caught.value.code) == (True, "bad_response")

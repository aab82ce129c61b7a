"""Each real provider end to end: our code against its fake server, callbacks through the view.

An online order is paid through payments.services (which talks HTTP to the fake, or builds
LiqPay's form), the fake approves it and its signed callback is posted to our webhook URL
with the provider's content type. Only the provider's side is fake; everything of ours is real.
"""

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlencode

import pytest
from django.test import Client
from django.utils import timezone

from ledger.integrity import verify_ledger
from ledger.models import JournalEntry
from ledger.selectors import balance_of
from orders.models import Order
from payments.models import Payment, Refund, WebhookEvent
from payments.return_links import callback_url_for, return_url_for
from payments.selectors import order_payment_status
from payments.services import reconcile_payments, request_refund, start_order_payment
from payments.tests.fakes.fondy import FakeFondy
from payments.tests.fakes.liqpay import FakeLiqPay, liqpay_encode, liqpay_sign, major
from payments.tests.fakes.wayforpay import TEST_DOMAIN, TEST_MERCHANT, TEST_SECRET, FakeWayForPay
from tests.factories import ProductFactory, StaffFactory, place_test_order

pytestmark = pytest.mark.django_db

PRICE = 49900  # 499.00 UAH
FEE = 748  # what the provider keeps (1.5 %)
FAR_FUTURE = timedelta(days=1)  # well past PAYMENT_RECONCILE_AFTER_MINUTES


# --- one driver per provider: its fake, its settings and the way it speaks ---------------------


class FondyDriver:
    code = "fondy"
    content_type = "application/json"  # protocol 1.0 posts the order as JSON
    paid_status = "approved"

    def __init__(self):
        # The credentials of payments/tests/test_fondy.py (the docs' test merchant).
        self.fake = FakeFondy(merchant_id="1396424", secret="test")

    def provider_settings(self) -> dict:
        return {"enabled": True, "merchant_id": "1396424", "secret": "test", "base_url": self.fake.base_url}

    def assert_opened(self, payment: Payment) -> None:
        ref = str(payment.reference)
        order = self.fake.orders[ref]
        assert payment.redirect_url == self.fake.checkout_url(ref)
        assert payment.provider_payment_id == str(order["payment_id"])
        request = order["request"]
        assert (request["amount"], request["currency"]) == (PRICE, "UAH")
        assert request["server_callback_url"] == callback_url_for(payment)
        assert request["response_url"] == return_url_for(payment)

    def approve(self, ref: str) -> None:
        self.fake.approve(ref, fee=FEE)

    def provider_payment_id(self, ref: str) -> str:
        return str(self.fake.orders[ref]["payment_id"])

    def callback(self, ref: str) -> bytes:
        return self.fake.signed_callback(ref)

    def tampered_callback(self, ref: str) -> bytes:
        fields = self.fake.signed_callback_fields(ref)
        fields["amount"] = 100  # 1.00 instead of 499.00, signature left as it was
        return json.dumps(fields).encode()

    def assert_acknowledged(self, response, ref: str) -> None:
        assert (response.status_code, response.content, response["Content-Type"]) == (200, b"OK", "text/plain")

    def refunds_asked(self) -> list[tuple[str, int]]:
        orders = self.fake.orders.values()
        return [(r["order_id"], r["amount"]) for order in orders for r in order.get("reverse_requests", [])]

    def hold_refunds(self) -> None:
        self.fake.reverse_outcomes.append("created")

    def settle_held_refund(self, ref: str) -> None:
        self.fake.complete_reversal(ref)


class WayForPayDriver:
    code = "wayforpay"
    content_type = "application/json"
    paid_status = "Approved"

    def __init__(self):
        self.fake = FakeWayForPay()  # WayForPay's published test merchant and key

    def provider_settings(self) -> dict:
        return {
            "enabled": True,
            "merchant_id": TEST_MERCHANT,
            "secret": TEST_SECRET,
            "merchant_domain": TEST_DOMAIN,
            "base_url": self.fake.base_url,
        }

    def assert_opened(self, payment: Payment) -> None:
        order = self.fake.orders[str(payment.reference)]
        assert payment.redirect_url == order["invoiceUrl"]
        request = order["request"]
        assert (request["amount"], request["currency"]) == ("499", "UAH")
        assert request["serviceUrl"] == callback_url_for(payment)
        assert request["returnUrl"] == return_url_for(payment)

    def approve(self, ref: str) -> None:
        self.fake.approve(ref, fee=FEE)

    def provider_payment_id(self, ref: str) -> str:
        return ""  # WayForPay's callbacks carry no payment id of their own

    def callback(self, ref: str) -> bytes:
        return self.fake.signed_callback(ref)

    def tampered_callback(self, ref: str) -> bytes:
        payload = self.fake.transaction(ref)
        payload["amount"] = 1
        return json.dumps(payload).encode()

    def assert_acknowledged(self, response, ref: str) -> None:
        # WayForPay re-sends until it gets this signed "accept" (reference §2.4).
        assert (response.status_code, response["Content-Type"]) == (200, "application/json")
        answer = json.loads(response.content)
        assert set(answer) == {"orderReference", "status", "time", "signature"}
        assert (answer["orderReference"], answer["status"]) == (ref, "accept")
        assert isinstance(answer["time"], int)
        assert abs(answer["time"] - timezone.now().timestamp()) < 60
        message = f"{ref};accept;{answer['time']}".encode()
        assert answer["signature"] == hmac.new(TEST_SECRET.encode(), message, hashlib.md5).hexdigest()

    def refunds_asked(self) -> list[tuple[str, str]]:
        requests = self.fake.api_requests()
        return [(r["orderReference"], r["amount"]) for r in requests if r["transactionType"] == "REFUND"]

    def hold_refunds(self) -> None:
        self.fake.refund_mode = "in_process"

    def settle_held_refund(self, ref: str) -> None:
        self.fake.complete_refunds(ref)


class LiqPayDriver:
    code = "liqpay"
    content_type = "application/x-www-form-urlencoded"  # data=...&signature=...
    paid_status = "success"

    def __init__(self):
        self.fake = FakeLiqPay()  # the keys payments/tests/test_liqpay.py uses with it

    def provider_settings(self) -> dict:
        return {
            "enabled": True,
            "public_key": self.fake.public_key,
            "merchant_id": self.fake.public_key,
            "secret": self.fake.private_key,
            "base_url": self.fake.base_url,
        }

    def assert_opened(self, payment: Payment) -> None:
        # No HTTP at checkout: the shopper's browser posts our signed form to LiqPay.
        assert payment.redirect_url == ""
        assert payment.form_action == f"{self.fake.base_url}/api/3/checkout"
        params = self.fake.checkout(payment.form_fields)  # checks the form's signature
        assert (params["order_id"], params["amount"], params["currency"]) == (str(payment.reference), "499", "UAH")
        assert params["server_url"] == callback_url_for(payment)
        assert params["result_url"] == return_url_for(payment)
        assert "sandbox" not in params

    def approve(self, ref: str) -> None:
        self.fake.pay(ref, receiver_commission=major(FEE))

    def provider_payment_id(self, ref: str) -> str:
        return str(self.fake.orders[ref]["payment_id"])

    def callback(self, ref: str) -> bytes:
        return self.fake.signed_callback(ref)

    def tampered_callback(self, ref: str) -> bytes:
        genuine = liqpay_encode(self.fake.orders[ref])
        forged = liqpay_encode({**self.fake.orders[ref], "amount": 1.0})
        return urlencode({"data": forged, "signature": liqpay_sign(self.fake.private_key, genuine)}).encode()

    def assert_acknowledged(self, response, ref: str) -> None:
        assert (response.status_code, response.content, response["Content-Type"]) == (200, b"OK", "text/plain")

    def refunds_asked(self) -> list[tuple[str, str]]:
        asked = []
        for _, body, _ in self.fake.requests:  # LiqPay's API is one URL, /api/request
            params = json.loads(base64.b64decode(parse_qs(body.decode())["data"][0]))
            if params["action"] == "refund":
                asked.append((params["order_id"], params["amount"]))
        return asked

    def hold_refunds(self) -> None:
        self.fake.refund_mode = "wait_reserve"  # LiqPay reserves it from future payments first

    def settle_held_refund(self, ref: str) -> None:
        self.fake.set_status(ref, "reversed", refund_amount=major(self.fake.refunded[ref]))


DRIVERS = {"fondy": FondyDriver, "wayforpay": WayForPayDriver, "liqpay": LiqPayDriver}


@pytest.fixture(params=list(DRIVERS))
def driver(request, settings):
    """A provider's fake started on 127.0.0.1 and the provider enabled against it."""
    driver = DRIVERS[request.param]()
    driver.fake.start()
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, driver.code: driver.provider_settings()}
    yield driver
    driver.fake.stop()


# --- helpers --------------------------------------------------------------------------------


def open_payment(driver) -> tuple[Order, Payment]:
    """An online order of 499.00 and its payment attempt opened at the provider."""
    product = ProductFactory(stock=5, price=PRICE)
    order = place_test_order(items={product.pk: 1}, payment_method=Order.PaymentMethod.ONLINE)
    payment = start_order_payment(
        order_id=order.pk, provider_code=driver.code, return_url_for=return_url_for, callback_url_for=callback_url_for
    )
    driver.assert_opened(payment)
    return order, payment


def post_callback(driver, body: bytes):
    return Client().post(f"/payments/callback/{driver.code}/", data=body, content_type=driver.content_type)


def books(code: str) -> tuple[int, int, int]:
    """(psp:<provider>, psp_fees, customer_prepayments)."""
    return balance_of(code=f"psp:{code}"), balance_of(code="psp_fees"), balance_of(code="customer_prepayments")


def snapshot(payment: Payment) -> tuple:
    """The state and money a callback could change, to prove that one changed nothing."""
    payment.refresh_from_db()
    order = Order.objects.get(pk=payment.order_id)
    return (
        payment.status,
        payment.captured_amount,
        payment.refunded_amount,
        payment.fee,
        payment.needs_review,
        order.status,
        order.version,
        JournalEntry.objects.count(),
        Refund.objects.count(),
        books(payment.provider),
        balance_of(code="overpayments"),
    )


# --- the paths ------------------------------------------------------------------------------


def test_paid_callback_captures_confirms_and_books(driver):
    # given an online order whose payment is open at the provider
    order, payment = open_payment(driver)
    ref = str(payment.reference)
    assert (payment.status, order.status) == ("pending", "placed")

    # when the shopper pays and the provider calls back
    driver.approve(ref)
    response = post_callback(driver, driver.callback(ref))

    # then we acknowledge the way the provider wants, and payment, order and books agree
    driver.assert_acknowledged(response, ref)
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.status, payment.captured_amount, payment.fee, payment.is_overpayment, payment.needs_review) == (
        "captured",
        PRICE,
        FEE,
        False,
        False,
    )
    assert (payment.last_provider_status, payment.provider_payment_id) == (
        driver.paid_status,
        driver.provider_payment_id(ref),
    )
    assert (order.status, order_payment_status(order=order)) == ("confirmed", "paid")
    assert books(driver.code) == (PRICE - FEE, FEE, PRICE)
    capture = JournalEntry.objects.get()
    assert (capture.kind, capture.idempotency_key) == ("capture", f"payment:{ref}:capture")
    event = WebhookEvent.objects.get()
    assert (event.provider, event.result, event.signature_valid, event.source, event.event, event.payment_id) == (
        driver.code,
        "processed",
        True,
        "webhook",
        "captured",
        payment.pk,
    )
    assert event.provider_status == driver.paid_status
    assert verify_ledger().ok


def test_a_duplicate_callback_changes_nothing(driver):
    # given a payment captured by its callback
    _, payment = open_payment(driver)
    ref = str(payment.reference)
    driver.approve(ref)
    body = driver.callback(ref)
    driver.assert_acknowledged(post_callback(driver, body), ref)
    before, touched = snapshot(payment), payment.updated_at

    # when the provider delivers the same callback again
    response = post_callback(driver, body)

    # then it is acknowledged like the first and nothing moves, not even a timestamp
    driver.assert_acknowledged(response, ref)
    assert (snapshot(payment), payment.updated_at) == (before, touched)
    assert WebhookEvent.objects.count() == 1
    assert JournalEntry.objects.filter(kind="capture").count() == 1
    assert verify_ledger().ok


def test_a_tampered_callback_is_refused_and_recorded(driver):
    # given an open payment the shopper paid at the provider
    order, payment = open_payment(driver)
    ref = str(payment.reference)
    driver.approve(ref)
    before, touched = snapshot(payment), payment.updated_at

    # when a callback whose amount was changed after signing arrives
    response = post_callback(driver, driver.tampered_callback(ref))

    # then it is refused, kept as rejected, and changes nothing
    assert (response.status_code, response.content) == (403, b"invalid signature")
    assert (snapshot(payment), payment.updated_at) == (before, touched)
    assert (payment.status, order.status) == ("pending", "placed")
    assert not JournalEntry.objects.exists()
    event = WebhookEvent.objects.get()
    assert (event.provider, event.result, event.signature_valid, event.dedupe_key, event.payment_id) == (
        driver.code,
        "rejected",
        False,
        None,
        None,
    )
    assert event.content_type == driver.content_type

    # and the genuine callback still goes through
    driver.assert_acknowledged(post_callback(driver, driver.callback(ref)), ref)
    payment.refresh_from_db()
    assert payment.status == "captured"
    assert WebhookEvent.objects.filter(result="processed").count() == 1


def test_a_full_refund_goes_to_the_provider_and_is_booked(driver, django_capture_on_commit_callbacks):
    # given a captured payment
    order, payment = open_payment(driver)
    ref = str(payment.reference)
    driver.approve(ref)
    driver.assert_acknowledged(post_callback(driver, driver.callback(ref)), ref)

    # when staff refund all of it
    with django_capture_on_commit_callbacks(execute=True):
        refund = request_refund(
            payment_id=payment.pk,
            amount=PRICE,
            reason="The shopper sent it back",
            by=StaffFactory(),
            idempotency_key=f"test:{ref}:full",
        )

    # then the provider was asked once for exactly that, and confirmed it
    assert driver.refunds_asked() == [(ref, PRICE if driver.code == "fondy" else "499")]
    refund.refresh_from_db()
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (refund.status, refund.amount, refund.attempts) == ("succeeded", PRICE, 1)
    assert (payment.status, payment.refunded_amount, payment.refund_requested_amount) == ("refunded", PRICE, PRICE)
    # the order's fate is staff's call; its payment state is derived from the payment
    assert (order.status, order_payment_status(order=order)) == ("confirmed", "refunded")
    # the provider keeps its fee; the shopper got every kopiyka back
    assert books(driver.code) == (-FEE, FEE, 0)
    assert JournalEntry.objects.filter(kind="refund").count() == 1
    assert verify_ledger().ok

    # when the provider's own callback about the refund comes after
    before = snapshot(payment)
    response = post_callback(driver, driver.callback(ref))

    # then it is acknowledged and nothing is refunded twice
    driver.assert_acknowledged(response, ref)
    assert snapshot(payment) == before
    assert Refund.objects.count() == 1
    late = WebhookEvent.objects.latest("id")
    assert (late.event, late.result, late.result_detail) == ("refunded", "ignored", "ignored: nothing newly refunded")
    assert verify_ledger().ok


def test_a_refund_in_progress_is_completed_by_reconciliation(driver, django_capture_on_commit_callbacks):
    # given a captured payment, and a provider that will not refund at once
    _, payment = open_payment(driver)
    ref = str(payment.reference)
    driver.approve(ref)
    driver.assert_acknowledged(post_callback(driver, driver.callback(ref)), ref)
    driver.hold_refunds()

    # when staff refund it
    with django_capture_on_commit_callbacks(execute=True):
        refund = request_refund(
            payment_id=payment.pk, amount=PRICE, reason="Returned", by=None, idempotency_key=f"test:{ref}:held"
        )

    # then the refund is in progress and nothing is booked yet
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert (refund.status, payment.status, payment.refund_requested_amount) == ("pending", "captured", PRICE)
    assert books(driver.code) == (PRICE - FEE, FEE, PRICE)

    # when reconciliation asks while the provider is still at it
    assert reconcile_payments(now=timezone.now() + FAR_FUTURE) == 1
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert (refund.status, payment.status, payment.refunded_amount) == ("pending", "captured", 0)

    # and again after the provider paid it out
    driver.settle_held_refund(ref)
    checked = reconcile_payments(now=timezone.now() + FAR_FUTURE)

    # then it is refunded and booked once
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert (checked, refund.status, payment.status, payment.refunded_amount) == (1, "succeeded", "refunded", PRICE)
    assert Refund.objects.count() == 1
    assert books(driver.code) == (-FEE, FEE, 0)
    assert JournalEntry.objects.filter(kind="refund").count() == 1
    assert driver.refunds_asked() == [(ref, PRICE if driver.code == "fondy" else "499")]
    assert verify_ledger().ok


def test_reconciliation_captures_a_payment_whose_callback_never_came(driver):
    # given a payment the shopper paid at the provider, whose callback was lost
    order, payment = open_payment(driver)
    ref = str(payment.reference)
    driver.approve(ref)

    # when reconciliation runs once the payment has been pending too long
    checked = reconcile_payments(now=timezone.now() + FAR_FUTURE)

    # then the provider's status captured it like a callback would have
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (checked, payment.status, payment.captured_amount, payment.fee, order.status) == (
        1,
        "captured",
        PRICE,
        FEE,
        "confirmed",
    )
    assert books(driver.code) == (PRICE - FEE, FEE, PRICE)
    event = WebhookEvent.objects.get()
    assert (event.source, event.result, event.payment_id) == ("poll", "processed", payment.pk)
    assert verify_ledger().ok

    # and the callback arriving late is the same fact: acknowledged, nothing more happens
    before = snapshot(payment)
    driver.assert_acknowledged(post_callback(driver, driver.callback(ref)), ref)
    assert snapshot(payment) == before
    assert WebhookEvent.objects.count() == 1
    assert JournalEntry.objects.filter(kind="capture").count() == 1

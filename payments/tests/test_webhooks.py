"""The webhook path: verify, record once, lock, check, apply with its ledger entry and order move."""

from urllib.parse import urlsplit

import pytest
from django.test import Client

from catalog.models import Stock
from ledger.integrity import verify_ledger
from ledger.models import JournalEntry
from orders.models import Order
from orders.services import expire_unpaid_orders
from payments.models import Payment, Refund, WebhookEvent
from payments.return_links import return_url_for
from payments.services import reconcile_payments
from payments.tests.conftest import deliver, money_at, online_order, post_callback, signed_callback, start

pytestmark = pytest.mark.django_db


def test_paid_callback_captures_books_and_confirms(sandbox):
    # given an online order of 499.00 and its payment attempt at the sandbox gateway
    order = online_order(price=49900)
    payment = start(order)
    assert payment.status == "pending"
    assert payment.redirect_url.startswith("http://")
    assert "/payments/sandbox/" in payment.redirect_url

    # when the gateway calls back "paid"
    response = deliver(sandbox, payment)

    # then the payment is captured, the order confirmed, and the books say so
    assert (response.status_code, response.content) == (200, b"OK")
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.status, payment.captured_amount, payment.fee) == ("captured", 49900, 748)
    assert order.status == "confirmed"
    assert (money_at("psp:sandbox"), money_at("psp_fees"), money_at("customer_prepayments")) == (49152, 748, 49900)
    event = WebhookEvent.objects.get()
    assert (event.result, event.signature_valid, event.payment_id, event.source) == (
        "processed",
        True,
        payment.pk,
        "webhook",
    )
    assert verify_ledger().ok


def test_a_redelivered_callback_changes_nothing(sandbox):
    payment = start(online_order())
    body, signature = signed_callback(sandbox, payment)
    first, again = post_callback(body, signature), post_callback(body, signature)
    assert (first.status_code, again.status_code) == (200, 200)
    assert WebhookEvent.objects.count() == 1
    assert JournalEntry.objects.filter(kind="capture").count() == 1


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body, sig: (body, "0" * 64),  # forged signature
        lambda body, sig: (body.replace(b'"paid"', b'"refunded"'), sig),  # tampered status
        lambda body, sig: (body.replace(b"49900", b"99"), sig),  # tampered amount
        lambda body, sig: (body[:-5], sig),  # truncated
        lambda body, sig: (body, ""),  # no signature
        lambda body, sig: (b"", sig),  # empty
    ],
)
def test_forged_tampered_and_truncated_callbacks_are_refused(sandbox, tamper):
    order = online_order(price=49900)
    payment = start(order)
    body, signature = tamper(*signed_callback(sandbox, payment))

    response = post_callback(body, signature)

    assert response.status_code == 403
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.status, order.status) == ("pending", "placed")
    assert not JournalEntry.objects.exists()
    event = WebhookEvent.objects.get()
    assert (event.result, event.signature_valid, event.dedupe_key) == ("rejected", False, None)


def test_amount_mismatch_goes_to_review_and_is_never_captured(sandbox):
    order = online_order(price=49900)
    payment = start(order)

    response = deliver(sandbox, payment, amount=100)

    assert response.status_code == 200  # acknowledged: the provider must stop retrying
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.status, payment.needs_review, order.status) == ("pending", True, "placed")
    assert payment.review_reason == "Provider reported amount 100, expected 49900; not captured."
    assert WebhookEvent.objects.get().result == "review"
    assert not JournalEntry.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("merchant_id", "someone-else", "merchant someone-else is not ours"),
        ("currency", "USD", "currency USD, expected UAH"),
    ],
)
def test_merchant_or_currency_mismatch_goes_to_review(sandbox, field, value, reason):
    payment = start(online_order())
    deliver(sandbox, payment, **{field: value})
    payment.refresh_from_db()
    assert (payment.status, payment.needs_review) == ("pending", True)
    assert reason in payment.review_reason


def test_callback_for_an_unknown_payment_is_kept_for_review(sandbox):
    payment = start(online_order())
    body, signature = signed_callback(sandbox, payment, payment_ref="00000000-0000-0000-0000-000000000000")
    assert post_callback(body, signature).status_code == 200
    assert WebhookEvent.objects.get().result == "review"


def test_declined_then_retried_and_paid(sandbox):
    order = online_order()
    first = start(order)
    deliver(sandbox, first, "declined")
    first.refresh_from_db()
    assert first.status == "failed"
    order.refresh_from_db()
    assert order.status == "placed"

    second = start(order)
    deliver(sandbox, second)

    order.refresh_from_db()
    second.refresh_from_db()
    assert (second.status, order.status) == ("captured", "confirmed")


def test_the_return_page_never_marks_anything_paid(sandbox, client):
    order = online_order()
    payment = start(order)

    response = client.get(urlsplit(return_url_for(payment)).path)

    assert response.status_code == 302
    assert response["Location"] == order.get_absolute_url()
    page = client.get(order.get_absolute_url()).content.decode()
    assert "Оплата обробляється" in page
    payment.refresh_from_db()
    assert payment.status == "pending"
    deliver(sandbox, payment)
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'Стан оплати</dt><dd class="payment-status">Оплачено' in page


def test_late_payment_after_expiry_revives_the_order_when_stock_is_there(sandbox):
    order = online_order(stock=3)
    payment = start(order)
    Order.objects.filter(pk=order.pk).update(expires_at="2000-01-01T00:00:00Z")
    assert expire_unpaid_orders() == 1
    product_id = order.lines.get().product_id
    assert Stock.objects.get(pk=product_id).reserved == 0

    deliver(sandbox, payment)

    order.refresh_from_db()
    payment.refresh_from_db()
    assert (order.status, payment.status, payment.is_overpayment) == ("confirmed", "captured", False)
    assert Stock.objects.get(pk=product_id).reserved == 1
    assert verify_ledger().ok


def test_late_payment_after_expiry_is_refunded_when_the_goods_are_gone(sandbox, django_capture_on_commit_callbacks):
    order = online_order(stock=1)
    payment = start(order)
    Order.objects.filter(pk=order.pk).update(expires_at="2000-01-01T00:00:00Z")
    expire_unpaid_orders()
    product_id = order.lines.get().product_id
    Stock.objects.filter(pk=product_id).update(on_hand=0)  # the last unit was sold meanwhile

    with django_capture_on_commit_callbacks(execute=True):
        deliver(sandbox, payment)

    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == "expired"
    assert (payment.status, payment.is_overpayment, payment.refunded_amount) == ("refunded", True, payment.amount)
    refund = Refund.objects.get()
    assert (refund.status, refund.automatic, refund.amount) == ("succeeded", True, payment.amount)
    assert money_at("overpayments") == 0
    assert money_at("psp:sandbox") == -payment.fee  # the fee stays with the provider
    assert verify_ledger().ok


def test_second_successful_payment_is_an_overpayment_refunded_automatically(
    sandbox, django_capture_on_commit_callbacks
):
    order = online_order(price=30000)
    first = start(order)
    second = start(order)  # the shopper retried; the first attempt is superseded but still paid
    first.refresh_from_db()
    assert first.status == "expired"

    with django_capture_on_commit_callbacks(execute=True):
        deliver(sandbox, second)
        deliver(sandbox, first)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (second.status, second.is_overpayment) == ("captured", False)
    assert (first.status, first.is_overpayment, first.refunded_amount) == ("refunded", True, 30000)
    order.refresh_from_db()
    assert order.status == "confirmed"
    assert money_at("customer_prepayments") == 30000
    assert money_at("overpayments") == 0
    assert verify_ledger().ok


def test_overpayment_is_left_to_staff_when_the_setting_says_so(sandbox):
    from constance import config

    config.AUTO_REFUND_OVERPAYMENTS = False
    order = online_order(price=30000)
    first = start(order)
    deliver(sandbox, first)
    # paid; now a stray second payment for the same order arrives
    second = Payment.objects.create(order=order, provider="sandbox", amount=30000, purpose="order")
    deliver(sandbox, second)

    second.refresh_from_db()
    assert (second.status, second.is_overpayment, second.needs_review) == ("captured", True, True)
    assert not Refund.objects.exists()
    assert money_at("overpayments") == 30000
    assert verify_ledger().ok


def test_reconciliation_recovers_a_payment_whose_callback_never_came(sandbox):
    from django.utils import timezone

    order = online_order()
    payment = start(order)
    sandbox.set_outcome(ref=str(payment.reference), amount=payment.amount, currency="UAH", status="paid")

    checked = reconcile_payments(now=timezone.now() + timezone.timedelta(hours=1))

    payment.refresh_from_db()
    order.refresh_from_db()
    assert (checked, payment.status, order.status) == (1, "captured", "confirmed")
    assert WebhookEvent.objects.get().source == "poll"
    # the callback arriving later is the same fact: nothing more happens
    deliver(sandbox, payment)
    assert JournalEntry.objects.filter(kind="capture").count() == 1
    assert WebhookEvent.objects.count() == 1


def test_a_failed_event_is_kept_and_can_be_reprocessed(sandbox, monkeypatch):
    from payments import services
    from payments.services import capture

    payment = start(online_order())
    original = capture.on_captured
    monkeypatch.setattr(capture, "on_captured", lambda *a: (_ for _ in ()).throw(RuntimeError("disk full")))
    body, signature = signed_callback(sandbox, payment)
    with pytest.raises(RuntimeError):
        post_callback(body, signature, client=Client(raise_request_exception=True))
    event = WebhookEvent.objects.get()
    assert (event.result, event.result_detail) == ("failed", "RuntimeError: disk full")
    payment.refresh_from_db()
    assert payment.status == "pending"

    monkeypatch.setattr(capture, "on_captured", original)
    services.reprocess_event(event_id=event.pk)

    payment.refresh_from_db()
    event.refresh_from_db()
    assert (payment.status, event.result, event.attempts) == ("captured", "processed", 2)


def test_delivered_online_order_becomes_a_sale(sandbox):
    from orders.models import Source
    from orders.services import deliver_order, ship_order
    from payments.services import recognize_revenue_of_delivered_orders

    order = online_order(price=20000)
    deliver(sandbox, start(order))
    ship_order(order_id=order.pk, by=None, source=Source.ADMIN)
    deliver_order(order_id=order.pk, by=None, source=Source.ADMIN)

    assert recognize_revenue_of_delivered_orders() == 1
    assert recognize_revenue_of_delivered_orders() == 0  # booked once
    assert (money_at("customer_prepayments"), money_at("sales")) == (0, 20000)
    assert verify_ledger().ok


def test_an_order_past_its_payment_deadline_cannot_be_paid(sandbox):
    from payments.exceptions import PaymentNotPossible

    order = online_order()
    Order.objects.filter(pk=order.pk).update(expires_at="2000-01-01T00:00:00Z")
    with pytest.raises(PaymentNotPossible, match="не оплатили вчасно"):
        start(order)
    assert not Payment.objects.exists()


def test_the_store_credit_page_offers_a_top_up(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert "/account/store-credit/top-up/" in client.get("/account/store-credit/").content.decode()
    page = client.get("/account/store-credit/top-up/")
    assert page.status_code == 200
    assert 'value="sandbox"' in page.content.decode()
    refused = client.post("/account/store-credit/top-up/", {"amount": "abc", "provider": "sandbox"})
    assert refused.status_code == 400
    assert not Payment.objects.exists()
    started = client.post("/account/store-credit/top-up/", {"amount": "150", "provider": "sandbox"})
    assert started.status_code == 302
    assert "/payments/sandbox/" in started["Location"]
    assert Payment.objects.get().amount == 15000

"""Issue 9 item 8: a webhook's dedupe key covers amount, currency, merchant and status.

A signed callback whose facts differ from ours goes to review; it must not block the genuine
capture that follows under what used to be the same key. A redelivery of the genuine one still
changes nothing, and a poll of the same fact meets the callback's inbox row.
"""

import pytest

from ledger.integrity import verify_ledger
from ledger.models import JournalEntry
from payments.models import WebhookEvent
from payments.providers import get_provider
from payments.providers.base import Event, ProviderUpdate
from payments.services.inbox import ingest_update
from payments.tests.conftest import deliver, online_order, signed_callback, start
from payments.tests.conftest import post_callback as post_sandbox
from payments.tests.test_providers_end_to_end import DRIVERS, PRICE, books, open_payment, post_callback

pytestmark = pytest.mark.django_db

# A signed callback for the right order naming the wrong amount, in each provider's own format.
WRONG_AMOUNT = {"fondy": {"amount": 100}, "wayforpay": {"amount": 1}, "liqpay": {"amount": 1.0}}


@pytest.fixture(params=list(DRIVERS))
def driver(request, settings):
    """Each real provider's fake started and the provider enabled against it."""
    driver = DRIVERS[request.param]()
    driver.fake.start()
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, driver.code: driver.provider_settings()}
    yield driver
    driver.fake.stop()


def test_sandbox_a_reviewed_wrong_amount_does_not_block_the_genuine_capture(sandbox):
    payment = start(online_order(price=49900))

    tampered = deliver(sandbox, payment, amount=100)
    payment.refresh_from_db()
    assert (tampered.status_code, payment.status, payment.needs_review) == (200, "pending", True)

    genuine_body, signature = signed_callback(sandbox, payment)
    genuine = post_sandbox(genuine_body, signature)
    again = post_sandbox(genuine_body, signature)

    payment.refresh_from_db()
    assert (genuine.status_code, again.status_code) == (200, 200)
    assert (payment.status, payment.captured_amount) == ("captured", 49900)
    assert JournalEntry.objects.filter(kind="capture").count() == 1
    assert sorted(WebhookEvent.objects.values_list("result", flat=True)) == ["processed", "review"]
    assert verify_ledger().ok


@pytest.mark.parametrize("field", ["currency", "merchant_id"])
def test_sandbox_a_reviewed_wrong_currency_or_merchant_does_not_block_the_capture(sandbox, field):
    payment = start(online_order(price=49900))
    deliver(sandbox, payment, **{field: "XXX"})
    deliver(sandbox, payment)
    payment.refresh_from_db()
    assert (payment.status, payment.captured_amount) == ("captured", 49900)
    assert sorted(WebhookEvent.objects.values_list("result", flat=True)) == ["processed", "review"]


def test_each_provider_a_reviewed_wrong_amount_does_not_block_the_genuine_capture(driver):
    order, payment = open_payment(driver)
    ref = str(payment.reference)
    driver.approve(ref)

    tampered = post_callback(driver, driver.fake.signed_callback(ref, **WRONG_AMOUNT[driver.code]))
    payment.refresh_from_db()
    assert (tampered.status_code, payment.status, payment.needs_review) == (200, "pending", True)
    assert JournalEntry.objects.count() == 0

    genuine = driver.callback(ref)
    first, again = post_callback(driver, genuine), post_callback(driver, genuine)

    driver.assert_acknowledged(first, ref)
    driver.assert_acknowledged(again, ref)
    payment.refresh_from_db()
    assert (payment.status, payment.captured_amount) == ("captured", PRICE)
    assert JournalEntry.objects.filter(kind="capture").count() == 1
    assert books(driver.code)[2] == PRICE
    assert sorted(WebhookEvent.objects.values_list("result", flat=True)) == ["processed", "review"]


def test_each_provider_a_poll_of_the_same_fact_meets_the_callback(driver):
    order, payment = open_payment(driver)
    ref = str(payment.reference)
    driver.approve(ref)
    post_callback(driver, driver.callback(ref))
    polled = get_provider(driver.code).fetch_status(payment_ref=ref)
    event = ingest_update(provider_code=driver.code, update=polled, source="poll")

    assert (event.source, event.result) == ("webhook", "processed")
    assert WebhookEvent.objects.count() == 1


def test_the_inbox_key_names_every_fact():
    update = ProviderUpdate(
        payment_ref="r1",
        event=Event.CAPTURED,
        provider_status="paid",
        dedupe_key="sandbox:r1:paid:0",
        amount=49900,
        currency="UAH",
        merchant_id="kramar-sandbox",
    )
    assert update.inbox_key == "sandbox:r1:paid:0|captured|49900 UAH|kramar-sandbox"
    assert ProviderUpdate(**{**update.__dict__, "amount": None, "merchant_id": None}).inbox_key == (
        "sandbox:r1:paid:0|captured|- UAH|-"
    )

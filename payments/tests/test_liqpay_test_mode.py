"""Issue 9 item 10: LiqPay's test mode comes from settings (LIQPAY_TEST_MODE, default off)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from ledger.models import JournalEntry
from orders.models import Order
from payments.models import WebhookEvent
from payments.providers import get_provider
from payments.return_links import callback_url_for, return_url_for
from payments.services import start_order_payment
from payments.tests.test_providers_end_to_end import LiqPayDriver, open_payment, post_callback
from tests.factories import ProductFactory, place_test_order

pytestmark = pytest.mark.django_db

PRINT_TEST_MODE = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.PAYMENT_PROVIDERS['liqpay']['test_mode'])"
)


def settings_read_with(**env) -> str:
    """config.settings as a fresh process reads it from this environment."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LIQPAY_")}
    environment.update(env, DJANGO_SETTINGS_MODULE="config.settings_test")
    done = subprocess.run(
        [sys.executable, "-c", PRINT_TEST_MODE],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        cwd=django_settings.BASE_DIR,
    )
    return done.stdout.strip()


def test_liqpay_test_mode_is_read_from_the_environment_and_off_by_default():
    assert settings_read_with(LIQPAY_PUBLIC_KEY="i000", LIQPAY_TEST_MODE="true") == "True"
    assert settings_read_with(LIQPAY_PUBLIC_KEY="i000", LIQPAY_TEST_MODE="false") == "False"
    assert settings_read_with(LIQPAY_PUBLIC_KEY="i000") == "False"


@pytest.fixture
def liqpay(settings, request):
    driver = LiqPayDriver()
    driver.fake.start()
    conf = {**driver.provider_settings(), "test_mode": request.param}
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, "liqpay": conf}
    yield driver
    driver.fake.stop()


@pytest.mark.parametrize("liqpay", [True], indirect=True)
def test_in_test_mode_a_sandbox_payment_captures(liqpay):
    assert get_provider("liqpay").config.test_mode is True
    order, payment = open_payment_in_sandbox(liqpay)
    ref = str(payment.reference)
    liqpay.fake.pay(ref, status="sandbox")

    response = post_callback(liqpay, liqpay.fake.signed_callback(ref))

    payment.refresh_from_db()
    assert (response.status_code, payment.status, payment.captured_amount) == (200, "captured", 49900)
    assert JournalEntry.objects.filter(kind="capture").count() == 1
    assert WebhookEvent.objects.get().result == "processed"


@pytest.mark.parametrize("liqpay", [False], indirect=True)
def test_outside_test_mode_a_sandbox_payment_is_refused(liqpay):
    assert get_provider("liqpay").config.test_mode is False
    order, payment = open_payment(liqpay)
    ref = str(payment.reference)
    liqpay.fake.pay(ref, status="sandbox")

    response = post_callback(liqpay, liqpay.fake.signed_callback(ref))

    payment.refresh_from_db()
    assert (response.status_code, payment.status, payment.captured_amount) == (200, "pending", 0)
    assert not JournalEntry.objects.exists()
    event = WebhookEvent.objects.get()
    assert (event.result, event.provider_status) == ("ignored", "sandbox")


def open_payment_in_sandbox(driver):
    """open_payment, minus its live-mode check that the form asks for no sandbox payment."""
    product = ProductFactory(stock=5, price=49900)
    order = place_test_order(items={product.pk: 1}, payment_method=Order.PaymentMethod.ONLINE)
    payment = start_order_payment(
        order_id=order.pk, provider_code="liqpay", return_url_for=return_url_for, callback_url_for=callback_url_for
    )
    assert driver.fake.checkout(payment.form_fields)["sandbox"] == "1"
    return order, payment

"""Issue 9, item 4: deeply nested JSON in a WayForPay or LiqPay callback is a 400, never a 500.

Through the real webhook view with each provider switched on (the drivers of the end-to-end
tests): the body is refused with a message and recorded in the inbox, and nothing is applied.
"""

import base64

import pytest

from payments.models import WebhookEvent
from payments.tests.test_providers_end_to_end import DRIVERS, post_callback

pytestmark = pytest.mark.django_db

DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture(params=["wayforpay", "liqpay"])
def driver(request, settings):
    driver = DRIVERS[request.param]()
    driver.fake.start()
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, driver.code: driver.provider_settings()}
    yield driver
    driver.fake.stop()


def deep_body(code: str) -> bytes:
    if code == "liqpay":  # form-encoded: data is base64 of the JSON, signed beside it
        return b"data=" + base64.b64encode(DEEP) + b"&signature=forged"
    return DEEP


def test_a_deeply_nested_callback_is_refused_and_recorded(driver):
    response = post_callback(driver, deep_body(driver.code))

    assert response.status_code in (400, 403)
    assert list(WebhookEvent.objects.values_list("provider", "result")) == [(driver.code, "rejected")]

"""Issue 9: malformed webhooks answer 400 and are recorded; business checks fail closed."""

import json

import pytest

from payments.models import Payment, WebhookEvent
from payments.providers.sandbox import sign
from payments.tests.conftest import deliver, online_order, post_callback, start

pytestmark = pytest.mark.django_db


def signed(sandbox, body: bytes):
    return body, sign(sandbox.config.secret, body)


def test_a_nul_byte_in_a_forged_body_is_refused_and_recorded(sandbox):
    response = post_callback(b'{"status": "paid\x00"}', "forged")
    assert response.status_code == 403
    event = WebhookEvent.objects.get()
    assert (event.result, event.raw_body) == ("rejected", '{"status": "paid\\x00"}')


@pytest.mark.parametrize(
    "body",
    [b"[1, 2]", b'{"status": "paid", "payment_ref": "x"}', b"[" * 100_000 + b"]" * 100_000],
    ids=["array", "no amount", "deeply nested"],
)
def test_a_signed_but_malformed_sandbox_body_answers_400_and_is_recorded(sandbox, body):
    response = post_callback(*signed(sandbox, body))
    assert (response.status_code, response.content) == (400, b"malformed callback")
    assert list(WebhookEvent.objects.values_list("result", "signature_valid")) == [("rejected", False)]


def test_a_capture_without_a_merchant_goes_to_review(sandbox):
    payment = start(online_order())
    deliver(sandbox, payment, merchant_id=None)
    payment.refresh_from_db()
    assert (payment.status, payment.needs_review) == ("pending", True)
    assert WebhookEvent.objects.get().result == "review"


def test_a_capture_without_a_currency_goes_to_review(sandbox):
    payment = start(online_order())
    deliver(sandbox, payment, currency="")
    payment.refresh_from_db()
    assert (payment.status, payment.needs_review) == ("pending", True)
    assert Payment.objects.get().review_reason.startswith("Provider reported currency")
    assert json.loads(WebhookEvent.objects.get().raw_body)["currency"] == ""

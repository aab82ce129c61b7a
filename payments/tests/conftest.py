import pytest
from django.test import Client

from ledger.selectors import balance_of
from orders.models import Order
from payments.models import Payment
from payments.providers import get_provider
from payments.return_links import callback_url_for, return_url_for
from payments.services import start_order_payment
from tests.factories import ProductFactory, place_test_order

CALLBACK_URL = "/payments/callback/sandbox/"


@pytest.fixture
def sandbox():
    return get_provider("sandbox")


def online_order(*, stock=5, price=49900, quantity=1, **kwargs) -> Order:
    product = ProductFactory(stock=stock, price=price)
    return place_test_order(items={product.pk: quantity}, payment_method=Order.PaymentMethod.ONLINE, **kwargs)


def start(order: Order) -> Payment:
    return start_order_payment(
        order_id=order.pk, provider_code="sandbox", return_url_for=return_url_for, callback_url_for=callback_url_for
    )


def signed_callback(sandbox, payment: Payment, status: str = "paid", **overrides) -> tuple[bytes, str]:
    """The body and signature the Sandbox gateway would send for this payment."""
    state = sandbox.set_outcome(
        ref=str(payment.reference),
        amount=payment.amount,
        currency=payment.currency,
        status=status,
        refunded=overrides.pop("refunded", 0),
    )
    state.update(overrides)
    body, signature = sandbox.callback_body(state)
    return body.encode(), signature


def post_callback(body: bytes, signature: str, client=None):
    client = client or Client()
    return client.post(
        CALLBACK_URL, data=body, content_type="application/json", headers={"X-Sandbox-Signature": signature}
    )


def deliver(sandbox, payment, status="paid", **overrides):
    return post_callback(*signed_callback(sandbox, payment, status, **overrides))


def money_at(code: str) -> int:
    return balance_of(code=code)

"""Issue 9 item 11: the shopper's return URL carries a secret of its own.

The payment reference is the provider's order id, so it is no secret: a return URL guessed
or forged from it lands on a neutral page without the order's personal data, unless this
browser placed the order (or its signed-in owner comes back).
"""

from urllib.parse import urlsplit

import pytest
from django.test import Client

from orders.cart import remember_order
from payments.return_links import return_url_for
from payments.tests.conftest import online_order, start
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PERSONAL = ("Olena Shevchenko", "+380671234567", "olena@example.com")


def path_of(url: str) -> str:
    return urlsplit(url).path


def near_miss(url: str) -> str:
    """The genuine URL with the secret's last character changed."""
    head, last = url[:-2], url[-2]
    return f"{head}{'A' if last != 'A' else 'B'}/"


def assert_neutral(response, order) -> None:
    assert response.status_code == 200
    page = response.content.decode()
    assert "Перевіряємо вашу оплату" in page
    assert order.get_absolute_url() not in page
    assert order.public_token not in page
    for detail in PERSONAL:
        assert detail not in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_genuine_return_url_leads_to_the_order(sandbox, method):
    order = online_order()
    payment = start(order)
    url = path_of(return_url_for(payment))
    assert url.startswith(f"/payments/return/{payment.reference}/")

    response = getattr(Client(), method)(url, data={"orderReference": str(payment.reference)})

    assert (response.status_code, response["Location"]) == (302, order.get_absolute_url())


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "forge",
    [
        lambda payment: f"/payments/return/{payment.reference}/",  # the reference alone
        lambda payment: f"/payments/return/{payment.reference}/forged-token/",
        lambda payment: near_miss(path_of(return_url_for(payment))),
    ],
    ids=["no secret", "forged secret", "near miss"],
)
def test_a_guessed_or_forged_return_url_reveals_nothing(sandbox, method, forge):
    order = online_order()
    payment = start(order)

    response = getattr(Client(), method)(forge(payment), follow=True)

    assert response.redirect_chain == []
    assert_neutral(response, order)


def test_another_payments_secret_does_not_open_this_order(sandbox):
    order = online_order()
    payment = start(order)
    other = start(online_order())
    token = path_of(return_url_for(other)).rstrip("/").rsplit("/", 1)[1]

    response = Client().get(f"/payments/return/{payment.reference}/{token}/")

    assert_neutral(response, order)


def test_the_browser_that_placed_the_order_needs_no_secret(sandbox):
    order = online_order()
    payment = start(order)
    client = Client()
    session = client.session
    remember_order(session, public_token=order.public_token)
    session.save()

    response = client.get(f"/payments/return/{payment.reference}/")

    assert (response.status_code, response["Location"]) == (302, order.get_absolute_url())


def test_the_signed_in_owner_needs_no_secret(sandbox):
    customer = UserFactory()
    order = online_order(customer=customer)
    payment = start(order)
    client = Client()
    client.force_login(customer)

    response = client.post(f"/payments/return/{payment.reference}/")

    assert (response.status_code, response["Location"]) == (302, order.get_absolute_url())


def test_another_signed_in_customer_sees_nothing(sandbox):
    order = online_order(customer=UserFactory())
    payment = start(order)
    client = Client()
    client.force_login(UserFactory())

    assert_neutral(client.get(f"/payments/return/{payment.reference}/"), order)

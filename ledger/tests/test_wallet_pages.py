"""The customer's store-credit page: their own wallet only, exact amounts, flat cost."""

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from ledger.services import create_hold, credit_wallet, debit_wallet
from ledger.tests.conftest import new_key
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE_URL = "/account/store-credit/"
NBSP = "\u00a0"


def test_the_page_lives_where_the_wallet_email_points():
    assert reverse("accounts:store_credit") == PAGE_URL


def test_the_page_needs_a_login(client):
    response = client.get(PAGE_URL)

    assertRedirects(response, f"{reverse('accounts:login')}?next={PAGE_URL}", fetch_redirect_response=False)


def test_a_customer_without_a_wallet_sees_zero_and_an_explanation(client):
    client.force_login(UserFactory())

    response = client.get(PAGE_URL)

    assert response.status_code == 200
    assertContains(response, f'<dd class="wallet-balance">0,00{NBSP}₴</dd>', html=True)
    assertContains(response, "You have no store credit yet.", count=1)
    assertNotContains(response, "wallet-history")
    assert response.context["history"] == []
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_balance_and_history_after_a_credit_and_a_debit(client, django_capture_on_commit_callbacks):
    # given 150.50 of goodwill credit, 1 200.00 of compensation, then 50.25 taken back
    me = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        credit_wallet(user_id=me.pk, amount=15050, reason="Sorry for the delay", by=None, idempotency_key=new_key())
        credit_wallet(user_id=me.pk, amount=120000, reason="Broken kettle", by=None, idempotency_key=new_key())
        debit_wallet(user_id=me.pk, amount=5025, reason="Credited twice by mistake", by=None, idempotency_key=new_key())
    client.force_login(me)

    # when I open my store credit
    response = client.get(PAGE_URL)

    # then the balance is exact and the movements are listed newest first with the balance after each
    assertContains(response, f'<dd class="wallet-balance">1\u202f300,25{NBSP}₴</dd>', html=True)
    rows = [(line["what"], line["amount"], line["balance"]) for line in response.context["history"]]
    assert rows == [
        ("Credited twice by mistake", f"\u221250,25{NBSP}₴", 130025),
        ("Broken kettle", f"+1\u202f200,00{NBSP}₴", 135050),
        ("Sorry for the delay", f"+150,50{NBSP}₴", 15050),
    ]
    assertContains(response, f'<td class="num money-out" data-label="Amount">\u221250,25{NBSP}₴</td>', html=True)
    assertContains(response, f'<td class="num money-in" data-label="Amount">+150,50{NBSP}₴</td>', html=True)
    assertContains(response, f'<td class="num" data-label="Balance after">1\u202f350,50{NBSP}₴</td>', html=True)
    assertNotContains(response, "You have no store credit yet.")
    # and each change sent an e-mail that links to this very page
    assert len(mail.outbox) == 3
    assert all(f"{settings.SITE_URL.rstrip('/')}{PAGE_URL}" in message.body for message in mail.outbox)


def test_money_on_hold_is_shown_apart_from_the_balance(client, funded_wallet):
    # given 300.00 of credit of which 120.00 is reserved by a checkout in progress
    me, wallet = funded_wallet(30000)
    create_hold(account=wallet, amount=12000, idempotency_key=new_key("hold"))
    client.force_login(me)

    response = client.get(PAGE_URL)

    assertContains(response, f'<dd class="wallet-balance">300,00{NBSP}₴</dd>', html=True)
    assertContains(response, f'<dd class="wallet-held">120,00{NBSP}₴</dd>', html=True)
    assertContains(response, f'<dd class="wallet-available">180,00{NBSP}₴</dd>', html=True)


def test_a_customer_never_sees_another_customers_wallet(client, funded_wallet):
    # given another customer with 777.00 of credit, and me with none
    other, _ = funded_wallet(77700)
    client.force_login(UserFactory())

    # when I open my store credit, even asking for theirs in the query string
    response = client.get(PAGE_URL, {"user": other.pk, "user_id": other.pk, "account": other.pk})

    # then I see only my (empty) wallet
    assertContains(response, f'<dd class="wallet-balance">0,00{NBSP}₴</dd>', html=True)
    assertContains(response, "You have no store credit yet.")
    assertNotContains(response, "777.00")
    assertNotContains(response, "opening credit")
    assert response.context["wallet"] is None


def test_each_customer_sees_their_own_balance(client, funded_wallet):
    first, _ = funded_wallet(10000)
    second, _ = funded_wallet(25000)

    client.force_login(first)
    first_page = client.get(PAGE_URL)
    client.force_login(second)
    second_page = client.get(PAGE_URL)

    assert first_page.context["balance"] == 10000
    assert second_page.context["balance"] == 25000
    assertNotContains(first_page, "250.00")
    assertNotContains(second_page, "100.00")


@pytest.mark.parametrize("movements", [1, 60])
def test_the_page_costs_the_same_however_long_the_history(client, funded_wallet, django_assert_num_queries, movements):
    # given a wallet with one movement, or more than the page shows
    me, _ = funded_wallet(100)
    for _ in range(movements - 1):
        credit_wallet(user_id=me.pk, amount=100, reason="Loyalty bonus", by=None, idempotency_key=new_key())
    client.force_login(me)

    # the session row, the user, the wallet, its newest postings with their entries, the header's cart count
    with django_assert_num_queries(5):
        response = client.get(PAGE_URL)

    # and at most the 50 newest movements are listed, newest first
    history = response.context["history"]
    assert len(history) == min(movements, 50)
    assert history[0]["balance"] == movements * 100
    if movements > 50:
        assertContains(response, "The 50 latest movements are shown.")
        assert history[-1]["balance"] == (movements - 49) * 100
    else:
        assertNotContains(response, "latest movements are shown")


def test_the_header_links_logged_in_customers_to_their_store_credit(client):
    anonymous = client.get(reverse("catalog:product_list"))
    client.force_login(UserFactory())
    logged_in = client.get(reverse("catalog:product_list"))

    assertNotContains(anonymous, f'href="{PAGE_URL}"')
    assertContains(logged_in, f'<a href="{PAGE_URL}">Store credit</a>', html=True, count=1)

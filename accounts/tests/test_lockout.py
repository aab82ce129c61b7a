"""django-axes lockout: one counter per account whatever the letter case, a budget per address."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import DEMO_PASSWORD, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
ADMIN_LOGIN_URL = reverse("admin:login")
TOKEN_URL = "/api/v1/auth/token/"

CASES = ["V1@KRAMAR.LOCAL", "v1@Kramar.local", "V1@kramar.LOCAL", " v1@KRAMAR.local", "v1@kramar.locaL"]


def shop_login(client, email, password):
    return client.post(LOGIN_URL, {"username": email, "password": password})


def admin_login(client, email, password):
    return client.post(ADMIN_LOGIN_URL, {"username": email, "password": password, "next": "/admin/"})


def api_login(client, email, password):
    return APIClient().post(TOKEN_URL, {"email": email, "password": password}, format="json")


@pytest.mark.parametrize("login", [shop_login, admin_login, api_login])
def test_mixed_case_failures_share_one_counter_and_lock_the_account(login):
    # given a staff account, guessed wrong as often as the limit allows in five spellings
    user = StaffFactory(email="v1@kramar.local")
    client = Client()
    assert len(CASES) == settings.AXES_FAILURE_LIMIT
    for email in CASES:
        login(client, email, "guess")

    # then axes holds one counter for the account, and the right password is refused
    assert list(AccessAttempt.objects.values_list("username", "failures_since_start")) == [("v1@kramar.local", 5)]
    response = login(client, "v1@kramar.local", DEMO_PASSWORD)
    assert response.status_code == 429
    assert client.session.get(SESSION_KEY) is None
    assert not Token.objects.filter(user=user).exists()


@pytest.mark.parametrize("login", [shop_login, api_login])
@pytest.mark.parametrize("look_alike", ["admın@kramar.local", "admin@kramar.local\u017f", "ADMİN@kramar.local"])
def test_a_look_alike_spelling_never_logs_into_a_locked_account(login, look_alike):
    # given a locked staff account
    user = StaffFactory(email="admin@kramar.local")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(Client(), "admin@kramar.local", "guess")
    assert login(Client(), "admin@kramar.local", DEMO_PASSWORD).status_code == 429

    # when the right password comes with a spelling PostgreSQL's UPPER() would fold onto it
    client = Client()
    response = login(client, look_alike, DEMO_PASSWORD)

    # then it names no account: no session, no token
    assert response.status_code in (200, 400)
    assert client.session.get(SESSION_KEY) is None
    assert not Token.objects.filter(user=user).exists()


def test_one_address_spraying_many_accounts_is_locked_out(settings):
    settings.AXES_IP_FAILURE_LIMIT = 8
    # given accounts, each guessed once from the same address (never 5 for one account)
    victim = UserFactory(email="victim@example.com")
    client = Client()
    for i in range(7):
        response = shop_login(client, f"user{i}@example.com", "guess")
        assert response.status_code == 200
    # the eighth failure spends the address's budget
    response = shop_login(client, "user7@example.com", "guess")
    assert response.status_code == 429

    # then even a right password for another account is refused from that address...
    assert shop_login(client, victim.email, DEMO_PASSWORD).status_code == 429
    assert api_login(None, victim.email, DEMO_PASSWORD).status_code == 429
    assert client.session.get(SESSION_KEY) is None
    # ...while another address logs in
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert other.post(LOGIN_URL, {"username": victim.email, "password": DEMO_PASSWORD}).status_code == 302


def test_logging_into_ones_own_account_does_not_reset_the_address_budget(settings):
    settings.AXES_IP_FAILURE_LIMIT = 6
    own = UserFactory(email="attacker@example.com")
    client = Client()
    for i in range(5):
        shop_login(client, f"user{i}@example.com", "guess")
        # a login to the attacker's own account in between
        assert shop_login(Client(), own.email, DEMO_PASSWORD).status_code == 302

    assert shop_login(client, "user5@example.com", "guess").status_code == 429


def test_a_success_still_clears_the_failures_of_that_account():
    user = UserFactory(email="olena@example.com")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        shop_login(client, "OLENA@example.com", "guess")
    assert shop_login(client, "Olena@Example.com", DEMO_PASSWORD).status_code == 302
    assert AccessAttempt.objects.filter(username=user.email).count() == 0


# --- the lockout answer ---------------------------------------------------------------------

LOCKED_MESSAGE = (
    "Забагато невдалих спроб входу. Зачекайте 30 хв або попросіть магазин розблокувати ваш обліковий запис."
)


def lock(login, client):
    UserFactory(email="olena@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "olena@example.com", "guess")
    return login(client, "olena@example.com", DEMO_PASSWORD)


@pytest.mark.parametrize("login", [shop_login, admin_login])
def test_a_locked_out_page_is_a_rendered_429_page_with_retry_after(login):
    response = lock(login, Client())

    assert response.status_code == 429
    assert response["Retry-After"] == "1800"
    assert response["Content-Type"] == "text/html; charset=utf-8"
    body = response.content.decode()
    assert "<h1>Login temporarily locked</h1>" in body
    assert f"<p>{LOCKED_MESSAGE}</p>" in body


def test_a_locked_out_api_client_gets_json_429():
    response = lock(api_login, None)

    assert response.status_code == 429
    assert response["Retry-After"] == "1800"
    assert response.json() == {"detail": LOCKED_MESSAGE, "code": "locked_out"}

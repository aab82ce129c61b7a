import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from accounts.models import User
from tests.factories import DEMO_PASSWORD, ProductFactory, UserFactory, place_test_order

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
LOGOUT_URL = reverse("accounts:logout")
SIGNUP_URL = reverse("accounts:signup")
ORDERS_URL = reverse("accounts:orders")

SIGNUP = {
    "email": "Mykola@Example.com",
    "full_name": "Mykola Bondar",
    "phone": "050 111 22 33",
    "password1": "stepped-on-a-rake-42",
    "password2": "stepped-on-a-rake-42",
}


def logged_in_user_id(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


# --- login and logout -----------------------------------------------------------------------


def test_login_by_email_in_any_case_goes_to_my_orders(client):
    user = UserFactory(email="olena@example.com")

    response = client.post(LOGIN_URL, {"username": "OLENA@example.com", "password": DEMO_PASSWORD})

    assertRedirects(response, ORDERS_URL, fetch_redirect_response=False)
    assert logged_in_user_id(client) == user.pk


def test_login_follows_a_safe_next_link(client):
    UserFactory(email="olena@example.com")

    response = client.post(
        LOGIN_URL, {"username": "olena@example.com", "password": DEMO_PASSWORD, "next": "/checkout/"}
    )

    assertRedirects(response, "/checkout/", fetch_redirect_response=False)


def test_wrong_password_is_refused_with_a_clear_message(client):
    UserFactory(email="olena@example.com")

    response = client.post(LOGIN_URL, {"username": "olena@example.com", "password": "wrong"})

    assert response.status_code == 200
    assertContains(response, "Неправильна електронна пошта або пароль. Перевірте їх і спробуйте ще раз.", count=1)
    assert logged_in_user_id(client) is None


def test_login_page_asks_for_an_email(client):
    response = client.get(LOGIN_URL)

    assertContains(response, '<label for="id_username">Електронна пошта:</label>', html=True)
    assertContains(response, 'type="email" name="username"')


def test_logout_is_a_post(client):
    client.force_login(UserFactory())

    refused = client.get(LOGOUT_URL)
    response = client.post(LOGOUT_URL)

    assert refused.status_code == 405
    assertRedirects(response, "/", fetch_redirect_response=False)
    assert logged_in_user_id(client) is None


# --- sign up --------------------------------------------------------------------------------


def test_signup_creates_the_customer_and_logs_them_in(client):
    # when a shopper signs up with a phone typed the way people type it
    response = client.post(SIGNUP_URL, SIGNUP)

    # then the account exists with a normalized e-mail and phone, and they are logged in
    assertRedirects(response, ORDERS_URL, status_code=303, fetch_redirect_response=False)
    user = User.objects.get()
    assert (user.email, user.full_name, user.phone) == ("mykola@example.com", "Mykola Bondar", "+380501112233")
    assert (user.is_staff, user.is_superuser) == (False, False)
    assert user.check_password("stepped-on-a-rake-42")
    assert logged_in_user_id(client) == user.pk


def test_signup_phone_is_optional(client):
    client.post(SIGNUP_URL, {**SIGNUP, "phone": ""})

    assert User.objects.get().phone == ""


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Введіть правильну адресу електронної пошти."),
        ({"full_name": ""}, "full_name", "Введіть ваше ім’я."),
        ({"phone": "12345"}, "phone", "Введіть український номер телефону, наприклад +380671234567 або 067 123 45 67."),
        ({"password2": "something-else-42"}, "password2", "Паролі не збігаються"),
        ({"password1": "12345678", "password2": "12345678"}, "password2", "Пароль занадто поширений."),
    ],
)
def test_invalid_signup_is_refused_and_creates_nobody(client, changes, field, message):
    response = client.post(SIGNUP_URL, {**SIGNUP, **changes})

    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assertContains(response, f'id="id_{field}_error"', status_code=400)
    assert User.objects.count() == 0
    assert logged_in_user_id(client) is None


def test_signup_with_a_taken_email_in_another_case_is_refused(client):
    UserFactory(email="mykola@example.com")

    response = client.post(SIGNUP_URL, SIGNUP)

    assert response.status_code == 400
    assertContains(
        response,
        "Обліковий запис із цією електронною поштою вже існує. Увійдіть замість реєстрації.",
        count=2,
        status_code=400,
    )
    assert User.objects.count() == 1


def test_logged_in_user_is_sent_from_signup_to_their_orders(client):
    client.force_login(UserFactory())

    assertRedirects(client.get(SIGNUP_URL), ORDERS_URL, fetch_redirect_response=False)


# --- my orders ------------------------------------------------------------------------------


def test_my_orders_needs_a_login(client):
    response = client.get(ORDERS_URL)

    assertRedirects(response, f"{LOGIN_URL}?next={ORDERS_URL}", fetch_redirect_response=False)


def test_my_orders_lists_only_my_orders_newest_first_with_secret_links(client):
    # given two orders of mine, one of another customer and a guest order with my e-mail
    me = UserFactory(email="olena@example.com")
    product = ProductFactory(price=10000, stock=20)
    older = place_test_order(customer=me, items={product.pk: 1})
    newer = place_test_order(customer=me, items={product.pk: 3})
    theirs = place_test_order(customer=UserFactory(), items={product.pk: 2})
    guest = place_test_order(items={product.pk: 4}, email="olena@example.com")
    client.force_login(me)

    # when I open my orders
    response = client.get(ORDERS_URL)

    # then I see exactly mine, newest first, each linking to its secret page
    assert response.status_code == 200
    assert list(response.context["orders"]) == [newer, older]
    assertContains(response, f'<a href="/orders/{newer.public_token}/">{newer.number}</a>', html=True)
    assertContains(response, f'<a href="/orders/{older.public_token}/">{older.number}</a>', html=True)
    assertContains(response, "300,00\u00a0₴")
    for other in (theirs, guest):
        assertNotContains(response, other.number)
        assertNotContains(response, other.public_token)
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_my_orders_costs_the_same_however_many_orders(client, django_assert_num_queries):
    me = UserFactory()
    products = [ProductFactory(stock=50) for _ in range(3)]
    for _ in range(5):
        place_test_order(customer=me, items={p.pk: 1 for p in products})
    client.force_login(me)

    # the session (in the database), the user, a count for the pages, the orders, their lines,
    # and the header's cart count
    with django_assert_num_queries(6):
        response = client.get(ORDERS_URL)

    assert len(response.context["orders"]) == 5


def test_my_orders_when_there_are_none(client):
    client.force_login(UserFactory())

    response = client.get(ORDERS_URL)

    assert list(response.context["orders"]) == []
    assertContains(response, "У вас ще немає замовлень.")

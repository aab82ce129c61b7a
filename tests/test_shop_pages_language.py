"""Every shop page speaks Ukrainian at / and English under /en/ (issue 10).

Each page is rendered in both languages: the Ukrainian one must show its Ukrainian text and
none of a list of known English phrases (tests/shop_pages.py), the English one its English.
"""

import copy
import uuid

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views.defaults import server_error

from ledger.services import credit_wallet
from ledger.tests.conftest import new_key
from orders.models import Order
from payments.return_links import callback_url_for, return_url_for
from payments.services import start_order_payment
from shipping.services import create_labels, plan_shipments
from shipping.tests.conftest import confirmed_order
from tests.shop_pages import checkout_post, customer, english_left, readable_text, ukrainian_order, ukrainian_product

pytestmark = pytest.mark.django_db

PRODUCT = "Мідний чайник"
# The shopper's own data and the shop's fixed names, which are not the page's language.
DATA = [PRODUCT, "olena@example.com", "Sandbox", "LiqPay", "Apple Pay", "Google Pay", "KET-001"]


@pytest.fixture(autouse=True)
def ukrainian_thread():
    """Start each test in Ukrainian: a request leaves its language active in the thread."""
    with translation.override("uk"):
        yield


def url(lang: str, name: str, **kwargs) -> str:
    with translation.override(lang):
        return reverse(name, kwargs=kwargs or None)


def in_cart(client: Client, lang: str, quantity: int = 2):
    product = ukrainian_product()
    client.post(url(lang, "orders:cart_add"), {"product_id": product.pk, "quantity": quantity})
    return product


def catalog(client, lang):
    ukrainian_product()
    return client.get(url(lang, "catalog:product_list"))


def search_without_results(client, lang):
    ukrainian_product()
    return client.get(url(lang, "catalog:product_list"), {"q": "самовар"})


def product_page(client, lang):
    ukrainian_product()
    return client.get(url(lang, "catalog:product_detail", slug="midnyi-chainyk"))


def cart(client, lang):
    in_cart(client, lang)
    return client.get(url(lang, "orders:cart"))


def empty_cart(client, lang):
    return client.get(url(lang, "orders:cart"))


def checkout(client, lang):
    in_cart(client, lang)
    return client.get(url(lang, "orders:checkout"))


def checkout_with_errors(client, lang):
    in_cart(client, lang)
    data = checkout_post(client)
    data.update(phone="12345", email="olena@", full_name="")
    return client.post(url(lang, "orders:checkout"), data)


def checkout_stale(client, lang):
    in_cart(client, lang)
    data = checkout_post(client)
    data["checkout_token"] = "x" * 43  # a form from before the cart changed
    return client.post(url(lang, "orders:checkout"), data)


def cod_order_page(client, lang):
    order = ukrainian_order()
    with translation.override(lang):
        return client.get(order.get_absolute_url())


def online_order_page(client, lang):
    order = ukrainian_order(payment_method=Order.PaymentMethod.ONLINE)
    start_order_payment(
        order_id=order.pk, provider_code="sandbox", return_url_for=return_url_for, callback_url_for=callback_url_for
    )
    with translation.override(lang):
        return client.get(order.get_absolute_url())


def sandbox_gateway(client, lang):
    order = ukrainian_order(payment_method=Order.PaymentMethod.ONLINE)
    payment = start_order_payment(
        order_id=order.pk, provider_code="sandbox", return_url_for=return_url_for, callback_url_for=callback_url_for
    )
    token = payment.redirect_url.rstrip("/").rsplit("/", 1)[-1]
    return client.get(url(lang, "payments:sandbox_gateway", token=token))


def payment_redirect(client, lang):
    order = ukrainian_order(payment_method=Order.PaymentMethod.ONLINE)
    with translation.override(lang):
        return client.post(order.get_absolute_url() + "pay/", {"provider": "liqpay"})


def return_checking(client, lang):
    return client.get(url(lang, "payments:return_unsigned", reference=uuid.uuid4()))


def account_orders(client, lang):
    ukrainian_order(customer=customer(client))
    return client.get(url(lang, "accounts:orders"))


def store_credit(client, lang):
    user = customer(client)
    credit_wallet(user_id=user.pk, amount=15050, reason="Вибачте за затримку", by=None, idempotency_key=new_key())
    return client.get(url(lang, "accounts:store_credit"))


def top_up(client, lang):
    customer(client)
    return client.get(url(lang, "payments:top_up"))


def top_up_refused(client, lang):
    customer(client)
    return client.post(url(lang, "payments:top_up"), {"amount": "10", "provider": "nope"})


def login(client, lang):
    return client.get(url(lang, "accounts:login"))


def login_refused(client, lang):
    return client.post(url(lang, "accounts:login"), {"username": "nobody@example.com", "password": "wrong"})


def signup(client, lang):
    return client.get(url(lang, "accounts:signup"))


def signup_refused(client, lang):
    data = {"email": "olena@", "full_name": "", "phone": "1", "password1": "x-42-long-pass", "password2": "other"}
    return client.post(url(lang, "accounts:signup"), data)


def not_found(client, lang):
    return client.get("/no-such-page/" if lang == "uk" else "/en/no-such-page/")


def locked_out(client, lang):
    customer(Client())
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(url(lang, "accounts:login"), {"username": "olena@example.com", "password": "guess"})
    return response


PAGES = {
    # page: (status, Ukrainian text, English text)
    "catalog": (catalog, 200, "Усі товари", "All products"),
    "search": (search_without_results, 200, "За запитом «самовар» нічого не знайдено", "No products match"),
    "product": (product_page, 200, "Додати в кошик", "Add to cart"),
    "cart": (cart, 200, "Разом (2 товари)", "Total (2 items)"),
    "empty cart": (empty_cart, 200, "Ваш кошик порожній.", "Your cart is empty."),
    "checkout": (checkout, 200, "Оформлення замовлення", "Checkout"),
    "checkout errors": (checkout_with_errors, 400, "Введіть правильну адресу електронної пошти.", "Enter a valid"),
    "checkout stale": (checkout_stale, 409, "Перевірте замовлення нижче", "Check your order below"),
    "COD order": (cod_order_page, 200, "Ми зателефонуємо вам на номер", "We will call you at"),
    "online order": (online_order_page, 200, "Оплата обробляється", "Payment processing"),
    "sandbox gateway": (sandbox_gateway, 200, "жодні гроші не списуються", "no money moves"),
    "payment redirect": (payment_redirect, 200, "Переходимо на сторінку оплати", "Going to the payment page"),
    "return checking": (return_checking, 200, "Перевіряємо вашу оплату", "We are checking your payment"),
    "my orders": (account_orders, 200, "Мої замовлення", "My orders"),
    "store credit": (store_credit, 200, "Поповнити карткою", "Top up by card"),
    "top up": (top_up, 200, "Поповніть свій баланс у магазині", "Top up your store credit"),
    "top up refused": (top_up_refused, 400, "Виберіть один із запропонованих способів оплати.", "Choose one of"),
    "login": (login, 200, "Уперше тут?", "New here?"),
    "login refused": (login_refused, 200, "Неправильна електронна пошта або пароль", "The e-mail or password"),
    "signup": (signup, 200, "Створіть обліковий запис", "Create an account"),
    "signup refused": (signup_refused, 400, "Будь ласка, виправте помилки", "Please fix the following"),
    "404": (not_found, 404, "Сторінку не знайдено", "Page not found"),
    "lockout": (locked_out, 429, "Вхід тимчасово заблоковано", "Login temporarily locked"),
}


@pytest.fixture
def liqpay_on(settings):
    """LiqPay switched on (its checkout is a signed form the page posts: no HTTP call here)."""
    providers = copy.deepcopy(settings.PAYMENT_PROVIDERS)
    providers["liqpay"].update(enabled=True, public_key="pub", merchant_id="pub", secret="secret")
    settings.PAYMENT_PROVIDERS = providers


@pytest.mark.usefixtures("liqpay_on")
@pytest.mark.parametrize("page", PAGES)
def test_each_shop_page_is_ukrainian_at_the_root(page):
    build, status, ukrainian, _english = PAGES[page]

    response = build(Client(), "uk")

    assert response.status_code == status
    assert response["Content-Language"] == "uk"
    assert '<html lang="uk">' in response.content.decode()
    assert ukrainian in readable_text(response)
    assert english_left(response, allowed=DATA) == []


@pytest.mark.usefixtures("liqpay_on")
@pytest.mark.parametrize("page", PAGES)
def test_each_shop_page_is_english_under_en(page):
    build, status, _ukrainian, english = PAGES[page]

    response = build(Client(), "en")

    assert response.status_code == status
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()
    assert english in readable_text(response)


def test_order_page_names_status_payment_and_parcel_in_ukrainian():
    order = ukrainian_order()
    response = Client().get(order.get_absolute_url())
    text = readable_text(response)
    assert "Спосіб оплати" in text
    assert "Стан оплати Оплата при отриманні (накладений платіж)" in text
    assert "Доставка Нова Пошта Київ" in text
    assert f"Замовлення №{order.number}" in text
    assert "Історія Оформлено" in text


def test_the_500_page_is_ukrainian_by_default_and_english_under_en():
    request = RequestFactory().get("/")
    with translation.override("uk"):
        ukrainian = server_error(request).content.decode()
    with translation.override("en"):
        english = server_error(request).content.decode()

    assert '<html lang="uk">' in ukrainian
    assert "Щось пішло не так на нашому боці" in ukrainian
    assert "Something went wrong" not in ukrainian
    assert '<a href="/">' in ukrainian
    assert '<html lang="en">' in english
    assert "Something went wrong on our side" in english
    assert '<a href="/en/">' in english


@pytest.mark.parametrize(
    ("count", "badge"), [(1, "1 товар"), (2, "2 товари"), (4, "4 товари"), (5, "5 товарів"), (11, "11 товарів")]
)
def test_the_cart_badge_says_the_count_with_ukrainian_plurals(count, badge):
    client = Client()
    in_cart(client, "uk", quantity=count)

    response = client.get("/")

    assert f'<span class="badge" aria-label="{badge}">{count}</span>' in response.content.decode()


def test_the_cart_badge_in_english():
    client = Client()
    in_cart(client, "en", quantity=1)
    assert '<span class="badge" aria-label="1 item">1</span>' in client.get("/en/").content.decode()


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        ("uk", ["Накладна (ТТН)", "Спаковано: посилка чекає на передачу Новій Пошті.", "Посилка"]),
        ("en", ["Waybill (TTN)", "Packed: the parcel is waiting to be handed to Nova Poshta.", "Parcel"]),
    ],
)
def test_the_order_page_tells_the_parcel_and_its_waybill_in_the_pages_language(lang, texts):
    # given an order whose Nova Poshta label the (sandbox) carrier created
    order = confirmed_order()
    plan_shipments()
    assert create_labels() == 1
    order.refresh_from_db()

    # when the shopper opens its page in that language
    with translation.override(lang):
        response = Client().get(order.get_absolute_url())

    # then the waybill and the parcel's state read in it
    text = readable_text(response)
    assert all(wanted in text for wanted in texts), text
    assert order.tracking_number in text
    if lang == "uk":
        assert english_left(response, allowed=[*DATA, order.delivery_city, order.delivery_branch]) == []

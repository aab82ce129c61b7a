"""Every e-mail about an order, in the language the order was placed in, whoever triggers it."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import SentEmail
from core.money import format_money
from ledger.services import credit_wallet
from orders.models import Order
from orders.notifications import KINDS, send_order_email
from orders.tests.test_views import ADD_URL, checkout_form
from tests.factories import ProductFactory, StaffFactory, UserFactory, np_branch, place_test_order

pytestmark = pytest.mark.django_db

NNBSP, NBSP = "\u202f", "\u00a0"
# Phrases an English template leaves behind when a string is not marked or not translated.
ENGLISH_LEFTOVERS = (
    "Your order",
    "Dear",
    "Thank you",
    "Hello",
    "Order ",
    "received",
    "confirmed",
    "cancelled",
    "on its way",
    "Total",
    "Delivery",
    "Nova Poshta",
    "waybill",
    "Track it",
    "store credit",
    "cash on delivery",
    "Placed on",
    "left to pay",
    "expired",
)
UK_SUBJECTS = {
    "placed": "Замовлення №{} отримано",
    "confirmed": "Замовлення №{} підтверджено",
    "shipped": "Замовлення №{} уже в дорозі",
    "cancelled": "Замовлення №{} скасовано",
    "expired": "Замовлення №{} скасовано: оплата не надійшла",
}
UK_SENTENCES = {
    "placed": "Ми отримали ваше замовлення №{}. Ми зателефонуємо вам на номер +380 67 123 45 67, щоб його підтвердити.",
    "confirmed": "Ваше замовлення №{} підтверджено, ми вже його пакуємо.",
    "shipped": "Ваше замовлення №{} уже в дорозі. Накладна Нової Пошти (ТТН): 20450000000001.",
    "cancelled": "Ваше замовлення №{} скасовано.",
    "expired": "Термін оплати замовлення №{} минув: оплата не надійшла вчасно, тому резерв товарів знято.",
}
EN_SUBJECTS = {
    "placed": "Order {} received",
    "confirmed": "Order {} confirmed",
    "shipped": "Order {} is on its way",
    "cancelled": "Order {} cancelled",
    "expired": "Order {} expired: payment not received",
}
EN_SENTENCES = {
    "placed": "we received your order {}. We will call you at +380 67 123 45 67 to confirm it.",
    "confirmed": "your order {} is confirmed and is being packed.",
    "shipped": "your order {} is on its way. Nova Poshta waybill (TTN): 20450000000001.",
    "cancelled": "your order {} was cancelled.",
    "expired": "your order {} expired because its payment did not arrive in time. The goods were released.",
}


def an_order(language: str) -> Order:
    """A COD order of two kettles at 1 399,00 ₴, placed in `language`, with its waybill."""
    kettle = ProductFactory(name="Чайник мідний", price=139900, stock=5)
    with translation.override(language):
        order = place_test_order(items={kettle.pk: 2}, full_name="Олена Шевченко")
    assert order.language == language
    # the waybill only matters to the "shipped" text; the other kinds ignore it
    Order.objects.filter(pk=order.pk).update(tracking_number="20450000000001")
    return Order.objects.get(pk=order.pk)


def sent(order: Order, kind: str):
    mail.outbox = []
    SentEmail.objects.all().delete()  # each kind once per order; here every kind is rendered afresh
    assert send_order_email(order_id=order.pk, kind=kind) is True
    (message,) = mail.outbox
    return message


@pytest.mark.parametrize("kind", KINDS)
def test_every_order_email_is_ukrainian_for_a_ukrainian_order(kind):
    order = an_order("uk")
    message = sent(order, kind)
    assert message.subject == UK_SUBJECTS[kind].format(order.number)
    body = message.body
    assert body.startswith("Добрий день, Олена Шевченко!\n")
    assert UK_SENTENCES[kind].format(order.number) in body
    assert f"  2 × Чайник мідний — 2{NNBSP}798,00{NBSP}₴\n" in body
    assert f"Разом: 2{NNBSP}798,00{NBSP}₴ (оплата при отриманні (накладений платіж) у відділенні Нової Пошти)" in body
    assert "Доставка: Нова Пошта, Kyiv, Branch No 1: Khreshchatyk St, 22" in body
    assert f"Оформлено {day_uk(order)}" in body
    assert f"Ваше замовлення завжди за посиланням: http://127.0.0.1:8000/orders/{order.public_token}/" in body
    # the delivery address is the shopper's own text; everything the shop wrote is Ukrainian
    text = (message.subject + body).replace("Kyiv, Branch No 1: Khreshchatyk St, 22", "")
    assert [phrase for phrase in ENGLISH_LEFTOVERS if phrase.lower() in text.lower()] == []


@pytest.mark.parametrize("kind", KINDS)
def test_every_order_email_is_english_for_an_english_order(kind):
    order = an_order("en")
    message = sent(order, kind)
    assert message.subject == EN_SUBJECTS[kind].format(order.number)
    body = message.body
    assert body.startswith("Hello Олена Шевченко,\n")
    assert EN_SENTENCES[kind].format(order.number) in body
    assert "  2 × Чайник мідний — ₴2,798.00\n" in body
    assert "Total: ₴2,798.00 (cash on delivery: you pay at the Nova Poshta branch)" in body
    assert f"Your order at any time: http://127.0.0.1:8000/en/orders/{order.public_token}/" in body
    assert "грудня" not in body
    assert "Разом" not in body


def day_uk(order: Order) -> str:
    with translation.override("uk"):
        return formats.date_format(timezone.localtime(order.created_at), "DATETIME_FORMAT")


def test_store_credit_line_and_amount_due_follow_the_language():
    for language, expected in (
        ("uk", f"Оплачено з балансу в магазині: 100,00{NBSP}₴; сума до сплати: 399,00{NBSP}₴"),
        ("en", "Paid with store credit: ₴100.00; left to pay: ₴399.00"),
    ):
        customer = UserFactory()
        credit_wallet(user_id=customer.pk, amount=10000, reason="x", by=None, idempotency_key=f"w:{customer.pk}")
        product = ProductFactory(price=49900, stock=5)
        with translation.override(language):
            order = place_test_order(items={product.pk: 1}, customer=customer, store_credit=10000)
        assert expected in sent(order, "placed").body


# --- who triggers it does not matter ---------------------------------------------------------


def cancel_in_admin(client: Client, order: Order, django_capture_on_commit_callbacks):
    url = reverse("admin:orders_order_transition", args=[order.pk, "cancel"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"version": order.version, "reason": "Немає в наявності", "confirmed": "yes"})
    assert response.status_code == 302
    return response


def test_staff_in_a_ukrainian_admin_cancelling_an_english_order_sends_english(
    client, django_capture_on_commit_callbacks
):
    # given an English order, and a Support member whose admin speaks Ukrainian (the default)
    product = ProductFactory(price=139900, stock=5)
    with translation.override("en"):
        order = place_test_order(items={product.pk: 1})
    client.force_login(StaffFactory(role="Support"))
    assert client.get(reverse("admin:index"))["Content-Language"] == "uk"
    mail.outbox = []
    # when they cancel it from the admin
    cancel_in_admin(client, order, django_capture_on_commit_callbacks)
    # then the shopper is told in English, amounts and all
    (message,) = mail.outbox
    assert message.subject == f"Order {order.number} cancelled"
    assert f"your order {order.number} was cancelled." in message.body
    assert "Total: ₴1,399.00" in message.body
    # and the staff member's own language is untouched afterwards
    assert translation.get_language() == "uk"


def test_staff_in_an_english_admin_cancelling_a_ukrainian_order_sends_ukrainian(
    client, django_capture_on_commit_callbacks
):
    order = place_test_order()
    client.force_login(StaffFactory(role="Support"))
    client.cookies["django_language"] = "en"
    assert client.get(reverse("admin:index"))["Content-Language"] == "en"
    mail.outbox = []
    cancel_in_admin(client, order, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.subject == f"Замовлення №{order.number} скасовано"


def test_an_unknown_stored_language_falls_back_to_ukrainian():
    order = place_test_order()
    Order.objects.filter(pk=order.pk).update(language="xx")
    assert sent(order, "placed").subject == f"Замовлення №{order.number} отримано"


# --- where the language comes from -----------------------------------------------------------


def test_shop_checkout_under_en_places_an_english_order(client, django_capture_on_commit_callbacks):
    np_branch("Київ", "1")
    product = ProductFactory(price=139900, stock=5)
    client.post(ADD_URL, {"product_id": product.pk, "quantity": 1})
    with translation.override("en"):
        checkout_url = reverse("orders:checkout")
    assert checkout_url == "/en/checkout/"
    form = checkout_form(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(checkout_url, form)
    assert response.status_code == 303
    order = Order.objects.get()
    assert order.language == "en"
    assert [m.subject for m in mail.outbox] == [f"Order {order.number} received"]


def test_shop_checkout_at_the_root_places_a_ukrainian_order(client):
    np_branch("Київ", "1")
    product = ProductFactory(price=139900, stock=5)
    client.post(ADD_URL, {"product_id": product.pk, "quantity": 1})
    response = client.post(reverse("orders:checkout"), checkout_form(client))
    assert response.status_code == 303
    assert Order.objects.get().language == "uk"


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [("en", "en"), ("en-GB,en;q=0.9", "en"), ("uk-UA,uk;q=0.9", "uk"), ("", "uk"), ("de", "uk")],
)
def test_api_order_takes_its_language_from_accept_language(accept_language, language):
    product = ProductFactory(price=139900, stock=5)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory()).key}")
    body = {
        "items": [{"product_id": product.pk, "quantity": 1}],
        "full_name": "Olena Shevchenko",
        "phone": "+380671234567",
        "email": "olena@example.com",
        "delivery_city": "Kyiv",
        "delivery_branch": "Branch No 1",
        "payment_method": "cod",
    }
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    response = client.post("/api/v1/orders/", body, format="json", **headers)
    assert response.status_code == 201, response.json()
    assert Order.objects.get().language == language


def test_orders_placed_outside_a_request_are_ukrainian():
    assert place_test_order().language == "uk"
    assert format_money(100) == f"1,00{NBSP}₴"


def test_plain_text_emails_are_not_html_escaped():
    # Ukrainian names carry apostrophes and Nova Poshta branches quotes; a text e-mail shows them as typed
    order = place_test_order(full_name="Мар'яна Сидоренко", delivery_branch='Відділення №5: ТЦ "Глобус" <вхід 2>')
    body = sent(order, "placed").body
    assert body.startswith("Добрий день, Мар'яна Сидоренко!\n")
    assert 'ТЦ "Глобус" <вхід 2>' in body
    assert "&#x27;" not in body
    assert "&quot;" not in body

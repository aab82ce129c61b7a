"""The "your store credit changed" e-mail, in the customer's language, whoever moved the money."""

from types import SimpleNamespace

import pytest
from django.core import mail
from django.utils import translation

from ledger.notifications import customer_language
from ledger.services import credit_wallet
from orders.models import Source
from orders.services import cancel_order, confirm_order
from tests.factories import ProductFactory, StaffFactory, UserFactory, place_test_order

pytestmark = pytest.mark.django_db

NNBSP, NBSP = "\u202f", "\u00a0"
ENGLISH_LEFTOVERS = ("Hello", "Dear", "Thank you", "Your ", "store credit", "Balance", "history", "reserved", "order")


def give(customer, amount, reason, django_capture_on_commit_callbacks, by=None):
    with django_capture_on_commit_callbacks(execute=True):
        credit_wallet(user_id=customer.pk, amount=amount, reason=reason, by=by, idempotency_key=f"t:{reason}")
    return mail.outbox[-1]


def test_a_customer_without_orders_is_written_to_in_ukrainian(django_capture_on_commit_callbacks):
    customer = UserFactory(full_name="Тарас Коваль")
    message = give(customer, 139950, "Вибачте за затримку посилки", django_capture_on_commit_callbacks)
    assert message.subject == "Ваш баланс у магазині kramar змінився"
    body = message.body
    assert body.startswith(f"Добрий день, {customer.get_short_name()}!\n")
    assert "Ваш баланс у магазині kramar змінився." in body
    assert f"1{NNBSP}399,50{NBSP}₴ — Вибачте за затримку посилки (" in body
    assert f"Баланс зараз: 1{NNBSP}399,50{NBSP}₴" in body
    assert "Історія операцій: http://127.0.0.1:8000/account/store-credit/" in body
    assert [phrase for phrase in ENGLISH_LEFTOVERS if phrase.lower() in body.lower()] == []


def test_a_customer_whose_latest_order_is_english_is_written_to_in_english(django_capture_on_commit_callbacks):
    customer = UserFactory()
    place_test_order(customer=customer)  # Ukrainian first
    with translation.override("en"):
        place_test_order(customer=customer)  # then English
    staff = StaffFactory(role="Finance")  # a staff member in a Ukrainian admin gives the credit
    message = give(customer, 15050, "Sorry for the late parcel", django_capture_on_commit_callbacks, by=staff)
    assert message.subject == "Your kramar store credit changed"
    assert "₴150.50 — Sorry for the late parcel (" in message.body
    assert "Balance now: ₴150.50" in message.body
    assert "See the history: http://127.0.0.1:8000/en/account/store-credit/" in message.body
    assert "Баланс" not in message.body


def test_store_credit_returned_by_a_staff_cancel_is_told_in_the_orders_language(django_capture_on_commit_callbacks):
    # given an English order paid partly with store credit, confirmed
    customer = UserFactory()
    credit_wallet(user_id=customer.pk, amount=5000, reason="welcome", by=None, idempotency_key="welcome")
    product = ProductFactory(price=49900, stock=5)
    with translation.override("en"):
        order = place_test_order(items={product.pk: 1}, customer=customer, store_credit=3000)
    confirm_order(order_id=order.pk, by=None, reason="called", source=Source.ADMIN)
    mail.outbox = []
    # when staff cancel it (from a Ukrainian back office)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(order_id=order.pk, by=StaffFactory(role="Support"), reason="Немає", source=Source.ADMIN)
    # then both e-mails are English: the cancellation and the credit that came back
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [f"Order {order.number} cancelled", "Your kramar store credit changed"]
    (wallet_mail,) = [m for m in mail.outbox if m.subject.startswith("Your")]
    assert "₴30.00 — an order's store credit returned to you (" in wallet_mail.body
    assert "Balance now: ₴50.00" in wallet_mail.body


def test_the_ukrainian_wording_of_each_movement(django_capture_on_commit_callbacks):
    customer = UserFactory()
    credit_wallet(user_id=customer.pk, amount=5000, reason="welcome", by=None, idempotency_key="welcome")
    product = ProductFactory(price=49900, stock=5)
    order = place_test_order(items={product.pk: 1}, customer=customer, store_credit=3000)
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        confirm_order(order_id=order.pk, by=None, reason="called", source=Source.ADMIN)
    (wallet_mail,) = [m for m in mail.outbox if m.subject.startswith("Ваш баланс")]
    assert f"-30,00{NBSP}₴ — оплата замовлення (" in wallet_mail.body
    assert f"Баланс зараз: 20,00{NBSP}₴" in wallet_mail.body


@pytest.mark.parametrize(("saved", "language"), [("en", "en"), ("uk", "uk"), ("xx", "uk")])
def test_a_saved_language_wins(saved, language):
    # accounts' User.language (the customer's own choice), when the model has it
    assert customer_language(SimpleNamespace(language=saved)) == language

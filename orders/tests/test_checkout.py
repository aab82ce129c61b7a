"""Checkout: all or nothing, idempotent by token, never oversells under concurrency."""

import pytest
from django.core import mail
from django.utils import translation

from catalog.exceptions import OutOfStock
from catalog.models import Reservation, Stock
from orders.exceptions import CheckoutTokenConflict, InvalidCheckout
from orders.models import Order, OrderLine, Source
from orders.services import new_checkout_token, place_order
from tests.factories import ProductFactory, UserFactory, place_test_order

CONTACT = {
    "full_name": "Taras Melnyk",
    "phone": "067 123 45 67",
    "email": "Taras@Example.com",
    "delivery_city": "Lviv",
    "delivery_branch": "Branch No 5",
}


def checkout(items, *, token=None, customer=None, **overrides):
    details = {**CONTACT, **overrides}
    return place_order(
        customer=customer,
        payment_method=details.pop("payment_method", Order.PaymentMethod.COD),
        items=items,
        checkout_token=token or new_checkout_token(),
        source=Source.WEB,
        **details,
    )


@pytest.mark.django_db
def test_order_snapshots_prices_and_reserves_stock():
    kettle = ProductFactory(name="Kettle", sku="KT-1", price=129900, stock=4)
    mug = ProductFactory(name="Mug", sku="MG-1", price=19950, stock=10)

    order, created = checkout({kettle.pk: 1, mug.pk: 3})

    assert created is True
    assert order.number.startswith("KR-")
    assert (order.subtotal, order.delivery_fee, order.total) == (189750, 0, 189750)
    assert (order.phone, order.email) == ("+380671234567", "taras@example.com")
    assert list(order.lines.values_list("sku", "name", "unit_price", "quantity", "line_total")) == [
        ("KT-1", "Kettle", 129900, 1, 129900),
        ("MG-1", "Mug", 19950, 3, 59850),
    ]
    assert {s.pk: (s.on_hand, s.reserved) for s in Stock.objects.all()} == {kettle.pk: (4, 1), mug.pk: (10, 3)}
    # a later price change does not touch the placed order
    kettle.price = 1
    kettle.save()
    assert OrderLine.objects.get(order=order, sku="KT-1").unit_price == 129900


@pytest.mark.django_db
def test_same_token_returns_the_same_order():
    product = ProductFactory(stock=5)
    token = new_checkout_token()
    first, created_first = checkout({product.pk: 2}, token=token)
    second, created_second = checkout({product.pk: 2}, token=token)
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert Order.objects.count() == 1
    assert Stock.objects.get(pk=product.pk).reserved == 2


@pytest.mark.django_db
def test_token_of_another_customer_is_refused():
    product = ProductFactory(stock=5)
    token = new_checkout_token()
    checkout({product.pk: 1}, token=token, customer=UserFactory())
    with pytest.raises(CheckoutTokenConflict):
        checkout({product.pk: 1}, token=token, customer=UserFactory())
    assert Order.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "items", "message"),
    [
        ({"phone": "12345"}, None, "український номер телефону"),
        ({"email": "not-an-email"}, None, "правильну адресу електронної пошти"),
        ({"full_name": " "}, None, "ім’я та прізвище отримувача"),
        ({"delivery_branch": ""}, None, "відділення або поштомат"),
        ({"payment_method": "barter"}, None, "Невідомий спосіб оплати «barter»"),
        ({}, "empty", "Кошик порожній"),
        ({}, "zero", "Кількість має бути від 1 до 99"),
        ({}, "too_many", "Кількість має бути від 1 до 99"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(overrides, items, message):
    product = ProductFactory(stock=5)
    items = {"empty": {}, "zero": {product.pk: 0}, "too_many": {product.pk: 100}, None: {product.pk: 1}}[items]
    with pytest.raises(InvalidCheckout, match=message):
        checkout(items, **overrides)
    assert Order.objects.count() == 0
    assert Stock.objects.get(pk=product.pk).reserved == 0


@pytest.mark.django_db
def test_a_refusal_speaks_english_when_english_is_active():
    with translation.override("en"), pytest.raises(InvalidCheckout, match="^The cart is empty.$"):
        checkout({})


@pytest.mark.django_db
def test_inactive_product_is_refused():
    product = ProductFactory(stock=5, is_active=False)
    with pytest.raises(InvalidCheckout, match="більше не продаються"):
        checkout({product.pk: 1})
    assert Order.objects.count() == 0


@pytest.mark.django_db
def test_out_of_stock_names_the_product_and_reserves_nothing():
    plenty = ProductFactory(stock=10)
    scarce = ProductFactory(name="Scarce thing", sku="SC-1", stock=1)
    with pytest.raises(OutOfStock) as excinfo:
        checkout({plenty.pk: 2, scarce.pk: 2})
    assert str(excinfo.value) == "Недостатньо товару на складі: Scarce thing (залишилось лише 1)."
    assert excinfo.value.extra["items"] == [{"sku": "SC-1", "name": "Scarce thing", "requested": 2, "available": 1}]
    assert Order.objects.count() == 0
    assert Reservation.objects.count() == 0
    assert list(Stock.objects.order_by("pk").values_list("reserved", flat=True)) == [0, 0]


@pytest.mark.django_db
def test_online_order_gets_a_payment_deadline(settings):
    from constance import config

    config.ORDER_PAYMENT_TIMEOUT_MINUTES = 15
    order = place_test_order(payment_method=Order.PaymentMethod.ONLINE)
    assert order.expires_at is not None
    assert 14 * 60 < (order.expires_at - order.created_at).total_seconds() <= 15 * 60


@pytest.mark.django_db
def test_cod_auto_confirm_setting():
    from constance import config

    config.COD_AUTO_CONFIRM = True
    order = place_test_order()
    assert order.status == Order.Status.CONFIRMED


@pytest.mark.django_db
def test_confirmation_email_is_sent_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order = place_test_order(email="buyer@example.com")
    assert len(callbacks) == 1
    assert [(m.subject, m.to) for m in mail.outbox] == [(f"Замовлення №{order.number} отримано", ["buyer@example.com"])]
    assert order.get_absolute_url() in mail.outbox[0].body


def test_ten_buyers_of_the_last_three_units(run_concurrently):
    # given three units and ten buyers at the same instant
    product = ProductFactory(stock=3)

    # when they all check out
    results = run_concurrently(10, lambda i: checkout({product.pk: 1})[0].number)

    # then exactly three orders exist and nothing was oversold
    assert sum(r.ok for r in results) == 3
    assert all(isinstance(r.error, OutOfStock) for r in results if not r.ok)
    assert Order.objects.count() == 3
    stock = Stock.objects.get(pk=product.pk)
    assert (stock.on_hand, stock.reserved, stock.available) == (3, 3, 0)
    assert sum(Reservation.objects.values_list("quantity", flat=True)) == 3


def test_double_submit_at_the_same_instant_makes_one_order(run_concurrently):
    product = ProductFactory(stock=10)
    token = new_checkout_token()

    results = run_concurrently(8, lambda i: checkout({product.pk: 2}, token=token))

    assert all(r.ok for r in results), [r.error for r in results]
    assert len({order.pk for order, _ in (r.value for r in results)}) == 1
    assert sum(created for _, created in (r.value for r in results)) == 1
    assert Order.objects.count() == 1
    assert Stock.objects.get(pk=product.pk).reserved == 2


def test_carts_in_opposite_orders_do_not_deadlock(run_concurrently):
    # locks are taken in product-id order whatever the cart's order, so no deadlock
    a, b = ProductFactory(stock=100), ProductFactory(stock=100)

    def buy(i):
        items = {a.pk: 1, b.pk: 1} if i % 2 else {b.pk: 1, a.pk: 1}
        return checkout(items)[0].pk

    results = run_concurrently(12, buy)

    assert all(r.ok for r in results), [r.error for r in results]
    assert list(Stock.objects.order_by("pk").values_list("reserved", flat=True)) == [12, 12]

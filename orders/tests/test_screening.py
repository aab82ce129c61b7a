"""Checkout's anti-abuse rules: caps, prepayment after refused parcels, the block list, review."""

import threading

import pytest
from constance import config
from constance.models import Constance
from constance.test import override_config
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection

from catalog.models import Reservation, Stock
from config import settings as production_settings
from orders.exceptions import ContactBlocked, PrepaymentRequired, TooManyOpenOrders
from orders.models import BlockedContact, Order, OrderScreening, Source
from orders.selectors import order_history
from orders.services import block_contact, cancel_order, confirm_order, return_order, ship_order
from tests.factories import ProductFactory, StaffFactory, UserFactory, place_test_order

pytestmark = pytest.mark.django_db


def stock_of(product) -> tuple[int, int]:
    stock = Stock.objects.get(product=product)
    return stock.on_hand, stock.reserved


def test_every_rule_is_on_in_production_settings():
    config = production_settings.CONSTANCE_CONFIG
    defaults = {name: value[0] for name, value in config.items() if name.startswith("FRAUD_")}
    assert defaults == {
        "FRAUD_MAX_OPEN_ORDERS_PER_PHONE": 3,
        "FRAUD_MAX_OPEN_ORDERS_PER_EMAIL": 3,
        "FRAUD_MAX_OPEN_ORDERS_PER_IP": 10,
        "FRAUD_COD_REFUSALS_BEFORE_PREPAYMENT": 2,
        "FRAUD_REVIEW_FIRST_ORDER_ABOVE": 1_000_000,
        "FRAUD_REVIEW_IP_ORDERS": 5,
        "FRAUD_REVIEW_IP_WINDOW_MINUTES": 60,
    }
    assert set(production_settings.CONSTANCE_CONFIG_FIELDSETS["Anti-abuse"]) == set(defaults)


# --- caps on open orders --------------------------------------------------------------------


@override_config(FRAUD_MAX_OPEN_ORDERS_PER_PHONE=2)
def test_a_phone_with_two_open_orders_cannot_place_a_third_and_nothing_changes():
    # given two orders placed (unconfirmed) for one phone
    product = ProductFactory(stock=10)
    for email in ("a@example.com", "b@example.com"):
        place_test_order(items={product.pk: 1}, phone="067 123 45 67", email=email)

    # when a third checkout for that phone (spelled differently) is attempted
    with pytest.raises(TooManyOpenOrders) as refused:
        place_test_order(items={product.pk: 3}, phone="+380671234567", email="c@example.com")

    # then it is refused with a stable code naming the rule, and no order or reservation was made
    assert (refused.value.code, refused.value.status_code) == ("too_many_open_orders", 409)
    assert refused.value.extra == {"rule": "FRAUD_MAX_OPEN_ORDERS_PER_PHONE", "limit": 2}
    assert Order.objects.count() == 2
    assert stock_of(product) == (10, 2)
    assert Reservation.objects.count() == 2


@override_config(FRAUD_MAX_OPEN_ORDERS_PER_PHONE=1)
def test_cancelled_orders_do_not_count_against_the_cap():
    product = ProductFactory(stock=10)
    first = place_test_order(items={product.pk: 1})
    cancel_order(order_id=first.pk, by=StaffFactory(), reason="Changed mind", source=Source.ADMIN)

    second = place_test_order(items={product.pk: 1})

    assert second.status == Order.Status.PLACED


@override_config(COD_AUTO_CONFIRM=True, FRAUD_MAX_OPEN_ORDERS_PER_PHONE=2, FRAUD_MAX_OPEN_ORDERS_PER_EMAIL=2)
def test_confirmed_cash_on_delivery_orders_count_until_their_parcel_is_collected():
    # given two cash-on-delivery orders, confirmed at once and still unpaid
    product = ProductFactory(stock=20)
    for _ in range(2):
        assert place_test_order(items={product.pk: 2}).status == Order.Status.CONFIRMED

    # when the same phone and e-mail order again
    with pytest.raises(TooManyOpenOrders) as refused:
        place_test_order(items={product.pk: 2})

    # then the cap holds and no more stock is reserved
    assert refused.value.code == "too_many_open_orders"
    assert (Order.objects.count(), stock_of(product)) == (2, (20, 4))


@override_config(FRAUD_MAX_OPEN_ORDERS_PER_EMAIL=2)
def test_an_email_with_two_open_orders_cannot_place_a_third():
    product = ProductFactory(stock=10)
    place_test_order(items={product.pk: 1}, phone="+380671111111", email="same@example.com")
    place_test_order(items={product.pk: 1}, phone="+380672222222", email="same@example.com")

    with pytest.raises(TooManyOpenOrders) as refused:
        place_test_order(items={product.pk: 1}, phone="+380673333333", email="SAME@example.com")

    assert refused.value.extra["rule"] == "FRAUD_MAX_OPEN_ORDERS_PER_EMAIL"
    assert Order.objects.count() == 2


@override_config(FRAUD_MAX_OPEN_ORDERS_PER_IP=2)
def test_an_ip_with_two_open_orders_cannot_place_a_third():
    product = ProductFactory(stock=10)
    for n in range(2):
        place_test_order(items={product.pk: 1}, phone=f"+38067000000{n}", email=f"{n}@example.com", ip="203.0.113.7")

    with pytest.raises(TooManyOpenOrders) as refused:
        place_test_order(items={product.pk: 1}, phone="+380679999999", email="x@example.com", ip="203.0.113.7")
    other_ip = place_test_order(items={product.pk: 1}, phone="+380679999999", email="x@example.com", ip="203.0.113.8")

    assert refused.value.extra["rule"] == "FRAUD_MAX_OPEN_ORDERS_PER_IP"
    assert other_ip.screening.ip == "203.0.113.8"
    assert Order.objects.count() == 3


@override_config(FRAUD_MAX_OPEN_ORDERS_PER_PHONE=2)
def test_the_per_phone_cap_holds_when_checkouts_race(run_concurrently):
    # given a cap of 2 open orders a phone and 8 checkouts for one phone at the same instant,
    # each buying a different product with its own e-mail and no IP: no stock row, e-mail or
    # IP is shared, so only the phone's advisory lock can serialise them
    products = [ProductFactory(stock=5) for _ in range(8)]
    # and every runtime setting stored, as on a running site: constance writes a missing key's
    # default on first read, inside the reader's transaction, and that INSERT's unique index
    # would serialise the racing checkouts by itself (hiding a missing lock)
    for name in settings.CONSTANCE_CONFIG:
        getattr(config, name)
    assert Constance.objects.count() == len(settings.CONSTANCE_CONFIG)
    connected = threading.Barrier(8)

    def checkout(i):
        # each thread opens its connection first, then all check out at once
        connection.ensure_connection()
        connected.wait(timeout=30)
        return place_test_order(items={products[i].pk: 1}, phone="+380671234567", email=f"{i}@example.com")

    outcomes = run_concurrently(8, checkout)

    # then exactly 2 orders exist, the other 6 were refused, and only their 2 products are reserved
    assert sum(o.ok for o in outcomes) == 2
    assert sorted(type(o.error).__name__ for o in outcomes if not o.ok) == ["TooManyOpenOrders"] * 6
    assert Order.objects.count() == 2
    reserved = sorted(stock_of(product) for product in products)
    assert reserved == [(5, 0)] * 6 + [(5, 1)] * 2
    assert sorted(o.value.lines.get().product_id for o in outcomes if o.ok) == sorted(
        p.pk for p in products if stock_of(p) == (5, 1)
    )


@override_config(FRAUD_MAX_OPEN_ORDERS_PER_PHONE=1)
def test_a_retried_checkout_gets_its_order_back_instead_of_a_refusal():
    product = ProductFactory(stock=5)
    order = place_test_order(items={product.pk: 1}, checkout_token="t" * 32)

    again = place_test_order(items={product.pk: 1}, checkout_token="t" * 32)

    assert again == order


# --- prepayment after refused parcels -------------------------------------------------------


def _returned_cod_order(product, phone):
    staff = StaffFactory()
    order = place_test_order(items={product.pk: 1}, phone=phone)
    confirm_order(order_id=order.pk, by=staff, source=Source.ADMIN)
    ship_order(order_id=order.pk, by=staff, source=Source.ADMIN)
    return_order(order_id=order.pk, by=staff, reason="Not collected", source=Source.ADMIN)


@override_config(FRAUD_COD_REFUSALS_BEFORE_PREPAYMENT=2)
def test_a_phone_whose_cod_parcels_came_back_twice_must_pay_online():
    # given two COD parcels to a phone that came back uncollected
    product = ProductFactory(stock=10)
    _returned_cod_order(product, "+380671234567")
    _returned_cod_order(product, "+380671234567")
    reserved = stock_of(product)

    # when that phone checks out with cash on delivery, it is refused with a clear message
    with pytest.raises(PrepaymentRequired) as refused:
        place_test_order(items={product.pk: 1}, phone="067 123 45 67")
    assert (refused.value.code, refused.value.status_code) == ("prepayment_required", 422)
    assert "Будь ласка, оплатіть онлайн." in refused.value.message
    assert refused.value.extra["errors"] == {"payment_method": [refused.value.message]}
    assert (Order.objects.count(), stock_of(product)) == (2, reserved)

    # and paying online is accepted, and other phones still get COD
    assert place_test_order(items={product.pk: 1}, payment_method="online").payment_method == "online"
    assert place_test_order(items={product.pk: 1}, phone="+380501112233").payment_method == "cod"


@override_config(FRAUD_COD_REFUSALS_BEFORE_PREPAYMENT=2)
def test_one_refused_parcel_still_allows_cod():
    product = ProductFactory(stock=10)
    _returned_cod_order(product, "+380671234567")

    assert place_test_order(items={product.pk: 1}).payment_method == "cod"


# --- the block list -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "blocked", "contact"),
    [
        ("phone", "067 123 45 67", {"phone": "+380671234567"}),
        ("email", "Bad@Example.com", {"email": "bad@example.COM"}),
    ],
)
def test_a_blocked_phone_or_email_is_refused(kind, blocked, contact):
    block_contact(kind=kind, value=blocked, reason="Ordered 40 kettles, refused them all", by=StaffFactory())
    product = ProductFactory(stock=5)

    with pytest.raises(ContactBlocked) as refused:
        place_test_order(items={product.pk: 1}, **contact)

    assert (refused.value.code, refused.value.status_code) == ("contact_blocked", 422)
    assert refused.value.extra == {"rule": "block_list"}
    assert (Order.objects.count(), stock_of(product)) == (0, (5, 0))
    assert BlockedContact.objects.get().value == ("+380671234567" if kind == "phone" else "bad@example.com")


# --- manual review --------------------------------------------------------------------------


@override_config(FRAUD_REVIEW_FIRST_ORDER_ABOVE=500_000, COD_AUTO_CONFIRM=True)
def test_a_large_first_order_waits_for_review_instead_of_being_confirmed():
    # given COD orders are confirmed automatically, and a first order of 6 000 ₴
    product = ProductFactory(stock=10, price=300_000)

    order = place_test_order(items={product.pk: 2})

    # then it stays placed, in the review queue, with the decision and its rule on its history
    assert order.status == Order.Status.PLACED
    screening = OrderScreening.objects.get(order=order)
    assert (screening.review, screening.rule) == ("pending", "FRAUD_REVIEW_FIRST_ORDER_ABOVE")
    (entry,) = order_history(order=order)
    assert (entry.transition, entry.from_status, entry.to_status, entry.source, entry.by) == (
        "review",
        "Оформлено",
        "Оформлено",
        "system",
        "system",
    )
    assert entry.reason == (
        "Held for review (FRAUD_REVIEW_FIRST_ORDER_ABOVE): "
        "Перше замовлення на 6\u202f000,00\u00a0₴, більше за 5\u202f000,00\u00a0₴"
    )

    # and the same shopper's next large order is confirmed as usual
    second = place_test_order(items={product.pk: 2})
    assert second.status == Order.Status.CONFIRMED
    assert second.screening.review == "not_needed"
    assert order_history(order=second)[0].reason == "Confirmed automatically (COD_AUTO_CONFIRM)"


@override_config(FRAUD_REVIEW_FIRST_ORDER_ABOVE=500_000)
def test_a_large_order_from_a_returning_customer_is_not_held():
    product = ProductFactory(stock=10, price=300_000)
    customer = UserFactory()
    place_test_order(items={ProductFactory(stock=5).pk: 1}, customer=customer, phone="+380501111111", email="x@e.com")

    order = place_test_order(items={product.pk: 2}, customer=customer)

    assert order.screening.review == "not_needed"


@override_config(FRAUD_REVIEW_IP_ORDERS=3, FRAUD_REVIEW_IP_WINDOW_MINUTES=10, COD_AUTO_CONFIRM=True)
def test_many_orders_from_one_ip_in_a_short_time_go_to_review():
    product = ProductFactory(stock=10)
    orders = [
        place_test_order(items={product.pk: 1}, phone=f"+38067000000{n}", email=f"{n}@e.com", ip="198.51.100.4")
        for n in range(3)
    ]

    assert [o.status for o in orders] == ["confirmed", "confirmed", "placed"]
    assert orders[2].screening.rule == "FRAUD_REVIEW_IP_ORDERS"
    assert order_history(order=orders[2])[0].reason == (
        "Held for review (FRAUD_REVIEW_IP_ORDERS): 3-е замовлення з 198.51.100.4 за 10 хв"
    )
    # an order from elsewhere is not affected
    elsewhere = place_test_order(items={product.pk: 1}, phone="+380501234567", email="z@e.com", ip="198.51.100.5")
    assert elsewhere.status == "confirmed"


def test_review_permission_is_granted_to_support_and_manager():
    perm = Permission.objects.get(codename="review_order", content_type__app_label="orders")
    assert sorted(perm.group_set.values_list("name", flat=True)) == ["Manager", "Support"]

"""Refusals on the shop page and the API; the review queue in the admin."""

import pytest
from constance.test import override_config
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Stock
from orders.models import Order, OrderScreening
from orders.selectors import order_history
from orders.services import block_contact
from tests.factories import ProductFactory, StaffFactory, UserFactory, np_branch, place_test_order

pytestmark = pytest.mark.django_db


def shop_checkout(client, product, **overrides):
    client.post(reverse("orders:cart_add"), {"product_id": product.pk, "quantity": 1})
    page = client.get(reverse("orders:checkout"))
    branch = np_branch("Київ", "1")
    form = {
        "full_name": "Olena Shevchenko",
        "phone": "067 123 45 67",
        "email": "olena@example.com",
        "delivery_city": "Київ",
        "delivery_branch": "Відділення №1",
        "delivery_city_ref": branch.city_id,
        "delivery_warehouse_ref": branch.ref,
        "payment_method": "cod",
        "comment": "",
        "checkout_token": page.context["form"]["checkout_token"].value(),
        **overrides,
    }
    return client.post(reverse("orders:checkout"), form)


def test_the_shop_page_shows_a_block_list_refusal_and_nothing_changes(client):
    block_contact(kind="phone", value="+380671234567", reason="Fraud", by=StaffFactory())
    product = ProductFactory(stock=5)

    response = shop_checkout(client, product)

    assert response.status_code == 422
    assertContains(
        response, "Ми не можемо прийняти це замовлення онлайн. Зателефонуйте нам, і ми допоможемо.", status_code=422
    )
    assert Order.objects.count() == 0
    assert Stock.objects.get(product=product).reserved == 0


@override_config(FRAUD_MAX_OPEN_ORDERS_PER_IP=1)
def test_the_shop_page_passes_the_ip_and_shows_the_cap(client):
    product = ProductFactory(stock=5)
    first = shop_checkout(client, product)
    assert first.status_code == 303
    assert Order.objects.get().screening.ip == "127.0.0.1"

    second = shop_checkout(client, product, phone="+380501112233", email="other@example.com")

    assert second.status_code == 409
    assertContains(second, "У вас уже є кілька замовлень, що чекають", status_code=409)
    assert Order.objects.count() == 1


@override_config(FRAUD_MAX_OPEN_ORDERS_PER_IP=1)
def test_behind_a_trusted_proxy_each_shopper_is_counted_by_the_forwarded_address(settings):
    # Behind nginx every request comes from the proxy's address: counting that one would
    # refuse the whole shop after FRAUD_MAX_OPEN_ORDERS_PER_IP open orders.
    settings.TRUSTED_PROXY_COUNT = 1
    product = ProductFactory(stock=5)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory()).key}")

    def place(phone, email, forwarded):
        body = {
            "items": [{"product_id": product.pk, "quantity": 1}],
            "full_name": "Olena Shevchenko",
            "phone": phone,
            "email": email,
            "delivery_city": "Kyiv",
            "delivery_branch": "Branch 1",
            "payment_method": "cod",
        }
        return api.post(
            "/api/v1/orders/", body, format="json", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR=forwarded
        )

    assert place("+380671234567", "a@example.com", "203.0.113.7").status_code == 201
    assert place("+380501112233", "b@example.com", "203.0.113.8").status_code == 201
    again = place("+380631112233", "c@example.com", "8.8.8.8, 203.0.113.7")

    assert again.status_code == 409
    assert again.json()["rule"] == "FRAUD_MAX_OPEN_ORDERS_PER_IP"
    assert sorted(OrderScreening.objects.values_list("ip", flat=True)) == ["203.0.113.7", "203.0.113.8"]


@override_config(FRAUD_MAX_OPEN_ORDERS_PER_PHONE=1)
def test_the_api_answers_a_refusal_with_its_code():
    product = ProductFactory(stock=5)
    place_test_order(items={product.pk: 1}, phone="+380671234567")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory()).key}")
    body = {
        "items": [{"product_id": product.pk, "quantity": 1}],
        "full_name": "Olena Shevchenko",
        "phone": "+380671234567",
        "email": "api@example.com",
        "delivery_city": "Kyiv",
        "delivery_branch": "Branch 1",
        "payment_method": "cod",
    }

    response = api.post("/api/v1/orders/", body, format="json", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 409
    assert response.json()["code"] == "too_many_open_orders"
    assert response.json()["rule"] == "FRAUD_MAX_OPEN_ORDERS_PER_PHONE"
    assert Order.objects.count() == 1


# --- the review queue -----------------------------------------------------------------------


@pytest.fixture
def held_orders():
    product = ProductFactory(stock=10, price=600_000)
    with override_config(FRAUD_REVIEW_FIRST_ORDER_ABOVE=500_000):
        held = [place_test_order(items={product.pk: 1}, phone=f"+38067000000{n}", email=f"{n}@e.com") for n in range(2)]
    ordinary = place_test_order(items={ProductFactory(stock=5).pk: 1}, phone="+380501234567", email="o@e.com")
    return product, held, ordinary


def changelist(**params):
    return reverse("admin:orders_orderscreening_changelist") + ("?review=pending" if params.get("pending") else "")


def test_needs_review_lists_only_held_orders(client, held_orders):
    _product, held, _ordinary = held_orders
    client.force_login(StaffFactory(role="Support"))

    response = client.get(changelist(pending=True))

    assert response.status_code == 200
    assert sorted(s.order_id for s in response.context["cl"].result_list) == sorted(o.pk for o in held)
    assertContains(response, "Потребує перевірки")
    assertContains(response, reverse("admin:orders_order_change", args=[held[0].pk]))


def test_approving_confirms_and_rejecting_cancels_with_the_rule_on_the_history(client, held_orders):
    product, (first, second), _ordinary = held_orders
    support = StaffFactory(role="Support")
    client.force_login(support)
    screenings = {o.pk: OrderScreening.objects.get(order=o).pk for o in (first, second)}

    client.post(changelist(), {"action": "approve", "_selected_action": [screenings[first.pk]]})
    client.post(changelist(), {"action": "reject", "_selected_action": [screenings[second.pk]]})

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("confirmed", "cancelled")
    assert [(e.transition, e.by, e.reason) for e in order_history(order=first)] == [
        (
            "review",
            "system",
            "Held for review (FRAUD_REVIEW_FIRST_ORDER_ABOVE): "
            "Перше замовлення на 6\u202f000,00\u00a0₴, більше за 5\u202f000,00\u00a0₴",
        ),
        ("confirm", support.email, "Review approved (FRAUD_REVIEW_FIRST_ORDER_ABOVE)"),
    ]
    assert order_history(order=second)[-1].reason == "Review rejected (FRAUD_REVIEW_FIRST_ORDER_ABOVE)"
    assert Stock.objects.get(product=product).reserved == 1  # the rejected order's unit is back
    decided = dict(OrderScreening.objects.filter(order__in=[first, second]).values_list("order_id", "review"))
    assert decided == {first.pk: "approved", second.pk: "rejected"}


def test_staff_without_the_review_permission_cannot_decide(client, held_orders):
    _product, (first, _second), _ordinary = held_orders
    client.force_login(StaffFactory(role="Warehouse"))

    response = client.post(
        changelist(), {"action": "approve", "_selected_action": [OrderScreening.objects.get(order=first).pk]}
    )

    assert response.status_code == 403
    first.refresh_from_db()
    assert first.status == "placed"


def test_the_shoppers_page_does_not_show_review_decisions(client, held_orders):
    _product, (first, _second), _ordinary = held_orders

    response = client.get(first.get_absolute_url())

    assert response.context["history"] == []


@override_config(FRAUD_MAX_OPEN_ORDERS_PER_IP=1)
def test_behind_the_trusted_proxy_each_shopper_is_counted_by_their_own_address(settings):
    # given the documented production set-up: one proxy in front, which appends the client's address
    settings.TRUSTED_PROXY_COUNT = 1
    product = ProductFactory(stock=5)
    first = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
    second = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2")

    # when two shoppers check out through it
    assert shop_checkout(first, product).status_code == 303
    response = shop_checkout(second, product, phone="+380501112233", email="other@example.com")

    # then neither is refused for the other's order, and each order records its shopper's address
    assert response.status_code == 303
    assert sorted(OrderScreening.objects.values_list("ip", flat=True)) == ["198.51.100.1", "198.51.100.2"]

"""Carts in rows: concurrent adds all land, the pages and the API share one cart, merge on login."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cart.models import MAX_QUANTITY, Cart, CartLine
from cart.owners import CartOwner
from cart.requests import SESSION_KEY
from cart.services import add_to_cart, clear_cart_after_checkout, issue_checkout_token, purge_stale_guest_carts
from cart.tests.helpers import cart_of, owner_of
from orders.services import MAX_QUANTITY as CHECKOUT_MAX_QUANTITY
from tests.factories import DEMO_PASSWORD, ProductFactory, UserFactory

CART_URL = reverse("orders:cart")
ADD_URL = reverse("orders:cart_add")
LOGIN_URL = reverse("accounts:login")


def add(client, product, quantity=1):
    return client.post(ADD_URL, {"product_id": product.pk, "quantity": quantity})


def test_the_cart_limit_is_the_checkout_limit():
    assert MAX_QUANTITY == CHECKOUT_MAX_QUANTITY == 99


# --- concurrency ----------------------------------------------------------------------------


def test_simultaneous_adds_of_one_product_all_count(run_concurrently):
    # given one guest cart and a product with plenty of stock
    owner = CartOwner(guest_token="g" * 40)
    product = ProductFactory(stock=100)

    # when 8 requests each add 3 units at the same instant
    outcomes = run_concurrently(8, lambda i: add_to_cart(owner=owner, product_id=product.pk, quantity=3))

    # then every addition landed: one line of 24 units
    assert [o.error for o in outcomes] == [None] * 8
    assert list(CartLine.objects.values_list("product_id", "quantity")) == [(product.pk, 24)]
    # and each answer saw its own step (before, after): 0→3, 3→6, ..., 21→24 in some order
    assert sorted((o.value.before, o.value.after) for o in outcomes) == [(3 * i, 3 * i + 3) for i in range(8)]


def test_simultaneous_adds_of_different_products_all_land(run_concurrently):
    owner = CartOwner(guest_token="h" * 40)
    products = [ProductFactory(stock=5) for _ in range(8)]

    outcomes = run_concurrently(8, lambda i: add_to_cart(owner=owner, product_id=products[i].pk, quantity=i + 1))

    assert [o.error for o in outcomes] == [None] * 8
    assert Cart.objects.count() == 1
    assert dict(CartLine.objects.values_list("product_id", "quantity")) == {p.pk: i + 1 for i, p in enumerate(products)}


def test_simultaneous_adds_stop_at_the_limit(run_concurrently):
    owner = CartOwner(guest_token="i" * 40)
    product = ProductFactory(stock=500)

    run_concurrently(6, lambda i: add_to_cart(owner=owner, product_id=product.pk, quantity=20))

    assert CartLine.objects.get().quantity == MAX_QUANTITY


def test_two_tabs_of_one_session_adding_at_once_keep_both_products(run_concurrently):
    # given a guest browser that already has a session and a cart (a first add)
    browser = Client()
    kettle, apron, pot = (ProductFactory(stock=5) for _ in range(3))
    add(browser, kettle, 1)

    # when two tabs (two clients with the same session cookie) add other products at the same moment
    def tab(i):
        other = Client()
        other.cookies = browser.cookies
        return add(other, [apron, pot][i], i + 1)

    outcomes = run_concurrently(2, tab)

    # then both additions are in the one cart, and the cart page shows all three lines
    assert [o.value.status_code for o in outcomes] == [303, 303]
    assert cart_of(browser) == {kettle.pk: 1, apron.pk: 1, pot.pk: 2}
    assert Cart.objects.count() == 1
    assert browser.get(CART_URL).context["cart_count"] == 4


def test_two_first_clicks_at_once_in_a_fresh_session_share_one_cart(run_concurrently):
    # given a session that exists but holds no cart yet (the guest only looked around)
    browser = Client()
    session = browser.session
    session["seen"] = True
    session.save()
    browser.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    kettle, apron = ProductFactory(stock=5), ProductFactory(stock=5)

    def tab(i):
        other = Client()
        other.cookies = browser.cookies
        return add(other, [kettle, apron][i], 1)

    run_concurrently(2, tab)

    # then the guest token is derived from the session, so both clicks name the same cart
    assert Cart.objects.count() == 1
    assert cart_of(browser) == {kettle.pk: 1, apron.pk: 1}


# --- the page costs the same whatever the cart holds ------------------------------------------


@pytest.mark.django_db
def test_cart_page_queries_stay_flat_as_the_cart_grows(client, django_assert_num_queries):
    def queries_for_cart_page() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(CART_URL).status_code == 200
        return len(ctx.captured_queries)

    add(client, ProductFactory(stock=5), 1)
    with_one = queries_for_cart_page()
    for _ in range(9):
        add(client, ProductFactory(stock=5), 2)

    # the session row (sessions live in the database), the lines with their products and
    # stock (one query) and the header's count
    with django_assert_num_queries(3):
        response = client.get(CART_URL)
    assert len(response.context["contents"].lines) == 10
    assert with_one == 3


# --- merge on login ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_merges_the_guest_cart_adding_quantities_up_to_the_limit(client):
    # given a customer whose cart holds 98 nails, and a guest browser with 5 nails and a kettle
    user = UserFactory(email="olena@example.com")
    nail, kettle = ProductFactory(name="Nail", stock=500), ProductFactory(name="Kettle", stock=5)
    add_to_cart(owner=CartOwner(customer_id=user.pk), product_id=nail.pk, quantity=98)
    add(client, nail, 5)
    add(client, kettle, 2)
    guest = owner_of(client)

    # when the guest logs in on the shop's login page (and lands on the page it redirects to)
    landed = client.post(LOGIN_URL, {"username": "olena@example.com", "password": DEMO_PASSWORD}, follow=True)

    # then the customer's cart holds both, nails capped at 99, and the guest cart is gone
    assert landed.redirect_chain == [(reverse("accounts:orders"), 302)]
    assert landed.context["cart_count"] == 101
    assert cart_of(client) == {nail.pk: 99, kettle.pk: 2}
    assert not Cart.objects.filter(guest_token=guest.guest_token).exists()
    assert SESSION_KEY not in client.session
    response = client.get(CART_URL)
    assert [(line.product.name, line.quantity) for line in response.context["contents"].lines] == [
        ("Kettle", 2),
        ("Nail", 99),
    ]


@pytest.mark.django_db
def test_signup_merges_the_guest_cart_into_the_new_account(client):
    kettle = ProductFactory(stock=5)
    add(client, kettle, 3)

    client.post(
        reverse("accounts:signup"),
        {
            "email": "new@example.com",
            "full_name": "Nova Kupivelna",
            "phone": "050 111 22 33",
            "password1": "stepped-on-a-rake-42",
            "password2": "stepped-on-a-rake-42",
        },
    )

    assert Cart.objects.get().customer.email == "new@example.com"
    assert cart_of(client) == {kettle.pk: 3}


@pytest.mark.django_db
def test_any_other_login_path_is_merged_by_the_first_cart_read(client):
    # given a guest cart, then a login that did not go through the shop's views (the admin, a test)
    kettle = ProductFactory(stock=5)
    add(client, kettle, 1)
    user = UserFactory()
    client.force_login(user)

    # when the next page is shown, its header reads the cart and merges it first
    response = client.get(CART_URL)

    assert response.context["cart_count"] == 1
    assert list(Cart.objects.values_list("customer_id", "guest_token")) == [(user.pk, None)]


@pytest.mark.django_db
def test_logging_out_leaves_the_customers_cart_for_next_time(client):
    user = UserFactory(email="olena@example.com")
    kettle = ProductFactory(stock=5)
    client.force_login(user)
    add(client, kettle, 2)

    client.post(reverse("accounts:logout"))
    assert client.get(CART_URL).context["cart_count"] == 0
    client.post(LOGIN_URL, {"username": "olena@example.com", "password": DEMO_PASSWORD}, follow=True)

    assert cart_of(client) == {kettle.pk: 2}


def test_two_merges_at_once_move_the_lines_once(run_concurrently):
    from cart.services import merge_guest_cart

    user = UserFactory()
    kettle = ProductFactory(stock=5)
    add_to_cart(owner=CartOwner(guest_token="m" * 40), product_id=kettle.pk, quantity=2)

    outcomes = run_concurrently(2, lambda i: merge_guest_cart(guest_token="m" * 40, customer_id=user.pk))

    assert sorted(o.value for o in outcomes) == [0, 1]
    assert list(CartLine.objects.values_list("cart__customer_id", "quantity")) == [(user.pk, 2)]


# --- checkout clears it, Beat purges stale guest carts ----------------------------------------


@pytest.mark.django_db
def test_a_cart_changed_while_its_order_was_placed_keeps_what_was_not_ordered():
    owner = CartOwner(guest_token="c" * 40)
    kettle, apron = ProductFactory(stock=5), ProductFactory(stock=5)
    add_to_cart(owner=owner, product_id=kettle.pk, quantity=2)
    token = issue_checkout_token(owner=owner)
    # another tab adds an apron and one more kettle while the order for 2 kettles is placed
    add_to_cart(owner=owner, product_id=apron.pk, quantity=1)
    add_to_cart(owner=owner, product_id=kettle.pk, quantity=1)

    clear_cart_after_checkout(owner=owner, checkout_token=token, ordered={kettle.pk: 2})

    assert dict(CartLine.objects.values_list("product_id", "quantity")) == {kettle.pk: 1, apron.pk: 1}


@pytest.mark.django_db
def test_guest_carts_untouched_for_30_days_are_purged():
    now = timezone.now()
    product = ProductFactory(stock=5)
    customer = UserFactory()
    for token in ("old", "new"):
        add_to_cart(owner=CartOwner(guest_token=token), product_id=product.pk, quantity=1)
    add_to_cart(owner=CartOwner(customer_id=customer.pk), product_id=product.pk, quantity=1)
    Cart.objects.filter(guest_token="old").update(updated_at=now - timedelta(days=30, minutes=1))
    Cart.objects.filter(guest_token="new").update(updated_at=now - timedelta(days=29))
    Cart.objects.filter(customer=customer).update(updated_at=now - timedelta(days=90))

    assert purge_stale_guest_carts(now=now) == 1

    assert set(Cart.objects.values_list("guest_token", flat=True)) == {"new", None}
    assert CartLine.objects.count() == 2
    assert settings.CELERY_BEAT_SCHEDULE["purge-stale-guest-carts"]["task"] == "cart.tasks.purge_stale_guest_carts_task"


@pytest.mark.django_db
def test_the_purge_task_runs_the_purge():
    from cart.tasks import purge_stale_guest_carts_task

    add_to_cart(owner=CartOwner(guest_token="old"), product_id=ProductFactory(stock=5).pk, quantity=1)
    Cart.objects.update(updated_at=timezone.now() - timedelta(days=31))

    assert purge_stale_guest_carts_task.delay().get() == 1
    assert Cart.objects.count() == 0

"""The checkout's Nova Poshta picker: directory search, the server's check of the picks, and
the parcel on the shopper's order page."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from cart.tests.helpers import cart_of
from catalog.models import Stock
from orders.models import Order, Source
from orders.services import confirm_order
from shipping.carriers.sandbox import LVIV_REF
from shipping.models import Shipment
from shipping.services import create_labels, plan_shipments
from tests.factories import ProductFactory, np_branch, place_test_order

pytestmark = pytest.mark.django_db

CITIES_URL = reverse("shipping:cities")
WAREHOUSES_URL = reverse("shipping:warehouses")
CHECKOUT_URL = reverse("orders:checkout")
CONTACT = {
    "full_name": "Olena Shevchenko",
    "phone": "067 123 45 67",
    "email": "olena@example.com",
    "comment": "",
    "payment_method": "cod",
}


@pytest.fixture(autouse=True)
def _sandbox_carrier(settings):
    settings.NOVA_POSHTA_API_KEY = ""  # shipping.services talks to the built-in sandbox


def results(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()["results"]


# --- the directory endpoints ----------------------------------------------------------------


def test_city_search_finds_cities_by_their_first_letters(client):
    # given three cities
    kyiv = np_branch("Київ").city
    kyivets = np_branch("Київець").city
    np_branch("Львів")

    # when a shopper types "ки" (any case)
    found = results(client.get(CITIES_URL, {"q": "ки"}))

    # then the two Kyiv-like cities come back, by name, with their Refs and regions
    assert found == [
        {"ref": kyiv.ref, "name": "Київ", "area": "Київська"},
        {"ref": kyivets.ref, "name": "Київець", "area": "Київецьська"},
    ]


@pytest.mark.parametrize("query", ["", " ", "К", " К "])
def test_city_search_needs_two_letters(client, query):
    np_branch("Київ")

    assert results(client.get(CITIES_URL, {"q": query})) == []


def test_city_search_without_a_query_finds_nothing(client):
    np_branch("Київ")

    assert results(client.get(CITIES_URL)) == []


def test_warehouse_search_lists_the_working_branches_of_one_city(client):
    # given Kyiv's branches 1, 2 and 10, a parcel locker, a closed branch, and a Lviv branch
    b1 = np_branch("Київ", "1")
    b10 = np_branch("Київ", "10")
    b2 = np_branch("Київ", "2")
    locker = np_branch("Київ", "5501", kind="parcel_locker", name='Поштомат "Нова Пошта" №5501: вул. Хрещатик, 22')
    np_branch("Київ", "3", is_active=False)
    np_branch("Львів", "1")

    # when the shopper chose Kyiv
    found = results(client.get(WAREHOUSES_URL, {"city": b1.city_id}))

    # then its working branches come (2 before 10), then its parcel lockers, each labelled by kind
    assert [(w["ref"], w["number"], w["kind"], w["kind_label"]) for w in found] == [
        (b1.ref, "1", "branch", "Відділення"),
        (b2.ref, "2", "branch", "Відділення"),
        (b10.ref, "10", "branch", "Відділення"),
        (locker.ref, "5501", "parcel_locker", "Поштомат"),
    ]
    assert found[3]["name"] == 'Поштомат "Нова Пошта" №5501: вул. Хрещатик, 22'


def test_warehouse_search_narrows_by_number_or_street(client):
    b1 = np_branch("Київ", "1", name="Відділення №1: вул. Пирогівський шлях, 135")
    b12 = np_branch("Київ", "12", name="Відділення №12: вул. Велика Васильківська, 72")

    by_number = results(client.get(WAREHOUSES_URL, {"city": b1.city_id, "q": "12"}))
    by_street = results(client.get(WAREHOUSES_URL, {"city": b1.city_id, "q": "пирогів"}))

    assert [w["ref"] for w in by_number] == [b12.ref]
    assert [w["ref"] for w in by_street] == [b1.ref]


@pytest.mark.parametrize("city", ["", "no-such-ref", "x" * 500])
def test_warehouse_search_needs_a_known_city(client, city):
    np_branch("Київ", "1")

    assert results(client.get(WAREHOUSES_URL, {"city": city})) == []


def test_directory_endpoints_only_answer_get(client):
    assert client.post(CITIES_URL, {"q": "Ки"}).status_code == 405
    assert client.post(WAREHOUSES_URL, {"city": "x"}).status_code == 405


@pytest.mark.parametrize("count", [3, 15])
def test_directory_searches_cost_one_query_however_many_rows(client, django_assert_num_queries, count):
    # given 3 or 15 cities named Ки… with 3 or 15 branches in the first one
    for i in range(count):
        np_branch(f"Ки{i:02d}", "1")
    city = np_branch("Ки00", "1").city
    for number in range(2, count + 1):
        np_branch("Ки00", str(number))

    client.get(CITIES_URL)  # the rate limit reads its runtime setting once, then from the cache
    # when both endpoints are asked, then each costs exactly one query
    with django_assert_num_queries(1):
        assert len(results(client.get(CITIES_URL, {"q": "Ки"}))) == count
    with django_assert_num_queries(1):
        assert len(results(client.get(WAREHOUSES_URL, {"city": city.ref}))) == count


# --- checkout: the server checks the picks --------------------------------------------------


def open_checkout(client, product, quantity=1) -> dict:
    """Put the product in the cart, open checkout and return the form as the shopper fills it."""
    client.post("/cart/add/", {"product_id": product.pk, "quantity": quantity})
    response = client.get(CHECKOUT_URL)
    assert response.status_code == 200
    return {**CONTACT, "checkout_token": response.context["form"]["checkout_token"].value()}


def test_checkout_page_carries_the_picker(client):
    product = ProductFactory(stock=5)
    client.post("/cart/add/", {"product_id": product.pk, "quantity": 1})

    response = client.get(CHECKOUT_URL)

    assertContains(response, f'data-cities-url="{CITIES_URL}"')
    assertContains(response, f'data-warehouses-url="{WAREHOUSES_URL}"')
    assertContains(response, '<input type="hidden" name="delivery_city_ref" id="id_delivery_city_ref">', html=True)
    assertContains(
        response, '<input type="hidden" name="delivery_warehouse_ref" id="id_delivery_warehouse_ref">', html=True
    )
    assertContains(response, 'name="delivery_city"')
    assertContains(response, 'name="delivery_branch"')


def test_checkout_stores_the_directorys_names_and_refs(client):
    # given a shopper who picked Kyiv's parcel locker 5501 (and typed something else by hand)
    locker = np_branch("Київ", "5501", kind="parcel_locker", name='Поштомат "Нова Пошта" №5501: вул. Хрещатик, 22')
    product = ProductFactory(stock=5)
    form = open_checkout(client, product)
    form.update(
        delivery_city="kyiv",
        delivery_branch="the locker by the metro",
        delivery_city_ref=locker.city_id,
        delivery_warehouse_ref=locker.ref,
    )

    # when the order is placed
    response = client.post(CHECKOUT_URL, form)

    # then the order holds the directory's names and both Refs
    order = Order.objects.get()
    assert response.status_code == 303
    assert (order.delivery_city, order.delivery_branch) == ("Київ", 'Поштомат "Нова Пошта" №5501: вул. Хрещатик, 22')
    assert (order.delivery_city_ref, order.delivery_warehouse_ref) == (locker.city_id, locker.ref)


def other_branch():
    return np_branch("Львів", "1")


@pytest.mark.parametrize(
    ("refs", "field", "message"),
    [
        # typed by hand, no script: nothing picked
        (lambda b: {}, "delivery_city", "Choose your city from the Nova Poshta list."),
        (lambda b: {"delivery_city_ref": "made-up"}, "delivery_city", "Choose your city from the Nova Poshta list."),
        (
            lambda b: {"delivery_city_ref": "made-up", "delivery_warehouse_ref": b.ref},
            "delivery_city",
            "Choose your city from the Nova Poshta list.",
        ),
        (
            lambda b: {"delivery_city_ref": b.city_id},
            "delivery_branch",
            "Choose a Nova Poshta branch or parcel locker in Київ.",
        ),
        (
            lambda b: {"delivery_city_ref": b.city_id, "delivery_warehouse_ref": "made-up"},
            "delivery_branch",
            "Choose a Nova Poshta branch or parcel locker in Київ.",
        ),
        # a branch of another city
        (
            lambda b: {"delivery_city_ref": b.city_id, "delivery_warehouse_ref": other_branch().ref},
            "delivery_branch",
            "Choose a Nova Poshta branch or parcel locker in Київ.",
        ),
        (
            lambda b: {"delivery_city_ref": b.city_id, "delivery_warehouse_ref": "x" * 40},
            "delivery_branch",
            "Choose a Nova Poshta branch or parcel locker in Київ.",
        ),
    ],
)
def test_a_delivery_not_picked_from_the_directory_is_refused(client, refs, field, message):
    # given a cart and a checkout form whose city or branch is not a valid pick
    branch = np_branch("Київ", "1")
    product = ProductFactory(stock=5)
    form = {
        **open_checkout(client, product, 2),
        "delivery_city": "Київ",
        "delivery_branch": "Відділення №1",
        **refs(branch),
    }

    # when it is submitted
    response = client.post(CHECKOUT_URL, form)

    # then the form comes back with the message at the field (and in the summary), nothing changed
    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assertContains(response, f'id="id_{field}_error"', status_code=400)
    assertContains(response, message, count=2, status_code=400)
    assert Order.objects.count() == 0
    assert (Stock.objects.get(product=product).reserved, cart_of(client)) == (0, {product.pk: 2})


def test_a_closed_branch_is_refused(client):
    closed = np_branch("Київ", "3", is_active=False)
    product = ProductFactory(stock=5)
    form = {
        **open_checkout(client, product),
        "delivery_city": "Київ",
        "delivery_branch": closed.name,
        "delivery_city_ref": closed.city_id,
        "delivery_warehouse_ref": closed.ref,
    }

    response = client.post(CHECKOUT_URL, form)

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "delivery_branch": ["Choose a Nova Poshta branch or parcel locker in Київ."]
    }
    assert Order.objects.count() == 0


def test_contact_and_delivery_errors_show_together_and_the_picks_are_kept(client):
    # given a wrong phone and no branch picked
    branch = np_branch("Київ", "1")
    product = ProductFactory(stock=5)
    form = {
        **open_checkout(client, product),
        "phone": "12345",
        "delivery_city": "Київ",
        "delivery_branch": "Відділення №1",
        "delivery_city_ref": branch.city_id,
    }

    response = client.post(CHECKOUT_URL, form)

    # then both are reported at once, and the city picked stays in the form
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"phone", "delivery_branch"}
    assertContains(
        response,
        f'<input type="hidden" name="delivery_city_ref" value="{branch.city_id}" id="id_delivery_city_ref">',
        html=True,
        status_code=400,
    )


def test_an_empty_city_says_so_once(client):
    product = ProductFactory(stock=5)
    form = {**open_checkout(client, product), "delivery_city": "", "delivery_branch": ""}

    response = client.post(CHECKOUT_URL, form)

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "delivery_city": ["Enter the Nova Poshta city."],
        "delivery_branch": ["Enter the Nova Poshta branch or parcel locker."],
    }


# --- the order's page: the parcel ------------------------------------------------------------


def confirmed_order(branch=None) -> Order:
    branch = branch or np_branch("Київ", "2")
    order = place_test_order(
        delivery_city=branch.city.name,
        delivery_branch=branch.name,
        delivery_city_ref=branch.city_id,
        delivery_warehouse_ref=branch.ref,
    )
    return confirm_order(order_id=order.pk, by=None, reason="Phoned", source=Source.ADMIN)


def test_order_page_shows_the_waybill_and_its_tracking_link(client):
    # given a confirmed order whose label the carrier (the sandbox) created
    order = confirmed_order()
    plan_shipments()
    assert create_labels() == 1
    order.refresh_from_db()
    shipment = order.shipments.get()
    assert order.status == Order.Status.SHIPPED
    assert order.tracking_number == shipment.tracking_number != ""

    # when the shopper opens the order's page
    response = client.get(order.get_absolute_url())

    # then it shows the TTN, linked to Nova Poshta's tracking, and the parcel's state in words
    tracking = f"https://novaposhta.ua/tracking/?cargo_number={order.tracking_number}"
    assertContains(response, f'<a href="{tracking}" rel="noopener noreferrer" target="_blank">', count=1)
    assertContains(response, "<dt>Waybill (TTN)</dt>", count=1)
    assertContains(response, order.tracking_number)
    assertContains(
        response,
        '<dd class="parcel-status">Packed: the parcel is waiting to be handed to Nova Poshta.</dd>',
        html=True,
    )


def test_order_page_before_the_label_says_the_parcel_is_being_prepared(client):
    order = confirmed_order()
    plan_shipments()

    response = client.get(order.get_absolute_url())

    assertContains(response, '<dd class="parcel-status">We are preparing your parcel.</dd>', html=True)
    assertNotContains(response, "Waybill (TTN)")


def test_order_page_keeps_staff_problems_to_staff(client):
    # given a shipment that needs a person (the order has no branch picked)
    order = confirmed_order()
    Order.objects.filter(pk=order.pk).update(delivery_warehouse_ref="")
    plan_shipments()
    shipment = order.shipments.get()
    assert shipment.status == Shipment.Status.NEEDS_ATTENTION

    response = client.get(order.get_absolute_url())

    # then the shopper reads that it is being prepared, not the staff's error
    assertContains(response, '<dd class="parcel-status">We are preparing your parcel.</dd>', html=True)
    assertNotContains(response, shipment.last_error)
    assertNotContains(response, "attention")


def test_order_page_without_a_shipment_shows_no_parcel(client):
    order = place_test_order()

    response = client.get(order.get_absolute_url())

    assert response.status_code == 200
    assertNotContains(response, 'class="parcel"')


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/shipping/warehouses/", {"city": "\x00"}),
        ("/shipping/warehouses/", {"city": LVIV_REF, "q": "a\x00b"}),
        ("/shipping/cities/", {"q": "Ль\x00"}),
    ],
)
def test_a_nul_byte_in_the_picker_is_a_400_with_a_message(client, path, params):
    response = client.get(path, params)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The search contains a character that is not allowed.",
        "code": "bad_query",
    }

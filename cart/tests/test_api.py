"""The cart API: the same rows as the shop pages, errors in the API's shape."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cart.models import Cart, CartLine
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

CART = "/api/v1/cart/"
LINES = "/api/v1/cart/lines/"


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_an_empty_cart_reads_as_empty(api):
    response = api.get(CART)

    assert response.status_code == 200
    assert response.json() == {"lines": [], "count": 0, "total": 0, "currency": "UAH", "dropped": 0}


def test_add_change_and_remove_lines(api):
    kettle = ProductFactory(name="Copper kettle", sku="KET-1", price=129900, stock=3)
    apron = ProductFactory(name="Linen apron", sku="APR-1", price=45050, stock=5)

    # add 2 kettles, then 2 more (the line adds up; 4 is more than the 3 in stock)
    api.post(LINES, {"product_id": kettle.pk, "quantity": 2}, format="json")
    response = api.post(LINES, {"product_id": kettle.pk, "quantity": 2}, format="json")
    assert response.status_code == 200
    assert response.json()["lines"] == [
        {
            "product_id": kettle.pk,
            "sku": "KET-1",
            "name": "Copper kettle",
            "unit_price": 129900,
            "quantity": 4,
            "line_total": 519600,
            "available": 3,
            "is_short": True,
        }
    ]

    # an apron, then the kettles set to 1
    api.post(LINES, {"product_id": apron.pk, "quantity": 1}, format="json")
    response = api.patch(f"{LINES}{kettle.pk}/", {"quantity": 1}, format="json")
    body = response.json()
    assert response.status_code == 200
    assert [(line["name"], line["quantity"]) for line in body["lines"]] == [("Copper kettle", 1), ("Linen apron", 1)]
    assert (body["count"], body["total"]) == (2, 174950)

    # the kettle removed
    response = api.delete(f"{LINES}{kettle.pk}/")
    assert response.status_code == 200
    assert [line["name"] for line in response.json()["lines"]] == ["Linen apron"]
    assert list(CartLine.objects.values_list("product_id", "quantity")) == [(apron.pk, 1)]


def test_api_and_shop_pages_see_the_same_cart(client, api, user):
    # given a product put in the cart on the shop page by the logged-in customer
    kettle, apron = ProductFactory(stock=5), ProductFactory(stock=5)
    client.force_login(user)
    client.post("/cart/add/", {"product_id": kettle.pk, "quantity": 2})

    # when the API adds another
    api.post(LINES, {"product_id": apron.pk, "quantity": 1}, format="json")

    # then the API and the page show both
    assert {line["product_id"]: line["quantity"] for line in api.get(CART).json()["lines"]} == {
        kettle.pk: 2,
        apron.pk: 1,
    }
    assert client.get("/cart/").context["cart_count"] == 3
    assert Cart.objects.count() == 1


def test_session_login_works_too(client, user):
    kettle = ProductFactory(stock=5)
    client.force_login(user)
    client.post("/cart/add/", {"product_id": kettle.pk, "quantity": 1})

    response = client.get(CART)

    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"product_id": 999999, "quantity": 1}, 404, "product_unavailable"),
        ({"product_id": "sold-out", "quantity": 1}, 409, "out_of_stock"),
        ({"product_id": "inactive", "quantity": 1}, 404, "product_unavailable"),
        ({"product_id": "ok", "quantity": 0}, 400, "invalid"),
        ({"product_id": "ok", "quantity": 100}, 400, "invalid"),
        ({"quantity": 1}, 400, "invalid"),
    ],
)
def test_refused_additions_change_nothing(api, body, status, code):
    products = {
        "sold-out": ProductFactory(stock=0).pk,
        "inactive": ProductFactory(stock=5, is_active=False).pk,
        "ok": ProductFactory(stock=5).pk,
    }
    if body.get("product_id") in products:
        body = {**body, "product_id": products[body["product_id"]]}

    response = api.post(LINES, body, format="json")

    assert response.status_code == status
    assert response.json()["code"] == code
    assert CartLine.objects.count() == 0


def test_out_of_stock_says_which_product(api):
    product = ProductFactory(name="Clay pot", stock=0)

    response = api.post(LINES, {"product_id": product.pk, "quantity": 1}, format="json")

    assert response.json() == {"detail": "На жаль, Clay pot немає в наявності.", "code": "out_of_stock"}
    english = api.post(LINES, {"product_id": product.pk, "quantity": 1}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json() == {"detail": "Sorry, Clay pot is out of stock.", "code": "out_of_stock"}


def test_changing_or_removing_a_line_not_in_the_cart_is_not_found(api):
    kettle, apron = ProductFactory(stock=5), ProductFactory(stock=5)
    api.post(LINES, {"product_id": kettle.pk, "quantity": 1}, format="json")

    patched = api.patch(f"{LINES}{apron.pk}/", {"quantity": 2}, format="json")
    deleted = api.delete(f"{LINES}{apron.pk}/")

    expected = {"detail": "Цього товару немає у вашому кошику.", "code": "cart_line_not_found"}
    assert (patched.status_code, patched.json()) == (404, expected)
    assert (deleted.status_code, deleted.json()) == (404, expected)
    assert list(CartLine.objects.values_list("product_id", "quantity")) == [(kettle.pk, 1)]


def test_another_customers_cart_is_out_of_reach(api):
    # given somebody else's cart with a kettle
    kettle = ProductFactory(stock=5)
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory()).key}")
    other.post(LINES, {"product_id": kettle.pk, "quantity": 1}, format="json")

    # then my cart is empty and their line is not mine to change
    assert api.get(CART).json()["lines"] == []
    assert api.delete(f"{LINES}{kettle.pk}/").status_code == 404
    assert CartLine.objects.get().quantity == 1


def test_an_idempotency_key_replays_an_addition_instead_of_adding_twice(api):
    kettle = ProductFactory(stock=5)
    headers = {"HTTP_IDEMPOTENCY_KEY": "add-kettle-1"}

    first = api.post(LINES, {"product_id": kettle.pk, "quantity": 2}, format="json", **headers)
    second = api.post(LINES, {"product_id": kettle.pk, "quantity": 2}, format="json", **headers)

    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert CartLine.objects.get().quantity == 2


@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_the_cart_api_needs_a_login(method):
    url = CART if method == "get" else (LINES if method == "post" else f"{LINES}1/")

    response = getattr(APIClient(), method)(url, {}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_the_schema_documents_the_cart_api():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert set(schema["paths"]["/api/v1/cart/lines/{product_id}/"]) == {"patch", "delete"}
    assert schema["paths"]["/api/v1/cart/"]["get"]["operationId"] == "cart_retrieve"
    assert schema["paths"]["/api/v1/cart/lines/"]["post"]["responses"].keys() >= {"200", "404", "409"}

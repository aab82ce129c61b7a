"""The public catalog API: list, search, detail, stock as shoppers see it."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import ProductFactory, UserFactory, place_test_order

pytestmark = pytest.mark.django_db

PRODUCTS_URL = "/api/v1/products/"


def test_anybody_can_list_products_on_sale():
    # given a product on sale, one out of stock and one no longer sold
    kettle = ProductFactory(
        sku="KETTLE-1",
        name="Electric kettle",
        slug="electric-kettle",
        description="1.7 l, steel.",
        price=129900,
        weight_grams=1400,
        stock=4,
    )
    ProductFactory(name="Anvil", stock=0)
    ProductFactory(name="Typewriter", is_active=False)
    # when an anonymous client lists the catalog
    response = APIClient().get(PRODUCTS_URL)
    # then it sees the two on sale, by name, with exact fields
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    assert [p["name"] for p in body["results"]] == ["Anvil", "Electric kettle"]
    assert body["results"][0]["available"] == 0
    assert body["results"][0]["in_stock"] is False
    assert body["results"][1] == {
        "id": kettle.pk,
        "sku": "KETTLE-1",
        "name": "Electric kettle",
        "slug": "electric-kettle",
        "description": "1.7 l, steel.",
        "price": 129900,
        "currency": "UAH",
        "weight_grams": 1400,
        "available": 4,
        "in_stock": True,
    }


def test_a_customer_with_a_token_can_list_products_too():
    ProductFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory()).key}")
    assert client.get(PRODUCTS_URL).json()["count"] == 1


def test_units_reserved_by_orders_are_not_available():
    product = ProductFactory(stock=3)
    place_test_order(items={product.pk: 2})
    result = APIClient().get(PRODUCTS_URL).json()["results"][0]
    assert (result["available"], result["in_stock"]) == (1, True)
    place_test_order(items={product.pk: 1})
    result = APIClient().get(PRODUCTS_URL).json()["results"][0]
    assert (result["available"], result["in_stock"]) == (0, False)


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("kettle", ["Electric kettle", "Kettle descaler"]),
        ("MUG-7", ["Mug"]),
        ("enamel", ["Mug"]),
        ("nothing-like-this", []),
        ("", ["Electric kettle", "Kettle descaler", "Mug"]),
    ],
)
def test_products_are_searched_by_name_sku_and_description(search, expected):
    ProductFactory(name="Electric kettle")
    ProductFactory(name="Kettle descaler")
    ProductFactory(name="Mug", sku="MUG-7", description="Enamel, 300 ml.")
    response = APIClient().get(PRODUCTS_URL, {"search": search})
    assert [p["name"] for p in response.json()["results"]] == expected


def test_the_product_list_is_paginated_by_20():
    ProductFactory.create_batch(21)
    page_1 = APIClient().get(PRODUCTS_URL).json()
    page_2 = APIClient().get(PRODUCTS_URL, {"page": 2}).json()
    assert (page_1["count"], len(page_1["results"]), len(page_2["results"])) == (21, 20, 1)
    assert page_1["next"] == "http://testserver/api/v1/products/?page=2"
    assert page_2["previous"] == "http://testserver/api/v1/products/"


def test_a_page_past_the_end_is_404():
    ProductFactory()
    response = APIClient().get(PRODUCTS_URL, {"page": 5})
    assert response.status_code == 404
    assert response.json() == {"detail": "Недійсна сторінка.", "code": "not_found"}
    in_english = APIClient().get(PRODUCTS_URL, {"page": 5}, HTTP_ACCEPT_LANGUAGE="en")
    assert in_english.json() == {"detail": "Invalid page.", "code": "not_found"}


def test_the_product_list_costs_the_same_queries_for_more_products(django_assert_num_queries):
    ProductFactory.create_batch(3)
    # count, then the page with stock joined
    with django_assert_num_queries(2):
        assert len(APIClient().get(PRODUCTS_URL).json()["results"]) == 3
    ProductFactory.create_batch(10)
    with django_assert_num_queries(2):
        assert len(APIClient().get(PRODUCTS_URL).json()["results"]) == 13


def test_a_product_is_read_by_its_slug():
    product = ProductFactory(slug="enamel-mug", stock=2)
    response = APIClient().get(f"{PRODUCTS_URL}enamel-mug/")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["available"]) == (product.pk, 2)


@pytest.mark.parametrize("slug", ["typewriter", "no-such-thing"])
def test_an_inactive_or_missing_product_is_404(slug):
    ProductFactory(slug="typewriter", is_active=False)
    response = APIClient().get(f"{PRODUCTS_URL}{slug}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Товар не знайдено.", "code": "product_not_found"}
    in_english = APIClient().get(f"{PRODUCTS_URL}{slug}/", HTTP_ACCEPT_LANGUAGE="en")
    assert in_english.json() == {"detail": "Product not found.", "code": "product_not_found"}


def test_the_catalog_is_read_only():
    response = APIClient().post(PRODUCTS_URL, {"name": "Free stuff"}, format="json")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Метод "POST" не дозволений.', "code": "method_not_allowed"}
    in_english = APIClient().post(PRODUCTS_URL, {"name": "Free stuff"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert in_english.json() == {"detail": 'Method "POST" not allowed.', "code": "method_not_allowed"}

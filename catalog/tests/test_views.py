import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from tests.factories import ProductFactory, place_test_order

pytestmark = pytest.mark.django_db

LIST_URL = reverse("catalog:product_list")


def names(response) -> list[str]:
    return [product.name for product in response.context["products"]]


def test_product_list_shows_active_products_with_price_and_availability(client):
    # given a product in stock, one sold out and one hidden by staff
    ProductFactory(name="Copper kettle", slug="copper-kettle", price=129900, stock=3)
    ProductFactory(name="Linen apron", slug="linen-apron", price=45050, stock=0)
    ProductFactory(name="Secret prototype", slug="secret-prototype", is_active=False)

    # when a shopper opens the catalog
    response = client.get(LIST_URL)

    # then the active products are listed by name with their price and availability
    assert response.status_code == 200
    assert names(response) == ["Copper kettle", "Linen apron"]
    assertContains(response, "1\u202f299,00\u00a0₴", count=1)
    assertContains(response, "450,50\u00a0₴", count=1)
    assertContains(response, "In stock", count=1)
    assertContains(response, "Out of stock", count=1)
    assertContains(response, 'href="/p/copper-kettle/"', count=1)
    assertNotContains(response, "Secret prototype")


def test_reserved_units_count_as_sold(client):
    # given two units, both reserved by an order
    product = ProductFactory(name="Clay pot", stock=2)
    place_test_order(items={product.pk: 2})

    # when the catalog is shown
    response = client.get(LIST_URL)

    # then the product is out of stock
    assertContains(response, "Out of stock", count=1)
    assertNotContains(response, "In stock")


def test_search_matches_name_and_sku(client):
    # given three products
    ProductFactory(name="Copper kettle", sku="KET-001")
    ProductFactory(name="Steel kettle", sku="KET-002")
    ProductFactory(name="Linen apron", sku="APR-001")

    # when the shopper searches by a word and by a SKU
    by_word = client.get(LIST_URL, {"q": "kettle"})
    by_sku = client.get(LIST_URL, {"q": "apr-001"})

    # then only the matches are shown
    assert names(by_word) == ["Copper kettle", "Steel kettle"]
    assertContains(by_word, "Search results for “kettle”")
    assertContains(by_word, "2 products found.")
    assert names(by_sku) == ["Linen apron"]


def test_search_without_matches_says_so(client):
    ProductFactory(name="Copper kettle")

    response = client.get(LIST_URL, {"q": "samovar"})

    assert response.status_code == 200
    assert names(response) == []
    assertContains(response, "No products match “samovar”.")


def test_inactive_products_are_not_found_by_search(client):
    ProductFactory(name="Old kettle", is_active=False)

    response = client.get(LIST_URL, {"q": "kettle"})

    assert names(response) == []


def test_catalog_is_paginated_by_twelve(client):
    # given 13 products
    for i in range(13):
        ProductFactory(name=f"Item {i:02d}")

    # when the first, second and an out-of-range page are asked for
    first = client.get(LIST_URL)
    second = client.get(LIST_URL, {"page": 2})
    beyond = client.get(LIST_URL, {"page": 99})

    # then twelve, then one, and the last page for a page that does not exist
    assert names(first) == [f"Item {i:02d}" for i in range(12)]
    assertContains(first, "Page 1 of 2")
    assertContains(first, 'href="?page=2"')
    assert names(second) == ["Item 12"]
    assertContains(second, 'href="?page=1"')
    assert names(beyond) == ["Item 12"]


def test_pagination_keeps_the_search(client):
    for i in range(13):
        ProductFactory(name=f"Kettle {i:02d}")
    ProductFactory(name="Apron")

    response = client.get(LIST_URL, {"q": "kettle"})

    assert len(names(response)) == 12
    assertContains(response, 'href="?q=kettle&amp;page=2"')


def test_catalog_page_costs_two_queries_however_many_products(client, django_assert_num_queries):
    for _ in range(30):
        ProductFactory()

    # a count for the pages, and the page itself with its stock
    with django_assert_num_queries(2):
        response = client.get(LIST_URL)

    assert len(names(response)) == 12


def test_product_page_shows_the_product_and_an_add_to_cart_form(client):
    product = ProductFactory(name="Copper kettle", slug="copper-kettle", sku="KET-001", price=129900, stock=3)

    response = client.get(reverse("catalog:product_detail", kwargs={"slug": "copper-kettle"}))

    assert response.status_code == 200
    assert response.context["product"] == product
    assertContains(response, "<h1>Copper kettle</h1>", html=True)
    assertContains(response, "SKU KET-001")
    assertContains(response, "1\u202f299,00\u00a0₴")
    assertContains(response, "In stock")
    assertContains(
        response, f'<input type="hidden" name="product_id" value="{product.pk}" id="id_product_id">', html=True
    )
    assertContains(response, 'action="/cart/add/"')


def test_sold_out_product_page_has_no_add_to_cart_form(client):
    ProductFactory(slug="sold-out", stock=0)

    response = client.get(reverse("catalog:product_detail", kwargs={"slug": "sold-out"}))

    assert response.status_code == 200
    assertContains(response, "Out of stock")
    assertNotContains(response, 'action="/cart/add/"')


def test_inactive_product_page_is_not_found(client):
    ProductFactory(slug="retired", is_active=False)

    response = client.get(reverse("catalog:product_detail", kwargs={"slug": "retired"}))

    assert response.status_code == 404


def test_missing_product_page_is_not_found(client):
    response = client.get(reverse("catalog:product_detail", kwargs={"slug": "no-such-thing"}))

    assert response.status_code == 404


def test_header_shows_shop_name_search_and_cart_count(client, settings):
    settings.SHOP_NAME = "Kramar Test"
    product = ProductFactory(stock=5)
    client.post(reverse("orders:cart_add"), {"product_id": product.pk, "quantity": 3})

    response = client.get(LIST_URL, {"q": "thing"})

    assertContains(response, '<a class="brand" href="/">Kramar Test</a>', html=True)
    assertContains(response, 'name="q" value="thing"')
    assert response.context["cart_count"] == 3
    assertContains(response, '<span class="badge" aria-label="3 items">3</span>', html=True)

"""The catalog back office: products in hryvnias, stock counted through the service."""

import re

import pytest
from django.urls import reverse

from catalog.models import Product, Reservation, Stock
from tests.factories import ProductFactory, StaffFactory, place_test_order

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def login_as(client, role):
    user = StaffFactory(role=role)
    client.force_login(user)
    return user


def stock_url(product):
    return reverse("admin:catalog_stock_change", args=[product.pk])


def stock_of(product):
    stock = Stock.objects.get(product=product)
    return (stock.on_hand, stock.reserved)


def product_form(**fields):
    data = {
        "sku": "TEA-001",
        "name_uk": "Зелений чай",
        "name_en": "Green tea",
        "slug": "green-tea",
        "description_uk": "Розсипний, 100 г.",
        "description_en": "Loose leaf, 100 g.",
        "price": "1249.50",
        "weight_grams": 250,
        "is_active": "on",
        "stock-TOTAL_FORMS": 0,
        "stock-INITIAL_FORMS": 0,
        "stock-MIN_NUM_FORMS": 0,
        "stock-MAX_NUM_FORMS": 1,
        "_save": "Save",
    }
    data.update(fields)
    return data


def test_product_list_shows_price_in_hryvnias_and_stock(client):
    # given 7 units on hand, 2 of them reserved by an order
    login_as(client, "Support")
    product = ProductFactory(price=124950, stock=7)
    place_test_order(items={product.pk: 2})
    # when Support opens the product list
    response = client.get(reverse("admin:catalog_product_changelist"))
    # then the row shows the price in hryvnias and the stock counts
    html = response.content.decode()
    assert f'<td class="field-price_display">1\u202f249,50{NBSP}₴</td>' in html
    assert '<td class="field-on_hand">7</td>' in html
    assert '<td class="field-reserved">2</td>' in html
    assert '<td class="field-available">5</td>' in html


def test_product_list_query_count_does_not_grow(client, django_assert_num_queries):
    login_as(client, "Support")
    ProductFactory.create_batch(3)
    with django_assert_num_queries(7):  # the session row included
        client.get(reverse("admin:catalog_product_changelist"))
    ProductFactory.create_batch(12)
    with django_assert_num_queries(7):  # the session row included
        response = client.get(reverse("admin:catalog_product_changelist"))
    assert len(response.context["cl"].result_list) == 15


def test_product_search_and_filter(client):
    login_as(client, "Support")
    tea = ProductFactory(sku="TEA-001", name="Green tea")
    ProductFactory(sku="CUP-001", name="Cup")
    hidden = ProductFactory(sku="TEA-002", name="Black tea", is_active=False)
    url = reverse("admin:catalog_product_changelist")
    assert list(client.get(url, {"q": "tea-001"}).context["cl"].result_list) == [tea]
    assert list(client.get(url, {"q": "tea", "is_active__exact": "0"}).context["cl"].result_list) == [hidden]


def test_manager_creates_a_product_with_its_stock(client):
    login_as(client, "Manager")
    page = client.get(reverse("admin:catalog_product_add"))
    assert "on_hand" in page.context["adminform"].form.fields
    assert page.context["adminform"].prepopulated_fields[0]["field"].name == "slug"
    response = client.post(reverse("admin:catalog_product_add"), product_form(on_hand=12))
    assert response.status_code == 302
    product = Product.objects.get(sku="TEA-001")
    assert (product.name_uk, product.name_en, product.slug, product.price, product.weight_grams, product.is_active) == (
        "Зелений чай",
        "Green tea",
        "green-tea",
        124950,
        250,
        True,
    )
    assert stock_of(product) == (12, 0)


def test_duplicate_sku_is_a_form_error_and_creates_nothing(client):
    login_as(client, "Manager")
    ProductFactory(sku="TEA-001")
    response = client.post(reverse("admin:catalog_product_add"), product_form(on_hand=3))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"sku": ["Товар із таким артикулом уже існує."]}
    assert Product.objects.count() == 1


def test_manager_changes_a_price_and_stock_stays(client):
    login_as(client, "Manager")
    product = ProductFactory(sku="TEA-001", slug="green-tea", price=124950, stock=4)
    page = client.get(reverse("admin:catalog_product_change", args=[product.pk]))
    form = page.context["adminform"].form
    assert "on_hand" not in form.fields
    assert form["price"].value() == form.fields["price"].prepare_value(124950)
    assert str(form.fields["price"].prepare_value(124950)) == "1\u202f249,50"
    response = client.post(
        reverse("admin:catalog_product_change", args=[product.pk]),
        product_form(
            price="99.90", **{"stock-TOTAL_FORMS": 1, "stock-INITIAL_FORMS": 1, "stock-0-product": product.pk}
        ),
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.price == 9990
    assert stock_of(product) == (4, 0)


def test_view_only_product_page_shows_price_in_hryvnias(client):
    login_as(client, "Warehouse")
    product = ProductFactory(price=124950)
    response = client.get(reverse("admin:catalog_product_change", args=[product.pk]))
    assert response.context["has_change_permission"] is False
    assert f"1\u202f249,50{NBSP}₴" in response.content.decode()


# --- stock ----------------------------------------------------------------------------------


def test_warehouse_counts_stock(client):
    login_as(client, "Warehouse")
    product = ProductFactory(stock=10)
    response = client.post(stock_url(product), {"on_hand": 15, "_save": "Save"})
    assert response.status_code == 302
    assert stock_of(product) == (15, 0)


def test_stock_below_reserved_is_a_form_error(client):
    # given 10 on hand, 4 reserved for an open order
    login_as(client, "Warehouse")
    product = ProductFactory(stock=10)
    place_test_order(items={product.pk: 4})
    # when Warehouse types 3 on hand
    response = client.post(stock_url(product), {"on_hand": 3, "_save": "Save"})
    # then the form says why, and the count is unchanged
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "on_hand": ["4 одиниці зарезервовані для відкритих замовлень; на складі не може бути менше."]
    }
    assert stock_of(product) == (10, 4)


def test_negative_stock_is_a_form_error(client):
    login_as(client, "Warehouse")
    product = ProductFactory(stock=10)
    response = client.post(stock_url(product), {"on_hand": -1, "_save": "Save"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "on_hand": ["Переконайтеся, що це значення більше чи дорівнює 0."]
    }
    assert stock_of(product) == (10, 0)


def test_reserved_cannot_be_typed_in(client):
    login_as(client, "Manager")
    product = ProductFactory(stock=10)
    place_test_order(items={product.pk: 4})
    response = client.post(stock_url(product), {"on_hand": 8, "reserved": 0, "_save": "Save"})
    assert response.status_code == 302
    assert stock_of(product) == (8, 4)


def test_support_sees_stock_but_cannot_change_it(client):
    login_as(client, "Support")
    product = ProductFactory(stock=10)
    assert client.get(stock_url(product)).context["has_change_permission"] is False
    assert client.post(stock_url(product), {"on_hand": 1, "_save": "Save"}).status_code == 403
    assert stock_of(product) == (10, 0)


def test_stock_rows_are_not_added_or_deleted_here(client):
    login_as(client, "Manager")
    product = ProductFactory(stock=10)
    assert client.get(reverse("admin:catalog_stock_add")).status_code == 403
    assert client.post(reverse("admin:catalog_stock_delete", args=[product.pk]), {"post": "yes"}).status_code == 403
    assert stock_of(product) == (10, 0)


def test_product_page_shows_its_stock(client):
    login_as(client, "Support")
    product = ProductFactory(stock=9)
    place_test_order(items={product.pk: 2})
    response = client.get(reverse("admin:catalog_product_change", args=[product.pk]))
    (inline,) = response.context["inline_admin_formsets"]
    html = re.sub(r">\s+<", "><", response.content.decode())
    assert inline.opts.model is Stock
    assert '<td class="field-on_hand"><p>9</p></td>' in html
    assert '<td class="field-reserved"><p>2</p></td>' in html
    assert '<td class="field-available"><p>7</p></td>' in html


# --- reservations ---------------------------------------------------------------------------


def test_reservations_are_view_only(client):
    login_as(client, "Manager")
    product = ProductFactory(stock=10)
    order = place_test_order(items={product.pk: 4})
    reservation = Reservation.objects.get(reference=order.stock_reference)
    url = reverse("admin:catalog_reservation_change", args=[reservation.pk])
    assert client.get(url).context["has_change_permission"] is False
    assert client.post(url, {"quantity": 1, "status": "released"}).status_code == 403
    assert client.get(reverse("admin:catalog_reservation_add")).status_code == 403
    assert (
        client.post(reverse("admin:catalog_reservation_delete", args=[reservation.pk]), {"post": "yes"}).status_code
        == 403
    )
    reservation.refresh_from_db()
    assert (reservation.quantity, reservation.status) == (4, "active")
    listed = client.get(reverse("admin:catalog_reservation_changelist"), {"q": order.stock_reference})
    assert list(listed.context["cl"].result_list) == [reservation]

"""Product texts in Ukrainian and English: pages, search, API and admin each in the right language."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import translation
from pytest_django.asserts import assertContains, assertNotContains
from rest_framework.test import APIClient

from catalog.models import Product, Stock
from catalog.selectors import list_products_for_shoppers
from tests.factories import ProductFactory, StaffFactory

pytestmark = pytest.mark.django_db

PRODUCTS_URL = "/api/v1/products/"


def url(name, language, **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


def names(response) -> list[str]:
    """The product names as the page's language shows them (a test request leaves its language active)."""
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        return [product.name for product in response.context["products"]]


@pytest.fixture
def tea_and_cup():
    """A tea with both texts, and a cup nobody has translated yet."""
    tea = ProductFactory(
        name="Зелений чай",
        name_en="Green tea",
        slug="green-tea",
        description="Розсипний, 100 г.",
        description_en="Loose leaf, 100 g.",
    )
    cup = ProductFactory(name="Глиняна чашка", slug="clay-cup", description="Опішня, 300 мл.")
    return tea, cup


def test_the_shop_shows_ukrainian_at_the_root_and_english_under_en(client, tea_and_cup):
    # when a shopper opens the catalog at / and at /en/
    uk = client.get(url("catalog:product_list", "uk"))
    en = client.get(url("catalog:product_list", "en"))

    # then / is Ukrainian; /en/ is English, and the untranslated cup keeps its Ukrainian name
    assert url("catalog:product_list", "en") == "/en/"
    assert names(uk) == ["Глиняна чашка", "Зелений чай"]
    assert names(en) == ["Green tea", "Глиняна чашка"]
    assertContains(uk, "Зелений чай", count=1)
    assertNotContains(uk, "Green tea")
    assertNotContains(en, "Зелений чай")


def test_english_list_is_ordered_by_the_name_it_shows(client):
    ProductFactory(name="Анісовий чай", name_en="Tea with anise")
    ProductFactory(name="Яблучний чай", name_en="Apple tea")
    ProductFactory(name="Бузиновий сироп")  # not translated: listed by its Ukrainian name

    assert names(client.get(url("catalog:product_list", "en"))) == ["Apple tea", "Tea with anise", "Бузиновий сироп"]
    assert names(client.get(url("catalog:product_list", "uk"))) == ["Анісовий чай", "Бузиновий сироп", "Яблучний чай"]


def test_product_page_in_both_languages_with_the_ukrainian_fallback(client, tea_and_cup):
    tea_uk = client.get(url("catalog:product_detail", "uk", slug="green-tea"))
    tea_en = client.get(url("catalog:product_detail", "en", slug="green-tea"))
    cup_en = client.get(url("catalog:product_detail", "en", slug="clay-cup"))

    assertContains(tea_uk, "<h1>Зелений чай</h1>", html=True)
    assertContains(tea_uk, "Розсипний, 100 г.")
    assertContains(tea_en, "<h1>Green tea</h1>", html=True)
    assertContains(tea_en, "Loose leaf, 100 g.")
    assertNotContains(tea_en, "Розсипний")
    assertContains(cup_en, "<h1>Глиняна чашка</h1>", html=True)
    assertContains(cup_en, "Опішня, 300 мл.")


@pytest.mark.parametrize("language", ["uk", "en"])
@pytest.mark.parametrize(
    ("query", "expected_uk"),
    [
        ("чай", ["Зелений чай"]),
        ("GREEN", ["Зелений чай"]),
        ("leaf", ["Зелений чай"]),
        ("розсипний", ["Зелений чай"]),
        ("чашка", ["Глиняна чашка"]),
        ("tea-1", ["Зелений чай"]),
        ("samovar", []),
    ],
)
def test_search_finds_either_languages_texts_on_either_page(client, tea_and_cup, language, query, expected_uk):
    tea, _ = tea_and_cup
    Product.objects.filter(pk=tea.pk).update(sku="TEA-1")

    response = client.get(url("catalog:product_list", language), {"q": query})

    found = [p.name_uk for p in response.context["products"]]
    assert found == expected_uk


@pytest.mark.parametrize("language", ["uk", "en"])
def test_api_search_finds_either_languages_name(language, tea_and_cup):
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    by_uk = client.get(PRODUCTS_URL, {"search": "зелений"}).json()["results"]
    by_en = client.get(PRODUCTS_URL, {"search": "green"}).json()["results"]
    assert [p["slug"] for p in by_uk] == [p["slug"] for p in by_en] == ["green-tea"]


def test_search_uses_the_trigram_and_sku_indexes():
    # With sequential scans off, the plan shows which indexes can answer the search at all.
    qs = list_products_for_shoppers(query="чай")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        plan = qs.explain()
    for index in (
        "product_name_uk_trgm",
        "product_name_en_trgm",
        "product_description_uk_trgm",
        "product_description_en_trgm",
        "product_sku_upper",
    ):
        assert index in plan, plan


def test_api_name_follows_accept_language_and_keeps_its_fields(tea_and_cup):
    by_language = {
        language: {p["slug"]: p for p in APIClient().get(PRODUCTS_URL, **headers).json()["results"]}
        for language, headers in [
            ("default", {}),
            ("uk", {"HTTP_ACCEPT_LANGUAGE": "uk"}),
            ("en", {"HTTP_ACCEPT_LANGUAGE": "en"}),
        ]
    }
    assert by_language["default"] == by_language["uk"]
    uk, en = by_language["uk"], by_language["en"]
    assert (uk["green-tea"]["name"], uk["green-tea"]["description"]) == ("Зелений чай", "Розсипний, 100 г.")
    assert (en["green-tea"]["name"], en["green-tea"]["description"]) == ("Green tea", "Loose leaf, 100 g.")
    assert (en["clay-cup"]["name"], en["clay-cup"]["description"]) == ("Глиняна чашка", "Опішня, 300 мл.")
    assert (
        list(en["green-tea"])
        == list(uk["green-tea"])
        == [
            "id",
            "sku",
            "name",
            "slug",
            "description",
            "price",
            "currency",
            "weight_grams",
            "available",
            "in_stock",
        ]
    )
    detail = APIClient().get(f"{PRODUCTS_URL}green-tea/", HTTP_ACCEPT_LANGUAGE="en")
    assert (detail.json()["name"], detail["Content-Language"]) == ("Green tea", "en")


def test_english_pages_and_api_cost_as_few_queries(client, django_assert_num_queries):
    for i in range(15):
        ProductFactory(name=f"Товар {i:02d}", name_en=f"Item {i:02d}" if i % 2 else "")
    # a count for the pages, and the page itself with its stock, in either language
    with django_assert_num_queries(2):
        assert len(names(client.get(url("catalog:product_list", "en")))) == 12
    with django_assert_num_queries(2):
        assert len(APIClient().get(PRODUCTS_URL, HTTP_ACCEPT_LANGUAGE="en").json()["results"]) == 15


def test_the_untranslated_column_keeps_the_ukrainian_name_whatever_language_saves(client):
    # given a product saved while English is active (an English-speaking staff member's edit)
    product = ProductFactory(name="Зелений чай")
    with translation.override("en"):
        product.name_en = "Green tea"
        product.save()
    # then the column other models order by (`product__name`) still holds the Ukrainian name
    assert Stock.objects.filter(product=product).values_list("product__name", flat=True).get() == "Зелений чай"
    assert Product.objects.rewrite(False).values_list("name", flat=True).get() == "Зелений чай"


@pytest.mark.parametrize("name_uk", ["", None])
def test_the_database_refuses_a_product_without_a_ukrainian_name(name_uk):
    product = ProductFactory(name="Зелений чай", name_en="Green tea")
    with pytest.raises(IntegrityError, match="product_name_uk_not_empty"), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(name_uk=name_uk)
    product.refresh_from_db()
    assert product.name_uk == "Зелений чай"


# --- admin ----------------------------------------------------------------------------------


def product_form(**fields):
    data = {
        "sku": "TEA-001",
        "name_uk": "Зелений чай",
        "name_en": "",
        "slug": "green-tea",
        "description_uk": "",
        "description_en": "",
        "price": "120.00",
        "weight_grams": 250,
        "is_active": "on",
        "on_hand": 5,
        "stock-TOTAL_FORMS": 0,
        "stock-INITIAL_FORMS": 0,
        "stock-MIN_NUM_FORMS": 0,
        "stock-MAX_NUM_FORMS": 1,
        "_save": "Save",
    }
    data.update(fields)
    return data


def test_admin_edits_both_languages(client):
    client.force_login(StaffFactory(role="Manager"))
    product = ProductFactory(sku="TEA-001", slug="green-tea", name="Зелений чай", stock=4)
    change_url = reverse("admin:catalog_product_change", args=[product.pk])

    form = client.get(change_url).context["adminform"].form
    assert [f for f in form.fields if f.startswith(("name", "description"))] == [
        "name_uk",
        "name_en",
        "description_uk",
        "description_en",
    ]
    assert (str(form.fields["name_uk"].label), form.fields["name_uk"].required) == ("Назва [uk]", True)
    assert (str(form.fields["name_en"].label), form.fields["name_en"].required) == ("Назва [en]", False)

    response = client.post(
        change_url,
        product_form(
            name_uk="Чай зелений, 100 г",
            name_en="Green tea, 100 g",
            description_uk="Розсипний.",
            description_en="Loose leaf.",
            **{"stock-TOTAL_FORMS": 1, "stock-INITIAL_FORMS": 1, "stock-0-product": product.pk},
        ),
    )

    assert response.status_code == 302
    product.refresh_from_db()
    texts = (product.name_uk, product.name_en, product.description_uk, product.description_en)
    assert texts == ("Чай зелений, 100 г", "Green tea, 100 g", "Розсипний.", "Loose leaf.")
    assert Product.objects.rewrite(False).values_list("name", flat=True).get() == "Чай зелений, 100 г"


def test_admin_in_english_saves_the_ukrainian_name_as_ukrainian(client):
    client.force_login(StaffFactory(role="Manager"))
    client.cookies["django_language"] = "en"
    response = client.post(reverse("admin:catalog_product_add"), product_form(name_en="Green tea"))
    assert response.status_code == 302
    product = Product.objects.get(sku="TEA-001")
    assert (product.name_uk, product.name_en, product.stock.on_hand) == ("Зелений чай", "Green tea", 5)
    assert Product.objects.rewrite(False).values_list("name", flat=True).get() == "Зелений чай"


def test_admin_refuses_a_product_without_a_ukrainian_name(client):
    client.force_login(StaffFactory(role="Manager"))
    response = client.post(reverse("admin:catalog_product_add"), product_form(name_uk="", name_en="Green tea"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"name_uk": ["Це поле обов'язкове."]}
    assert not Product.objects.exists()


def test_admin_finds_products_by_either_languages_name(client):
    client.force_login(StaffFactory(role="Support"))
    tea = ProductFactory(name="Зелений чай", name_en="Green tea")
    ProductFactory(name="Глиняна чашка")
    changelist = reverse("admin:catalog_product_changelist")
    for query in ("зелений", "green"):
        assert list(client.get(changelist, {"q": query}).context["cl"].result_list) == [tea]
    stock = reverse("admin:catalog_stock_changelist")
    assert [s.product for s in client.get(stock, {"q": "green"}).context["cl"].result_list] == [tea]

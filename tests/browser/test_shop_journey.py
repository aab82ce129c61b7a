"""A shopper's visit in a real browser, in Ukrainian, on a laptop and on a phone.

Browse the Ukrainian catalogue, open a product, put it in the cart, look at the cart in English
with the header's switch and come back (the cart stays), check out with a Nova Poshta branch
picked in the picker, pay on delivery, and land on the order's page in Ukrainian. At every step
the page fits the window: no sideways scrolling, whatever the long Ukrainian words.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.utils import translation

from catalog.models import Product
from core.money import format_money
from orders.models import Order
from shipping.carriers.sandbox import LVIV_REF
from shipping.tests.conftest import ensure_sandbox_directory
from tests.browser.pages import (
    BROWSER_TEST,
    assert_english,
    assert_no_horizontal_overflow,
    assert_ukrainian,
    switch_language,
)
from tests.factories import ProductFactory

pytestmark = BROWSER_TEST

LAPTOP = (1280, 800)
PHONE = (390, 844)


def bilingual(field: str, uk: str, en: str) -> dict:
    """The factory arguments for a translated product field (django-modeltranslation)."""
    return {f"{field}_uk": uk, f"{field}_en": en}


def name_in(product: Product, language: str) -> str:
    with translation.override(language):
        return Product.objects.get(pk=product.pk).name


def cart_count(page) -> str:
    return page.locator(".cart-link .badge").inner_text().strip()


@pytest.mark.parametrize(("width", "height"), [LAPTOP, PHONE], ids=["1280px", "390px"])
def test_a_shopper_buys_in_ukrainian_and_the_language_switch_keeps_the_cart(open_page, width, height):
    # given a Ukrainian catalogue (with a long word or two) and Nova Poshta's branches
    ensure_sandbox_directory()
    kettle = ProductFactory(
        slug="midnyi-chainyk",
        price=139900,
        stock=5,
        **bilingual("name", "Мідний чайник «Гуцульський» з терморегулятором", "Hutsul copper kettle"),
        **bilingual("description", "Високоякісний термостійкий чайник ручної роботи.", "A handmade kettle."),
    )
    ProductFactory(**bilingual("name", "Лляний фартух", "Linen apron"), price=45050, stock=3)
    page = open_page(width, height)

    # when a shopper opens the shop: it speaks Ukrainian
    page.goto("/")
    assert_ukrainian(page, "catalogue")
    assert "Кошик" in page.locator(".cart-link").inner_text()
    assert cart_count(page) == "0"
    assert_no_horizontal_overflow(page, "catalogue")

    # and she opens the kettle
    page.get_by_role("link", name=name_in(kettle, "uk")).click()
    page.wait_for_url(re.compile(r"/p/midnyi-chainyk/$"))
    assert page.locator("h1").inner_text() == name_in(kettle, "uk")
    with translation.override("uk"):
        assert page.locator(".price").first.inner_text() == format_money(139900)  # 1 399,00 ₴
    assert_ukrainian(page, "product")
    assert_no_horizontal_overflow(page, "product")

    # and puts it in the cart
    page.locator("form.add-to-cart button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cart/$"))
    assert cart_count(page) == "1"
    assert name_in(kettle, "uk") in page.locator("table.lines tbody").inner_text()
    assert_ukrainian(page, "cart")
    assert_no_horizontal_overflow(page, "cart")

    # then the header's switch shows the same cart in English, under /en/
    switch_language(page, "en")
    assert urlsplit(page.url).path == "/en/cart/", page.url
    assert_english(page, "cart in English")
    assert "Cart" in page.locator(".cart-link").inner_text()
    assert cart_count(page) == "1"
    assert name_in(kettle, "en") in page.locator("table.lines tbody").inner_text()
    assert_no_horizontal_overflow(page, "cart in English")

    # and back in Ukrainian, at /, with the kettle still in it
    switch_language(page, "uk")
    assert urlsplit(page.url).path == "/cart/", page.url
    assert_ukrainian(page, "cart again")
    assert cart_count(page) == "1"

    # when she checks out, picking Lviv and a branch in the Nova Poshta picker
    page.locator("main a[href$='/checkout/']").click()
    page.wait_for_url(re.compile(r"/checkout/$"))
    assert_ukrainian(page, "checkout")
    assert_no_horizontal_overflow(page, "checkout")
    page.fill("input[name=full_name]", "Олександра Преображенська-Милославська")
    page.fill("input[name=phone]", "+380671234567")
    page.fill("input[name=email]", "oleksandra@example.com")
    page.locator("input[name=delivery_city]").press_sequentially("Льв")
    page.locator("#np-city-options li[role=option]", has_text="Львів").click()
    branches = page.locator("[data-np-picker] select")
    first_branch = branches.locator("option:not([value=''])").first.get_attribute("value")
    branches.select_option(first_branch)
    page.check("input[name=payment_method][value=cod]")
    assert_no_horizontal_overflow(page, "checkout filled in")
    page.locator("form.checkout-form button[type=submit]").click()

    # then she lands on her order's page, in Ukrainian
    page.wait_for_url(re.compile(r"/orders/[^/]+/$"))
    order = Order.objects.get()
    assert page.url.endswith(f"/orders/{order.public_token}/")
    assert (order.delivery_city_ref, order.delivery_warehouse_ref) == (LVIV_REF, first_branch)
    assert (order.payment_method, order.total, order.full_name) == (
        Order.PaymentMethod.COD,
        139900,
        "Олександра Преображенська-Милославська",
    )
    heading = page.locator("h1").inner_text()
    assert order.number in heading, heading
    assert "Замовлення" in heading, heading
    assert_ukrainian(page, "order page")
    assert cart_count(page) == "0"
    assert_no_horizontal_overflow(page, "order page")

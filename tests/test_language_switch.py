"""The header's language switch, the remembered choice, hreflang alternates and bad language input."""

import json
import re

import pytest
from constance import config
from django.conf import settings
from django.test import Client
from django.utils import translation

from tests.shop_pages import readable_text, ukrainian_order, ukrainian_product

pytestmark = pytest.mark.django_db

SWITCH = "/i18n/setlang/"


@pytest.fixture(autouse=True)
def ukrainian_thread():
    """Start each test in Ukrainian: a request leaves its language active in the thread."""
    with translation.override("uk"):
        yield


def switch_next(response) -> str:
    """The `next` the page's language switch posts."""
    form = re.search(r'<form class="language-switch".*?</form>', response.content.decode(), re.S).group(0)
    return re.search(r'name="next" value="([^"]*)"', form).group(1)


def alternates(response) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', response.content.decode()))


def shopper_with_a_cart() -> Client:
    client = Client()
    product = ukrainian_product()
    client.post("/cart/add/", {"product_id": product.pk, "quantity": 3})
    return client


def test_the_switch_is_a_form_posting_to_set_language_with_both_languages():
    page = Client().get("/cart/").content.decode()

    form = re.search(r'<form class="language-switch" method="post" action="/i18n/setlang/".*?</form>', page, re.S)
    assert form is not None
    buttons = re.findall(r'<button type="submit" name="language" value="(\w+)"[^>]*>([^<]+)</button>', form.group(0))
    assert buttons == [("uk", "Українська"), ("en", "English")]
    assert 'name="csrfmiddlewaretoken"' in form.group(0)


def test_switching_to_english_keeps_the_page_and_the_cart_and_remembers_the_choice():
    client = shopper_with_a_cart()
    cart_page = client.get("/cart/")
    assert switch_next(cart_page) == "/cart/"

    response = client.post(SWITCH, {"language": "en", "next": switch_next(cart_page)})

    assert (response.status_code, response["Location"]) == (302, "/en/cart/")
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["max-age"] == settings.LANGUAGE_COOKIE_AGE
    english_cart = client.get("/en/cart/")
    assert "Total (3 items)" in readable_text(english_cart)
    assert '<span class="badge" aria-label="3 items">3</span>' in english_cart.content.decode()
    # and an unprefixed page now sends the shopper to its English twin
    remembered = client.get("/cart/")
    assert (remembered.status_code, remembered["Location"]) == (302, "/en/cart/")


def test_switching_back_to_ukrainian_from_an_english_page():
    client = shopper_with_a_cart()
    client.post(SWITCH, {"language": "en", "next": "/cart/"})
    english_cart = client.get("/en/cart/")
    assert switch_next(english_cart) == "/cart/"  # the Ukrainian path, whatever the page's language

    response = client.post(SWITCH, {"language": "uk", "next": switch_next(english_cart)})

    assert (response.status_code, response["Location"]) == (302, "/cart/")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "uk"
    ukrainian_cart = client.get("/cart/")
    assert ukrainian_cart.status_code == 200
    assert "Разом (3 товари)" in readable_text(ukrainian_cart)


def test_english_from_a_shared_english_link_without_a_cookie_switches_to_ukrainian():
    client = shopper_with_a_cart()
    english = client.get("/en/p/midnyi-chainyk/?utm=mail")
    assert switch_next(english) == "/p/midnyi-chainyk/?utm=mail"

    response = client.post(SWITCH, {"language": "uk", "next": switch_next(english)})

    assert response["Location"] == "/p/midnyi-chainyk/?utm=mail"


def test_the_switch_on_a_missing_english_page_goes_to_the_ukrainian_address():
    client = Client()
    page = client.get("/en/no-such-page/")
    assert page.status_code == 404
    assert switch_next(page) == "/no-such-page/"


def test_the_switch_refuses_a_next_on_another_site():
    response = Client().post(SWITCH, {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/en/"  # the shop's home in the chosen language


def test_an_unknown_language_in_the_switch_changes_nothing():
    response = Client().post(SWITCH, {"language": "xx", "next": "/cart/"})
    assert response["Location"] == "/cart/"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_hreflang_alternates_name_both_languages_and_ukrainian_as_the_default():
    ukrainian_product()
    for path in ("/p/midnyi-chainyk/", "/en/p/midnyi-chainyk/"):
        response = Client().get(path)
        assert alternates(response) == {
            "uk": "http://testserver/p/midnyi-chainyk/",
            "en": "http://testserver/en/p/midnyi-chainyk/",
            "x-default": "http://testserver/p/midnyi-chainyk/",
        }


def test_hreflang_keeps_the_query_of_a_search_or_page():
    response = Client().get("/", {"q": "чайник"})
    assert alternates(response)["en"] == "http://testserver/en/?q=%D1%87%D0%B0%D0%B9%D0%BD%D0%B8%D0%BA"


def test_private_and_missing_pages_have_no_alternates():
    order = ukrainian_order()
    assert alternates(Client().get(order.get_absolute_url())) == {}
    assert alternates(Client().get("/no-such-page/")) == {}


@pytest.mark.parametrize("path", ["/xx/", "/de/cart/", "/xx/p/midnyi-chainyk/", "/%D1%83%D0%BA/"])
def test_an_unknown_language_in_the_url_is_a_ukrainian_404(path):
    response = Client().get(path)

    assert response.status_code == 404
    assert '<html lang="uk">' in response.content.decode()
    assert "Сторінку не знайдено" in readable_text(response)


@pytest.mark.parametrize("cookie", ["xx", "", "../../etc/passwd", "zz-" + "a" * 300, "uk\x00", "%D1%80%D1%83"])
def test_a_garbage_language_cookie_means_ukrainian(cookie):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie

    response = client.get("/cart/")

    assert response.status_code == 200
    assert response["Content-Language"] == "uk"
    assert "Ваш кошик" in readable_text(response)


def test_a_regional_english_cookie_is_english():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en-GB"
    assert client.get("/cart/")["Location"] == "/en/cart/"


def test_the_javascript_catalogue_is_loaded_before_shop_js_in_the_pages_language():
    page = Client().get("/").content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts == ["/jsi18n/", "/static/js/shop.js"]
    assert re.findall(r'<script src="([^"]+)"', Client().get("/en/").content.decode())[0] == "/en/jsi18n/"

    ukrainian = Client().get("/jsi18n/")
    english = Client().get("/en/jsi18n/")

    assert ukrainian.status_code == english.status_code == 200
    # the catalogue is JSON inside the script: non-ASCII letters may come \u-escaped
    wanted = ("Спершу виберіть місто.", json.dumps("Спершу виберіть місто.")[1:-1])
    assert any(form in ukrainian.content.decode() for form in wanted)
    assert not any(form in english.content.decode() for form in wanted)


def test_a_rate_limited_page_is_ukrainian():
    config.RATE_LIMIT_CART_ADD = "1/m"
    client = Client()
    client.post("/cart/add/", {"product_id": "0", "quantity": "1"})

    refused = client.post("/cart/add/", {"product_id": "0", "quantity": "1"})

    assert refused.status_code == 429
    assert '<html lang="uk">' in refused.content.decode()
    assert "<h1>Забагато запитів</h1>" in refused.content.decode()
    assert "Повернутися до магазину" in readable_text(refused)

"""How each kind of visitor gets its language (core.middleware.KramarLocaleMiddleware).

Behaviour of the routing only: which language is active and which URL answers. Whether the
pages' texts are translated is tested beside each page.
"""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path, reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def language_view(request):
    return HttpResponse(translation.get_language(), content_type="text/plain")


def test_the_shop_is_ukrainian_at_the_root_and_english_under_en(client):
    root = client.get("/")
    english = client.get("/en/")
    assert root.status_code == english.status_code == 200
    assert root.headers["Content-Language"] == "uk"
    assert english.headers["Content-Language"] == "en"


def test_reverse_follows_the_active_language():
    with translation.override("uk"):
        assert reverse("orders:cart") == "/cart/"
    with translation.override("en"):
        assert reverse("orders:cart") == "/en/cart/"


@pytest.mark.parametrize("header", ["en", "en-GB,en;q=0.9", "de, en;q=0.5"])
def test_a_browser_asking_for_english_still_gets_ukrainian_at_the_root(client, header):
    """The URL decides on the shop's pages: what a search engine indexes at / is Ukrainian."""
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=header)
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "uk"


def test_the_switch_remembers_english_and_an_unprefixed_page_follows_it(client):
    switched = client.post(reverse("set_language"), {"language": "en", "next": "/cart/"})
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/en/cart/"
    assert client.cookies[COOKIE].value == "en"
    remembered = client.get("/cart/?from=mail")
    assert remembered.status_code == 302
    assert remembered.headers["Location"] == "/en/cart/?from=mail"
    assert "Cookie" in remembered.headers["Vary"]


def test_switching_back_to_ukrainian_lands_on_the_unprefixed_page(client):
    client.cookies[COOKIE] = "en"
    switched = client.post(reverse("set_language"), {"language": "uk", "next": "/en/cart/"})
    assert switched.headers["Location"] == "/cart/"
    assert client.get("/cart/").status_code == 200


def test_a_post_is_never_redirected_by_the_remembered_language(client):
    client.cookies[COOKIE] = "en"
    response = client.post(reverse("orders:cart"), {})
    assert response.status_code != 302 or not response.headers["Location"].startswith("/en/")


@pytest.mark.parametrize("cookie", ["xx", "", "../../etc", "en-US\x00", "uk" * 300])
def test_a_cookie_with_an_unknown_language_falls_back_to_ukrainian(client, cookie):
    client.cookies[COOKIE] = cookie
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "uk"


@pytest.mark.parametrize("prefix", ["/xx/", "/de/cart/", "/en-zz/", "/EN/"])
def test_an_unknown_language_prefix_is_a_404_never_a_500(client, prefix):
    response = client.get(prefix)
    assert response.status_code == 404


def test_the_switch_refuses_an_unknown_language_without_changing_the_cookie(client):
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert response.status_code == 302
    assert COOKIE not in client.cookies or client.cookies[COOKIE].value in ("", "uk")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", "uk"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("uk-UA,uk;q=0.9,en;q=0.8", "uk"),
        ("de,fr;q=0.8", "uk"),
        ("*", "uk"),
        ("xx;q=garbage,,;", "uk"),
    ],
)
def test_the_api_speaks_accept_language_with_ukrainian_by_default(client, header, expected):
    response = client.get("/api/v1/orders/", HTTP_ACCEPT_LANGUAGE=header)
    assert response.headers["Content-Language"] == expected
    assert "Accept-Language" in response.headers["Vary"]


def test_the_api_ignores_the_shops_language_cookie(client):
    """An integrator's client that once visited the shop must not get English by surprise."""
    client.cookies[COOKIE] = "en"
    response = client.get("/api/v1/orders/")
    assert response.headers["Content-Language"] == "uk"


def test_the_admin_is_ukrainian_even_for_an_english_browser(client):
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "uk"


def test_the_admin_follows_the_staff_members_cookie(client):
    client.cookies[COOKIE] = "en"
    assert client.get("/admin/login/").headers["Content-Language"] == "en"


def test_the_admin_follows_the_staff_members_saved_language_over_the_cookie(client):
    user = get_user_model().objects.create_user(email="staff@example.com", password="x-long-password-1")
    user.is_staff = True
    user.language = "en"
    user.save()
    client.force_login(user)
    client.cookies[COOKIE] = "uk"
    assert client.get("/admin/").headers["Content-Language"] == "en"


urlpatterns = [path("machine/", language_view)]


@override_settings(ROOT_URLCONF=__name__)
def test_without_i18n_patterns_django_negotiates_as_usual(client):
    """The project's own URLconf aside, the middleware is Django's LocaleMiddleware."""
    assert client.get("/machine/", HTTP_ACCEPT_LANGUAGE="en").content == b"en"

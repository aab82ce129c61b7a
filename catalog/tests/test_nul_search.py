"""A NUL byte in a search (PostgreSQL refuses it in text) is a 400 with a message, not a 500."""

import pytest
from django.contrib.messages import get_messages

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_catalog_page_answers_400_with_a_message(client):
    ProductFactory(name="Lamp")
    response = client.get("/", {"q": "lamp\x00"})
    assert response.status_code == 400
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Пошуковий запит містить символ, за яким не можна шукати; введіть запит ще раз."
    ]
    assert list(response.context["products"]) == []


def test_products_api_answers_400_with_a_message(client):
    response = client.get("/api/v1/products/", {"search": "\x00"})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Пошуковий запит містить символ, за яким не можна шукати (NUL).",
        "code": "invalid_search",
    }


def test_an_ordinary_search_still_finds(client):
    ProductFactory(name="Desk lamp")
    assert client.get("/api/v1/products/", {"search": "lamp"}).json()["count"] == 1

"""The OpenAPI schema and its Swagger UI: served, complete, and free of generator warnings."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

API_PATHS = {
    "/api/v1/auth/token/": {"post"},
    "/api/v1/products/": {"get"},
    "/api/v1/products/{slug}/": {"get"},
    "/api/v1/orders/": {"get", "post"},
    "/api/v1/orders/{number}/": {"get"},
    "/api/v1/orders/{number}/cancel/": {"post"},
    "/api/v1/orders/{number}/payments/": {"post"},
    "/api/v1/payments/{reference}/": {"get"},
    "/api/v1/payments/{reference}/refunds/": {"post"},
    "/api/v1/cart/": {"get"},
    "/api/v1/cart/lines/": {"post"},
    "/api/v1/cart/lines/{product_id}/": {"patch", "delete"},
}


def resolve(schema: dict, item: dict) -> dict:
    """Follow a local $ref (#/components/...) to what it names."""
    if "$ref" not in item:
        return item
    node = schema
    for part in item["$ref"].removeprefix("#/").split("/"):
        node = node[part]
    return node


@pytest.fixture
def schema() -> dict:
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_lists_every_endpoint_and_method(schema):
    assert {path: set(ops) for path, ops in schema["paths"].items()} == API_PATHS


def test_the_schema_documents_the_idempotency_and_etag_headers(schema):
    def header_names(path, method):
        parameters = [resolve(schema, p) for p in schema["paths"][path][method]["parameters"]]
        return {p["name"] for p in parameters if p["in"] == "header"} - {"Accept-Language"}

    assert header_names("/api/v1/orders/", "post") == {"Idempotency-Key"}
    assert header_names("/api/v1/orders/{number}/cancel/", "post") == {"Idempotency-Key", "If-Match"}
    assert header_names("/api/v1/orders/{number}/", "get") == {"If-None-Match"}
    place = schema["paths"]["/api/v1/orders/"]["post"]["responses"]
    assert set(place["201"]["headers"]) == {"ETag", "Location", "Idempotent-Replayed", "Content-Language"}
    assert set(place) == {"200", "201", "400", "401", "409", "422", "429"}
    cancel = schema["paths"]["/api/v1/orders/{number}/cancel/"]["post"]["responses"]
    assert set(cancel) == {"200", "400", "401", "404", "409", "412", "422", "429"}
    assert cancel["412"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_order_list_is_documented_as_paginated_orders(schema):
    response = schema["paths"]["/api/v1/orders/"]["get"]["responses"]["200"]
    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/PaginatedOrderList"}
    order = schema["components"]["schemas"]["Order"]
    assert {"number", "status", "total", "lines", "version", "url"} <= set(order["properties"])


def test_the_catalog_is_public_and_orders_need_a_token(schema):
    assert {} in schema["paths"]["/api/v1/products/"]["get"]["security"]
    assert {} not in schema["paths"]["/api/v1/orders/"]["post"]["security"]
    assert {"tokenAuth": []} in schema["paths"]["/api/v1/orders/"]["post"]["security"]


def test_swagger_ui_is_served():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    # its start-up script is a file of its own (no inline script under the CSP), naming the schema
    assert b'<script src="/api/docs/?script="></script>' in response.content
    assert b"/api/schema/" in APIClient().get("/api/docs/?script=").content


def test_the_schema_generates_and_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn turns any drf-spectacular warning or error into a CommandError
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out), stderr=io.StringIO())
    assert "/api/v1/orders/{number}/cancel/" in out.read_text()


@pytest.mark.parametrize("url", ["/api/v1/", "/api/v1/nothing-here/", "/api/v1/orders"])
def test_an_unknown_api_url_is_a_json_404(url):
    response = APIClient().get(url)
    assert response.status_code == 404
    assert response.json() == {
        "detail": "За цією адресою немає методу API; шляхи закінчуються скісною рискою (див. /api/docs/).",
        "code": "not_found",
    }
    english = APIClient().get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert english.json() == {
        "detail": "No API endpoint at this URL; paths end with a slash (see /api/docs/).",
        "code": "not_found",
    }


def test_every_operation_documents_accept_language_and_content_language(schema):
    # given the schema's one description of the header
    accept = schema["components"]["parameters"]["AcceptLanguage"]
    assert (accept["name"], accept["in"], accept["required"]) == ("Accept-Language", "header", False)
    assert accept["schema"]["default"] == "uk"
    assert "`uk`" in accept["description"]
    assert "`en`" in accept["description"]
    assert "`code`" in accept["description"]
    assert "same in every language" in accept["description"]
    # then every operation takes it, and every answer (errors and 429 too) names its language
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"$ref": "#/components/parameters/AcceptLanguage"} in operation["parameters"], (path, method)
            for status_code, response in operation["responses"].items():
                header = response["headers"]["Content-Language"]
                assert resolve(schema, header)["schema"]["enum"] == ["uk", "en"], (path, method, status_code)
    # and the error shape says detail is human text in that language and code is stable
    error = schema["components"]["schemas"]["Error"]
    assert "Accept-Language" in error["properties"]["detail"]["description"]
    assert "same in every language" in error["properties"]["code"]["description"]

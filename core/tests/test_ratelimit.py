"""Rate limits: per IP, limits from runtime settings, 429 with Retry-After, failing open."""

import logging
import socket
import threading

import pytest
from constance import config
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils.module_loading import import_string
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

import config.settings as production_settings
from core.throttling import AnonRateThrottle, UserRateThrottle
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    # name, method, url, data, answers JSON
    ("login", "post", "/account/login/", {"username": "a@example.com", "password": "x"}, False),
    ("signup", "post", "/account/signup/", {"email": "bad"}, False),
    ("cart_add", "post", "/cart/add/", {"product_id": "999999", "quantity": "1"}, False),
    ("checkout", "post", "/checkout/", {}, False),
    ("payment_start", "post", "/orders/no-such-order/pay/", {}, False),
    ("top_up", "post", "/account/store-credit/top-up/", {}, False),
    ("np_picker", "get", "/shipping/cities/?q=Ки", None, True),
    ("np_picker", "get", "/shipping/warehouses/?city=x", None, True),
    ("webhook", "post", "/payments/callback/fondy/", {}, True),
]


def ukrainian_seconds(n: int) -> str:
    """ "секунду й" / "секунди й" / "секунд і": the three Ukrainian plural forms."""
    if n % 10 == 1 and n % 100 != 11:
        return "секунду й"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "секунди й"
    return "секунд і"


def send(client, method, url, data):
    return getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)


@pytest.mark.parametrize(("name", "method", "url", "data", "as_json"), ENDPOINTS)
def test_each_endpoint_answers_429_over_its_runtime_limit(name, method, url, data, as_json):
    # given staff set the limit to 2 a minute
    setattr(config, f"RATE_LIMIT_{name.upper()}", "2/m")
    client = Client()
    first = [send(client, method, url, data).status_code for _ in range(2)]
    assert 429 not in first

    refused = send(client, method, url, data)

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "no-store" in refused["Cache-Control"]
    seconds = refused["Retry-After"]
    message = f"Забагато запитів. Зачекайте {seconds} {ukrainian_seconds(int(seconds))} спробуйте ще раз."
    if as_json:
        assert refused.json() == {"detail": message, "code": "rate_limited"}
    else:
        assert refused["Content-Type"] == "text/html; charset=utf-8"
        assert f"<p>{message}</p>" in refused.content.decode()
    # another address is not limited by this one
    assert send(Client(REMOTE_ADDR="10.9.8.7"), method, url, data).status_code != 429


def test_staff_change_a_limit_without_a_restart():
    config.RATE_LIMIT_CART_ADD = "1/m"
    client = Client()
    client.post("/cart/add/", {"product_id": "1"})
    assert client.post("/cart/add/", {"product_id": "1"}).status_code == 429

    config.RATE_LIMIT_CART_ADD = "5/m"

    assert client.post("/cart/add/", {"product_id": "1"}).status_code != 429


def test_a_limit_of_0_switches_it_off():
    config.RATE_LIMIT_CART_ADD = "0"
    client = Client()
    assert {client.post("/cart/add/", {"product_id": "1"}).status_code for _ in range(5)} == {303}


def test_the_default_limits():
    assert {k: v[0] for k, v in django_settings.CONSTANCE_CONFIG.items() if k.startswith("RATE_LIMIT_")} == {
        "RATE_LIMIT_LOGIN": "10/m",
        "RATE_LIMIT_SIGNUP": "10/h",
        "RATE_LIMIT_CART_ADD": "60/m",
        "RATE_LIMIT_CHECKOUT": "10/m",
        "RATE_LIMIT_PAYMENT_START": "10/m",
        "RATE_LIMIT_TOP_UP": "10/m",
        "RATE_LIMIT_NP_PICKER": "120/m",
        "RATE_LIMIT_WEBHOOK": "600/m",
    }


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    config.RATE_LIMIT_CART_ADD = "1/m"
    spoofing = Client(REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7")
    spoofing.post("/cart/add/", {"product_id": "1"})
    # the client changes the part of the header it controls: still the same address to us
    again = Client(REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="8.8.8.8, 203.0.113.7")
    assert again.post("/cart/add/", {"product_id": "1"}).status_code == 429
    other = Client(REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.post("/cart/add/", {"product_id": "1"}).status_code == 303


def _closed_port() -> int:
    for port in range(16400, 16410):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    pytest.skip("no closed port in 16400-16409")


def test_limits_fail_open_and_log_when_redis_is_unreachable(settings, caplog):
    config.RATE_LIMIT_CART_ADD = "1/m"
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    client = Client()
    with caplog.at_level(logging.WARNING, logger="core.ratelimit"):
        statuses = [client.post("/cart/add/", {"product_id": "1"}).status_code for _ in range(3)]

    assert statuses == [303, 303, 303]
    warnings = [r.getMessage() for r in caplog.records if "let through" in r.getMessage()]
    assert len(warnings) == 3
    assert warnings[0].startswith("Rate limit cart_add not checked, request let through: ")


# --- the API throttle ------------------------------------------------------------------------


def test_the_api_uses_the_exact_throttles():
    configured = production_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]
    assert [import_string(path) for path in configured] == [AnonRateThrottle, UserRateThrottle]


def test_the_api_throttle_lets_exactly_the_limit_through_under_concurrency():
    class TenPerMinute(AnonRateThrottle):
        rate = "10/min"

    request = APIRequestFactory().get("/api/v1/products/", REMOTE_ADDR="192.0.2.1")
    request.user = AnonymousUser()
    n = 40
    barrier = threading.Barrier(n)
    allowed = []

    def hit():
        barrier.wait(timeout=30)
        allowed.append(TenPerMinute().allow_request(request, None))

    threads = [threading.Thread(target=hit) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert (allowed.count(True), allowed.count(False)) == (10, 30)


def test_a_throttled_api_call_answers_429_with_retry_after(monkeypatch):
    class TwoPerMinute(UserRateThrottle):
        rate = "2/min"

    monkeypatch.setattr(APIView, "throttle_classes", [TwoPerMinute])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory()).key}")
    assert [api.get("/api/v1/orders/").status_code for _ in range(2)] == [200, 200]

    refused = api.get("/api/v1/orders/")

    assert refused.status_code == 429
    assert 59 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["code"] == "throttled"


def test_the_api_throttle_fails_open_when_redis_is_unreachable(settings, caplog):
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }

    class OnePerMinute(AnonRateThrottle):
        rate = "1/min"

    request = APIRequestFactory().get("/api/v1/products/")
    request.user = AnonymousUser()
    with caplog.at_level(logging.WARNING, logger="core.throttling"):
        assert [OnePerMinute().allow_request(request, None) for _ in range(3)] == [True, True, True]
    assert caplog.records[0].getMessage().startswith("API throttle anon not checked, request let through: ")


def test_the_schema_documents_429_with_retry_after():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "429" in operation["responses"], (path, method)
    place = schema["paths"]["/api/v1/orders/"]["post"]["responses"]["429"]
    assert set(place["headers"]) == {"Retry-After", "Content-Language"}
    assert place["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}

"""With Redis down the shop degrades: carts, checkout and the API still work; health says so.

The test starts a redis-server of its own (on a spare port in 16400-16409, never the shared
one), points the cache at it, uses it, stops it, and then shops.
"""

import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.views import APIView

from core.tests.test_health import beat_ran
from core.throttling import AnonRateThrottle, UserRateThrottle
from orders.models import Order
from tests.factories import ProductFactory, UserFactory, np_branch

PORTS = range(16400, 16410)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def own_redis():
    """A redis-server of this test's own; yields (port, stop)."""
    for port in PORTS:
        if not _free(port):
            continue
        proc = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(50):
            if _answers(port):
                break
            if proc.poll() is not None:  # somebody took the port meanwhile
                break
            time.sleep(0.1)
        if _answers(port):
            break
        proc.kill()
        proc.wait()
    else:
        pytest.skip("no spare port in 16400-16409")

    def stop():
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
        assert not _answers(port)

    yield port, stop
    stop()


@pytest.fixture
def cache_on_own_redis(own_redis, settings, monkeypatch):
    port, stop = own_redis
    settings.CACHES = {
        "default": {
            **django_settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
        # the runtime settings' cache goes down with it (their reads fall back to the database)
        "runtime_settings": {
            **django_settings.CACHES["runtime_settings"],
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        },
    }
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    # The test settings switch the API throttles off; production has them on.
    monkeypatch.setattr(APIView, "throttle_classes", [AnonRateThrottle, UserRateThrottle])
    return stop


def checkout_data(client) -> dict:
    page = client.get("/checkout/")
    assert page.status_code == 200
    branch = np_branch("Київ", "1")
    return {
        "full_name": "Olena Shevchenko",
        "phone": "067 123 45 67",
        "email": "olena@example.com",
        "delivery_city": "Київ",
        "delivery_branch": branch.name,
        "delivery_city_ref": branch.city_id,
        "delivery_warehouse_ref": branch.ref,
        "checkout_token": page.context["form"]["checkout_token"].value(),
        "payment_method": "cod",
    }


def test_a_shopper_and_an_integrator_order_while_redis_is_down(cache_on_own_redis, caplog):
    stop_redis = cache_on_own_redis
    kettle = ProductFactory(name="Copper kettle", stock=10)
    np_branch("Київ", "1")
    shopper = Client()
    # before the outage: a cart in the session, through the rate limits that Redis counts
    assert shopper.post("/cart/add/", {"product_id": kettle.pk, "quantity": 1}).status_code == 303

    stop_redis()

    # the cart still shows, still takes more, and checkout places a COD order
    cart = shopper.get("/cart/")
    assert cart.status_code == 200
    assert "Copper kettle" in cart.content.decode()
    assert shopper.post("/cart/add/", {"product_id": kettle.pk, "quantity": 1}).status_code == 303
    placed = shopper.post("/checkout/", checkout_data(shopper))
    assert placed.status_code in (302, 303)
    order = Order.objects.get()
    assert (order.payment_method, order.lines.get().quantity) == ("cod", 2)
    assert placed["Location"] == f"/orders/{order.public_token}/"

    # and the API places an order through its throttles
    user = UserFactory()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    branch = np_branch("Київ", "1")
    response = api.post(
        "/api/v1/orders/",
        {
            "items": [{"product_id": kettle.pk, "quantity": 1}],
            "full_name": "Taras Bondar",
            "phone": "+380671234568",
            "email": "taras@example.com",
            "delivery_city": "Київ",
            "delivery_branch": branch.name,
            "payment_method": "cod",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Order.objects.count() == 2
    # every limit that could not be counted said so in the log
    skipped = [r.getMessage() for r in caplog.records if "let through" in r.getMessage()]
    assert any(m.startswith("Rate limit cart_add not checked") for m in skipped)
    assert any(m.startswith("Rate limit checkout not checked") for m in skipped)
    assert any(m.startswith("API throttle user not checked") for m in skipped)


def test_health_says_degraded_while_redis_is_down(cache_on_own_redis, client):
    beat_ran(timedelta(minutes=1))
    cache_on_own_redis()

    response = client.get("/health/?format=json")

    body = response.json()
    assert response.status_code == 500
    assert body["status"] == "degraded"
    assert body["Database()"] == "OK"
    assert body["BeatRecentlyRan()"] == "OK"
    assert body["Cache(alias='default')"] == "Unexpected Result: Connection Error"
    redis_key = next(key for key in body if key.startswith("Redis("))
    assert body[redis_key] == "Unavailable: Unable to connect to Redis: Connection Error"


def test_sessions_do_not_live_in_redis():
    assert django_settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"

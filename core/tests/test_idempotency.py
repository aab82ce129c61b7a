"""Idempotency-Key with Stripe's semantics, through the API and at the storage level."""

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.test import APIClient

from catalog.models import Reservation, Stock
from core.idempotency import (
    claim_idempotency_key,
    purge_expired_idempotency_keys,
    request_fingerprint,
    store_idempotent_response,
)
from core.models import IdempotencyKey
from orders.models import Order
from tests.factories import ProductFactory, UserFactory

ORDERS_URL = "/api/v1/orders/"


def client_for(user, token: Token | None = None) -> APIClient:
    client = APIClient()
    token = token or Token.objects.create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def order_body(product, quantity: int = 1, **overrides) -> dict:
    body = {
        "items": [{"product_id": product.pk, "quantity": quantity}],
        "full_name": "Olena Shevchenko",
        "phone": "+380671234567",
        "email": "olena@example.com",
        "delivery_city": "Kyiv",
        "delivery_branch": "Branch No 1: Khreshchatyk St, 22",
        "payment_method": "cod",
    }
    body.update(overrides)
    return body


def post_order(client, body, key):
    return client.post(ORDERS_URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def reserved(product) -> int:
    return Stock.objects.get(product=product).reserved


def replayable_headers(response) -> dict:
    return {h: response[h] for h in ("ETag", "Location") if response.has_header(h)}


# --- through the API -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_same_key_and_body_replay_the_first_response():
    # given an order placed with a key
    product = ProductFactory(stock=5)
    client = client_for(UserFactory())
    first = post_order(client, order_body(product), "key-1")
    # when the same request is sent again with the same key
    second = post_order(client, order_body(product), "key-1")
    # then the first response comes back, marked as a replay, and nothing ran twice
    assert first.status_code == 201
    assert not first.has_header("Idempotent-Replayed")
    assert second.status_code == 201
    assert second.json() == first.json()
    assert (
        replayable_headers(second)
        == replayable_headers(first)
        == {
            "ETag": '"1"',
            "Location": f"http://testserver/api/v1/orders/{first.json()['number']}/",
        }
    )
    assert second["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert reserved(product) == 1
    record = IdempotencyKey.objects.get()
    assert (record.key, record.response_status, record.locked_at) == ("key-1", 201, None)


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422_and_runs_nothing():
    product = ProductFactory(stock=5)
    client = client_for(UserFactory())
    post_order(client, order_body(product, quantity=1), "key-1")
    response = post_order(client, order_body(product, quantity=2), "key-1")
    assert response.status_code == 422
    assert response.json() == {
        "detail": "Цей Idempotency-Key уже використано з іншим запитом. Для нового запиту візьміть новий ключ.",
        "code": "idempotency_key_reused",
    }
    assert Order.objects.count() == 1
    assert reserved(product) == 1


@pytest.mark.django_db
def test_the_same_key_on_another_endpoint_is_422():
    product = ProductFactory(stock=5)
    client = client_for(UserFactory())
    number = post_order(client, order_body(product), "key-1").json()["number"]
    response = client.post(
        f"{ORDERS_URL}{number}/cancel/", {"reason": "Oops"}, format="json", HTTP_IDEMPOTENCY_KEY="key-1"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Order.objects.get().status == Order.Status.PLACED


@pytest.mark.django_db
def test_a_key_still_in_flight_is_409_and_runs_nothing():
    # given a request with this key that has claimed it and not yet answered
    product = ProductFactory(stock=5)
    user = UserFactory()
    body = order_body(product)
    claim_idempotency_key(
        owner=f"user:{user.pk}",
        key="key-1",
        method="POST",
        path=ORDERS_URL,
        request_hash=request_fingerprint(method="POST", path=ORDERS_URL, data=body),
    )
    # when a retry arrives
    response = post_order(client_for(user), body, "key-1")
    # then it is told to wait, and nothing is placed
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Запит із цим Idempotency-Key ще обробляється. Повторіть за мить.",
        "code": "idempotency_key_in_use",
    }
    assert Order.objects.count() == 0
    assert reserved(product) == 0
    assert IdempotencyKey.objects.get().response_status is None


@pytest.mark.django_db
def test_an_abandoned_key_is_taken_over():
    # given a key whose request died without answering, longer ago than the lock timeout
    product = ProductFactory(stock=5)
    user = UserFactory()
    body = order_body(product)
    claim = claim_idempotency_key(
        owner=f"user:{user.pk}",
        key="key-1",
        method="POST",
        path=ORDERS_URL,
        request_hash=request_fingerprint(method="POST", path=ORDERS_URL, data=body),
    )
    stale = timezone.now() - settings.IDEMPOTENCY_LOCK_TIMEOUT - timedelta(seconds=1)
    IdempotencyKey.objects.filter(pk=claim.record.pk).update(locked_at=stale)
    # when the client retries
    response = post_order(client_for(user), body, "key-1")
    # then the retry runs and its answer is stored under the key
    assert response.status_code == 201
    assert Order.objects.count() == 1
    record = IdempotencyKey.objects.get()
    assert (record.response_status, record.locked_at) == (201, None)
    assert record.lock_token != claim.record.lock_token


@pytest.mark.django_db
def test_a_key_locked_for_less_than_the_timeout_is_not_taken_over():
    product = ProductFactory(stock=5)
    user = UserFactory()
    body = order_body(product)
    claim = claim_idempotency_key(
        owner=f"user:{user.pk}",
        key="key-1",
        method="POST",
        path=ORDERS_URL,
        request_hash=request_fingerprint(method="POST", path=ORDERS_URL, data=body),
    )
    recent = timezone.now() - settings.IDEMPOTENCY_LOCK_TIMEOUT + timedelta(seconds=30)
    IdempotencyKey.objects.filter(pk=claim.record.pk).update(locked_at=recent)
    response = post_order(client_for(user), body, "key-1")
    assert response.status_code == 409
    assert Order.objects.count() == 0


@pytest.mark.django_db
def test_keys_belong_to_one_user():
    # given two customers who happen to send the same key
    product = ProductFactory(stock=5)
    alice, bob = UserFactory(), UserFactory()
    # when both place an order with it
    for_alice = post_order(client_for(alice), order_body(product), "same-key")
    for_bob = post_order(client_for(bob), order_body(product, quantity=2), "same-key")
    # then each gets their own order
    assert (for_alice.status_code, for_bob.status_code) == (201, 201)
    assert not for_bob.has_header("Idempotent-Replayed")
    assert for_alice.json()["number"] != for_bob.json()["number"]
    assert sorted(Order.objects.values_list("customer", flat=True)) == sorted([alice.pk, bob.pk])
    assert reserved(product) == 3


@pytest.mark.django_db
def test_a_key_older_than_24_hours_is_a_new_key():
    # given a key used a day ago for one checkout
    product = ProductFactory(stock=5)
    client = client_for(UserFactory())
    first = post_order(client, order_body(product, checkout_token="checkout-1"), "key-1")
    IdempotencyKey.objects.update(created_at=timezone.now() - settings.IDEMPOTENCY_KEY_TTL - timedelta(minutes=1))
    # when it is sent today with another request
    second = post_order(client, order_body(product, quantity=2, checkout_token="checkout-2"), "key-1")
    # then that request runs as new, and the key now belongs to it
    assert (first.status_code, second.status_code) == (201, 201)
    assert not second.has_header("Idempotent-Replayed")
    assert Order.objects.count() == 2
    assert reserved(product) == 3
    record = IdempotencyKey.objects.get()
    assert record.created_at > timezone.now() - timedelta(minutes=1)
    assert json.loads(record.response_body)["number"] == second.json()["number"]


@pytest.mark.django_db
def test_a_retry_after_the_key_expired_still_gets_the_same_order():
    # given an order placed with a key (no checkout token) whose stored response is gone
    product = ProductFactory(stock=5)
    client = client_for(UserFactory())
    first = post_order(client, order_body(product), "key-1")
    IdempotencyKey.objects.all().delete()
    # when the client retries a day later with the same key and body
    second = post_order(client, order_body(product), "key-1")
    # then the checkout token derived from the key finds the same order: 200, not a second order
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 1
    assert reserved(product) == 1


@pytest.mark.django_db
def test_client_errors_are_stored_and_replayed():
    # given an order refused for stock under a key
    product = ProductFactory(stock=1)
    client = client_for(UserFactory())
    first = post_order(client, order_body(product, quantity=2), "key-1")
    # when stock arrives and the same request is retried with the same key
    Stock.objects.filter(product=product).update(on_hand=10)
    again = post_order(client, order_body(product, quantity=2), "key-1")
    # then the stored refusal is replayed (as Stripe does); a new key places the order
    assert (first.status_code, again.status_code) == (409, 409)
    assert again.json() == first.json()
    assert again.json()["code"] == "out_of_stock"
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 0
    assert post_order(client, order_body(product, quantity=2), "key-2").status_code == 201


@pytest.mark.django_db
def test_a_crash_releases_the_key_so_a_retry_runs(monkeypatch):
    # given a checkout that crashes with a server error
    product = ProductFactory(stock=5)
    client = client_for(UserFactory())

    def crash(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("orders.api.place.place_order", crash)
    with pytest.raises(RuntimeError):
        post_order(client, order_body(product), "key-1")
    # then the key is free again, and the retry places the order
    assert IdempotencyKey.objects.count() == 0
    monkeypatch.undo()
    assert post_order(client, order_body(product), "key-1").status_code == 201
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_a_key_that_is_too_long_is_400():
    product = ProductFactory(stock=5)
    response = post_order(client_for(UserFactory()), order_body(product), "k" * 256)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Idempotency-Key має містити від 1 до 255 символів.",
        "code": "invalid_idempotency_key",
    }
    assert Order.objects.count() == 0
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.django_db
def test_a_cancel_retried_with_its_key_is_replayed_not_refused():
    product = ProductFactory(stock=5)
    client = client_for(UserFactory())
    number = post_order(client, order_body(product), "place-1").json()["number"]
    url = f"{ORDERS_URL}{number}/cancel/"
    first = client.post(url, {"reason": "Oops"}, format="json", HTTP_IDEMPOTENCY_KEY="cancel-1")
    retry = client.post(url, {"reason": "Oops"}, format="json", HTTP_IDEMPOTENCY_KEY="cancel-1")
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.json() == first.json()
    assert retry["ETag"] == first["ETag"] == '"2"'
    assert retry["Idempotent-Replayed"] == "true"
    assert reserved(product) == 0


def test_ten_simultaneous_retries_place_one_order(run_concurrently):
    # given a customer and a product
    product = ProductFactory(stock=50)
    user = UserFactory()
    token = Token.objects.create(user=user)
    body = order_body(product, quantity=2)

    # when ten copies of the same request with the same key arrive at once
    def place(i):
        response = post_order(client_for(user, token), body, "double-click")
        return response.status_code, response.json(), response.has_header("Idempotent-Replayed")

    outcomes = run_concurrently(10, place)

    # then exactly one order exists, holding its stock once
    assert [o.error for o in outcomes] == [None] * 10
    assert Order.objects.count() == 1
    order = Order.objects.get()
    assert reserved(product) == 2
    assert Reservation.objects.count() == 1
    # and every answer is the original, a replay of it, or "still in flight"
    statuses = [o.value[0] for o in outcomes]
    assert set(statuses) <= {201, 409}
    assert statuses.count(201) >= 1
    originals = [(body, replayed) for status, body, replayed in (o.value for o in outcomes) if status == 201]
    assert [b["number"] for b, _ in originals] == [order.number] * len(originals)
    assert sum(not replayed for _, replayed in originals) == 1
    in_flight = [b for status, b, _ in (o.value for o in outcomes) if status == 409]
    assert all(b["code"] == "idempotency_key_in_use" for b in in_flight)
    record = IdempotencyKey.objects.get()
    assert (record.response_status, json.loads(record.response_body)["number"]) == (201, order.number)


# --- storage ---------------------------------------------------------------------------------


def claim(key: str = "key-1", owner: str = "user:1"):
    return claim_idempotency_key(owner=owner, key=key, method="POST", path="/x/", request_hash="h")


@pytest.mark.django_db
def test_a_server_error_releases_the_key():
    # given a claimed key
    first = claim()
    # when its request ends in a 500
    store_idempotent_response(record=first.record, response=Response({"detail": "boom"}, status=500))
    # then the key is gone, and the next claim runs the request again
    assert IdempotencyKey.objects.count() == 0
    assert claim().replay is False


@pytest.mark.django_db
def test_a_client_error_is_kept_for_replay():
    first = claim()
    store_idempotent_response(record=first.record, response=Response({"detail": "no", "code": "x"}, status=400))
    again = claim()
    assert again.replay is True
    stored = (again.record.response_status, json.loads(again.record.response_body))
    assert stored == (400, {"detail": "no", "code": "x"})


@pytest.mark.django_db
def test_a_taken_over_key_ignores_the_late_answer_of_its_first_request():
    # given a key whose first request was presumed dead and taken over by a retry
    first = claim()
    stale = timezone.now() - settings.IDEMPOTENCY_LOCK_TIMEOUT - timedelta(seconds=1)
    IdempotencyKey.objects.update(locked_at=stale)
    retry = claim()
    # when the first request answers after all, then the retry answers
    store_idempotent_response(record=first.record, response=Response({"who": "first"}, status=201))
    store_idempotent_response(record=retry.record, response=Response({"who": "retry"}, status=201))
    # then the stored answer is the retry's
    assert json.loads(IdempotencyKey.objects.get().response_body) == {"who": "retry"}


@pytest.mark.django_db
def test_purge_deletes_only_keys_older_than_the_ttl():
    # given a key from 25 hours ago and one from an hour ago
    now = timezone.now()
    old, fresh = claim("old"), claim("fresh")
    IdempotencyKey.objects.filter(pk=old.record.pk).update(created_at=now - timedelta(hours=25))
    IdempotencyKey.objects.filter(pk=fresh.record.pk).update(created_at=now - timedelta(hours=1))
    # when the purge runs
    deleted = purge_expired_idempotency_keys(now=now)
    # then only the old one is gone
    assert deleted == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]

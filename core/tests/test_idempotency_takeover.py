"""A killed request's Idempotency-Key is taken over once no request could still be running."""

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from core.idempotency import claim_idempotency_key, request_fingerprint
from core.models import IdempotencyKey
from core.tests.test_idempotency import ORDERS_URL, client_for, order_body, post_order
from orders.models import Order
from tests.factories import ProductFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]


def test_the_takeover_is_the_web_timeout_plus_a_margin_not_minutes():
    # gunicorn kills a request after 30 s by default; the key is free 10 s later, not after 5 minutes
    assert settings.WEB_TIMEOUT_SECONDS == 30
    assert timedelta(seconds=30) < settings.IDEMPOTENCY_LOCK_TIMEOUT == timedelta(seconds=40)


def test_gunicorn_reads_the_same_timeout_as_the_settings():
    code = "import runpy; print(runpy.run_path('gunicorn.conf.py')['timeout'])"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={"WEB_TIMEOUT": "45"}, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "45"


def claim_for(user, body):
    return claim_idempotency_key(
        owner=f"user:{user.pk}",
        key="key-1",
        method="POST",
        path=ORDERS_URL,
        request_hash=request_fingerprint(method="POST", path=ORDERS_URL, data=body),
    )


@pytest.mark.django_db
def test_an_in_flight_409_says_when_to_retry():
    # given a key claimed 12 s ago by a request that has not answered
    product, user = ProductFactory(stock=5), UserFactory()
    body = order_body(product)
    claim = claim_for(user, body)
    IdempotencyKey.objects.filter(pk=claim.record.pk).update(locked_at=timezone.now() - timedelta(seconds=12))

    response = post_order(client_for(user), body, "key-1")

    # then the retry is told to come back when the key can be taken over (40 - 12 = 28 s)
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_use"
    assert response["Retry-After"] == "28"
    assert Order.objects.count() == 0


@pytest.mark.django_db
def test_a_key_of_a_killed_request_is_taken_over_after_41_seconds():
    product, user = ProductFactory(stock=5), UserFactory()
    body = order_body(product)
    claim = claim_for(user, body)
    IdempotencyKey.objects.filter(pk=claim.record.pk).update(locked_at=timezone.now() - timedelta(seconds=41))

    response = post_order(client_for(user), body, "key-1")

    assert response.status_code == 201
    assert Order.objects.count() == 1

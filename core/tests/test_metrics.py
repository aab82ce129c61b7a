"""/metrics/: refused to anybody but the operator; request and shop metrics inside."""

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from redis import Redis

from config.celery import app as celery_app
from core.models import OutboxMessage
from core.tests.test_health import beat_ran
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

URL = "/metrics/"


@pytest.fixture(autouse=True)
def token(settings):
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    return settings.METRICS_TOKEN


def test_anonymous_gets_404():
    assert Client().get(URL).status_code == 404


def test_a_wrong_token_gets_403():
    assert Client().get(URL, HTTP_AUTHORIZATION="Bearer guess").status_code == 403


def test_no_token_configured_refuses_every_token(settings):
    settings.METRICS_TOKEN = ""
    assert Client().get(URL, HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_staff_who_are_not_superusers_get_403():
    client = Client()
    client.force_login(StaffFactory(role="Finance"))
    assert client.get(URL).status_code == 403


def test_a_superuser_may_look():
    client = Client()
    client.force_login(StaffFactory(is_superuser=True))
    assert client.get(URL).status_code == 200


def test_the_token_gets_request_and_beat_metrics(token):
    beat_ran(timedelta(minutes=3))
    client = Client()
    client.get("/health/live/")

    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    body = response.content.decode()
    assert "django_http_requests_latency_seconds_by_view_method" in body
    assert "django_http_requests_total_by_method_total" in body
    assert 'kramar_beat_last_run_timestamp_seconds{task="expire-unpaid-orders"}' in body


def test_the_outbox_backlog_counts_pending_and_dead_messages(token):
    task = "orders.tasks.send_order_email_task"
    OutboxMessage.objects.create(task=task, kwargs={})
    OutboxMessage.objects.create(task=task, kwargs={})
    OutboxMessage.objects.create(task=task, kwargs={}, dead_at=timezone.now())
    OutboxMessage.objects.create(task=task, kwargs={}, sent_at=timezone.now())
    body = Client().get(URL, HTTP_AUTHORIZATION=f"Bearer {token}").content.decode()
    assert 'kramar_outbox_backlog{state="pending"} 2.0' in body
    assert 'kramar_outbox_backlog{state="dead"} 1.0' in body


TEST_REDIS = "redis://127.0.0.1:6379/15"  # the suite's own Redis database (config/settings_test.py)


@pytest.fixture
def broker_queue(monkeypatch):
    """A queue of this test's own on the test Redis database, as the Celery app's default queue."""
    queue = f"kramar-test-queue-{uuid.uuid4().hex}"
    monkeypatch.setitem(celery_app.conf, "broker_url", TEST_REDIS)
    monkeypatch.setitem(celery_app.conf, "task_default_queue", queue)
    redis = Redis.from_url(TEST_REDIS)
    yield queue, redis
    redis.delete(queue)
    redis.close()


def test_the_celery_queue_length_is_the_brokers_list_length(token, broker_queue):
    queue, redis = broker_queue
    redis.rpush(queue, b"message-1", b"message-2")

    body = Client().get(URL, HTTP_AUTHORIZATION=f"Bearer {token}").content.decode()

    assert f'kramar_celery_queue_length{{queue="{queue}"}} 2.0' in body


def test_an_unreachable_broker_gives_no_queue_sample_and_the_rest_still_answers(token, monkeypatch):
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")  # nothing listens there
    OutboxMessage.objects.create(task="orders.tasks.send_order_email_task", kwargs={})

    response = Client().get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    body = response.content.decode()
    assert "kramar_celery_queue_length{" not in body
    assert 'kramar_outbox_backlog{state="pending"} 1.0' in body

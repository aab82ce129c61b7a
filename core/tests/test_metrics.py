"""/metrics/: refused to anybody but the operator; request and shop metrics inside."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from core.tests.test_health import beat_ran
from payments.models import WebhookEvent
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


def test_the_token_gets_request_beat_and_webhook_metrics(token):
    beat_ran(timedelta(minutes=3))
    for result in ("processed", "processed", "rejected"):
        WebhookEvent.objects.create(
            provider="fondy",
            dedupe_key=f"k-{result}-{timezone.now().timestamp()}",
            signature_valid=result != "rejected",
            result=result,
        )
    client = Client()
    client.get("/health/live/")

    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    body = response.content.decode()
    assert "django_http_requests_latency_seconds_by_view_method" in body
    assert "django_http_requests_total_by_method_total" in body
    assert 'kramar_beat_last_run_timestamp_seconds{task="expire-unpaid-orders"}' in body
    assert 'kramar_webhook_events{provider="fondy",result="processed"} 2.0' in body
    assert 'kramar_webhook_events{provider="fondy",result="rejected"} 1.0' in body
    assert 'kramar_webhook_events_last_hour{provider="fondy",result="processed"} 2.0' in body


def test_the_outbox_backlog_counts_pending_and_dead_messages(token):
    from django.utils import timezone

    from core.models import OutboxMessage

    task = "orders.tasks.send_order_email_task"
    OutboxMessage.objects.create(task=task, kwargs={})
    OutboxMessage.objects.create(task=task, kwargs={})
    OutboxMessage.objects.create(task=task, kwargs={}, dead_at=timezone.now())
    OutboxMessage.objects.create(task=task, kwargs={}, sent_at=timezone.now())
    body = Client().get(URL, HTTP_AUTHORIZATION=f"Bearer {token}").content.decode()
    assert 'kramar_outbox_backlog{state="pending"} 2.0' in body
    assert 'kramar_outbox_backlog{state="dead"} 1.0' in body

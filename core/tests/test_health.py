from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask


def beat_ran(ago: timedelta) -> None:
    schedule, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.create(
        name="expire-unpaid-orders",
        task="orders.tasks.expire_unpaid_orders_task",
        interval=schedule,
        last_run_at=timezone.now() - ago,
    )


@pytest.mark.django_db
def test_health_is_ok_when_database_redis_and_beat_are(client):
    beat_ran(timedelta(minutes=1))
    response = client.get("/health/?format=json")
    assert response.status_code == 200
    body = response.json()
    assert body.pop("status") == "ok"
    assert set(body.values()) == {"OK"}
    assert len(body) == 5


@pytest.mark.django_db
def test_health_fails_when_beat_is_stale(client):
    beat_ran(timedelta(hours=2))
    response = client.get("/health/?format=json")
    assert response.status_code == 500
    assert "Unavailable: Celery Beat last ran 120 minutes ago" in response.json().values()


@pytest.mark.django_db
def test_health_fails_when_beat_never_ran(client):
    response = client.get("/health/?format=json")
    assert response.status_code == 500
    assert "Unavailable: Celery Beat has never run a periodic task" in response.json().values()


def test_liveness_needs_nothing(client):
    response = client.get("/health/live/")
    assert (response.status_code, response.content) == (200, b"ok")

"""Health checks served at /health/: database, Redis (cache and broker) and Beat."""

import dataclasses

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable


@dataclasses.dataclass
class BeatRecentlyRan(HealthCheck):
    """Fail when Celery Beat has sent no periodic task for settings.BEAT_STALE_AFTER."""

    def run(self):
        from django_celery_beat.models import PeriodicTask

        last = PeriodicTask.objects.filter(enabled=True).aggregate(last=Max("last_run_at"))["last"]
        if last is None:
            raise ServiceUnavailable("Celery Beat has never run a periodic task")
        age = timezone.now() - last
        if age > settings.BEAT_STALE_AFTER:
            raise ServiceUnavailable(f"Celery Beat last ran {int(age.total_seconds() // 60)} minutes ago")


def redis_client():
    from redis.asyncio import Redis

    return Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


CHECKS = [
    "health_check.checks.Database",
    "health_check.checks.Cache",
    ("health_check.contrib.redis.Redis", {"client_factory": redis_client}),
    BeatRecentlyRan,
]

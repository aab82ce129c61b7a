"""Health checks served at /health/: database, Redis (cache and broker) and Beat.

The database checks run on the request thread's own connection (sync_to_async with
thread_sensitive=True) rather than in the library's thread pool, so a health probe never
leaves extra database connections open behind it.

The answer says how the shop is as a whole ("status"): "ok"; "degraded" when only what the
shop can work without is failing (Redis: sessions are in the database, rate limits fail
open; Beat: background work waits), "down" when the database fails. Any failure still
answers 500, so a monitor alerts on a degraded shop too.
"""

import dataclasses

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Max
from django.http import JsonResponse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView
from redis.asyncio import Redis

from core.circuit import CircuitBreakerState, all_states, describe_for_operators


@dataclasses.dataclass
class Database(HealthCheck):
    """SELECT 1 on the default database."""

    async def run(self):
        await sync_to_async(self._select_one, thread_sensitive=True)()

    @staticmethod
    def _select_one():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                if cursor.fetchone() != (1,):
                    raise ServiceUnavailable("Database returned an unexpected result")
        except DatabaseError as exc:
            raise ServiceUnavailable("Database is unavailable") from exc


@dataclasses.dataclass
class BeatRecentlyRan(HealthCheck):
    """Fail when Celery Beat has sent no periodic task for settings.BEAT_STALE_AFTER."""

    async def run(self):
        await sync_to_async(self._check, thread_sensitive=True)()

    @staticmethod
    def _check():
        last = PeriodicTask.objects.filter(enabled=True).aggregate(last=Max("last_run_at"))["last"]
        if last is None:
            raise ServiceUnavailable("Celery Beat has never run a periodic task")
        age = timezone.now() - last
        if age > settings.BEAT_STALE_AFTER:
            raise ServiceUnavailable(f"Celery Beat last ran {int(age.total_seconds() // 60)} minutes ago")


def redis_client():
    return Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


@dataclasses.dataclass
class CircuitBreakers(HealthCheck):
    """Warn while a circuit breaker holds calls to an outside dependency back (core.circuit).

    The shop still takes orders then; labels, tracking or payments toward that dependency wait.
    """

    async def run(self):
        await sync_to_async(self._check, thread_sensitive=True)()

    @staticmethod
    def _check():
        closed = CircuitBreakerState.State.CLOSED
        held = [describe_for_operators(state) for state in all_states() if state.state != closed]
        if held:
            raise ServiceWarning("; ".join(held))


CHECKS = [
    Database,
    "health_check.checks.Cache",
    ("health_check.contrib.redis.Redis", {"client_factory": redis_client}),
    BeatRecentlyRan,
    CircuitBreakers,
]


# Without these the shop cannot take an order: their failure is "down", any other "degraded".
CRITICAL = (Database,)


class HealthView(HealthCheckView):
    checks = CHECKS

    def overall_status(self) -> str:
        failed = [result.check for result in self.results if result.error]
        if not failed:
            return "ok"
        if any(isinstance(check, CRITICAL) for check in failed):
            return "down"
        return "degraded"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "status": self.overall_status()}

    def render_to_response_json(self, status):
        body = {repr(r.check): "OK" if not r.error else str(r.error) for r in self.results}
        return JsonResponse({**body, "status": self.overall_status()}, status=status)

"""Prometheus metrics at /metrics/, for the operator only.

Request rates and latencies come from django-prometheus' middleware; the shop's own gauges
are read from the database when Prometheus scrapes (ShopCollector):

- kramar_outbox_backlog{state=pending|dead}: messages waiting in the outbox (core.OutboxMessage);
- kramar_beat_last_run_timestamp_seconds{task}: when Beat last sent each periodic task;
- kramar_celery_queue_length{queue}: messages waiting in each broker queue (Redis LLEN; no
  sample while the broker is unreachable).

Apps above core add their own parts with `add_part` (core imports no app): payments adds
kramar_webhook_events{provider,result} and kramar_webhook_events_last_hour (payments/metrics.py).

Access: `Authorization: Bearer <METRICS_TOKEN>`, or a logged-in superuser. Anybody else gets
404 (the endpoint is not advertised); a wrong token or a non-superuser gets 403.
"""

import hmac
import logging
from collections.abc import Callable

from celery import current_app
from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from django_celery_beat.models import PeriodicTask
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily
from redis import Redis, RedisError

from core.models import OutboxMessage

logger = logging.getLogger(__name__)


def _outbox_backlog():
    """Messages waiting in the outbox (pending: will be retried; dead: wait for staff)."""
    unsent = OutboxMessage.objects.filter(sent_at__isnull=True)
    gauge = GaugeMetricFamily("kramar_outbox_backlog", "Outbox messages not yet delivered.", labels=["state"])
    gauge.add_metric(["pending"], unsent.filter(dead_at__isnull=True).count())
    gauge.add_metric(["dead"], unsent.filter(dead_at__isnull=False).count())
    return gauge


def _beat_last_runs():
    gauge = GaugeMetricFamily(
        "kramar_beat_last_run_timestamp_seconds", "When Celery Beat last sent the periodic task.", labels=["task"]
    )
    for name, last_run in PeriodicTask.objects.filter(last_run_at__isnull=False).values_list("name", "last_run_at"):
        gauge.add_metric([name], last_run.timestamp())
    return gauge


def _celery_queue_lengths():
    """LLEN of each queue the Celery app knows (default "celery") on its Redis broker.

    Fails open: an unreachable broker is logged and gives no sample (absent, not a false 0).
    """
    conf = current_app.conf
    queues = [conf.task_default_queue or "celery"]
    queues += [q.name for q in conf.task_queues or () if q.name not in queues]
    client = Redis.from_url(conf.broker_url, socket_connect_timeout=1, socket_timeout=1)
    try:
        lengths = [(queue, client.llen(queue)) for queue in queues]
    except (RedisError, OSError) as exc:
        logger.warning("Metrics: the broker is unreachable, no queue lengths: %s", exc)
        return None
    finally:
        client.close()
    gauge = GaugeMetricFamily("kramar_celery_queue_length", "Messages waiting in the Celery queue.", labels=["queue"])
    for queue, length in lengths:
        gauge.add_metric([queue], length)
    return gauge


Part = Callable[[], object]  # returns a metric family, a list of them, or None
_parts: list[Part] = [_outbox_backlog, _beat_last_runs, _celery_queue_lengths]


def add_part(part: Part) -> None:
    """Let an app above core add gauges to the scrape (called from its AppConfig.ready)."""
    if part not in _parts:
        _parts.append(part)


class ShopCollector:
    """Gauges read from the database at scrape time; a failing part is logged and left out."""

    def collect(self):
        for part in list(_parts):
            try:
                found = part()
            except Exception:
                logger.exception("Metrics: %s failed", part.__name__)
                continue
            if found is None:
                continue
            yield from found if isinstance(found, list) else [found]

    def describe(self):
        return []  # collected at scrape time only


_registered = False


def register_collector() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(ShopCollector())
        _registered = True


def _bearer_ok(request) -> bool | None:
    """True: the right token; False: a wrong one; None: none sent."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    expected = getattr(settings, "METRICS_TOKEN", "")
    return bool(expected) and hmac.compare_digest(header[len("Bearer ") :].strip(), expected)


@never_cache
def metrics_view(request):
    token = _bearer_ok(request)
    if token is False:
        return HttpResponseForbidden("Forbidden", content_type="text/plain")
    if token is None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            raise Http404
        if not user.is_superuser:
            return HttpResponseForbidden("Forbidden", content_type="text/plain")
    register_collector()
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)

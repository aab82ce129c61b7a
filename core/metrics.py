"""Prometheus metrics at /metrics/, for the operator only.

Request rates and latencies come from django-prometheus' middleware; the shop's own gauges
are read from the database when Prometheus scrapes (ShopCollector):

- kramar_outbox_backlog{state=pending|dead}: messages waiting in the outbox (core.OutboxMessage);
- kramar_beat_last_run_timestamp_seconds{task}: when Beat last sent each periodic task;
- kramar_webhook_events{provider,result}: provider callbacks by result, and
  kramar_webhook_events_last_hour{provider,result}.

Access: `Authorization: Bearer <METRICS_TOKEN>`, or a logged-in superuser. Anybody else gets
404 (the endpoint is not advertised); a wrong token or a non-superuser gets 403.
"""

import hmac
import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily

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
    from django_celery_beat.models import PeriodicTask

    gauge = GaugeMetricFamily(
        "kramar_beat_last_run_timestamp_seconds", "When Celery Beat last sent the periodic task.", labels=["task"]
    )
    for name, last_run in PeriodicTask.objects.filter(last_run_at__isnull=False).values_list("name", "last_run_at"):
        gauge.add_metric([name], last_run.timestamp())
    return gauge


def _webhook_results():
    from payments.models import WebhookEvent

    total = GaugeMetricFamily(
        "kramar_webhook_events", "Provider callbacks in the inbox, by result.", labels=["provider", "result"]
    )
    recent = GaugeMetricFamily(
        "kramar_webhook_events_last_hour",
        "Provider callbacks received in the last hour, by result.",
        labels=["provider", "result"],
    )
    rows = WebhookEvent.objects.values("provider", "result").annotate(n=Count("id")).order_by()
    for row in rows:
        total.add_metric([row["provider"], row["result"]], row["n"])
    since = timezone.now() - timedelta(hours=1)
    rows = WebhookEvent.objects.filter(received_at__gte=since).values("provider", "result").annotate(n=Count("id"))
    for row in rows.order_by():
        recent.add_metric([row["provider"], row["result"]], row["n"])
    return [total, recent]


class ShopCollector:
    """Gauges read from the database at scrape time; a failing part is logged and left out."""

    def collect(self):
        for part in (_outbox_backlog, _beat_last_runs, _webhook_results):
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

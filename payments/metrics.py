"""Payments' gauges on /metrics/ (added to core/metrics.py's scrape by PaymentsConfig.ready).

- kramar_webhook_events{provider,result}: provider callbacks in the inbox by result, and
- kramar_webhook_events_last_hour{provider,result}: those received in the last hour.
"""

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from payments.models import WebhookEvent


def webhook_results():
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

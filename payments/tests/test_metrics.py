"""Payments' gauges on /metrics/: provider callbacks in the inbox by result (payments/metrics.py)."""

import pytest
from django.test import Client
from django.utils import timezone

from payments.models import WebhookEvent

pytestmark = pytest.mark.django_db


def test_webhook_results_per_provider_are_on_the_metrics_page(settings):
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    for result in ("processed", "processed", "rejected"):
        WebhookEvent.objects.create(
            provider="fondy",
            dedupe_key=f"k-{result}-{timezone.now().timestamp()}",
            signature_valid=result != "rejected",
            result=result,
        )

    response = Client().get("/metrics/", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'kramar_webhook_events{provider="fondy",result="processed"} 2.0' in body
    assert 'kramar_webhook_events{provider="fondy",result="rejected"} 1.0' in body
    assert 'kramar_webhook_events_last_hour{provider="fondy",result="processed"} 2.0' in body
    assert 'kramar_webhook_events_last_hour{provider="fondy",result="rejected"} 1.0' in body

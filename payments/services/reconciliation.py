"""Reconciliation (Beat): ask providers about what a lost callback would have told us."""

import logging
from datetime import timedelta

from django.utils import timezone

from core import runtime
from payments.models import Payment, Refund
from payments.providers import get_provider
from payments.providers.base import ProviderError
from payments.services.breaker import SweepGate
from payments.services.inbox import ingest_update

logger = logging.getLogger(__name__)


def reconcile_payments(*, now=None, limit: int = 100) -> int:
    """Ask providers about payments pending too long and refunds still in progress.

    Goes through ingest_update like a webhook, so a lost callback costs minutes, not money.
    A provider whose circuit breaker is open is left out (one log line, nothing touched), and
    one that opens during the sweep is asked nothing more in it.
    """
    now = now or timezone.now()
    threshold = now - timedelta(minutes=runtime.payment_reconcile_after_minutes())
    gate = SweepGate(what="reconciliation", now=now)
    due = (
        Payment.objects.filter(status__in=Payment.OPEN, created_at__lte=threshold)
        .exclude(last_checked_at__gt=threshold)
        .exclude(provider__in=gate.held)
        .order_by("created_at")[:limit]
    )
    refunding = (
        Payment.objects.filter(refunds__status=Refund.Status.PENDING, refunds__created_at__lte=threshold)
        .exclude(provider__in=gate.held)
        .distinct()[:limit]
    )
    checked = 0
    for payment in [*due, *refunding]:
        if not gate.may_call(payment.provider):
            continue
        Payment.objects.filter(pk=payment.pk).update(last_checked_at=now)
        try:
            update = get_provider(payment.provider).fetch_status(payment_ref=str(payment.reference))
        except ProviderError as exc:
            logger.warning("reconciliation of %s failed: %s", payment.reference, exc)
            gate.report(payment.provider, error=exc)
            continue
        except Exception:
            logger.exception("reconciliation of %s could not be asked", payment.reference)
            continue
        gate.report(payment.provider, error=None)
        try:
            ingest_update(provider_code=payment.provider, update=update, source="poll")
        except Exception:  # recorded in the inbox as failed; the others still get checked
            logger.exception("reconciliation of %s could not be applied", payment.reference)
            continue
        checked += 1
    return checked

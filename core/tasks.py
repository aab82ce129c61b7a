from celery import shared_task

from core.idempotency import purge_expired_idempotency_keys
from core.outbox import purge_sent, relay


@shared_task
def purge_idempotency_keys_task():
    return purge_expired_idempotency_keys()


@shared_task(ignore_result=True)
def relay_outbox_task():
    """Beat, every few seconds: publish due outbox messages (SKIP LOCKED, so overlapping runs split them)."""
    report = relay()
    return {"sent": report.sent, "failed": report.failed, "dead": report.dead}


@shared_task(ignore_result=True)
def purge_outbox_task():
    """Beat, hourly: delete outbox messages sent more than settings.OUTBOX_PURGE_AFTER ago."""
    return purge_sent()

import logging

from celery import shared_task

from core.outbox import retry_if_transient
from ledger.integrity import verify_ledger
from ledger.notifications import send_wallet_email
from ledger.services import expire_holds

logger = logging.getLogger(__name__)


# Idempotent (at most one e-mail per task id: the outbox publishes message N as "outbox-N", and
# a redelivered message keeps its id), as everything sent through core.outbox must be; retried
# on any transient error for about an hour and a half.
@shared_task(bind=True, max_retries=20)
def send_wallet_email_task(self, *, user_id: int, currency: str):
    try:
        send_wallet_email(user_id=user_id, currency=currency, once_key=f"task:{self.request.id}")
    except Exception as exc:
        raise retry_if_transient(self, exc)


@shared_task
def expire_holds_task():
    return expire_holds()


@shared_task
def verify_ledger_task():
    """Nightly integrity check; a failure is logged as an error (and alerts whoever watches logs)."""
    report = verify_ledger()
    if report.ok:
        logger.info("ledger integrity check passed: %s", report.summary())
    else:
        logger.error("LEDGER INTEGRITY CHECK FAILED:\n%s", report.as_text())
    return report.ok

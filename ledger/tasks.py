import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_wallet_email_task(*, user_id: int, currency: str):
    from ledger.notifications import send_wallet_email

    send_wallet_email(user_id=user_id, currency=currency)


@shared_task
def expire_holds_task():
    from ledger.services import expire_holds

    return expire_holds()


@shared_task
def verify_ledger_task():
    """Nightly integrity check; a failure is logged as an error (and alerts whoever watches logs)."""
    from ledger.integrity import verify_ledger

    report = verify_ledger()
    if report.ok:
        logger.info("ledger integrity check passed: %s", report.summary())
    else:
        logger.error("LEDGER INTEGRITY CHECK FAILED:\n%s", report.as_text())
    return report.ok

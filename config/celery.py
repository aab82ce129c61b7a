"""The Celery app. The Beat schedule lives in settings.CELERY_BEAT_SCHEDULE."""

import logging
import os

from celery import Celery
from celery.signals import beat_init, worker_init
from django.core.exceptions import ImproperlyConfigured

from core.checks import refuse_to_start_on_errors

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("kramar")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# --- Delivery guarantees (the outbox, issue 9 item 12) -------------------------------------------
# Chosen together; every task is idempotent (core/outbox.py), so redelivery is safe and preferred
# to loss. The only place they are set (tests/test_celery_config.py checks the effective values).
app.conf.update(
    # Ack after the task ran, not when the worker took it: a worker killed mid-task (-9, OOM,
    # deploy) leaves the message in Redis to be redelivered instead of losing it.
    task_acks_late=True,
    # ... and a task whose child process died is requeued rather than marked failed.
    task_reject_on_worker_lost=True,
    # Each worker process reserves one message at a time: a killed worker strands at most one
    # message per process, and long jobs never hold short e-mails back behind them.
    worker_prefetch_multiplier=1,
    # Redis redelivers a message not acked within visibility_timeout. It must exceed the longest
    # time a delivered message stays unacked, or a task still running is started twice:
    # - Beat jobs (the longest: the Nova Poshta directory sync) are bounded by the time limits
    #   below (10 minutes hard);
    # - a retrying task is held unacked during its countdown: at most 600 s (Celery's default
    #   retry_backoff_max; e-mails use 300 s), then runs a few seconds (network timeouts).
    # 15 minutes covers both, and a killed worker's task comes back after 15 minutes, not an hour.
    broker_transport_options={
        "visibility_timeout": 15 * 60,
        "socket_connect_timeout": 3,
        "socket_keepalive": True,
        "health_check_interval": 25,
    },
    task_soft_time_limit=9 * 60,
    task_time_limit=10 * 60,
    # The worker waits out a broker outage (retrying for ever, 3 s per connection try) instead of
    # exiting, and cancels what it runs when the connection drops: with acks_late those
    # messages are redelivered, so finishing them too would run them twice.
    broker_connection_retry=True,
    broker_connection_retry_on_startup=True,
    broker_connection_max_retries=None,
    broker_connection_timeout=3,
    broker_channel_error_retry=True,
    worker_cancel_long_running_tasks_on_connection_loss=True,
    # A plain .delay() (not through the outbox) gives up after about a second when the broker is
    # down, instead of hanging the request; side effects that must happen use the outbox.
    task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5},
)


@worker_init.connect
@beat_init.connect
def refuse_to_start_on_sandboxes_in_production(sender=None, **kwargs):
    """Worker and Beat refuse production on development stand-ins (core/checks.py).

    SystemExit, not an exception: Celery logs and swallows exceptions raised by signal handlers.
    """
    try:
        refuse_to_start_on_errors("worker" if kwargs.get("signal") is worker_init else "beat")
    except ImproperlyConfigured as exc:
        logging.getLogger("kramar").critical("%s", exc)
        raise SystemExit(1) from None

"""The Celery app. The Beat schedule lives in settings.CELERY_BEAT_SCHEDULE."""

import logging
import os

from celery import Celery
from celery.signals import beat_init, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("kramar")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def refuse_to_start_on_sandboxes_in_production(sender=None, **kwargs):
    """Worker and Beat refuse production on development stand-ins (core/checks.py).

    SystemExit, not an exception: Celery logs and swallows exceptions raised by signal handlers.
    """
    from django.core.exceptions import ImproperlyConfigured

    from core.checks import refuse_to_start_on_errors

    try:
        refuse_to_start_on_errors("worker" if kwargs.get("signal") is worker_init else "beat")
    except ImproperlyConfigured as exc:
        logging.getLogger("kramar").critical("%s", exc)
        raise SystemExit(1) from None

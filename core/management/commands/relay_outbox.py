"""Publish the outbox by hand or as a long-running relay, without Celery Beat.

Beat sends the relay job through the broker, so while Redis is down (or Beat is) nothing
publishes; messages wait in PostgreSQL. This command reads them from PostgreSQL directly:

    manage.py relay_outbox              # one sweep (every due message), then exit
    manage.py relay_outbox --loop       # sweep every --interval seconds until stopped
    manage.py relay_outbox --retry-dead # make dead messages due again first
"""

import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections
from django.utils.translation import gettext as _

from core.models import OutboxMessage
from core.outbox import backlog, relay, retry_messages


class Command(BaseCommand):
    help = _("Publish pending outbox messages to the broker (once, or in a loop).")

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help=_("Keep sweeping until stopped."))
        parser.add_argument("--interval", type=float, default=5.0, help=_("Seconds between sweeps with --loop."))
        parser.add_argument("--batch-size", type=int, default=None, help=_("Messages claimed per transaction."))
        parser.add_argument("--retry-dead", action="store_true", help=_("Make dead messages due again first."))

    def handle(self, *args, loop=False, interval=5.0, batch_size=None, retry_dead=False, **options):
        if retry_dead:
            dead = OutboxMessage.objects.filter(dead_at__isnull=False, sent_at__isnull=True)
            ids = list(dead.values_list("pk", flat=True))
            self.stdout.write(_("%(count)s dead message(s) made due again.") % {"count": retry_messages(ids=ids)})
        while True:
            close_old_connections()  # a long-running loop survives a PostgreSQL restart
            try:
                report = relay(batch_size=batch_size)
            except DatabaseError as exc:
                if not loop:
                    raise
                self.stderr.write(_("database unavailable, retrying: %(error)s") % {"error": exc})
                time.sleep(interval)
                continue
            self.stdout.write(
                _("sent %(sent)s, failed %(failed)s, dead %(dead)s, still pending %(pending)s")
                % {"sent": report.sent, "failed": report.failed, "dead": report.dead, "pending": backlog()}
            )
            if report.failed and report.errors:
                self.stderr.write(report.errors[-1])
            if not loop:
                return
            time.sleep(interval)

"""Side effects that must happen (e-mails, task kicks, sends to providers) leave through here.

Call `enqueue("orders.tasks.send_order_email_task", order_id=..., kind=...)` inside the
transaction that makes the change. It writes a `core.OutboxMessage` row in that transaction:
if the transaction rolls back, there is no message; once it commits, the message exists even
when the broker (Redis) is down, and nothing the broker does can make the caller fail.

Delivery (the relay, `relay()`):
- right after the commit, a best-effort publish of the messages that transaction wrote
  (`relay_now`, run by `on_commit`; it never raises into the caller, it logs);
- the Beat job `relay-outbox` every few seconds, the worker's `relay_outbox_task`, and the
  `manage.py relay_outbox [--loop]` command (for when Beat or the broker is out): claim due
  messages with SELECT ... FOR UPDATE SKIP LOCKED in batches, publish each to the broker and
  mark it sent. A publish that fails counts an attempt, records the error and backs the
  message off exponentially; a broker that is unreachable fails the rest of the batch at
  once (one connection try per sweep, not one per message). After settings.OUTBOX_MAX_ATTEMPTS
  the message is dead: it stays in the admin (core > outbox messages) for staff to retry.

Transactions: `enqueue` works in both modes. Inside `transaction.atomic()` (the normal case,
every service) the row is part of the caller's transaction. In autocommit the row is its own
one-statement transaction and is relayed at once; the change it is about is then not atomic
with it, so call it inside the transaction that makes the change.

At least once, not exactly once: the relay can publish a message twice (the publish went out,
marking it sent did not commit), and acks_late redelivers a task whose worker died. Every task
sent through here must therefore be idempotent; e-mails use `send_once`.
"""

import functools
import logging
import smtplib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from celery import current_app as app  # the project's app (config/celery.py), without core importing config
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from core.models import OutboxMessage, SentEmail

logger = logging.getLogger(__name__)


def enqueue(task: str, /, **kwargs) -> None:
    """Send the Celery task named `task` with `kwargs` once the current transaction commits.

    `kwargs` must be JSON values (ids, strings, numbers): they are stored in the database and
    sent as JSON, so pass primary keys, never model instances.
    """
    _write(task, kwargs, dedupe_key=None)


def enqueue_many(task: str, /, kwargs_list: list[dict]) -> None:
    """`enqueue` for a batch (one INSERT whatever its size): the same task, once per kwargs."""
    if not kwargs_list:
        return
    celery_task(task)
    messages = OutboxMessage.objects.bulk_create([OutboxMessage(task=task, kwargs=kwargs) for kwargs in kwargs_list])
    for message in messages:
        _relay_after_commit(message.pk)


def enqueue_each(messages: list[tuple[str, dict]], /) -> None:
    """`enqueue` for several messages, any tasks (one INSERT): [(task, kwargs), ...], in order."""
    if not messages:
        return
    for task, _kwargs in messages:
        celery_task(task)
    written = OutboxMessage.objects.bulk_create([OutboxMessage(task=task, kwargs=kwargs) for task, kwargs in messages])
    for message in written:
        _relay_after_commit(message.pk)


def enqueue_once(task: str, /, *, dedupe_key: str, **kwargs) -> bool:
    """Like `enqueue`, but at most one message per `dedupe_key` is ever written; False if it was."""
    return _write(task, kwargs, dedupe_key=dedupe_key)


def _write(task: str, kwargs: dict, *, dedupe_key: str | None) -> bool:
    celery_task(task)  # a misspelt name fails here, in the caller's transaction, not in the relay
    if dedupe_key is None:
        message = OutboxMessage.objects.create(task=task, kwargs=kwargs)
    else:
        try:
            with transaction.atomic():
                message = OutboxMessage.objects.create(task=task, kwargs=kwargs, dedupe_key=dedupe_key)
        except IntegrityError:
            return False
    _relay_after_commit(message.pk)
    return True


def _relay_after_commit(message_id: int) -> None:
    """Relay this message right after the commit, in one relay with the transaction's others.

    Every message registers its own on_commit callback (so a rolled-back savepoint drops its
    callback, as Django intends), and they share one list of ids on the connection: the first
    of them to run after the commit relays its id and every id listed after it (one claim, one
    UPDATE, one transaction for them all); the others then find theirs gone. An id listed
    before it belongs to a callback that will never run (its transaction rolled back): it is
    dropped, not relayed; an id listed after it whose row was rolled back is not found.
    """
    conn = transaction.get_connection()
    batch = getattr(conn, "_outbox_after_commit", None)
    if batch is None:
        batch = conn._outbox_after_commit = []
    batch.append(message_id)
    transaction.on_commit(functools.partial(_relay_batch_after_commit, batch, message_id))


def _relay_batch_after_commit(batch: list[int], message_id: int) -> None:
    try:
        first = batch.index(message_id)
    except ValueError:
        return  # an earlier callback of this commit relayed it
    ids = batch[first:]
    batch.clear()
    relay_now(ids)


def celery_task(name: str):
    """The registered Celery task `name` (raises celery.exceptions.NotRegistered, a KeyError)."""
    if name not in app.tasks:
        app.loader.import_default_modules()  # the web process has not imported every tasks module
    return app.tasks[name]


# --- the relay --------------------------------------------------------------------------------


@dataclass
class RelayReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: "RelayReport") -> None:
        self.sent, self.failed, self.dead = self.sent + other.sent, self.failed + other.failed, self.dead + other.dead
        self.errors += other.errors


def relay_now(ids: list[int]) -> None:
    """The after-commit publish: best effort, never raises (the sweep retries what fails)."""
    try:
        report = relay(ids=ids)
    except Exception:
        if app.conf.task_always_eager and app.conf.task_eager_propagates:
            raise  # the test suite runs tasks inline here: a failing task must fail the test
        logger.exception("outbox: publishing messages %s after commit failed; the sweep retries them", ids)
        return
    if report.failed:
        logger.warning("outbox: %s message(s) not published after commit: %s", report.failed, report.errors[-1])


def relay(*, ids: list[int] | None = None, batch_size: int | None = None, max_batches: int = 0) -> RelayReport:
    """Publish due messages (or just `ids`) in batches until none is due or the broker is down."""
    batch_size = batch_size or settings.OUTBOX_BATCH_SIZE
    total = RelayReport()
    batches = 0
    while True:
        report, claimed, broker_down = _relay_batch(ids=ids, batch_size=batch_size)
        total.add(report)
        batches += 1
        if ids is not None or broker_down or claimed < batch_size or (max_batches and batches >= max_batches):
            return total


def _relay_batch(*, ids: list[int] | None, batch_size: int) -> tuple[RelayReport, int, bool]:
    report = RelayReport()
    eager = app.conf.task_always_eager
    run_after_commit = []
    broker_down = False
    with transaction.atomic():
        pending = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
            sent_at__isnull=True, dead_at__isnull=True
        )
        now = timezone.now()
        pending = pending.filter(pk__in=ids) if ids is not None else pending.filter(available_at__lte=now)
        rows = list(pending.order_by("available_at", "id").only("id", "task", "kwargs", "attempts")[:batch_size])
        if not rows:
            return report, 0, False
        sent, failed = [], []
        if eager:  # no broker: the tasks run inline once the rows are marked sent and committed
            sent, run_after_commit = rows, rows
        else:
            conn = _broker_connection()
            broker_errors = (OSError, *conn.connection_errors)
            for i, row in enumerate(rows):
                try:
                    task = celery_task(row.task)  # looked up apart: redis counts KeyError a connection error
                except Exception as exc:
                    failed.append((row, exc))
                    continue
                try:
                    _publish(task, row, connection=conn)
                except broker_errors as exc:  # kombu's OperationalError is among them
                    broker_down = True
                    _drop_broker_connection()
                    failed += [(r, exc) for r in rows[i:]]  # do not try the rest against a dead broker
                    break
                except Exception as exc:  # this message only: unknown task, unserialisable kwargs
                    failed.append((row, exc))
                else:
                    sent.append(row)
        if sent:
            OutboxMessage.objects.filter(pk__in=[r.pk for r in sent]).update(
                sent_at=now, attempts=F("attempts") + 1, last_error=""
            )
            report.sent = len(sent)
        if failed:
            _record_failures(failed, now=now, report=report)
    for row in run_after_commit:
        celery_task(row.task).apply_async(kwargs=row.kwargs, task_id=_task_id(row.pk))
    return report, len(rows), broker_down


_broker = threading.local()


def _broker_connection():
    """This thread's connection to the broker, kept between relays (one TCP connection per
    web or worker thread, not one per transaction); it connects lazily, fails fast (no retries,
    a short connect timeout) and is dropped after a broker error, so the next relay reconnects."""
    url = app.conf.broker_write_url or app.conf.broker_url
    conn = getattr(_broker, "connection", None)
    if conn is not None and getattr(_broker, "url", None) != url:  # the broker was re-pointed
        _drop_broker_connection()
        conn = None
    if conn is None:
        conn = app.connection_for_write(
            connect_timeout=settings.OUTBOX_BROKER_CONNECT_TIMEOUT, transport_options={"max_retries": 0}
        )
        _broker.connection, _broker.url = conn, url
    return conn


def _drop_broker_connection() -> None:
    conn = getattr(_broker, "connection", None)
    _broker.connection = None
    if conn is not None:
        try:
            conn.release()
        except Exception:  # a dead connection may fail to close; it is dropped either way
            logger.debug("outbox: closing a broken broker connection failed", exc_info=True)


def _publish(task, row, *, connection) -> None:
    # The relay retries by itself (back-off), so kombu must not: retry=False and max_retries=0
    # above make a down broker fail in milliseconds instead of blocking the sweep (or, after a
    # commit, a web request) for seconds.
    task.apply_async(kwargs=row.kwargs, task_id=_task_id(row.pk), connection=connection, retry=False)


def _task_id(pk: int) -> str:
    """One Celery task id per message: a message published twice shows as one id in the logs."""
    return f"outbox-{pk}"


def _record_failures(failed, *, now, report: RelayReport) -> None:
    rows = []
    for row, exc in failed:
        row.attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        row.available_at = now + backoff(row.attempts)
        if row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            row.dead_at = now
            report.dead += 1
            logger.error("outbox: message %s (%s) is dead after %s attempts: %s", row.pk, row.task, row.attempts, exc)
        rows.append(row)
    OutboxMessage.objects.bulk_update(rows, ["attempts", "last_error", "available_at", "dead_at"])
    report.failed = len(rows)
    report.errors.append(rows[-1].last_error)


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` failures: base, 2x, 4x ... up to the cap."""
    seconds = settings.OUTBOX_BACKOFF_BASE_SECONDS * 2 ** min(attempts - 1, 30)
    return timedelta(seconds=min(seconds, settings.OUTBOX_BACKOFF_MAX_SECONDS))


def retry_messages(*, ids: list[int]) -> int:
    """Make dead (or backed-off) unsent messages due now with a fresh attempt budget (admin action)."""
    return OutboxMessage.objects.filter(pk__in=ids, sent_at__isnull=True).update(
        dead_at=None, attempts=0, available_at=timezone.now()
    )


def purge_sent(*, older_than: timedelta | None = None, chunk: int = 1000) -> int:
    """Delete messages sent more than `older_than` ago (settings.OUTBOX_PURGE_AFTER), in chunks."""
    cutoff = timezone.now() - (older_than or settings.OUTBOX_PURGE_AFTER)
    deleted = 0
    while True:
        ids = list(OutboxMessage.objects.filter(sent_at__lt=cutoff).values_list("pk", flat=True)[:chunk])
        if not ids:
            return deleted
        deleted += OutboxMessage.objects.filter(pk__in=ids).delete()[0]


def backlog() -> int:
    """Messages waiting to be published (due or backed off, not dead): a count on a partial index."""
    return OutboxMessage.objects.filter(sent_at__isnull=True, dead_at__isnull=True).count()


# --- what the tasks it sends use --------------------------------------------------------------

# Worth another try later: the network, the SMTP server (4xx answers, disconnects, timeouts,
# TLS), the database restarting. OSError covers ConnectionError, TimeoutError, socket errors
# and smtplib.SMTPException (a subclass of OSError since Python 3.4), listed for the reader.
TRANSIENT_ERRORS = (OSError, smtplib.SMTPException, TimeoutError, ConnectionError, OperationalError, InterfaceError)


def is_transient(exc: BaseException) -> bool:
    """True for an error a retry may get past; a 5xx SMTP answer (address refused) is permanent."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return False
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500:
        return False
    return isinstance(exc, TRANSIENT_ERRORS)


def send_once(key: str, send: Callable[[], None]) -> bool:
    """Run `send()` unless an e-mail with `key` already went out; True when it ran.

    The key is claimed (a unique row) in the same transaction as the send: a second delivery
    of the same task waits on the row and then finds it taken; a send that raises rolls the
    claim back, so a retry sends. Only a crash between the SMTP answer and the commit can
    send twice.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                SentEmail.objects.create(key=key)
        except IntegrityError:
            logger.info("e-mail %s already sent; not sending it again", key)
            return False
        send()
    return True


def retry_countdown(retries: int) -> int:
    """Seconds before a task's next retry: 10, 20, 40 ... capped at 5 minutes (< visibility_timeout)."""
    return min(10 * 2**retries, 300)


def retry_if_transient(task, exc: BaseException):
    """In a bound task's `except`: retry a transient error with back-off, re-raise any other.

    Use as `raise retry_if_transient(self, exc)`. After the task's max_retries the error is
    raised (the task fails and is logged).
    """
    if not is_transient(exc):
        raise exc
    return task.retry(exc=exc, countdown=retry_countdown(task.request.retries))

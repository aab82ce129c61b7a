"""The transactional outbox (issue 9 item 12): nothing lost while the broker is down, nothing twice."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import OutboxMessage, SentEmail
from core.outbox import backlog, backoff, enqueue, purge_sent, relay
from orders.tasks import send_order_email_task
from tests.factories import place_test_order

pytestmark = pytest.mark.django_db

EMAIL_TASK = "orders.tasks.send_order_email_task"


class Boom(Exception):
    pass


def an_order():
    """An order to write messages about, without the messages its own checkout wrote."""
    order = place_test_order()
    OutboxMessage.objects.all().delete()  # its "placed" e-mail: each test counts only its own
    return order


def test_a_rolled_back_transaction_leaves_no_message(django_capture_on_commit_callbacks):
    order = an_order()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom), transaction.atomic():
        enqueue(EMAIL_TASK, order_id=order.pk, kind="confirmed")
        raise Boom

    assert OutboxMessage.objects.count() == 0
    assert callbacks == []
    assert mail.outbox == []


def test_a_committed_message_is_sent_exactly_once(django_capture_on_commit_callbacks):
    order = an_order()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue(EMAIL_TASK, order_id=order.pk, kind="confirmed")

    message = OutboxMessage.objects.get()
    assert (message.task, message.kwargs, message.attempts, message.last_error) == (
        EMAIL_TASK,
        {"order_id": order.pk, "kind": "confirmed"},
        1,
        "",
    )
    assert message.sent_at is not None
    assert [m.subject for m in mail.outbox] == [f"Замовлення №{order.number} підтверджено"]
    # a later sweep finds nothing to send
    assert relay().sent == 0
    assert len(mail.outbox) == 1


def test_a_misspelt_task_fails_in_the_callers_transaction():
    with pytest.raises(KeyError):
        enqueue("orders.tasks.no_such_task", order_id=1)
    assert OutboxMessage.objects.count() == 0


def test_broker_down_the_caller_commits_the_message_waits_then_is_sent(real_broker, django_capture_on_commit_callbacks):
    order = an_order()
    real_broker.stop()

    # when a transaction enqueues while Redis is down, it commits and nothing raises into it
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        order.refresh_from_db()
        enqueue(EMAIL_TASK, order_id=order.pk, kind="confirmed")

    # then the message waits in PostgreSQL with the error and a back-off
    message = OutboxMessage.objects.get()
    assert (message.sent_at, message.dead_at, message.attempts) == (None, None, 1)
    assert message.last_error.startswith("OperationalError: ")
    assert "Connection refused" in message.last_error
    assert message.available_at - timezone.now() > timedelta(seconds=3)
    assert backlog() == 1
    # and a sweep during the outage tries nothing before the back-off is over
    assert relay().sent == 0

    # when Redis is back and the back-off has passed
    real_broker.start()
    OutboxMessage.objects.update(available_at=timezone.now())
    report = relay()

    # then the relay publishes it, once, to the broker, under the message's own task id
    assert (report.sent, report.failed) == (1, 0)
    assert real_broker.queued() == [
        {"id": f"outbox-{message.pk}", "task": EMAIL_TASK, "kwargs": {"order_id": order.pk, "kind": "confirmed"}}
    ]
    message.refresh_from_db()
    assert message.sent_at is not None
    assert message.attempts == 2
    assert backlog() == 0


def test_failures_back_off_exponentially_and_the_message_dies_after_max_attempts(real_broker, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    order = an_order()
    enqueue(EMAIL_TASK, order_id=order.pk, kind="placed")  # autocommit: relayed at once, sent
    real_broker.stop()
    with transaction.atomic():
        enqueue(EMAIL_TASK, order_id=order.pk, kind="shipped")
    waits = []
    for _ in range(3):
        OutboxMessage.objects.filter(sent_at__isnull=True).update(available_at=timezone.now())
        relay()
        message = OutboxMessage.objects.get(kwargs__kind="shipped")
        waits.append(round((message.available_at - timezone.now()).total_seconds()))
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4, 10)] == [5, 10, 20, 40, 300]
    assert waits == [5, 10, 20]
    assert message.attempts == 3
    assert message.dead_at is not None
    assert backlog() == 0  # dead is not pending

    # staff retry it once the broker is back: it goes out
    from core.outbox import retry_messages

    real_broker.start()
    assert retry_messages(ids=[message.pk]) == 1
    assert relay().sent == 1
    assert [m["kwargs"]["kind"] for m in real_broker.queued()] == ["shipped"]


def test_a_broken_message_does_not_hold_the_others_back(real_broker):
    order = an_order()
    OutboxMessage.objects.create(task="orders.tasks.no_such_task", kwargs={})
    OutboxMessage.objects.create(task=EMAIL_TASK, kwargs={"order_id": order.pk, "kind": "placed"})

    report = relay()

    assert (report.sent, report.failed) == (1, 1)
    broken = OutboxMessage.objects.get(task="orders.tasks.no_such_task")
    assert (broken.sent_at, broken.attempts) == (None, 1)
    assert broken.last_error.startswith("NotRegistered: ")


def test_the_relay_batch_costs_the_same_queries_whatever_its_size(real_broker):
    order = an_order()

    def queries_to_relay(n: int) -> int:
        OutboxMessage.objects.bulk_create(
            OutboxMessage(task=EMAIL_TASK, kwargs={"order_id": order.pk, "kind": "placed"}) for _ in range(n)
        )
        with CaptureQueriesContext(connection) as queries:
            assert relay(batch_size=n).sent == n
        return len(queries)

    # a full batch (savepoint, claim, mark sent, release) and the empty claim that ends the sweep
    assert queries_to_relay(1) == queries_to_relay(50) == queries_to_relay(200) == 7


def test_purge_drops_only_messages_sent_long_ago(settings):
    now = timezone.now()
    old = OutboxMessage.objects.create(task=EMAIL_TASK, sent_at=now - timedelta(days=8))
    recent = OutboxMessage.objects.create(task=EMAIL_TASK, sent_at=now - timedelta(days=6))
    pending = OutboxMessage.objects.create(task=EMAIL_TASK, created_at=now - timedelta(days=30))

    assert purge_sent() == 1

    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()


def test_the_order_email_goes_out_once_when_delivered_twice():
    order = an_order()

    for _ in range(2):  # the same message delivered twice (published twice, or redelivered)
        send_order_email_task.apply(kwargs={"order_id": order.pk, "kind": "confirmed"}, task_id="outbox-7")
    send_order_email_task.apply(kwargs={"order_id": order.pk, "kind": "confirmed"})  # even as another message

    assert [m.subject for m in mail.outbox] == [f"Замовлення №{order.number} підтверджено"]
    assert list(SentEmail.objects.values_list("key", flat=True)) == [f"order:{order.pk}:confirmed"]

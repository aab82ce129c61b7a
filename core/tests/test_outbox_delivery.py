"""Delivered at least once, acted on at most once: concurrent relays, duplicate deliveries, SMTP errors."""

import email
import email.policy
import smtplib
from collections import Counter

import pytest
from django.core import mail

from config.celery import app as celery_app
from core.models import OutboxMessage, SentEmail
from core.outbox import relay
from ledger.services import credit_wallet
from ledger.tasks import send_wallet_email_task
from orders.tasks import send_order_email_task
from tests.factories import UserFactory, place_test_order

EMAIL_TASK = "orders.tasks.send_order_email_task"


def test_concurrent_relays_never_publish_a_message_twice(run_concurrently, real_broker):
    OutboxMessage.objects.bulk_create(
        OutboxMessage(task=EMAIL_TASK, kwargs={"order_id": i, "kind": "placed"}) for i in range(300)
    )

    outcomes = run_concurrently(4, lambda i: relay(batch_size=10))

    assert [o.error for o in outcomes] == [None] * 4
    assert sum(o.value.sent for o in outcomes) == 300
    assert all(o.value.sent > 0 for o in outcomes)  # they did overlap, each taking its share
    published = Counter(m["id"] for m in real_broker.queued())
    assert len(published) == 300
    assert set(published.values()) == {1}
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0


def test_two_deliveries_of_one_email_at_the_same_moment_send_it_once(run_concurrently):
    order = place_test_order()
    mail.outbox = []

    outcomes = run_concurrently(
        2, lambda i: send_order_email_task.apply(kwargs={"order_id": order.pk, "kind": "shipped"}).get()
    )

    assert [o.error for o in outcomes] == [None, None]
    assert [m.subject for m in mail.outbox] == [f"Замовлення №{order.number} уже в дорозі"]


@pytest.mark.django_db
def test_a_wallet_email_is_sent_once_per_message_however_often_delivered():
    user = UserFactory(email="olena@example.com")
    credit_wallet(user_id=user.pk, amount=15050, reason="Sorry for the delay", by=None, idempotency_key="k-1")
    kwargs = {"user_id": user.pk, "currency": "UAH"}

    send_wallet_email_task.apply(kwargs=kwargs, task_id="outbox-1")
    send_wallet_email_task.apply(kwargs=kwargs, task_id="outbox-1")  # published twice
    send_wallet_email_task.apply(kwargs=kwargs, task_id="outbox-2")  # a second change's message

    assert [m.subject for m in mail.outbox] == ["Ваш баланс у магазині kramar змінився"] * 2


@pytest.mark.django_db
def test_the_email_task_retries_smtp_errors_that_pass_and_sends_once(smtp_server):
    order = place_test_order()
    smtp_server.fail_next(421, times=2)  # "service not available, try later", twice
    celery_app.conf.task_eager_propagates = False  # eager retries run inline (countdown skipped) like a worker's

    result = send_order_email_task.apply(kwargs={"order_id": order.pk, "kind": "confirmed"})

    assert result.state == "SUCCESS"
    assert smtp_server.connections == 3
    assert len(smtp_server.messages) == 1
    sent = email.message_from_bytes(smtp_server.messages[0], policy=email.policy.default)
    assert sent["Subject"].strip() == f"Замовлення №{order.number} підтверджено"
    assert list(SentEmail.objects.values_list("key", flat=True)) == [f"order:{order.pk}:confirmed"]


@pytest.mark.django_db
def test_the_email_task_retries_a_refused_connection(smtp_server):
    order = place_test_order()
    smtp_server.stop()  # nothing listens there any more: ConnectionRefusedError each time
    celery_app.conf.task_eager_propagates = False

    result = send_order_email_task.apply(kwargs={"order_id": order.pk, "kind": "placed"})

    # tried 1 + 20 times (in a worker 10 s, 20 s, 40 s ... 5 minutes apart), then failed
    assert (result.state, type(result.result)) == ("FAILURE", ConnectionRefusedError)
    assert send_order_email_task.max_retries == 20
    assert SentEmail.objects.count() == 0  # nothing claimed: a later delivery may still send it


@pytest.mark.django_db
def test_the_email_task_does_not_retry_a_refused_mailbox(smtp_server):
    order = place_test_order()
    smtp_server.fail_next(550)

    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send_order_email_task.apply(kwargs={"order_id": order.pk, "kind": "confirmed"}).get()

    assert smtp_server.connections == 1
    assert SentEmail.objects.count() == 0

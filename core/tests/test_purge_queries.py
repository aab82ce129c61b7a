"""core's purge jobs (Beat) cost the same queries whether they delete 2 rows or 6."""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.idempotency import purge_expired_idempotency_keys
from core.models import IdempotencyKey, OutboxMessage
from core.outbox import purge_sent

pytestmark = pytest.mark.django_db


def counting_queries(purge) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        deleted = purge()
    return deleted, len(ctx.captured_queries)


def expired_keys(n: int) -> None:
    old = timezone.now() - settings.IDEMPOTENCY_KEY_TTL - timedelta(minutes=1)
    for _ in range(n):
        IdempotencyKey.objects.create(
            owner="anon",
            key=uuid.uuid4().hex,
            method="POST",
            path="/api/x/",
            request_hash="h",
            lock_token=uuid.uuid4(),
            created_at=old,
        )


def test_purging_idempotency_keys_costs_the_same_queries_for_2_or_6_keys():
    fresh = IdempotencyKey.objects.create(
        owner="anon",
        key="fresh",
        method="POST",
        path="/api/x/",
        request_hash="h",
        lock_token=uuid.uuid4(),
        created_at=timezone.now(),
    )
    expired_keys(2)
    two = counting_queries(purge_expired_idempotency_keys)
    expired_keys(6)
    six = counting_queries(purge_expired_idempotency_keys)

    assert (two[0], six[0]) == (2, 6)
    assert two[1] == six[1]
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [fresh.pk]


def sent_messages(n: int) -> None:
    old = timezone.now() - settings.OUTBOX_PURGE_AFTER - timedelta(minutes=1)
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(task="orders.tasks.send_order_email_task", kwargs={}, sent_at=old) for _ in range(n)]
    )


def test_purging_sent_outbox_messages_costs_the_same_queries_for_2_or_6_messages():
    pending = OutboxMessage.objects.create(task="orders.tasks.send_order_email_task", kwargs={})
    sent_messages(2)
    two = counting_queries(purge_sent)
    sent_messages(6)
    six = counting_queries(purge_sent)

    assert (two[0], six[0]) == (2, 6)
    assert two[1] == six[1]
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [pending.pk]

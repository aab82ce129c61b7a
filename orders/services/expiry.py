"""Expiry: online orders not paid in time give their stock and store credit back.

Batches are taken with SKIP LOCKED (two runs split the work; an order being paid right now is
left for the next run) and written in a fixed number of queries whatever their size.
"""

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django_fsm import can_proceed
from django_fsm_log.models import StateLog

from catalog.services import release_reservations
from core import outbox
from orders.models import Order, Source
from orders.services.history import describe
from orders.services.screening import paid_while_held
from orders.services.store_credit import release_store_credit


def _expire_batch(batch: list[Order]) -> None:
    """Expire locked online orders that may expire, release their stock and credit, queue the e-mails."""
    at = timezone.now()
    Order.objects.filter(pk__in=[o.pk for o in batch]).update(
        status=Order.Status.EXPIRED, expired_at=at, updated_at=at, version=F("version") + 1
    )
    description = describe(source=Source.BEAT, reason="Not paid in time")
    StateLog.objects.bulk_create(
        StateLog(
            timestamp=at,
            content_object=order,
            transition="expire",
            source_state=order.status,
            state=Order.Status.EXPIRED,
            description=description,
        )
        for order in batch
    )
    release_reservations(references=[o.stock_reference for o in batch])
    for order in batch:
        release_store_credit(order=order)  # no query unless the order held store credit
    outbox.enqueue_many(
        "orders.tasks.send_order_email_task", [{"order_id": order.pk, "kind": "expired"} for order in batch]
    )


def expire_unpaid_orders(*, now=None, batch_size: int = 100) -> int:
    """Expire online orders still unpaid after `expires_at`; release their stock and credit.

    Works in batches, each its own transaction, taking rows with SKIP LOCKED: two runs at
    once split the work instead of doing it twice, and an order being paid right now (its
    row locked by the payment) is left for the next run. COD orders never expire, nor do
    orders paid while they wait for review (staff approve or reject them).
    """
    now = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic():
            batch = list(
                Order.objects.select_for_update(skip_locked=True)
                .filter(status=Order.Status.PLACED, payment_method=Order.PaymentMethod.ONLINE, expires_at__lte=now)
                .exclude(Exists(paid_while_held().filter(order=OuterRef("pk"))))  # paid; staff decide
                .order_by("expires_at", "id")[:batch_size]
            )
            # The FSM says which may expire; the batch is then written in a fixed number of
            # queries (one UPDATE, one INSERT of history rows, the stock released at once, in
            # product-id order: the global lock order), so a Beat run costs the same for 1 or 100.
            due = [order for order in batch if can_proceed(order.expire)]
            if due:
                _expire_batch(due)
        expired += len(due)
        if len(batch) < batch_size:
            return expired

"""Revenue of delivered orders, every part of it booked here (Beat sweep).

A delivered order's store credit and online prepayment become sales, and its COD cash is
owed to us by the carrier. Orders only records the delivery; this sweep finds delivered
orders with a part not yet booked and books each part once (the ledger key is the fact).
Lock order: the order row, then the ledger accounts.
"""

import logging

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q

from ledger import keys
from ledger.models import JournalEntry
from ledger.postings import record_cod_delivery, record_delivery_revenue
from orders.models import Order
from orders.services import lock_order
from payments.models import Payment

logger = logging.getLogger(__name__)


def _booked(part: str) -> Exists:
    return Exists(JournalEntry.objects.filter(idempotency_key=keys.order_delivered_sql(OuterRef("pk"), part=part)))


def list_orders_awaiting_revenue(*, limit: int) -> list[int]:
    """Ids of delivered orders with a revenue part not booked yet: one query, whatever the batch."""
    paid_online = Exists(Payment.objects.filter(order=OuterRef("pk"), status__in=Payment.PAID, is_overpayment=False))
    due = (
        Q(store_credit__gt=0, booked_store_credit=False)
        | Q(payment_method=Order.PaymentMethod.COD, total__gt=F("store_credit"), booked_cod=False)
        | Q(payment_method=Order.PaymentMethod.ONLINE, paid_online=True, booked_online=False)
    )
    return list(
        Order.objects.filter(delivered_at__isnull=False)
        .alias(
            booked_store_credit=_booked("store-credit"),
            booked_cod=_booked("cod"),
            booked_online=_booked("online"),
            paid_online=paid_online,
        )
        .filter(due)
        .order_by("delivered_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def recognize_delivery_revenue(*, order_id: int) -> list[str]:
    """Book every revenue part of a delivered order not booked yet; return the parts booked now.

    Store credit and the online prepayment (captured less refunded) become sales; COD cash
    becomes owed by the carrier. Idempotent: each part's ledger key is posted at most once.
    Locks the order, so a refund (which locks it first too) cannot change what is counted.
    """
    order = lock_order(order_id)
    if order.delivered_at is None:
        return []
    booked = []
    if order.store_credit:
        posted = record_delivery_revenue(
            order_number=order.number,
            amount=order.store_credit,
            idempotency_key=keys.order_delivered(order_id=order.pk, part="store-credit"),
            currency=order.currency,
        )
        booked += ["store-credit"] if posted.created else []
    if order.is_cod and order.amount_due:
        posted = record_cod_delivery(
            order_number=order.number,
            amount=order.amount_due,
            idempotency_key=keys.order_delivered(order_id=order.pk, part="cod"),
            currency=order.currency,
        )
        booked += ["cod"] if posted.created else []
    if order.payment_method == Order.PaymentMethod.ONLINE:
        paid = sum(
            captured - refunded
            for captured, refunded in Payment.objects.filter(
                order=order, status__in=Payment.PAID, is_overpayment=False
            ).values_list("captured_amount", "refunded_amount")
        )
        if paid > 0:
            posted = record_delivery_revenue(
                order_number=order.number,
                amount=paid,
                idempotency_key=keys.order_delivered(order_id=order.pk, part="online"),
                currency=order.currency,
            )
            booked += ["online"] if posted.created else []
    return booked


def recognize_revenue_of_delivered_orders(*, limit: int = 200) -> int:
    """Book the revenue of delivered orders not booked yet (Beat sweep); return how many orders got entries."""
    done = 0
    for order_id in list_orders_awaiting_revenue(limit=limit):
        try:
            booked = recognize_delivery_revenue(order_id=order_id)
        except Exception:  # one bad order must not stop the others; it is found again next run
            logger.exception("booking the revenue of order %s failed", order_id)
            continue
        done += bool(booked)
    return done

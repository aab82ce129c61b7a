"""Revenue of delivered orders (Beat sweep)."""

from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat

from ledger import keys
from ledger.models import JournalEntry
from ledger.postings import record_delivery_revenue
from orders.models import Order
from payments.models import Payment


def recognize_revenue_of_delivered_orders(*, limit: int = 200) -> int:
    """Turn the prepayment of delivered online orders into sales (Beat sweep, idempotent).

    Orders books store credit and COD cash itself on delivery; the online part is ours to
    book because only payments knows what was captured.
    """

    booked = JournalEntry.objects.filter(
        idempotency_key=Concat(
            Value("order:"), Cast(OuterRef("pk"), CharField()), Value(":delivered:online"), output_field=CharField()
        )
    )
    orders = (
        Order.objects.filter(
            status__in=[Order.Status.DELIVERED, Order.Status.COMPLETED],
            payment_method=Order.PaymentMethod.ONLINE,
            payments__status__in=Payment.PAID,
            payments__is_overpayment=False,
        )
        .exclude(Exists(booked))
        .distinct()[:limit]
    )
    done = 0
    for order in orders:
        paid = sum(
            p.captured_amount - p.refunded_amount
            for p in Payment.objects.filter(order=order, status__in=Payment.PAID, is_overpayment=False)
        )
        if paid > 0:
            record_delivery_revenue(
                order_id=order.number,
                amount=paid,
                idempotency_key=keys.order_delivered(order_id=order.pk, part="online"),
                currency=order.currency,
            )
            done += 1
    return done

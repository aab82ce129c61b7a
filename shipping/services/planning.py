"""Planning: every confirmed order without a live shipment gets a pending one (Beat).

One batch is one transaction with a fixed number of queries, however many orders it holds:
the orders are found and locked in one statement (in primary-key order, the global lock
order), and their shipments (live and earlier ones, counted together) and parcel weights are
read in one query each after the lock.
"""

from constance import config
from django.db import transaction
from django.db.models import Count, F, Q, Subquery, Sum
from django.utils import timezone

from orders.models import Order, OrderLine
from shipping import carriers
from shipping.models import Shipment
from shipping.selectors import orders_to_plan
from shipping.services.common import NO_BRANCH, S


def _new_shipment(order: Order, *, carrier: str, previous: int, weight: int, min_weight: int, now) -> Shipment:
    shipment = Shipment(
        order=order,
        carrier=carrier,
        marker=order.number if not previous else f"{order.number}-{previous + 1}",
        recipient_name=order.full_name,
        recipient_phone=order.phone,
        city_ref=order.delivery_city_ref,
        warehouse_ref=order.delivery_warehouse_ref,
        weight_grams=max(weight, min_weight),
        declared_value=order.total,
        cod_amount=order.amount_due if order.is_cod else 0,
        next_attempt_at=now,
    )
    return shipment


@transaction.atomic
def plan_shipments(*, limit: int = 200) -> int:
    """Give every confirmed order without a live shipment a pending one (Beat); return how many."""
    candidates = Subquery(orders_to_plan(limit=limit).values("pk"))
    orders = list(
        Order.objects.select_for_update().filter(pk__in=candidates, status=Order.Status.CONFIRMED).order_by("pk")
    )
    if not orders:
        return 0
    ids = [order.pk for order in orders]
    # Read after the lock: a run that planned these orders meanwhile has committed by now.
    shipments = (
        Shipment.objects.filter(order_id__in=ids)
        .values("order_id")
        .annotate(n=Count("id"), live=Count("id", filter=~Q(status=S.CANCELLED)))
        .values_list("order_id", "n", "live")
    )
    previous, live = {}, set()
    for order_id, n, live_ones in shipments:
        previous[order_id] = n
        if live_ones:
            live.add(order_id)
    weights = dict(
        OrderLine.objects.filter(order_id__in=ids)
        .values("order_id")
        .annotate(grams=Sum(F("quantity") * F("product__weight_grams")))
        .values_list("order_id", "grams")
    )
    carrier, now = carriers.get_carrier().code, timezone.now()
    min_weight = int(config.NP_DEFAULT_WEIGHT_GRAMS)  # a runtime setting: one read per batch
    shipments = [
        _new_shipment(
            order,
            carrier=carrier,
            previous=previous.get(order.pk, 0),
            weight=weights.get(order.pk) or 0,
            min_weight=min_weight,
            now=now,
        )
        for order in orders
        if order.pk not in live
    ]
    Shipment.objects.bulk_create(shipments)
    # Flagged after the insert: a transition is logged against a saved row (rare: no branch).
    unroutable = [s for s in shipments if not (s.city_ref and s.warehouse_ref)]
    for shipment in unroutable:
        shipment.flag()
        shipment.last_error = NO_BRANCH
    Shipment.objects.bulk_update(unroutable, ["status", "last_error", "updated_at"])
    return len(shipments)

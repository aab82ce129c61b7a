"""Planning: every confirmed order without a live shipment gets a pending one (Beat)."""

from constance import config
from django.db import transaction
from django.utils import timezone

from orders.models import Order
from orders.services import lock_order
from shipping import carriers
from shipping.models import Shipment
from shipping.selectors import orders_to_plan
from shipping.services.common import NO_BRANCH, S


def _parcel_weight(order: Order) -> int:
    weight = sum(line.quantity * line.product.weight_grams for line in order.lines.select_related("product"))
    return max(weight, int(config.NP_DEFAULT_WEIGHT_GRAMS))


def plan_shipments(*, limit: int = 200) -> int:
    """Give every confirmed order without a live shipment a pending one (Beat)."""
    orders = orders_to_plan(limit=limit)
    planned = 0
    for order in orders:
        with transaction.atomic():
            order = lock_order(order.pk)
            if order.status != Order.Status.CONFIRMED or order.shipments.exclude(status=S.CANCELLED).exists():
                continue
            previous = order.shipments.count()
            shipment = Shipment(
                order=order,
                carrier=carriers.get_carrier().code,
                marker=order.number if not previous else f"{order.number}-{previous + 1}",
                recipient_name=order.full_name,
                recipient_phone=order.phone,
                city_ref=order.delivery_city_ref,
                warehouse_ref=order.delivery_warehouse_ref,
                weight_grams=_parcel_weight(order),
                declared_value=order.total,
                cod_amount=order.amount_due if order.is_cod else 0,
                next_attempt_at=timezone.now(),
            )
            shipment.save()
            if not (shipment.city_ref and shipment.warehouse_ref):
                shipment.flag()
                shipment.last_error = NO_BRANCH
                shipment.save(update_fields=["status", "last_error", "updated_at"])
            planned += 1
    return planned

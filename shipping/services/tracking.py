"""Tracking: ask the carrier about parcels due a look and move shipments and orders on."""

import logging

from constance import config
from django.db import transaction
from django.utils import timezone

from orders.models import Order, Source
from orders.services import deliver_order, lock_order, return_order
from shipping import carriers
from shipping.carriers.base import CarrierError
from shipping.models import Shipment
from shipping.services.common import S, poll_interval

logger = logging.getLogger(__name__)

# Nova Poshta StatusCode -> our state (reference/novaposhta.md §8.2).
LABEL_CODES = {1, 12}
IN_TRANSIT_CODES = {4, 41, 5, 6, 101, 104, 111, 112}
ARRIVED_CODES = {7, 8, 14, 107}
DELIVERED_CODES = {9, 10, 11, 106}
RETURNING_CODES = {102, 103, 105, 108}
DELETED_AT_CARRIER = 2


def _apply_tracking(shipment: Shipment, code: int, text: str, return_number: str) -> None:
    """Move a locked shipment (and its order) to what the carrier's status code says."""
    shipment.carrier_status_code, shipment.carrier_status_text = code, text[:300]
    order = shipment.order
    reason = f"Nova Poshta: {text or code}"
    if shipment.status == S.RETURNING:
        if return_number:
            shipment.return_tracking_number = return_number
        return
    if code in DELIVERED_CODES and shipment.status != S.DELIVERED:
        shipment.deliver()
        shipment.delivered_at = timezone.now()
        if order.status == Order.Status.SHIPPED:
            deliver_order(order_id=order.pk, by=None, reason=reason, source=Source.BEAT)
    elif code in RETURNING_CODES and shipment.status != S.RETURNING:
        shipment.start_return()
        shipment.return_tracking_number = return_number
    elif code in ARRIVED_CODES and shipment.status in (S.LABEL_CREATED, S.IN_TRANSIT):
        shipment.arrive()
    elif code in IN_TRANSIT_CODES and shipment.status in (S.LABEL_CREATED, S.ARRIVED):
        shipment.move()
    elif code == DELETED_AT_CARRIER and shipment.status == S.LABEL_CREATED:
        shipment.flag()
        shipment.last_error = "The waybill was deleted at Nova Poshta (not by kramar)."


def track_shipments(*, now=None, carrier=None, chunk: int = 100) -> int:
    """Ask the carrier about every parcel due a look, 100 waybills a call (Beat)."""
    now = now or timezone.now()
    carrier = carrier or carriers.get_carrier()
    due = list(
        Shipment.objects.filter(status__in=Shipment.ACTIVE, next_poll_at__lte=now)
        .exclude(tracking_number="")
        .order_by("next_poll_at")[:1000]
    )
    phone = config.NP_SENDER_PHONE
    updated = 0
    for start in range(0, len(due), chunk):
        part = due[start : start + chunk]
        numbers = [
            s.return_tracking_number if s.status == S.RETURNING and s.return_tracking_number else s.tracking_number
            for s in part
        ]
        try:
            infos = {info.number: info for info in carrier.track(numbers=numbers, phone=phone)}
        except CarrierError as exc:
            logger.warning("tracking failed for %d parcels: %s", len(part), exc)
            continue
        for shipment, number in zip(part, numbers, strict=True):
            info = infos.get(number)
            with transaction.atomic():
                lock_order(shipment.order_id)
                locked = Shipment.objects.select_for_update().select_related("order").get(pk=shipment.pk)
                if info is not None:
                    if locked.status == S.RETURNING and number == locked.return_tracking_number:
                        if info.status_code in DELIVERED_CODES:  # the return parcel reached us
                            locked.finish_return()
                            if locked.order.status in (Order.Status.SHIPPED, Order.Status.DELIVERED):
                                return_order(
                                    order_id=locked.order_id,
                                    by=None,
                                    source=Source.BEAT,
                                    reason=f"Parcel returned (waybill {number})",
                                )
                    else:
                        _apply_tracking(locked, info.status_code, info.status_text, info.return_number)
                    updated += 1
                locked.next_poll_at = now + poll_interval(locked)
                locked.save()
    return updated

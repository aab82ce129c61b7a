"""Tracking: ask the carrier about parcels due a look and move shipments and orders on.

The carrier answers with carrier-neutral ParcelEvents (the code tables live in its adapter);
this module speaks only ParcelState.
"""

import logging

from constance import config
from django.db import transaction
from django.utils import timezone

from orders.models import Order, Source
from orders.services import deliver_order, record_handover, return_order
from shipping import carriers
from shipping.carriers.base import CarrierError, ParcelEvent, ParcelState
from shipping.models import Shipment
from shipping.selectors import shipments_due_tracking
from shipping.services.breaker import batch_may_run, carrier_breaker, report
from shipping.services.common import S, lock_shipment, poll_interval

logger = logging.getLogger(__name__)
P = ParcelState
TRACKING_FIELDS = [
    "status",
    "carrier_status_code",
    "carrier_status_text",
    "handed_over_at",
    "return_tracking_number",
    "delivered_at",
    "last_error",
    "next_poll_at",
    "updated_at",
]


def _apply_event(shipment: Shipment, event: ParcelEvent, *, now) -> None:
    """Move a locked shipment (and its order) to where the carrier says the parcel is."""
    shipment.carrier_status_code, shipment.carrier_status_text = event.carrier_code, event.text[:300]
    order = shipment.order
    if event.state.handed_over and shipment.handed_over_at is None:
        shipment.handed_over_at = now
        # The order itself knows it can no longer be cancelled or edited (orders decides that).
        record_handover(order_id=order.pk, at=timezone.now())
    reason = f"Nova Poshta: {event.text or event.state}"
    if shipment.status == S.RETURNING:
        if event.return_number:
            shipment.return_tracking_number = event.return_number
        if event.state == P.RETURNED:
            _finish_return(shipment, number=shipment.tracking_number)
        return
    if event.state == P.DELIVERED and shipment.status != S.DELIVERED:
        shipment.deliver()
        shipment.delivered_at = timezone.now()
        if order.status == Order.Status.SHIPPED:
            deliver_order(order_id=order.pk, by=None, reason=reason, source=Source.BEAT)
    elif event.state in (P.REFUSED, P.RETURNING, P.RETURNED) and shipment.status != S.RETURNING:
        shipment.start_return()
        shipment.return_tracking_number = event.return_number
    elif event.state == P.ARRIVED and shipment.status in (S.LABEL_CREATED, S.IN_TRANSIT):
        shipment.arrive()
    elif event.state == P.IN_TRANSIT and shipment.status in (S.LABEL_CREATED, S.ARRIVED):
        shipment.move()
    elif event.state == P.DELETED and shipment.status == S.LABEL_CREATED:
        shipment.flag()
        shipment.last_error = "The waybill was deleted at Nova Poshta (not by kramar)."


def _finish_return(shipment: Shipment, *, number: str) -> None:
    """The parcel is back with us: the shipment is returned, and so is its order."""
    shipment.finish_return()
    if shipment.order.status in (Order.Status.SHIPPED, Order.Status.DELIVERED):
        return_order(
            order_id=shipment.order_id, by=None, source=Source.BEAT, reason=f"Parcel returned (waybill {number})"
        )


def _number_to_track(shipment: Shipment) -> str:
    """A returning parcel is followed by its return waybill, once the carrier made one."""
    if shipment.status == S.RETURNING and shipment.return_tracking_number:
        return shipment.return_tracking_number
    return shipment.tracking_number


def track_shipments(*, now=None, carrier=None, chunk: int = 100) -> int:
    """Ask the carrier about every parcel due a look, 100 waybills a call (Beat); skipped while its breaker is open."""
    now = now or timezone.now()
    carrier = carrier or carriers.get_carrier()
    breaker = carrier_breaker(carrier)
    if not batch_may_run(breaker, what="tracking", now=now):
        return 0
    due = shipments_due_tracking(now=now)
    phone = config.NP_SENDER_PHONE
    updated = 0
    for start in range(0, len(due), chunk):
        part = due[start : start + chunk]
        numbers = [_number_to_track(s) for s in part]
        try:
            events = {event.number: event for event in carrier.track(numbers=numbers, phone=phone)}
        except CarrierError as exc:
            logger.warning("tracking failed for %d parcels: %s", len(part), exc)
            if report(breaker, error=exc, now=now):
                break
            continue
        report(breaker, error=None, now=now)
        for shipment, number in zip(part, numbers, strict=True):
            event = events.get(number)
            with transaction.atomic():
                locked = lock_shipment(shipment.pk)
                if event is not None:
                    if locked.status == S.RETURNING and number == locked.return_tracking_number:
                        if event.state == P.DELIVERED:  # the return parcel reached us
                            _finish_return(locked, number=number)
                    else:
                        _apply_event(locked, event, now=now)
                    updated += 1
                locked.next_poll_at = now + poll_interval(locked)
                locked.save(update_fields=TRACKING_FIELDS)
    return updated

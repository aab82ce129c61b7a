"""Every change to shipments: planning, labels exactly once, tracking, cancelling, retrying.

Lock order, as everywhere: the order row, then the shipment row. No carrier call is made
while a row is locked: a label is claimed (`creating`, committed), then the carrier is
called, then the answer is recorded in a new transaction.
"""

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from constance import config
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orders.models import Order, Source
from orders.services import deliver_order, lock_order, record_handover, return_order, ship_order
from shipping.carriers import get_carrier
from shipping.carriers.base import CarrierError, Sender, Waybill, WaybillRequest
from shipping.exceptions import ShipmentStateError
from shipping.models import Shipment

logger = logging.getLogger(__name__)
KYIV = ZoneInfo("Europe/Kyiv")
S = Shipment.Status
MAX_ATTEMPTS = 8
RECONCILE_AFTER = timedelta(minutes=2)  # a `creating` older than this is looked up at the carrier

# Nova Poshta StatusCode -> our state (reference/novaposhta.md §8.2).
LABEL_CODES = {1, 12}
IN_TRANSIT_CODES = {4, 41, 5, 6, 101, 104, 111, 112}
ARRIVED_CODES = {7, 8, 14, 107}
DELIVERED_CODES = {9, 10, 11, 106}
RETURNING_CODES = {102, 103, 105, 108}
DELETED_AT_CARRIER = 2
POLL_EVERY = {
    S.LABEL_CREATED: timedelta(minutes=30),
    S.IN_TRANSIT: timedelta(hours=1),
    S.ARRIVED: timedelta(hours=2),
    S.RETURNING: timedelta(hours=3),
}


def _poll_interval(shipment: Shipment) -> timedelta:
    if shipment.carrier == "sandbox":  # the sandbox moves parcels in minutes, so look often
        return timedelta(minutes=1)
    return POLL_EVERY.get(shipment.status, timedelta(hours=1))


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def kyiv_today():
    return timezone.now().astimezone(KYIV).date()


def sender_from_settings() -> Sender:
    return Sender(
        counterparty_ref=config.NP_SENDER_COUNTERPARTY_REF,
        contact_ref=config.NP_SENDER_CONTACT_REF,
        phone=config.NP_SENDER_PHONE,
        city_ref=config.NP_SENDER_CITY_REF,
        warehouse_ref=config.NP_SENDER_WAREHOUSE_REF,
        description=config.NP_PARCEL_DESCRIPTION,
    )


# --- planning -------------------------------------------------------------------------------


def _parcel_weight(order: Order) -> int:
    weight = sum(line.quantity * line.product.weight_grams for line in order.lines.select_related("product"))
    return max(weight, int(config.NP_DEFAULT_WEIGHT_GRAMS))


def plan_shipments(*, limit: int = 200) -> int:
    """Give every confirmed order without a live shipment a pending one (Beat)."""
    orders = (
        Order.objects.filter(status=Order.Status.CONFIRMED)
        .exclude(shipments__status__in=[s for s in S.values if s != S.CANCELLED])
        .order_by("confirmed_at", "id")[:limit]
    )
    planned = 0
    for order in orders:
        with transaction.atomic():
            order = lock_order(order.pk)
            if order.status != Order.Status.CONFIRMED or order.shipments.exclude(status=S.CANCELLED).exists():
                continue
            previous = order.shipments.count()
            shipment = Shipment(
                order=order,
                carrier=get_carrier().code,
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
                shipment.last_error = "No Nova Poshta city or branch was chosen: fix the delivery data, then retry."
                shipment.save()
            planned += 1
    return planned


# --- labels, exactly once -------------------------------------------------------------------


def _claim(*, now, batch_size: int) -> list[Shipment]:
    """Mark a batch of pending shipments `creating` and commit, so no one else takes them."""
    with transaction.atomic():
        batch = list(
            Shipment.objects.select_for_update(skip_locked=True)
            .filter(status=S.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:batch_size]
        )
        for shipment in batch:
            shipment.claim()
            shipment.attempts += 1
            shipment.creating_since = now
            shipment.save(update_fields=["status", "attempts", "creating_since", "updated_at"])
    return batch


def _request_for(shipment: Shipment) -> WaybillRequest:
    return WaybillRequest(
        marker=shipment.marker,
        sender=sender_from_settings(),
        recipient_name=shipment.recipient_name,
        recipient_phone=shipment.recipient_phone.lstrip("+"),
        recipient_city_ref=shipment.city_ref,
        recipient_warehouse_ref=shipment.warehouse_ref,
        weight_grams=shipment.weight_grams,
        declared_value=shipment.declared_value,
        cod_amount=shipment.cod_amount,
        send_date=kyiv_today(),
    )


def _adopt(*, shipment_id: int, waybill: Waybill, note: str) -> Shipment:
    """Record the carrier's waybill for a shipment in `creating`; the order becomes shipped."""
    with transaction.atomic():
        order_id = Shipment.objects.values_list("order_id", flat=True).get(pk=shipment_id)
        order = lock_order(order_id)
        shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
        if shipment.status == S.PENDING and not shipment.waybill_ref:
            shipment.claim()  # a waybill we did not know of is ours after all: adopt it
        elif shipment.status != S.CREATING:
            if shipment.waybill_ref != waybill.ref:  # never drop a real waybill silently
                shipment.last_error = (
                    f"Nova Poshta also has waybill {waybill.number} for {shipment.marker}; "
                    "delete it there if it is not needed."
                )[:2000]
                shipment.save(update_fields=["last_error", "updated_at"])
            return shipment
        shipment.label()
        shipment.waybill_ref, shipment.tracking_number = waybill.ref, waybill.number
        shipment.cost, shipment.estimated_delivery = waybill.cost, waybill.estimated_delivery
        shipment.carrier_status_code, shipment.last_error = 1, ""
        shipment.label_created_at = timezone.now()
        shipment.next_poll_at = timezone.now() + _poll_interval(shipment)
        shipment.save()
        if order.status == Order.Status.CONFIRMED:
            ship_order(
                order_id=order.pk,
                by=None,
                reason=f"Waybill {waybill.number} ({note})",
                source=Source.BEAT,
                tracking_number=waybill.number,
            )
        return shipment


def _record_failure(*, shipment_id: int, error: CarrierError) -> None:
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
        shipment.last_error = f"{error} {list(error.codes) if error.codes else ''}".strip()[:2000]
        if shipment.status == S.CREATING and not error.transient:
            shipment.flag()  # the carrier said no: a person must fix the data
        # transient: stays `creating`; the outcome is unknown until reconciled
        shipment.save()


def reconcile_creating(*, now=None, carrier=None) -> int:
    """Resolve shipments left in `creating` (a crash or timeout) by asking the carrier.

    One waybill with our marker: adopt it. None: safe to try again later (back-off). More
    than one: a person decides. `save` is never retried before this has run.
    """
    now = now or timezone.now()
    carrier = carrier or get_carrier()
    stuck = list(Shipment.objects.filter(status=S.CREATING, creating_since__lte=now - RECONCILE_AFTER))
    for shipment in stuck:
        today = kyiv_today()
        try:
            found = carrier.find_waybills(
                marker=shipment.marker, date_from=today - timedelta(days=2), date_to=today + timedelta(days=1)
            )
        except CarrierError as exc:
            logger.warning("cannot reconcile shipment %s yet: %s", shipment.marker, exc)
            continue
        if len(found) == 1:
            _adopt(shipment_id=shipment.pk, waybill=found[0], note="found by reconciliation")
            continue
        with transaction.atomic():
            shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
            if shipment.status != S.CREATING:
                continue
            if found:
                shipment.flag()
                shipment.last_error = (
                    f"{len(found)} waybills carry marker {shipment.marker}: "
                    f"{', '.join(w.number for w in found)}. Keep one, delete the others."
                )
            elif shipment.attempts >= MAX_ATTEMPTS:
                shipment.flag()
                shipment.last_error = f"No waybill after {shipment.attempts} attempts. {shipment.last_error}"[:2000]
            else:
                shipment.release()
                shipment.next_attempt_at = now + _backoff(shipment.attempts)
            shipment.save()
    return len(stuck)


def create_labels(*, now=None, batch_size: int = 20) -> int:
    """Create waybills for pending shipments (Beat), exactly once each; return how many."""
    now = now or timezone.now()
    carrier = get_carrier()
    reconcile_creating(now=now, carrier=carrier)
    created = 0
    for shipment in _claim(now=now, batch_size=batch_size):
        # Restamp just before the call, and only if still ours: calls are made one after
        # another, and reconciliation must never judge a shipment whose call has not started.
        started = timezone.now()
        if not Shipment.objects.filter(pk=shipment.pk, status=S.CREATING).update(creating_since=started):
            continue
        try:
            waybill = carrier.create_waybill(_request_for(shipment))
        except CarrierError as exc:
            _record_failure(shipment_id=shipment.pk, error=exc)
            continue
        _adopt(shipment_id=shipment.pk, waybill=waybill, note="created")
        created += 1
    return created


# --- tracking -------------------------------------------------------------------------------


def _apply_tracking(shipment: Shipment, code: int, text: str, return_number: str) -> None:
    """Move a locked shipment (and its order) to what the carrier's status code says."""
    shipment.carrier_status_code, shipment.carrier_status_text = code, text[:300]
    order = shipment.order
    if code > 3:  # 1 created, 2 deleted, 3 unknown; beyond that the carrier has the parcel
        record_handover(order_id=order.pk, at=timezone.now())
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
    carrier = carrier or get_carrier()
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
                locked.next_poll_at = now + _poll_interval(locked)
                locked.save()
    return updated


# --- staff and order reactions --------------------------------------------------------------


def _deletable_at_carrier(shipment: Shipment) -> bool:
    """A waybill the carrier still lets us delete: created, not yet handed over."""
    return shipment.status == S.LABEL_CREATED and shipment.carrier_status_code in (None, 1)


def _settle_cancelled(*, shipment_id: int, waybill_deleted: bool, reason: str) -> Shipment:
    """After the order is cancelled (and the carrier was asked, without locks): record the outcome."""
    with transaction.atomic():
        order_id = Shipment.objects.values_list("order_id", flat=True).get(pk=shipment_id)
        lock_order(order_id)
        shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
        if shipment.status in (S.PENDING, S.NEEDS_ATTENTION) and not shipment.waybill_ref:
            shipment.cancel()  # nothing exists at the carrier
        elif shipment.status == S.LABEL_CREATED and waybill_deleted:
            shipment.cancel()
        elif shipment.status == S.LABEL_CREATED:
            shipment.flag()
            shipment.last_error = (
                f"{reason}, but the parcel is already with Nova Poshta "
                f"({shipment.carrier_status_text or shipment.carrier_status_code}): have it refused or returned."
            )
        shipment.save()
        return shipment


def cancel_waybills_of_cancelled_orders(*, limit: int = 100) -> int:
    """Delete the waybills of orders cancelled before hand-over (Beat sweep).

    The carrier is called with no lock held; the outcome is recorded afterwards.
    """
    carrier = get_carrier()
    shipments = list(
        Shipment.objects.filter(order__status=Order.Status.CANCELLED).filter(
            Q(status__in=[S.PENDING, S.LABEL_CREATED]) | Q(status=S.NEEDS_ATTENTION, waybill_ref="")
        )[:limit]
    )
    done = 0
    for shipment in shipments:
        deleted = False
        if _deletable_at_carrier(shipment):
            try:
                carrier.delete_waybill(ref=shipment.waybill_ref)
                deleted = True
            except CarrierError as exc:
                if exc.transient:
                    logger.warning("could not delete waybill %s yet: %s", shipment.tracking_number, exc)
                    continue  # the next sweep tries again
                logger.warning("Nova Poshta refused to delete waybill %s: %s", shipment.tracking_number, exc)
        _settle_cancelled(shipment_id=shipment.pk, waybill_deleted=deleted, reason="Order cancelled")
        done += 1
    return done


def cancel_shipment(*, shipment_id: int, by, reason: str) -> Shipment:
    """Stop a parcel before hand-over (staff): its waybill is deleted, then the order is cancelled.

    The carrier is asked first, with no lock held; if it refuses, nothing is cancelled.
    """
    from orders.services import cancel_order

    if not (reason or "").strip():
        raise ShipmentStateError("Say why the parcel is cancelled.")
    shipment = Shipment.objects.get(pk=shipment_id)
    if shipment.status not in (S.PENDING, S.LABEL_CREATED, S.NEEDS_ATTENTION) or (
        shipment.status == S.LABEL_CREATED and not _deletable_at_carrier(shipment)
    ):
        raise ShipmentStateError(
            f"The parcel is {shipment.get_status_display().lower()}; it can no longer be "
            "cancelled. Have it refused or returned instead."
        )
    deleted = False
    if _deletable_at_carrier(shipment):
        try:
            get_carrier().delete_waybill(ref=shipment.waybill_ref)
            deleted = True
        except CarrierError as exc:
            advice = (
                "try again in a minute" if exc.transient else "if the parcel is on its way, have it refused or returned"
            )
            raise ShipmentStateError(
                f"Nova Poshta did not delete waybill {shipment.tracking_number}: {exc}. Nothing was cancelled; "
                f"{advice}."
            ) from None
    with transaction.atomic():
        order = lock_order(shipment.order_id)
        if order.status != Order.Status.CANCELLED:
            cancel_order(order_id=order.pk, by=by, reason=reason, source=Source.ADMIN)
        return _settle_cancelled(shipment_id=shipment_id, waybill_deleted=deleted, reason="Order cancelled")


def void_waybill(*, shipment_id: int, by, reason: str) -> Shipment:
    """Delete a waybill not yet handed over and put the order back in the label queue.

    For a label made with wrong data: fix the order first, then void; Beat makes a new
    waybill with the order's current data. The carrier is asked first, with no lock held.
    """
    from orders.services import unship_order

    if not (reason or "").strip():
        raise ShipmentStateError("Say why the waybill is voided.")
    shipment = Shipment.objects.get(pk=shipment_id)
    if not _deletable_at_carrier(shipment):
        raise ShipmentStateError(
            f"Only a waybill not yet handed to Nova Poshta can be voided; this parcel is "
            f"{shipment.get_status_display().lower()}."
        )
    try:
        get_carrier().delete_waybill(ref=shipment.waybill_ref)
    except CarrierError as exc:
        raise ShipmentStateError(f"Nova Poshta did not delete waybill {shipment.tracking_number}: {exc}.") from None
    with transaction.atomic():
        order = lock_order(shipment.order_id)
        locked = Shipment.objects.select_for_update().get(pk=shipment_id)
        locked.cancel()
        locked.last_error = f"Waybill voided: {reason.strip()}"[:2000]
        locked.save()
        if order.status == Order.Status.SHIPPED:
            unship_order(
                order_id=order.pk,
                by=by,
                reason=f"Waybill {locked.tracking_number} voided: {reason}",
                source=Source.ADMIN,
            )
    return locked


def retry_shipment(*, shipment_id: int, by) -> Shipment:
    """Send a shipment that needed attention back to the queue, with the order's current data.

    Nova Poshta is asked first (no lock held) whether a waybill with its marker exists: one is
    adopted rather than a second created; more than one must be cleaned up by a person.
    """
    shipment = Shipment.objects.get(pk=shipment_id)
    if shipment.status != S.NEEDS_ATTENTION:
        raise ShipmentStateError(
            f"Only a shipment that needs attention can be retried; this one is {shipment.get_status_display().lower()}."
        )
    if shipment.waybill_ref:
        raise ShipmentStateError("This shipment already has a waybill; track or cancel it instead.")
    today = kyiv_today()
    try:
        found = get_carrier().find_waybills(
            marker=shipment.marker, date_from=today - timedelta(days=7), date_to=today + timedelta(days=1)
        )
    except CarrierError as exc:
        raise ShipmentStateError(f"Nova Poshta could not be asked about {shipment.marker}: {exc}") from None
    if len(found) > 1:
        raise ShipmentStateError(
            f"Nova Poshta has {len(found)} waybills for {shipment.marker} "
            f"({', '.join(w.number for w in found)}): delete the extra ones there first."
        )
    with transaction.atomic():
        order = lock_order(shipment.order_id)
        shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
        if shipment.status != S.NEEDS_ATTENTION:
            raise ShipmentStateError("Someone else changed this shipment; reload the page.")
        if order.status != Order.Status.CONFIRMED:
            raise ShipmentStateError(f"Order {order.number} is {order.get_status_display().lower()}.")
        shipment.recipient_name, shipment.recipient_phone = order.full_name, order.phone
        shipment.city_ref, shipment.warehouse_ref = order.delivery_city_ref, order.delivery_warehouse_ref
        if not (shipment.city_ref and shipment.warehouse_ref):
            raise ShipmentStateError("Choose the Nova Poshta city and branch on the order first.")
        shipment.retry()
        shipment.attempts, shipment.last_error, shipment.next_attempt_at = 0, "", timezone.now()
        if found:
            shipment.claim()
        shipment.save()
    if found:
        return _adopt(shipment_id=shipment_id, waybill=found[0], note="found when retrying")
    return shipment


def label_pdf(*, shipment_ids: list[int], layout: str) -> bytes:
    """One PDF with the labels of these shipments, fetched by the server (the print URL holds the key)."""
    refs = list(
        Shipment.objects.filter(pk__in=shipment_ids).exclude(waybill_ref="").values_list("waybill_ref", flat=True)
    )
    if not refs:
        raise ShipmentStateError("None of these shipments has a waybill yet.")
    if layout not in ("100x100", "a4"):
        raise ShipmentStateError("Choose the 100x100 thermal layout or A4.")
    try:
        return get_carrier().label_pdf(refs=refs, layout=layout)
    except CarrierError as exc:
        raise ShipmentStateError(f"Nova Poshta did not give the labels: {exc}") from None

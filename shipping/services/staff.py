"""Staff actions and order reactions: cancel a parcel, void a waybill, retry a flagged one.

The carrier is always asked first, with no lock held; the outcome is recorded afterwards
under the locks (the order row, then the shipment row).
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from orders.models import Order, Source
from orders.services import cancel_order, unship_order
from shipping import carriers
from shipping.carriers.base import CarrierError
from shipping.exceptions import ShipmentStateError
from shipping.models import Shipment
from shipping.selectors import awaiting_hand_over, shipments_of_cancelled_orders
from shipping.services.common import S, kyiv_today, lock_shipment
from shipping.services.labels import RECIPIENT_FIELDS, _adopt, follow_order

logger = logging.getLogger(__name__)


def _settle_cancelled(*, shipment_id: int, waybill_deleted: bool, reason: str) -> Shipment:
    """After the order is cancelled (and the carrier was asked, without locks): record the outcome."""
    with transaction.atomic():
        return _settle(lock_shipment(shipment_id), waybill_deleted=waybill_deleted, reason=reason)


def _settle(shipment: Shipment, *, waybill_deleted: bool, reason: str) -> Shipment:
    """Cancel a locked shipment of a cancelled order, or flag it when the carrier has the parcel."""
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
    shipment.save(update_fields=["status", "last_error", "updated_at"])
    return shipment


def cancel_waybills_of_cancelled_orders(*, limit: int = 100) -> int:
    """Delete the waybills of orders cancelled before hand-over (Beat sweep).

    The carrier is called with no lock held; the outcome is recorded afterwards.
    """
    carrier = carriers.get_carrier()
    shipments = shipments_of_cancelled_orders(limit=limit)
    done = 0
    for shipment in shipments:
        deleted = False
        if awaiting_hand_over(shipment):
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
    if not (reason or "").strip():
        raise ShipmentStateError("Say why the parcel is cancelled.")
    shipment = Shipment.objects.get(pk=shipment_id)
    if shipment.status not in (S.PENDING, S.LABEL_CREATED, S.NEEDS_ATTENTION) or (
        shipment.status == S.LABEL_CREATED and not awaiting_hand_over(shipment)
    ):
        raise ShipmentStateError(
            f"The parcel is {shipment.get_status_display().lower()}; it can no longer be "
            "cancelled. Have it refused or returned instead."
        )
    deleted = False
    if awaiting_hand_over(shipment):
        try:
            carriers.get_carrier().delete_waybill(ref=shipment.waybill_ref)
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
        locked = lock_shipment(shipment_id)
        if locked.order.status != Order.Status.CANCELLED:
            locked.order = cancel_order(order_id=locked.order_id, by=by, reason=reason, source=Source.ADMIN)
        return _settle(locked, waybill_deleted=deleted, reason="Order cancelled")


def void_waybill(*, shipment_id: int, by, reason: str) -> Shipment:
    """Delete a waybill not yet handed over and put the order back in the label queue.

    For a label made with wrong data: fix the order first, then void; Beat makes a new
    waybill with the order's current data. The carrier is asked first, with no lock held.
    """
    if not (reason or "").strip():
        raise ShipmentStateError("Say why the waybill is voided.")
    shipment = Shipment.objects.get(pk=shipment_id)
    if not awaiting_hand_over(shipment):
        raise ShipmentStateError(
            f"Only a waybill not yet handed to Nova Poshta can be voided; this parcel is "
            f"{shipment.get_status_display().lower()}."
        )
    try:
        carriers.get_carrier().delete_waybill(ref=shipment.waybill_ref)
    except CarrierError as exc:
        raise ShipmentStateError(f"Nova Poshta did not delete waybill {shipment.tracking_number}: {exc}.") from None
    with transaction.atomic():
        locked = lock_shipment(shipment_id)
        order = locked.order
        locked.cancel()
        locked.last_error = f"Waybill voided: {reason.strip()}"[:2000]
        locked.save(update_fields=["status", "last_error", "updated_at"])
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
        found = carriers.get_carrier().find_waybills(
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
        shipment = lock_shipment(shipment_id)
        order = shipment.order
        if shipment.status != S.NEEDS_ATTENTION:
            raise ShipmentStateError("Someone else changed this shipment; reload the page.")
        if order.status != Order.Status.CONFIRMED:
            raise ShipmentStateError(f"Order {order.number} is {order.get_status_display().lower()}.")
        follow_order(shipment, order)
        if not (shipment.city_ref and shipment.warehouse_ref):
            raise ShipmentStateError("Choose the Nova Poshta city and branch on the order first.")
        shipment.retry()
        shipment.attempts, shipment.last_error, shipment.next_attempt_at = 0, "", timezone.now()
        if found:
            shipment.claim()
        shipment.save(
            update_fields=["status", "attempts", "last_error", "next_attempt_at", *RECIPIENT_FIELDS, "updated_at"]
        )
    if found:
        return _adopt(shipment_id=shipment_id, waybill=found[0], note="found when retrying")
    return shipment

"""Staff actions and order reactions: cancel a parcel, void a waybill, retry a flagged one.

The carrier is always asked first, with no lock held; the outcome is recorded afterwards
under the locks (the order row, then the shipment row).
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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


def _status(shipment: Shipment) -> str:
    return str(shipment.get_status_display()).lower()


def cancel_shipment(*, shipment_id: int, by, reason: str) -> Shipment:
    """Stop a parcel before hand-over (staff): its waybill is deleted, then the order is cancelled.

    The carrier is asked first, with no lock held; if it refuses, nothing is cancelled.
    """
    if not (reason or "").strip():
        raise ShipmentStateError(_("Say why the parcel is cancelled."))
    shipment = Shipment.objects.get(pk=shipment_id)
    if shipment.status not in (S.PENDING, S.LABEL_CREATED, S.NEEDS_ATTENTION) or (
        shipment.status == S.LABEL_CREATED and not awaiting_hand_over(shipment)
    ):
        raise ShipmentStateError(
            _("The parcel is %(status)s; it can no longer be cancelled. Have it refused or returned instead.")
            % {"status": _status(shipment)}
        )
    deleted = False
    if awaiting_hand_over(shipment):
        try:
            carriers.get_carrier().delete_waybill(ref=shipment.waybill_ref)
            deleted = True
        except CarrierError as exc:
            if exc.transient:
                message = _(
                    "Nova Poshta did not delete waybill %(tracking)s: %(error)s. Nothing was cancelled; "
                    "try again in a minute."
                )
            else:
                message = _(
                    "Nova Poshta did not delete waybill %(tracking)s: %(error)s. Nothing was cancelled; "
                    "if the parcel is on its way, have it refused or returned."
                )
            raise ShipmentStateError(message % {"tracking": shipment.tracking_number, "error": exc}) from None
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
        raise ShipmentStateError(_("Say why the waybill is voided."))
    shipment = Shipment.objects.get(pk=shipment_id)
    if not awaiting_hand_over(shipment):
        raise ShipmentStateError(
            _("Only a waybill not yet handed to Nova Poshta can be voided; this parcel is %(status)s.")
            % {"status": _status(shipment)}
        )
    try:
        carriers.get_carrier().delete_waybill(ref=shipment.waybill_ref)
    except CarrierError as exc:
        raise ShipmentStateError(
            _("Nova Poshta did not delete waybill %(tracking)s: %(error)s.")
            % {"tracking": shipment.tracking_number, "error": exc}
        ) from None
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
            _("Only a shipment that needs attention can be retried; this one is %(status)s.")
            % {"status": _status(shipment)}
        )
    if shipment.waybill_ref:
        raise ShipmentStateError(_("This shipment already has a waybill; track or cancel it instead."))
    today = kyiv_today()
    try:
        found = carriers.get_carrier().find_waybills(
            marker=shipment.marker, date_from=today - timedelta(days=7), date_to=today + timedelta(days=1)
        )
    except CarrierError as exc:
        raise ShipmentStateError(
            _("Nova Poshta could not be asked about %(marker)s: %(error)s") % {"marker": shipment.marker, "error": exc}
        ) from None
    if len(found) > 1:
        raise ShipmentStateError(
            ngettext(
                "Nova Poshta has %(count)d waybill for %(marker)s (%(numbers)s): delete the extra ones there first.",
                "Nova Poshta has %(count)d waybills for %(marker)s (%(numbers)s): delete the extra ones there first.",
                len(found),
            )
            % {"count": len(found), "marker": shipment.marker, "numbers": ", ".join(w.number for w in found)}
        )
    with transaction.atomic():
        shipment = lock_shipment(shipment_id)
        order = shipment.order
        if shipment.status != S.NEEDS_ATTENTION:
            raise ShipmentStateError(_("Someone else changed this shipment; reload the page."))
        if order.status != Order.Status.CONFIRMED:
            raise ShipmentStateError(
                _("Order %(number)s is %(status)s.")
                % {"number": order.number, "status": str(order.get_status_display()).lower()}
            )
        follow_order(shipment, order)
        if not (shipment.city_ref and shipment.warehouse_ref):
            raise ShipmentStateError(_("Choose the Nova Poshta city and branch on the order first."))
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

"""Labels exactly once: claim (`creating`, committed), call the carrier with no lock, record.

A shipment found in `creating` later (a crash, a timeout) is reconciled through the carrier's
document list by its marker before anything is tried again, so an order never gets two waybills.
Lock order: the order row, then the shipment row.
"""

import logging
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from core.circuit import Breaker
from orders.models import Order, Source
from orders.services import ship_order
from shipping import carriers
from shipping.carriers.base import CarrierError, Sender, Waybill, WaybillRequest
from shipping.exceptions import ShipmentStateError
from shipping.models import Shipment
from shipping.selectors import shipments_stuck_creating
from shipping.services.breaker import carrier_breaker, report
from shipping.services.common import (
    MAX_ATTEMPTS,
    NO_BRANCH,
    RECONCILE_AFTER,
    S,
    backoff,
    kyiv_today,
    lock_shipment,
    poll_interval,
)

logger = logging.getLogger(__name__)


RECIPIENT_FIELDS = ["recipient_name", "recipient_phone", "city_ref", "warehouse_ref"]
ADOPT_FIELDS = [
    "status",
    "waybill_ref",
    "tracking_number",
    "cost",
    "estimated_delivery",
    "carrier_status_code",
    "last_error",
    "label_created_at",
    "lookups_failed",
    "next_poll_at",
    "updated_at",
]


def follow_order(shipment: Shipment, order: Order) -> None:
    """Copy the order's current recipient and branch onto a shipment whose label is not made yet.

    Staff may correct the phone, name or branch after planning; the waybill must carry the
    order as it is when the label is made, not as it was when the shipment was planned.
    """
    shipment.recipient_name, shipment.recipient_phone = order.full_name, order.phone
    shipment.city_ref, shipment.warehouse_ref = order.delivery_city_ref, order.delivery_warehouse_ref


def _claim(*, now, batch_size: int) -> list[Shipment]:
    """Mark a batch of pending shipments `creating` and commit, so no one else takes them.

    Each takes the order's current recipient and branch (read in one query, no order lock:
    the shipment rows are what is claimed); one whose order lost its branch needs a person.
    The claim is written for the whole batch at once (the rows, their `creating` state and
    the `claim` entries of their history), so it costs the same queries for 1 or 24 parcels.
    """
    with transaction.atomic():
        batch = list(
            Shipment.objects.select_for_update(skip_locked=True)
            .filter(status=S.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:batch_size]
        )
        orders = Order.objects.in_bulk({shipment.order_id for shipment in batch})
        claimed = []
        for shipment in batch:
            follow_order(shipment, orders[shipment.order_id])
            if not (shipment.city_ref and shipment.warehouse_ref):
                shipment.flag()
                shipment.last_error = NO_BRANCH
                shipment.save(update_fields=["status", "last_error", *RECIPIENT_FIELDS, "updated_at"])
                continue
            shipment.attempts += 1
            shipment.creating_since, shipment.updated_at = now, timezone.now()
            claimed.append(shipment)
        if claimed:
            _claim_all(claimed)
    return claimed


def _claim_all(shipments: list[Shipment]) -> None:
    """Move locked pending shipments to `creating` in three queries, as `claim()` would one by one.

    Shipment.claim() is a pure pending → creating transition; done row by row, django-fsm-log
    writes its history entry and save() its UPDATE for each parcel. Here the rows get one
    bulk UPDATE, their state a second, and the same history entries one INSERT.
    """
    Shipment.objects.bulk_update(shipments, ["attempts", "creating_since", *RECIPIENT_FIELDS, "updated_at"])
    Shipment.objects.filter(pk__in=[s.pk for s in shipments]).update(status=S.CREATING)
    content_type = ContentType.objects.get_for_model(Shipment)
    StateLog.objects.bulk_create(
        StateLog(
            content_type=content_type,
            object_id=s.pk,
            transition="claim",
            source_state=S.PENDING,
            state=S.CREATING,
            timestamp=s.updated_at,  # when it was claimed
        )
        for s in shipments
    )
    for shipment in shipments:
        shipment.__dict__["status"] = S.CREATING  # what claim() sets (the field is protected)


def _request_for(shipment: Shipment, *, sender: Sender) -> WaybillRequest:
    return WaybillRequest(
        marker=shipment.marker,
        sender=sender,
        recipient_name=shipment.recipient_name,
        recipient_phone=shipment.recipient_phone.lstrip("+"),
        recipient_city_ref=shipment.city_ref,
        recipient_warehouse_ref=shipment.warehouse_ref,
        weight_grams=shipment.weight_grams,
        declared_value=shipment.declared_value,
        cod_amount=shipment.cod_amount,
        send_date=kyiv_today(),
    )


def _adopt(*, shipment_id: int, waybill: Waybill, note: str, order_id: int | None = None) -> Shipment:
    """Record the carrier's waybill for a shipment in `creating`; the order becomes shipped."""
    with transaction.atomic():
        shipment = lock_shipment(shipment_id, order_id=order_id)
        order = shipment.order
        if shipment.status == S.PENDING and not shipment.waybill_ref:
            shipment.claim()  # a waybill we did not know of is ours after all: adopt it
        elif shipment.status != S.CREATING:
            if shipment.waybill_ref and shipment.waybill_ref != waybill.ref:
                # Two waybills for one marker: never drop or hide one; a person keeps one.
                shipment.last_error = (
                    f"Nova Poshta has two waybills for {shipment.marker}: {shipment.tracking_number} and "
                    f"{waybill.number}. Keep one, delete the other there."
                )[:2000]
                if shipment.status == S.LABEL_CREATED:
                    shipment.flag()
                shipment.save(update_fields=["status", "last_error", "updated_at"])
            return shipment
        shipment.label()
        shipment.waybill_ref, shipment.tracking_number = waybill.ref, waybill.number
        shipment.cost, shipment.estimated_delivery = waybill.cost, waybill.estimated_delivery
        shipment.carrier_status_code, shipment.last_error = waybill.status_code, ""
        shipment.label_created_at, shipment.lookups_failed = timezone.now(), 0
        shipment.next_poll_at = timezone.now() + poll_interval(shipment)
        shipment.save(update_fields=ADOPT_FIELDS)
        if order.status == Order.Status.CONFIRMED:
            ship_order(
                order_id=order.pk,
                by=None,
                reason=f"Waybill {waybill.number} ({note})",
                source=Source.BEAT,
                tracking_number=waybill.number,
            )
        return shipment


def _record_failure(*, shipment_id: int, error: CarrierError, order_id: int | None = None) -> None:
    with transaction.atomic():
        shipment = lock_shipment(shipment_id, order_id=order_id)
        shipment.last_error = f"{error} {list(error.codes) if error.codes else ''}".strip()[:2000]
        if shipment.status == S.CREATING and not error.transient:
            shipment.flag()  # the carrier said no: a person must fix the data
        elif shipment.status == S.PENDING and error.transient and not shipment.waybill_ref:
            # Released while our call ran (it should not be): the carrier may have made the
            # waybill, so it goes back to `creating` to be looked up before any new attempt.
            shipment.claim()
            shipment.creating_since = timezone.now()
        # transient: stays `creating`; the outcome is unknown until reconciled
        shipment.save(update_fields=["status", "last_error", "creating_since", "updated_at"])


def reconcile_creating(*, now=None, carrier=None, breaker: Breaker | None = None) -> int:
    """Resolve shipments left in `creating` (a crash or timeout) by asking the carrier.

    One waybill with our marker: adopt it. None: safe to try again later (back-off). More
    than one: a person decides. `save` is never retried before this has run. A look-up that
    fails is asked again only after a growing back-off; an open breaker stops the round.
    """
    now = now or timezone.now()
    carrier = carrier or carriers.get_carrier()
    breaker = breaker or carrier_breaker(carrier)
    stuck = shipments_stuck_creating(before=now - RECONCILE_AFTER, now=now)
    for shipment in stuck:
        today = kyiv_today()
        try:
            found = carrier.find_waybills(
                marker=shipment.marker, date_from=today - timedelta(days=2), date_to=today + timedelta(days=1)
            )
        except CarrierError as exc:
            logger.warning("cannot reconcile shipment %s yet: %s", shipment.marker, exc)
            failures = shipment.lookups_failed + 1
            Shipment.objects.filter(pk=shipment.pk, status=S.CREATING).update(
                lookups_failed=failures, next_attempt_at=now + backoff(failures), updated_at=timezone.now()
            )
            if report(breaker, error=exc, now=now):
                break
            continue
        report(breaker, error=None, now=now)
        if len(found) == 1:
            _adopt(shipment_id=shipment.pk, waybill=found[0], note="found by reconciliation")
            continue
        with transaction.atomic():
            shipment = lock_shipment(shipment.pk)
            # The list above is stale: another run may have restamped this shipment and be
            # calling the carrier right now. Judge it only if its call is long over.
            if shipment.status != S.CREATING or shipment.creating_since > now - RECONCILE_AFTER:
                continue
            shipment.lookups_failed = 0
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
                shipment.next_attempt_at = now + backoff(shipment.attempts)
            shipment.save(update_fields=["status", "last_error", "next_attempt_at", "lookups_failed", "updated_at"])
    return len(stuck)


def _unclaim(shipment_ids: list[int]) -> None:
    """Give back shipments claimed but never sent (the breaker opened): no attempt was made."""
    if shipment_ids:
        Shipment.objects.filter(pk__in=shipment_ids, status=S.CREATING).update(
            status=S.PENDING, attempts=F("attempts") - 1, creating_since=None, updated_at=timezone.now()
        )


def label_pdf(*, shipment_ids: list[int], layout: str) -> bytes:
    """One PDF with the labels of these shipments, fetched by the server (the print URL holds the key)."""
    refs = list(
        Shipment.objects.filter(pk__in=shipment_ids).exclude(waybill_ref="").values_list("waybill_ref", flat=True)
    )
    if not refs:
        raise ShipmentStateError(_("None of these shipments has a waybill yet."))
    if layout not in ("100x100", "a4"):
        raise ShipmentStateError(_("Choose the 100x100 thermal layout or A4."))
    try:
        return carriers.get_carrier().label_pdf(refs=refs, layout=layout)
    except CarrierError as exc:
        raise ShipmentStateError(_("Nova Poshta did not give the labels: %(error)s") % {"error": exc}) from None

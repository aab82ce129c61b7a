"""Order transitions: lock the row, check the version, run the FSM, then the side effects.

Lock order everywhere: the order row, then its stock (catalog), then its store-credit hold
and ledger accounts. Side effects that leave the process (e-mails, the label kick) go through
core.outbox, named by task so orders never imports the apps above it.
"""

from collections.abc import Mapping

from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from catalog.services import (
    fulfil_reservation,
    release_reservation,
    reserve_stock,
    restock,
    unfulfil_reservation,
)
from core import outbox
from orders.exceptions import InvalidOrderChange, OrderNotChangeable, OrderNotFound, OrderStateError, StaleOrder
from orders.models import TRANSITIONS, Order, Source
from orders.services.history import describe
from orders.services.screening import awaits_review, hold_paid_order
from orders.services.store_credit import release_store_credit, settle_store_credit
from orders.services.validation import clean_contact, delivery_from_directory

EDITABLE_FIELDS = (
    "full_name",
    "phone",
    "email",
    "delivery_city",
    "delivery_branch",
    "delivery_city_ref",
    "delivery_warehouse_ref",
    "comment",
)
_FREE_TEXT = ("comment", "delivery_city_ref", "delivery_warehouse_ref")
TIMESTAMP_FIELD = {
    "confirm": "confirmed_at",
    "pay": "confirmed_at",
    "revive": "confirmed_at",
    "reinstate": "expired_at",
    "ship": "shipped_at",
    "deliver": "delivered_at",
    "complete": "completed_at",
    "cancel": "cancelled_at",
    "expire": "expired_at",
    "return": "returned_at",
    "unship": "shipped_at",
}


def lock_order(order_id: int) -> Order:
    """Lock one order row for the rest of the transaction."""
    try:
        return Order.objects.select_for_update().get(pk=order_id)
    except Order.DoesNotExist:
        raise OrderNotFound() from None


def actor(user):
    """The user to record as 'by', or None for anonymous callers and the system."""
    return user if user is not None and getattr(user, "is_authenticated", False) else None


# Where a shopper acts on their own order (the shop pages and the API), as opposed to staff.
CUSTOMER_SOURCES = frozenset({Source.WEB, Source.API})


def refuse_unless_cancellable(order: Order, *, source: str) -> None:
    """Refuse to cancel a shipped order whose parcel the carrier has, or a shopper's shipped order.

    A waybill not yet handed over can still be deleted, so staff may cancel a shipped order
    until tracking reports the parcel moving (record_handover); a shopper refuses the parcel
    at the branch instead. The caller holds the order's row lock.
    """
    if order.status != Order.Status.SHIPPED:
        return  # the FSM decides the other states
    if order.handed_over_at is not None:
        raise OrderNotChangeable(
            order,
            _(
                "Order %(number)s's parcel is already with Nova Poshta: have it refused or returned instead of "
                "cancelling."
            )
            % {"number": order.number},
            code="parcel_handed_over",
        )
    if source in CUSTOMER_SOURCES:
        raise OrderNotChangeable(
            order,
            _(
                "Order %(number)s is already shipped, so it can no longer be cancelled here: refuse the parcel at "
                "the Nova Poshta branch, or contact us."
            )
            % {"number": order.number},
            code="order_shipped",
        )


def refuse_unless_editable(order: Order) -> None:
    """Refuse contact and delivery edits once a waybill exists or the order is closed.

    The waybill carries the details it was made with: the edit would never reach the parcel.
    Voiding the waybill (Shipping) brings the order back to confirmed, and the next waybill
    is made with the corrected details. The caller holds the order's row lock.
    """
    if order.handed_over_at is not None and order.status == Order.Status.SHIPPED:
        raise OrderNotChangeable(
            order,
            _("Order %(number)s's parcel is already with Nova Poshta: its details can no longer be changed.")
            % {"number": order.number},
            code="parcel_handed_over",
        )
    if order.status == Order.Status.SHIPPED:
        raise OrderNotChangeable(
            order,
            _(
                "Order %(number)s already has a Nova Poshta waybill (%(tracking)s) made with the current details: "
                "void the waybill first (Shipping › Shipments), then change the details; the new waybill is made "
                "with them."
            )
            % {"number": order.number, "tracking": order.tracking_number or "—"},
            code="waybill_exists",
        )
    if not order.is_open:
        raise OrderNotChangeable(
            order,
            _("Order %(number)s is %(status)s; its details can no longer be changed.")
            % {"number": order.number, "status": order.get_status_display().lower()},
            code="order_closed",
        )


def _check_version(order: Order, expected_version: int | None) -> None:
    if expected_version is not None and order.version != expected_version:
        raise StaleOrder(order, expected_version)


def apply_transition(order: Order, name: str, *, by, reason: str, source: str) -> None:
    """Run one FSM transition on a locked order and save it; no side effects."""
    method = getattr(order, TRANSITIONS[name])
    if not can_proceed(method):
        if name == "confirm" and order.status == Order.Status.PLACED and not order.can_be_confirmed():
            raise OrderStateError(
                order,
                name,
                _("Order %(number)s is paid online; it is confirmed when its payment is captured.")
                % {"number": order.number},
            )
        raise OrderStateError(order, name)
    method(by=actor(by), description=describe(source=source, reason=reason))
    order.version += 1
    order.save(update_fields=["status", "version", "updated_at", TIMESTAMP_FIELD[name]])


def schedule_labels() -> None:
    """Have a confirmed order's parcel planned and labelled within seconds, once this commits.

    Shipping's Beat sweeps (plan_shipments, create_labels) stay the safety net: a kick that
    is lost, or a label run that starts before planning finished, is caught by the next sweep.
    """
    _confirmed(order=None)


def _confirmed(*, order: Order | None) -> None:
    """The kicks of a confirmed order (its e-mail, when `order`, then the label runs), one INSERT."""
    messages = [("orders.tasks.send_order_email_task", {"order_id": order.pk, "kind": "confirmed"})] if order else []
    kicks = [("shipping.tasks.plan_shipments_task", {}), ("shipping.tasks.create_labels_task", {})]
    outbox.enqueue_each([*messages, *kicks])


def confirm_locked_order(order: Order, *, by, reason: str, source: str) -> None:
    """Confirm an order whose row the caller holds; its store credit is taken for good."""
    apply_transition(order, "confirm", by=by, reason=reason, source=source)
    settle_store_credit(order=order, by=actor(by))
    _confirmed(order=order)


@transaction.atomic
def confirm_order(*, order_id: int, by, reason: str = "", source: str, expected_version: int | None = None) -> Order:
    """Confirm a cash-on-delivery order (staff called the shopper); it goes to fulfilment."""
    order = lock_order(order_id)
    _check_version(order, expected_version)
    confirm_locked_order(order, by=by, reason=reason, source=source)
    return order


def confirm_paid_order(*, order: Order, reason: str, source: str) -> bool:
    """Confirm an online order whose payment was captured; the caller holds the order's lock.

    Returns False, and confirms nothing, when checkout's anti-abuse rules hold the order for
    review (orders.services.screening.hold_paid_order): it stays placed and paid until staff
    approve it (then it is confirmed and its label kicked) or reject it (then it is cancelled,
    and payments' sweep refunds the money).
    """
    if hold_paid_order(order=order, reason=reason, source=source):
        return False
    confirm_paid_locked_order(order, by=None, reason=reason, source=source)
    return True


def confirm_paid_locked_order(order: Order, *, by, reason: str, source: str) -> None:
    """Confirm a paid online order whose row the caller holds, without asking the screening."""
    apply_transition(order, "pay", by=by, reason=reason, source=source)
    settle_store_credit(order=order, by=actor(by))
    _confirmed(order=order)


def revive_paid_order(*, order: Order, reason: str, source: str) -> None:
    """Bring back an expired online order whose payment arrived late, if its stock is still there.

    Raises catalog's OutOfStock (and changes nothing) when it is not; the caller then treats
    the money as an overpayment. The caller holds the order's lock. An order the anti-abuse
    rules hold for review is placed again and stays in the review queue, paid, instead of
    being confirmed (as confirm_paid_order does for a payment in time).
    """
    reserve_stock(reference=order.stock_reference, quantities=dict(order.lines.values_list("product_id", "quantity")))
    if awaits_review(order=order):
        apply_transition(order, "reinstate", by=None, reason=reason, source=source)
        hold_paid_order(order=order, reason=reason, source=source)
        return
    apply_transition(order, "revive", by=None, reason=reason, source=source)
    _confirmed(order=order)


@transaction.atomic
def cancel_order(*, order_id: int, by, reason: str, source: str, expected_version: int | None = None) -> Order:
    """Cancel an order whose parcel has not left, release its stock and give back its store credit.

    Refused (OrderNotChangeable) once the carrier has the parcel, and for a shopper once it
    is shipped (refuse_unless_cancellable, under the order's row lock). Money captured by a
    provider is refunded by payments, which reacts to the cancelled state.
    """
    if not (reason or "").strip():
        raise InvalidOrderChange(_("Say why the order is cancelled."), code="reason_required")
    order = lock_order(order_id)
    _check_version(order, expected_version)
    refuse_unless_cancellable(order, source=source)
    was_shipped = order.status == Order.Status.SHIPPED
    apply_transition(order, "cancel", by=by, reason=reason, source=source)
    release_reservation(reference=order.stock_reference)
    if was_shipped:  # its units had left the shelf with the waybill: they are back
        restock(reference=order.stock_reference)
    release_store_credit(order=order, by=actor(by))
    outbox.enqueue("orders.tasks.send_order_email_task", order_id=order.pk, kind="cancelled")
    return order


@transaction.atomic
def ship_order(
    *,
    order_id: int,
    by,
    reason: str = "",
    source: str,
    expected_version: int | None = None,
    tracking_number: str = "",
) -> Order:
    """Mark a confirmed order shipped (its waybill exists); its reserved units leave the warehouse."""
    order = lock_order(order_id)
    _check_version(order, expected_version)
    apply_transition(order, "ship", by=by, reason=reason, source=source)
    if tracking_number:
        order.tracking_number = tracking_number[:40]
        order.save(update_fields=["tracking_number"])
    fulfil_reservation(reference=order.stock_reference)
    outbox.enqueue("orders.tasks.send_order_email_task", order_id=order.pk, kind="shipped")
    return order


@transaction.atomic
def unship_order(*, order_id: int, by, reason: str, source: str) -> Order:
    """Take a shipped order back to confirmed (its waybill was voided before hand-over)."""
    order = lock_order(order_id)
    apply_transition(order, "unship", by=by, reason=reason, source=source)
    unfulfil_reservation(reference=order.stock_reference)
    order.tracking_number = ""
    order.save(update_fields=["tracking_number"])
    return order


@transaction.atomic
def deliver_order(*, order_id: int, by, reason: str = "", source: str, expected_version: int | None = None) -> Order:
    """Mark a shipped order delivered; payments' revenue sweep books its revenue and COD cash."""
    order = lock_order(order_id)
    _check_version(order, expected_version)
    apply_transition(order, "deliver", by=by, reason=reason, source=source)
    return order


@transaction.atomic
def complete_order(*, order_id: int, by, reason: str = "", source: str, expected_version: int | None = None) -> Order:
    """Close a delivered order (its return window has passed)."""
    order = lock_order(order_id)
    _check_version(order, expected_version)
    apply_transition(order, "complete", by=by, reason=reason, source=source)
    return order


@transaction.atomic
def return_order(*, order_id: int, by, reason: str, source: str, expected_version: int | None = None) -> Order:
    """Record that a shipped or delivered parcel came back (refunds are a separate decision)."""
    order = lock_order(order_id)
    _check_version(order, expected_version)
    apply_transition(order, "return", by=by, reason=reason, source=source)
    return order


TRANSITION_SERVICES = {
    "confirm": confirm_order,
    "cancel": cancel_order,
    "ship": ship_order,
    "deliver": deliver_order,
    "complete": complete_order,
    "return": return_order,
}


@transaction.atomic
def update_order_details(*, order_id: int, expected_version: int, changes: Mapping[str, str]) -> Order:
    """Correct an open order's contact or delivery details; refused when stale, shipped or closed.

    Once a waybill exists (the order is shipped) the edit is refused with what to do instead
    (refuse_unless_editable, under the order's row lock).

    New Nova Poshta Refs are checked against the directory here (InvalidDelivery names the
    field), and the city and branch names then follow the directory.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidOrderChange(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    order = lock_order(order_id)
    _check_version(order, expected_version)
    refuse_unless_editable(order)
    merged = {f: changes.get(f, getattr(order, f)) for f in EDITABLE_FIELDS if f not in _FREE_TEXT}
    if {"delivery_city_ref", "delivery_warehouse_ref"} & set(changes):
        merged.update(
            delivery_from_directory(
                city=merged["delivery_city"],
                branch=merged["delivery_branch"],
                city_ref=changes.get("delivery_city_ref", order.delivery_city_ref),
                warehouse_ref=changes.get("delivery_warehouse_ref", order.delivery_warehouse_ref),
                refs_required=False,
            )
        )
    refs = {f: (merged.pop(f, None) or changes.get(f, getattr(order, f)) or "").strip() for f in _FREE_TEXT}
    cleaned = clean_contact(**merged, error=InvalidOrderChange)
    cleaned.update(refs)
    changed = [f for f, v in cleaned.items() if getattr(order, f) != v]
    if not changed:
        return order
    for field in changed:
        setattr(order, field, cleaned[field])
    order.version += 1
    order.save(update_fields=[*changed, "version", "updated_at"])
    return order

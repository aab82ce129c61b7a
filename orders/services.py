"""Every write to orders: checkout, transitions, expiry, staff edits."""

import secrets
import uuid
from collections.abc import Mapping
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_fsm import can_proceed

from catalog.models import Product
from catalog.services import fulfil_reservation, release_reservation, reserve_stock
from core import runtime
from core.validators import normalize_ua_phone
from orders.exceptions import CheckoutTokenConflict, InvalidCheckout, OrderNotFound, OrderStateError, StaleOrder
from orders.models import TRANSITIONS, Order, OrderLine, Source
from orders.tasks import send_order_email_task

MAX_LINES = 50
MAX_QUANTITY = 99
EDITABLE_FIELDS = ("full_name", "phone", "email", "delivery_city", "delivery_branch", "comment")
TIMESTAMP_FIELD = {
    "confirm": "confirmed_at",
    "ship": "shipped_at",
    "deliver": "delivered_at",
    "complete": "completed_at",
    "cancel": "cancelled_at",
    "expire": "expired_at",
    "return": "returned_at",
}


def describe(*, source: str, reason: str = "") -> str:
    """The transition log's description: where the change came from, then why."""
    return f"[{source}] {reason}".strip()


def lock_order(order_id: int) -> Order:
    """Lock one order row for the rest of the transaction."""
    try:
        return Order.objects.select_for_update().get(pk=order_id)
    except Order.DoesNotExist:
        raise OrderNotFound() from None


def _actor(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _check_version(order: Order, expected_version: int | None) -> None:
    if expected_version is not None and order.version != expected_version:
        raise StaleOrder(order, expected_version)


def _apply_transition(order: Order, name: str, *, by, reason: str, source: str) -> None:
    """Run one FSM transition on a locked order and save it; no side effects."""
    method = getattr(order, TRANSITIONS[name])
    if not can_proceed(method):
        if name == "confirm" and order.status == Order.Status.PLACED and not order.can_be_confirmed():
            raise OrderStateError(
                order, name, f"Order {order.number} is paid online; it is confirmed when its payment is captured."
            )
        raise OrderStateError(order, name)
    method(by=_actor(by), description=describe(source=source, reason=reason))
    order.version += 1
    order.save(update_fields=["status", "version", "updated_at", TIMESTAMP_FIELD[name]])


# --- checkout -------------------------------------------------------------------------------


def _clean_contact(*, full_name: str, phone: str, email: str, delivery_city: str, delivery_branch: str) -> dict:
    errors = {}
    full_name = (full_name or "").strip()
    if not full_name:
        errors["full_name"] = "Enter the recipient's name."
    normalized_phone = normalize_ua_phone(phone)
    if not normalized_phone:
        errors["phone"] = "Enter a Ukrainian phone number as +380XXXXXXXXX."
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        errors["email"] = "Enter a valid e-mail address."
    if not (delivery_city or "").strip():
        errors["delivery_city"] = "Enter the Nova Poshta city."
    if not (delivery_branch or "").strip():
        errors["delivery_branch"] = "Enter the Nova Poshta branch or parcel locker."
    for field, value in (
        ("full_name", full_name),
        ("email", email),
        ("delivery_city", delivery_city),
        ("delivery_branch", delivery_branch),
    ):
        limit = Order._meta.get_field(field).max_length
        if field not in errors and len((value or "").strip()) > limit:
            errors[field] = f"At most {limit} characters, please."
    if errors:
        field, message = next(iter(errors.items()))
        raise InvalidCheckout(message, extra={"errors": errors})
    return {
        "full_name": full_name,
        "phone": normalized_phone,
        "email": email,
        "delivery_city": delivery_city.strip(),
        "delivery_branch": delivery_branch.strip(),
    }


def _clean_items(items: Mapping[int, int]) -> dict[int, int]:
    if not items:
        raise InvalidCheckout("The cart is empty.")
    if len(items) > MAX_LINES:
        raise InvalidCheckout(f"An order can hold at most {MAX_LINES} different products.")
    cleaned = {}
    for product_id, quantity in items.items():
        if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidCheckout(f"Quantity must be between 1 and {MAX_QUANTITY}.")
        cleaned[int(product_id)] = quantity
    return cleaned


def _next_order_number() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('orders_order_number_seq')")
        (value,) = cursor.fetchone()
    return f"{settings.ORDER_NUMBER_PREFIX}-{value}"


def new_checkout_token() -> str:
    return uuid.uuid4().hex


def _existing_order_for_token(*, checkout_token: str, customer) -> Order | None:
    order = Order.objects.filter(checkout_token=checkout_token).first()
    if order is not None and order.customer_id != (customer.pk if _actor(customer) else None):
        raise CheckoutTokenConflict()
    return order


def place_order(
    *,
    customer,
    full_name: str,
    phone: str,
    email: str,
    delivery_city: str,
    delivery_branch: str,
    payment_method: str,
    items: Mapping[int, int],
    checkout_token: str,
    source: str,
    comment: str = "",
) -> tuple[Order, bool]:
    """Place an order and reserve its stock, all or nothing; return (order, created).

    Idempotent by `checkout_token`: a double-submitted form or a retried request gets the
    order the first one made (created=False). Stock rows are locked in product-id order and
    checked inside the lock (catalog.services.reserve_stock). A COD order waits for staff to
    confirm it unless the COD_AUTO_CONFIRM runtime setting says otherwise; an online order
    expires unpaid after ORDER_PAYMENT_TIMEOUT_MINUTES.
    """
    checkout_token = (checkout_token or "").strip()
    if not checkout_token or len(checkout_token) > 64:
        raise InvalidCheckout("A checkout token of 1 to 64 characters is required.")
    existing = _existing_order_for_token(checkout_token=checkout_token, customer=customer)
    if existing is not None:
        return existing, False

    contact = _clean_contact(
        full_name=full_name, phone=phone, email=email, delivery_city=delivery_city, delivery_branch=delivery_branch
    )
    if payment_method not in Order.PaymentMethod.values:
        raise InvalidCheckout(f"Unknown payment method '{payment_method}'.")
    quantities = _clean_items(items)
    products = Product.objects.filter(pk__in=quantities, is_active=True).in_bulk()
    missing = set(quantities) - set(products)
    if missing:
        raise InvalidCheckout(
            "Some products in the cart are no longer sold; remove them and try again.",
            code="product_unavailable",
            extra={"product_ids": sorted(missing)},
        )

    lines = [
        OrderLine(
            product=products[pid],
            sku=products[pid].sku,
            name=products[pid].name,
            unit_price=products[pid].price,
            quantity=qty,
            line_total=products[pid].price * qty,
        )
        for pid, qty in sorted(quantities.items())
    ]
    subtotal = sum(line.line_total for line in lines)
    now = timezone.now()
    is_cod = payment_method == Order.PaymentMethod.COD

    with transaction.atomic():
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    number=_next_order_number(),
                    public_token=secrets.token_urlsafe(32),
                    checkout_token=checkout_token,
                    customer=_actor(customer),
                    payment_method=payment_method,
                    subtotal=subtotal,
                    delivery_fee=0,
                    total=subtotal,
                    placed_via=source,
                    comment=(comment or "").strip(),
                    expires_at=None if is_cod else now + timedelta(minutes=runtime.order_payment_timeout_minutes()),
                    created_at=now,
                    **contact,
                )
        except IntegrityError:
            # A concurrent request with the same token won the insert; answer with its order.
            existing = _existing_order_for_token(checkout_token=checkout_token, customer=customer)
            if existing is None:
                raise
            return existing, False
        for line in lines:
            line.order = order
        OrderLine.objects.bulk_create(lines)
        reserve_stock(reference=order.stock_reference, quantities=quantities)
        if is_cod and runtime.cod_auto_confirm():
            _apply_transition(
                order, "confirm", by=None, reason="Confirmed automatically (COD_AUTO_CONFIRM)", source=Source.SYSTEM
            )
        send_order_email_task.delay_on_commit(order_id=order.pk, kind="placed")
    return order, True


# --- transitions ----------------------------------------------------------------------------


@transaction.atomic
def confirm_order(*, order_id: int, by, reason: str = "", source: str, expected_version: int | None = None) -> Order:
    """Confirm a cash-on-delivery order (staff called the shopper); it goes to fulfilment."""
    order = lock_order(order_id)
    _check_version(order, expected_version)
    _apply_transition(order, "confirm", by=by, reason=reason, source=source)
    send_order_email_task.delay_on_commit(order_id=order.pk, kind="confirmed")
    return order


@transaction.atomic
def cancel_order(*, order_id: int, by, reason: str, source: str, expected_version: int | None = None) -> Order:
    """Cancel an order that has not shipped and release its stock.

    Captured money is refunded by payments, which reacts to the cancelled state.
    """
    if not (reason or "").strip():
        raise InvalidCheckout("Say why the order is cancelled.", code="reason_required")
    order = lock_order(order_id)
    _check_version(order, expected_version)
    _apply_transition(order, "cancel", by=by, reason=reason, source=source)
    release_reservation(reference=order.stock_reference)
    send_order_email_task.delay_on_commit(order_id=order.pk, kind="cancelled")
    return order


@transaction.atomic
def ship_order(*, order_id: int, by, reason: str = "", source: str, expected_version: int | None = None) -> Order:
    """Mark a confirmed order shipped; its reserved units leave the warehouse."""
    order = lock_order(order_id)
    _check_version(order, expected_version)
    _apply_transition(order, "ship", by=by, reason=reason, source=source)
    fulfil_reservation(reference=order.stock_reference)
    send_order_email_task.delay_on_commit(order_id=order.pk, kind="shipped")
    return order


@transaction.atomic
def deliver_order(*, order_id: int, by, reason: str = "", source: str, expected_version: int | None = None) -> Order:
    """Mark a shipped order delivered to the shopper."""
    order = lock_order(order_id)
    _check_version(order, expected_version)
    _apply_transition(order, "deliver", by=by, reason=reason, source=source)
    return order


@transaction.atomic
def complete_order(*, order_id: int, by, reason: str = "", source: str, expected_version: int | None = None) -> Order:
    """Close a delivered order (its return window has passed)."""
    order = lock_order(order_id)
    _check_version(order, expected_version)
    _apply_transition(order, "complete", by=by, reason=reason, source=source)
    return order


@transaction.atomic
def return_order(*, order_id: int, by, reason: str, source: str, expected_version: int | None = None) -> Order:
    """Record that a shipped or delivered parcel came back."""
    order = lock_order(order_id)
    _check_version(order, expected_version)
    _apply_transition(order, "return", by=by, reason=reason, source=source)
    return order


TRANSITION_SERVICES = {
    "confirm": confirm_order,
    "cancel": cancel_order,
    "ship": ship_order,
    "deliver": deliver_order,
    "complete": complete_order,
    "return": return_order,
}


def expire_unpaid_orders(*, now=None, batch_size: int = 100) -> int:
    """Expire online orders still unpaid after `expires_at` and release their stock.

    Works in batches, each its own transaction, taking rows with SKIP LOCKED: two runs at
    once split the work instead of doing it twice, and an order being paid right now (its
    row locked by the payment) is left for the next run. COD orders never expire.
    """
    now = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic():
            batch = list(
                Order.objects.select_for_update(skip_locked=True)
                .filter(status=Order.Status.PLACED, expires_at__lte=now)
                .exclude(payment_method=Order.PaymentMethod.COD)
                .order_by("expires_at", "id")[:batch_size]
            )
            for order in batch:
                _apply_transition(order, "expire", by=None, reason="Not paid in time", source=Source.BEAT)
                release_reservation(reference=order.stock_reference)
                send_order_email_task.delay_on_commit(order_id=order.pk, kind="expired")
        expired += len(batch)
        if len(batch) < batch_size:
            return expired


# --- staff edits ----------------------------------------------------------------------------


@transaction.atomic
def update_order_details(*, order_id: int, expected_version: int, changes: Mapping[str, str]) -> Order:
    """Correct an open order's contact or delivery details; refused when stale or closed."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidCheckout(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    order = lock_order(order_id)
    _check_version(order, expected_version)
    if not order.is_open:
        raise OrderStateError(
            order,
            "edit",
            f"Order {order.number} is {order.get_status_display().lower()}; its details can no longer be changed.",
        )
    merged = {f: changes.get(f, getattr(order, f)) for f in EDITABLE_FIELDS if f != "comment"}
    cleaned = _clean_contact(**merged)
    cleaned["comment"] = (changes.get("comment", order.comment) or "").strip()
    changed = [f for f, v in cleaned.items() if getattr(order, f) != v]
    if not changed:
        return order
    for field in changed:
        setattr(order, field, cleaned[field])
    order.version += 1
    order.save(update_fields=[*changed, "version", "updated_at"])
    return order

"""Checkout: one order from a cart, all or nothing, exactly once per checkout token."""

import secrets
import uuid
from collections.abc import Mapping
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.services import lock_stock_for_sale, reserve_locked_stock
from core import outbox, runtime
from core.exceptions import DomainError
from core.inserts import insert_unless_conflict
from core.languages import active_language
from orders.exceptions import CheckoutTokenConflict, InvalidCheckout
from orders.models import Order, OrderLine, Source
from orders.services.screening import (
    counting_rules_on,
    lock_checkout_identities,
    record_screening,
    screen_checkout,
)
from orders.services.store_credit import hold_store_credit
from orders.services.transitions import actor, confirm_locked_order
from orders.services.validation import (
    clean_contact,
    clean_items,
    delivery_from_directory,
    refuse_online_payment_unless_offered,
)

PM = Order.PaymentMethod


def new_checkout_token() -> str:
    return uuid.uuid4().hex


def _existing_order_for_token(*, checkout_token: str, customer) -> Order | None:
    order = Order.objects.filter(checkout_token=checkout_token).first()
    if order is not None and order.customer_id != (customer.pk if actor(customer) else None):
        raise CheckoutTokenConflict()
    return order


def _payment_plan(*, payment_method: str, store_credit, total: int, customer) -> str:
    """Check how the order is paid; return the payment method to record."""
    if not isinstance(store_credit, int) or isinstance(store_credit, bool) or store_credit < 0:
        raise InvalidCheckout(_("Store credit must be a whole, non-negative number of kopiyky."))
    if payment_method not in PM.values:
        raise InvalidCheckout(_("Unknown payment method '%(method)s'.") % {"method": payment_method})
    if store_credit and actor(customer) is None:
        raise InvalidCheckout(_("Log in to pay with store credit."), code="login_required")
    if store_credit > total:
        raise InvalidCheckout(_("Store credit cannot pay more than the order total."), code="store_credit_too_high")
    if store_credit == total:
        return PM.STORE_CREDIT
    if payment_method == PM.STORE_CREDIT:
        raise InvalidCheckout(
            _("Store credit does not cover the whole order; choose how to pay the rest."), code="store_credit_short"
        )
    if payment_method == PM.ONLINE:
        refuse_online_payment_unless_offered()
    return payment_method


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
    store_credit: int = 0,
    delivery_city_ref: str = "",
    delivery_warehouse_ref: str = "",
    ip: str | None = None,
    delivery_refs_required: bool = False,
) -> tuple[Order, bool]:
    """Place an order and reserve its stock, all or nothing; return (order, created).

    Idempotent by `checkout_token`: a double-submitted form or a retried request gets the
    order the first one made (created=False). Stock rows are locked in product-id order and
    checked inside the lock (catalog.services.lock_stock_for_sale, reserve_locked_stock).
    `store_credit` (kopiyky) is put on hold on the customer's wallet; the rest is paid by
    `payment_method`. An order paid in full with store credit is confirmed at once; a COD
    order waits for staff unless the COD_AUTO_CONFIRM runtime setting says otherwise; an
    online order expires unpaid after ORDER_PAYMENT_TIMEOUT_MINUTES. `delivery_*_ref` are the
    Nova Poshta Refs of the city and branch the shopper picked, checked here against the
    directory (whose names then win); with `delivery_refs_required` (the shop's own checkout,
    whose picker always gives them) names alone are refused; the API may send names alone.

    Anti-abuse (orders.services.screening), inside the transaction and before the order row:
    advisory locks on the phone, e-mail and `ip` (the caller's address, from the pages and the
    API) when a rule counts orders, then the rules refuse the checkout (a CheckoutRefused,
    nothing written) or hold the order for review: it is then never confirmed automatically,
    and the decision goes on its history.

    Queries (a new order): the stock rows locked with their products, the rules' one read,
    INSERT ... ON CONFLICT (checkout_token) for the order (its number from the sequence in
    the same statement), its lines, one statement for every stock row and reservation, the
    screening row, the outbox message; the returned order carries its lines (no re-read).
    """
    checkout_token = (checkout_token or "").strip()
    if not checkout_token or len(checkout_token) > 64:
        raise InvalidCheckout(_("A checkout token of 1 to 64 characters is required."))
    delivery = delivery_from_directory(
        city=delivery_city,
        branch=delivery_branch,
        city_ref=delivery_city_ref,
        warehouse_ref=delivery_warehouse_ref,
        refs_required=delivery_refs_required,
    )
    delivery_city_ref, delivery_warehouse_ref = delivery["delivery_city_ref"], delivery["delivery_warehouse_ref"]
    contact = clean_contact(
        full_name=full_name,
        phone=phone,
        email=email,
        delivery_city=delivery["delivery_city"],
        delivery_branch=delivery["delivery_branch"],
    )
    quantities = clean_items(items)
    now = timezone.now()

    # The lock order: the shopper's identities (advisory), the stock rows (product-id order),
    # then the new order row. A retry of a placed checkout is answered by the token's unique
    # index (the INSERT below), or, if a rule refuses it first, by the error path.
    with transaction.atomic():
        try:
            thresholds = runtime.fraud_thresholds()
            if counting_rules_on(thresholds):
                lock_checkout_identities(phone=contact["phone"], email=contact["email"], ip=ip)
            stocks = lock_stock_for_sale(quantities)
            lines, subtotal = _lines(stocks=stocks, quantities=quantities)
            method = _payment_plan(
                payment_method=payment_method, store_credit=store_credit, total=subtotal, customer=customer
            )
            hold = screen_checkout(
                phone=contact["phone"],
                email=contact["email"],
                ip=ip,
                customer_id=customer.pk if actor(customer) else None,
                payment_method=method,
                total=subtotal,
                thresholds=thresholds,
            )
        except DomainError:
            # This checkout may have been placed already (a double submit, a retried call): its
            # order is the answer, whatever the rules or the stock say now.
            existing = _existing_order_for_token(checkout_token=checkout_token, customer=customer)
            if existing is None:
                raise
            return existing, False
        order = Order(
            number=RawSQL("%s || nextval('orders_order_number_seq')", [f"{settings.ORDER_NUMBER_PREFIX}-"]),
            public_token=secrets.token_urlsafe(32),
            checkout_token=checkout_token,
            customer=actor(customer),
            payment_method=method,
            subtotal=subtotal,
            delivery_fee=0,
            total=subtotal,
            store_credit=store_credit,
            placed_via=source,
            language=active_language(),
            comment=(comment or "").strip(),
            delivery_city_ref=(delivery_city_ref or "")[:36],
            delivery_warehouse_ref=(delivery_warehouse_ref or "")[:36],
            expires_at=now + timedelta(minutes=runtime.order_payment_timeout_minutes())
            if method == PM.ONLINE
            else None,
            created_at=now,
            **contact,
        )
        # INSERT ... ON CONFLICT (checkout_token) DO NOTHING: the token's unique index decides.
        inserted = insert_unless_conflict(order, conflict=["checkout_token"], returning=["id", "number"])
        if inserted is None:
            # A request with the same token placed it first (we waited on the token's index
            # until it committed); answer with its order.
            existing = _existing_order_for_token(checkout_token=checkout_token, customer=customer)
            if existing is None:
                raise CheckoutTokenConflict()
            return existing, False
        order.number = inserted[1]
        for line in lines:
            line.order = order
        OrderLine.objects.bulk_create(lines)
        reserve_locked_stock(stocks=stocks, reference=order.stock_reference, quantities=quantities)
        if store_credit:
            order.store_credit_hold = hold_store_credit(order=order, customer=customer, amount=store_credit)
            order.save(update_fields=["store_credit_hold"])
        record_screening(order=order, ip=ip, hold=hold)
        # An order held for review is confirmed by a person (orders.services.review), never here.
        if hold is None and method == PM.STORE_CREDIT:
            confirm_locked_order(order, by=None, reason="Paid in full with store credit", source=Source.SYSTEM)
        elif hold is None and method == PM.COD and runtime.cod_auto_confirm():
            confirm_locked_order(
                order, by=None, reason="Confirmed automatically (COD_AUTO_CONFIRM)", source=Source.SYSTEM
            )
        outbox.enqueue("orders.tasks.send_order_email_task", order_id=order.pk, kind="placed")
    # The caller may answer from memory: order.lines.all() gives the lines just written, as
    # prefetch_related would (no re-read).
    written = order.lines.all()
    written._result_cache, written._prefetch_done = lines, True
    order._prefetched_objects_cache = {"lines": written}
    return order, True


def _lines(*, stocks, quantities: Mapping[int, int]) -> tuple[list[OrderLine], int]:
    """The order's lines from the products read with their locked stock rows, and the subtotal."""
    products = {pid: stock.product for pid, stock in stocks.items() if stock.product.is_active}
    missing = set(quantities) - set(products)
    if missing:
        raise InvalidCheckout(
            _("Some products in the cart are no longer sold; remove them and try again."),
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
    return lines, sum(line.line_total for line in lines)

"""Every allowed and every refused order transition, through the services."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_fsm_log.models import StateLog

from catalog.models import Stock
from orders.exceptions import OrderStateError, StaleOrder
from orders.models import Order, Source
from orders.services import TRANSITION_SERVICES, expire_unpaid_orders
from tests.factories import ProductFactory, StaffFactory, place_test_order

S = Order.Status
COD, ONLINE = Order.PaymentMethod.COD, Order.PaymentMethod.ONLINE

# How to reach each status from a fresh order, through the services.
PATHS = {
    S.PLACED: [],
    S.CONFIRMED: ["confirm"],
    S.SHIPPED: ["confirm", "ship"],
    S.DELIVERED: ["confirm", "ship", "deliver"],
    S.COMPLETED: ["confirm", "ship", "deliver", "complete"],
    S.CANCELLED: ["cancel"],
    S.RETURNED: ["confirm", "ship", "return"],
}
ALLOWED = {
    (S.PLACED, "confirm"): S.CONFIRMED,
    (S.PLACED, "cancel"): S.CANCELLED,
    (S.CONFIRMED, "ship"): S.SHIPPED,
    (S.CONFIRMED, "cancel"): S.CANCELLED,
    (S.SHIPPED, "cancel"): S.CANCELLED,
    (S.SHIPPED, "deliver"): S.DELIVERED,
    (S.SHIPPED, "return"): S.RETURNED,
    (S.DELIVERED, "complete"): S.COMPLETED,
    (S.DELIVERED, "return"): S.RETURNED,
}


def drive(order: Order, steps: list[str], by=None) -> Order:
    for step in steps:
        order = TRANSITION_SERVICES[step](order_id=order.pk, by=by, reason=f"test {step}", source=Source.ADMIN)
    return order


def expired_order() -> Order:
    order = place_test_order(payment_method=ONLINE)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert expire_unpaid_orders() == 1
    return Order.objects.get(pk=order.pk)


def order_in(status: str) -> Order:
    if status == S.EXPIRED:
        return expired_order()
    return Order.objects.get(pk=drive(place_test_order(), PATHS[status]).pk)


CASES = [(status, name) for status in S.values for name in TRANSITION_SERVICES]


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "transition"), CASES)
def test_transition_table(status, transition):
    # given an order in `status`
    order = order_in(status)
    logs_before = StateLog.objects.count()
    version_before = order.version
    target = ALLOWED.get((status, transition))
    # when staff try `transition`
    call = TRANSITION_SERVICES[transition]
    if target is None:
        # then it is refused and nothing changes
        with pytest.raises(OrderStateError) as excinfo:
            call(order_id=order.pk, by=None, reason="why not", source=Source.ADMIN)
        assert excinfo.value.status_code == 409
        assert excinfo.value.extra == {"status": status, "transition": transition}
        order.refresh_from_db()
        assert (order.status, order.version) == (status, version_before)
        assert StateLog.objects.count() == logs_before
    else:
        # then it moves to the target, bumps the version and logs it
        result = call(order_id=order.pk, by=None, reason="because", source=Source.ADMIN)
        order.refresh_from_db()
        assert result.status == order.status == target
        assert order.version == version_before + 1
        assert StateLog.objects.count() == logs_before + 1


@pytest.mark.django_db
def test_online_order_cannot_be_confirmed_by_staff():
    # an online order is confirmed by its captured payment, never by hand
    order = place_test_order(payment_method=ONLINE)
    with pytest.raises(OrderStateError):
        TRANSITION_SERVICES["confirm"](order_id=order.pk, by=None, source=Source.ADMIN)
    order.refresh_from_db()
    assert order.status == S.PLACED


@pytest.mark.django_db
@pytest.mark.parametrize("status", [s for s in S.values if s != S.PLACED])
def test_expire_is_refused_outside_placed(status):
    order = order_in(status)
    assert expire_unpaid_orders(now=timezone.now() + timedelta(days=365)) == 0
    order.refresh_from_db()
    assert order.status == status


@pytest.mark.django_db
def test_cod_order_never_expires():
    order = place_test_order(payment_method=COD)
    assert order.expires_at is None
    assert expire_unpaid_orders(now=timezone.now() + timedelta(days=365)) == 0
    order.refresh_from_db()
    assert order.status == S.PLACED


@pytest.mark.django_db
def test_history_records_who_why_and_where():
    staff = StaffFactory(role="Support")
    order = place_test_order()
    TRANSITION_SERVICES["confirm"](order_id=order.pk, by=staff, reason="Called, she confirmed", source=Source.ADMIN)
    TRANSITION_SERVICES["cancel"](order_id=order.pk, by=None, reason="Changed her mind", source=Source.API)

    from orders.selectors import order_history

    history = order_history(order=order)
    assert [(h.transition, h.from_status, h.to_status, h.by, h.source, h.reason) for h in history] == [
        ("confirm", "Оформлено", "Підтверджено", staff.email, "admin", "Called, she confirmed"),
        ("cancel", "Підтверджено", "Скасовано", "system", "api", "Changed her mind"),
    ]


@pytest.mark.django_db
def test_stale_version_is_refused_and_changes_nothing():
    order = place_test_order()
    with pytest.raises(StaleOrder) as excinfo:
        TRANSITION_SERVICES["cancel"](
            order_id=order.pk, by=None, reason="x", source=Source.API, expected_version=order.version + 1
        )
    assert excinfo.value.status_code == 412
    order.refresh_from_db()
    assert (order.status, order.version) == (S.PLACED, 1)


@pytest.mark.django_db
def test_cancel_needs_a_reason():
    order = place_test_order()
    with pytest.raises(Exception, match="Say why"):
        TRANSITION_SERVICES["cancel"](order_id=order.pk, by=None, reason="  ", source=Source.ADMIN)
    order.refresh_from_db()
    assert order.status == S.PLACED


@pytest.mark.django_db
def test_stock_follows_the_lifecycle():
    product = ProductFactory(stock=5)
    shipped = place_test_order(items={product.pk: 2})
    cancelled = place_test_order(items={product.pk: 1})
    stock = Stock.objects.get(pk=product.pk)
    assert (stock.on_hand, stock.reserved) == (5, 3)

    drive(shipped, ["confirm", "ship"])
    drive(cancelled, ["cancel"])

    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved) == (3, 0)

    # a shipped order cancelled before hand-over puts its units back on the shelf
    drive(shipped, ["cancel"])
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved) == (5, 0)


@pytest.mark.django_db
def test_status_cannot_be_assigned_directly():
    order = place_test_order()
    with pytest.raises(AttributeError):
        order.status = S.SHIPPED

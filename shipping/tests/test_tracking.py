"""Tracking moves shipments and orders by Nova Poshta's status codes; cancelling deletes waybills."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from ledger.integrity import verify_ledger
from ledger.selectors import balance_of
from orders.models import Source
from orders.services import cancel_order
from shipping.exceptions import ShipmentStateError
from shipping.services import (
    cancel_waybills_of_cancelled_orders,
    create_labels,
    label_pdf,
    plan_shipments,
    track_shipments,
)
from shipping.tests.conftest import confirmed_order

pytestmark = pytest.mark.django_db
SOON = timedelta(hours=3)


def labelled(fake_np, **kwargs):
    order = confirmed_order(**kwargs)
    plan_shipments()
    create_labels()
    order.refresh_from_db()
    return order, order.shipments.get()


_clock = itertools.count(1)


def track_after(fake_np, shipment, code, **kwargs):
    """Set the parcel's status at the fake and run tracking a few hours later than last time."""
    fake_np.set_status(shipment.tracking_number, code, **kwargs)
    track_shipments(now=timezone.now() + SOON * next(_clock))
    shipment.refresh_from_db()
    shipment.order.refresh_from_db()
    return shipment


@pytest.mark.parametrize(
    ("code", "shipment_status", "order_status"),
    [
        (1, "label_created", "shipped"),
        (12, "label_created", "shipped"),
        (4, "in_transit", "shipped"),
        (5, "in_transit", "shipped"),
        (101, "in_transit", "shipped"),
        (104, "in_transit", "shipped"),
        (111, "in_transit", "shipped"),
        (7, "arrived", "shipped"),
        (8, "arrived", "shipped"),
        (14, "arrived", "shipped"),
        (107, "arrived", "shipped"),
        (9, "delivered", "delivered"),
        (10, "delivered", "delivered"),
        (11, "delivered", "delivered"),
        (106, "delivered", "delivered"),
        (102, "returning", "shipped"),
        (103, "returning", "shipped"),
        (105, "returning", "shipped"),
        (108, "returning", "shipped"),
        (2, "needs_attention", "shipped"),
    ],
)
def test_every_status_code_group_moves_shipment_and_order(fake_np, np_carrier, code, shipment_status, order_status):
    order, shipment = labelled(fake_np)
    shipment = track_after(fake_np, shipment, code)
    assert (shipment.status, shipment.order.status, shipment.carrier_status_code) == (
        shipment_status,
        order_status,
        code,
    )


def test_in_transit_and_arrived_may_alternate(fake_np, np_carrier):
    order, shipment = labelled(fake_np)
    assert track_after(fake_np, shipment, 7).status == "arrived"
    assert track_after(fake_np, shipment, 104).status == "in_transit"  # redirected to another branch
    assert track_after(fake_np, shipment, 7).status == "arrived"


def test_cod_delivery_books_the_cash_owed_by_the_carrier(fake_np, np_carrier):
    from payments.services import recognize_revenue_of_delivered_orders  # the revenue sweep books it

    order, shipment = labelled(fake_np, price=35000)
    track_after(fake_np, shipment, 9)
    assert recognize_revenue_of_delivered_orders() == 1
    assert balance_of(code="cod:novaposhta") == 35000
    assert balance_of(code="sales") == 35000
    assert verify_ledger().ok


def test_a_refused_parcel_comes_back_and_the_order_is_returned(fake_np, np_carrier):
    order, shipment = labelled(fake_np)
    shipment = track_after(fake_np, shipment, 102, return_number="20450000999999")
    assert (shipment.status, shipment.return_tracking_number) == ("returning", "20450000999999")

    fake_np.set_status("20450000999999", 9)  # the return parcel reached the shop
    track_shipments(now=timezone.now() + SOON * next(_clock))

    shipment.refresh_from_db()
    shipment.order.refresh_from_db()
    assert (shipment.status, shipment.order.status) == ("returned", "returned")


def test_tracking_asks_at_most_100_waybills_a_call(fake_np, np_carrier):
    for _ in range(3):
        labelled(fake_np)
    before = fake_np.methods_called().count("TrackingDocument.getStatusDocuments")
    assert track_shipments(now=timezone.now() + SOON, chunk=2) == 3
    assert fake_np.methods_called().count("TrackingDocument.getStatusDocuments") - before == 2


def test_cancelling_an_order_before_hand_over_deletes_its_waybill(fake_np, np_carrier):
    order, shipment = labelled(fake_np)
    cancel_order(order_id=order.pk, by=None, reason="Changed her mind", source=Source.ADMIN)

    assert cancel_waybills_of_cancelled_orders() == 1

    shipment.refresh_from_db()
    assert shipment.status == "cancelled"
    assert int(fake_np.documents[shipment.waybill_ref]["StateId"]) == 2


def test_cancelling_after_hand_over_needs_a_person(fake_np, np_carrier):
    order, shipment = labelled(fake_np)
    track_after(fake_np, shipment, 1)  # still label_created, but let us say the carrier took it:
    fake_np.set_status(shipment.tracking_number, 4)
    shipment.__class__.objects.filter(pk=shipment.pk).update(carrier_status_code=4, handed_over_at=timezone.now())
    cancel_order(order_id=order.pk, by=None, reason="Too late", source=Source.ADMIN)

    cancel_waybills_of_cancelled_orders()

    shipment.refresh_from_db()
    assert shipment.status == "needs_attention"
    assert "already with Nova Poshta" in shipment.last_error
    assert int(fake_np.documents[shipment.waybill_ref].get("StateId", 1)) != 2


def test_cancelling_before_the_label_just_cancels_the_shipment(fake_np, np_carrier):
    order = confirmed_order()
    plan_shipments()
    cancel_order(order_id=order.pk, by=None, reason="Out of stock", source=Source.ADMIN)
    cancel_waybills_of_cancelled_orders()
    assert order.shipments.get().status == "cancelled"
    assert not fake_np.documents


def test_labels_are_fetched_by_the_server_and_never_show_the_key(fake_np, np_carrier):
    orders = [labelled(fake_np)[1] for _ in range(2)]
    pdf = label_pdf(shipment_ids=[s.pk for s in orders], layout="100x100")
    assert pdf.startswith(b"%PDF")
    assert fake_np.api_key.encode() not in pdf
    with pytest.raises(ShipmentStateError, match="термоетикетки 100x100 або A4"):
        label_pdf(shipment_ids=[orders[0].pk], layout="letter")


def test_staff_cannot_cancel_an_order_whose_parcel_left(fake_np, np_carrier, client):
    from tests.factories import StaffFactory

    order, shipment = labelled(fake_np)
    track_after(fake_np, shipment, 4)  # handed over, on its way
    client.force_login(StaffFactory(role="Manager"))

    response = client.post(
        f"/admin/orders/order/{order.pk}/transition/cancel/",
        {"confirmed": "1", "reason": "changed mind", "version": order.version + 0},
    )

    order.refresh_from_db()
    assert order.status == "shipped"
    assert response.status_code == 302
    messages = [m.message for m in response.wsgi_request._messages]
    assert any("уже в Новій Пошті" in m for m in messages)


def test_voiding_a_waybill_makes_a_new_one_with_the_orders_current_data(fake_np, np_carrier):
    from catalog.models import Stock
    from shipping.services import void_waybill

    order, first = labelled(fake_np)
    product_id = order.lines.get().product_id
    assert Stock.objects.get(pk=product_id).reserved == 0  # it left with the label

    void_waybill(shipment_id=first.pk, by=None, reason="wrong weight")

    first.refresh_from_db()
    order.refresh_from_db()
    assert (first.status, order.status, order.tracking_number) == ("cancelled", "confirmed", "")
    assert int(fake_np.documents[first.waybill_ref]["StateId"]) == 2
    assert Stock.objects.get(pk=product_id).reserved == 1
    plan_shipments()
    create_labels()
    order.refresh_from_db()
    second = order.shipments.exclude(pk=first.pk).get()
    assert (second.status, second.marker, order.status) == ("label_created", f"{order.number}-2", "shipped")
    assert order.tracking_number == second.tracking_number != first.tracking_number


def test_the_first_hand_over_is_recorded_once_and_ends_the_not_handed_over_rule(fake_np, np_carrier):
    from shipping.selectors import awaiting_hand_over

    order, shipment = labelled(fake_np)
    assert (awaiting_hand_over(shipment), order.handed_over_at) == (True, None)
    shipment = track_after(fake_np, shipment, 1)  # still only created: nothing changes
    assert shipment.handed_over_at is None
    shipment = track_after(fake_np, shipment, 12)  # Nova Poshta is packing it: it has the parcel
    first = shipment.handed_over_at
    assert (shipment.status, first is not None) == ("label_created", True)
    order.refresh_from_db()
    assert (awaiting_hand_over(shipment), order.handed_over_at is not None) == (False, True)
    shipment = track_after(fake_np, shipment, 4)
    assert (shipment.status, shipment.handed_over_at) == ("in_transit", first)

"""A confirmed order has its waybill in seconds: confirming schedules planning and the label on commit."""

import pytest

from orders.exceptions import OrderStateError
from orders.models import Order, Source
from orders.services import cancel_order, confirm_order
from shipping.models import Shipment
from tests.factories import np_branch, place_test_order

pytestmark = pytest.mark.django_db


def _order_to_a_real_branch() -> Order:
    branch = np_branch()
    return place_test_order(
        delivery_city=branch.city.name,
        delivery_branch=branch.name,
        delivery_city_ref=branch.city_id,
        delivery_warehouse_ref=branch.ref,
    )


def test_confirming_an_order_makes_its_label_once_the_confirmation_commits(django_capture_on_commit_callbacks):
    order = _order_to_a_real_branch()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        confirm_order(order_id=order.pk, by=None, source=Source.ADMIN)
        # nothing leaves mid-transaction
        assert not Shipment.objects.filter(order=order).exists()

    order.refresh_from_db()
    shipment = order.shipments.get()
    assert (order.status, shipment.status, order.tracking_number) == (
        "shipped",
        "label_created",
        shipment.tracking_number,
    )
    assert len(callbacks) >= 3  # the e-mail, planning, the label run


def test_a_refused_confirmation_schedules_nothing(django_capture_on_commit_callbacks):
    order = _order_to_a_real_branch()
    cancel_order(order_id=order.pk, by=None, reason="Changed her mind", source=Source.ADMIN)

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(OrderStateError):
        confirm_order(order_id=order.pk, by=None, source=Source.ADMIN)

    assert callbacks == []
    assert not Shipment.objects.filter(order=order).exists()

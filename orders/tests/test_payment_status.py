"""The order answers only for what it knows: an online order's payment state lives in payments."""

import pytest

from orders.models import Order
from payments.selectors import order_payment_status
from tests.factories import place_test_order

pytestmark = pytest.mark.django_db


def test_an_online_order_does_not_claim_to_be_unpaid():
    order = place_test_order(payment_method=Order.PaymentMethod.ONLINE)
    assert order.offline_payment_status is None
    assert order_payment_status(order=order) == "unpaid"  # read from its payments (none yet)


def test_a_cod_order_knows_how_it_is_paid():
    order = place_test_order(payment_method=Order.PaymentMethod.COD)
    assert (order.offline_payment_status, order_payment_status(order=order)) == ("cash on delivery",) * 2

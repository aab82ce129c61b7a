"""Online payment is on offer only when a provider is switched on: checkout itself refuses otherwise."""

import pytest

from catalog.models import Stock
from orders.exceptions import InvalidCheckout
from orders.models import Order
from tests.factories import ProductFactory, place_test_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_provider(settings):
    settings.PAYMENT_PROVIDERS = {code: {**conf, "enabled": False} for code, conf in settings.PAYMENT_PROVIDERS.items()}


def test_checkout_refuses_an_online_order_nobody_could_pay(no_provider):
    product = ProductFactory(stock=5)

    with pytest.raises(InvalidCheckout) as refused:
        place_test_order(items={product.pk: 1}, payment_method=Order.PaymentMethod.ONLINE)

    message = (
        'Онлайн-оплата тут недоступна; натомість оберіть оплату при отриманні (накладений платіж, спосіб оплати "cod").'
    )
    assert (refused.value.code, refused.value.message, refused.value.extra) == (
        "payment_method_unavailable",
        message,
        {"errors": {"payment_method": [message]}},
    )
    assert not Order.objects.exists()
    assert Stock.objects.get(product=product).reserved == 0


def test_cash_on_delivery_is_still_placed_without_a_provider(no_provider):
    order = place_test_order(payment_method=Order.PaymentMethod.COD)
    assert (order.payment_method, order.status) == ("cod", "placed")


def test_online_is_placed_while_a_provider_is_on(settings):
    settings.PAYMENT_PROVIDERS = {"sandbox": {**settings.PAYMENT_PROVIDERS["sandbox"], "enabled": True}}
    order = place_test_order(payment_method=Order.PaymentMethod.ONLINE)
    assert (order.payment_method, order.status) == ("online", "placed")

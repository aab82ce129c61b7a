"""Checkout and staff edits check Nova Poshta Refs themselves, whoever calls them."""

import pytest

from catalog.models import Stock
from directory.exceptions import InvalidDelivery
from orders.models import Order
from orders.services import update_order_details
from tests.factories import ProductFactory, np_branch, place_test_order

pytestmark = pytest.mark.django_db

MADE_UP = "00000000-0000-0000-0000-000000000000"


def test_checkout_refuses_a_made_up_branch_and_writes_nothing():
    product = ProductFactory(stock=3)
    branch = np_branch("Львів", "5")

    with pytest.raises(InvalidDelivery) as refused:
        place_test_order(items={product.pk: 1}, delivery_city_ref=branch.city_id, delivery_warehouse_ref=MADE_UP)

    assert refused.value.extra["errors"] == {
        "delivery_branch": "Виберіть відділення або поштомат Нової Пошти в місті Львів."
    }
    assert (Order.objects.count(), Stock.objects.get(product=product).reserved) == (0, 0)


def test_checkout_takes_the_names_from_the_directory_not_from_the_caller():
    branch = np_branch("Львів", "5")

    order = place_test_order(
        delivery_city="Typed city",
        delivery_branch="Typed branch",
        delivery_city_ref=branch.city_id,
        delivery_warehouse_ref=branch.ref,
    )

    assert (order.delivery_city, order.delivery_branch) == ("Львів", branch.name)
    assert (order.delivery_city_ref, order.delivery_warehouse_ref) == (branch.city_id, branch.ref)


def test_the_shops_checkout_needs_a_branch_from_the_directory():
    with pytest.raises(InvalidDelivery):
        place_test_order(delivery_refs_required=True)
    assert Order.objects.count() == 0


def test_a_staff_edit_to_a_made_up_branch_is_refused_and_changes_nothing():
    order = place_test_order()
    kyiv = np_branch("Київ", "1")

    with pytest.raises(InvalidDelivery):
        update_order_details(
            order_id=order.pk,
            expected_version=order.version,
            changes={"delivery_city_ref": kyiv.city_id, "delivery_warehouse_ref": MADE_UP},
        )

    order.refresh_from_db()
    assert (order.delivery_city_ref, order.delivery_warehouse_ref, order.version) == ("", "", 1)


def test_a_staff_edit_to_a_real_branch_takes_its_names():
    order = place_test_order()
    odesa = np_branch("Одеса", "12")

    updated = update_order_details(
        order_id=order.pk,
        expected_version=order.version,
        changes={"delivery_city_ref": odesa.city_id, "delivery_warehouse_ref": odesa.ref},
    )

    assert (updated.delivery_city, updated.delivery_branch, updated.delivery_warehouse_ref) == (
        "Одеса",
        odesa.name,
        odesa.ref,
    )

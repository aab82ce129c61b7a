"""The order knows when its parcel left: cancel and edit are refused by the services, under the lock.

record_handover is what shipping calls when tracking first shows the parcel moving; the
refusals are proven through the service, the admin (message shown, nothing changed) and the
API (status and detail), and one race of hand-over against cancellation.
"""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Stock
from orders.exceptions import InvalidOrderChange, OrderNotChangeable
from orders.models import Order, Source
from orders.selectors import order_history
from orders.services import (
    cancel_order,
    confirm_order,
    record_handover,
    ship_order,
    unship_order,
    update_order_details,
)
from tests.factories import ProductFactory, StaffFactory, UserFactory, place_test_order

AT = timezone.now().replace(microsecond=0) - timedelta(minutes=5)


def shipped_order(*, customer=None, stock: int = 5) -> Order:
    product = ProductFactory(stock=stock)
    order = place_test_order(customer=customer, items={product.pk: 1})
    confirm_order(order_id=order.pk, by=None, source=Source.ADMIN)
    ship_order(order_id=order.pk, by=None, source=Source.BEAT, tracking_number="20450000000001")
    order.refresh_from_db()
    return order


def state(order: Order) -> dict:
    order.refresh_from_db()
    stock = Stock.objects.get(product_id=order.lines.get().product_id)
    return {
        "status": order.status,
        "version": order.version,
        "handed_over_at": order.handed_over_at,
        "phone": order.phone,
        "history": len(order_history(order=order)),
        "stock": (stock.on_hand, stock.reserved),
    }


# --- the service ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_handover_is_recorded_once_with_a_history_entry():
    order = shipped_order()
    before = state(order)

    record_handover(order_id=order.pk, at=AT)
    record_handover(order_id=order.pk, at=AT + timedelta(hours=1))  # a later report changes nothing

    assert state(order) == {**before, "handed_over_at": AT, "history": before["history"] + 1}
    (entry,) = [e for e in order_history(order=order) if e.transition == "hand_over"]
    assert (entry.at, entry.from_status, entry.to_status, entry.by, entry.source, entry.reason) == (
        AT,
        "Відправлено",
        "Відправлено",
        "system",
        "beat",
        "The parcel is with the carrier",
    )


@pytest.mark.django_db
def test_a_cancelled_order_is_not_marked_handed_over():
    order = place_test_order()
    cancel_order(order_id=order.pk, by=None, reason="Changed her mind", source=Source.ADMIN)
    before = state(order)

    record_handover(order_id=order.pk, at=AT)

    assert state(order) == before


@pytest.mark.django_db
def test_staff_may_cancel_a_shipped_order_until_the_parcel_is_handed_over():
    order = shipped_order()
    cancel_order(order_id=order.pk, by=None, reason="Stopped at the warehouse", source=Source.ADMIN)
    assert state(order)["status"] == "cancelled"
    assert state(order)["stock"] == (5, 0)  # its unit is back on the shelf


@pytest.mark.django_db
def test_cancel_after_handover_is_refused_and_changes_nothing():
    order = shipped_order()
    record_handover(order_id=order.pk, at=AT)
    before = state(order)

    with pytest.raises(OrderNotChangeable) as refused:
        cancel_order(order_id=order.pk, by=None, reason="Too late", source=Source.ADMIN)

    assert (refused.value.code, refused.value.status_code, refused.value.message) == (
        "parcel_handed_over",
        409,
        f"Order {order.number}'s parcel is already with Nova Poshta: have it refused or returned instead of "
        "cancelling.",
    )
    assert state(order) == before


@pytest.mark.django_db
@pytest.mark.parametrize("source", [Source.API, Source.WEB])
def test_a_shopper_cannot_cancel_a_shipped_order(source):
    order = shipped_order()
    before = state(order)
    with pytest.raises(OrderNotChangeable) as refused:
        cancel_order(order_id=order.pk, by=None, reason="Changed my mind", source=source)
    assert refused.value.code == "order_shipped"
    assert state(order) == before


@pytest.mark.django_db
def test_cancel_without_a_reason_is_an_invalid_change():
    order = place_test_order()
    with pytest.raises(InvalidOrderChange) as refused:
        cancel_order(order_id=order.pk, by=None, reason=" ", source=Source.ADMIN)
    assert (refused.value.code, refused.value.message) == ("reason_required", "Say why the order is cancelled.")


@pytest.mark.django_db
def test_editing_is_refused_once_a_waybill_exists():
    order = shipped_order()
    before = state(order)

    with pytest.raises(OrderNotChangeable) as refused:
        update_order_details(order_id=order.pk, expected_version=order.version, changes={"phone": "0509998877"})

    assert (refused.value.code, refused.value.message) == (
        "waybill_exists",
        f"Order {order.number} already has a Nova Poshta waybill (20450000000001) made with the current details: "
        "void the waybill first (Shipping › Shipments), then change the details; the new waybill is made with them.",
    )
    assert state(order) == before


@pytest.mark.django_db
def test_after_the_waybill_is_voided_the_edit_goes_through():
    order = shipped_order()
    unship_order(order_id=order.pk, by=None, reason="Waybill voided", source=Source.ADMIN)
    order.refresh_from_db()

    update_order_details(order_id=order.pk, expected_version=order.version, changes={"phone": "0509998877"})

    assert (state(order)["status"], state(order)["phone"]) == ("confirmed", "+380509998877")


@pytest.mark.django_db
def test_editing_is_refused_once_the_parcel_is_handed_over():
    order = shipped_order()
    record_handover(order_id=order.pk, at=AT)
    before = state(order)
    with pytest.raises(OrderNotChangeable) as refused:
        update_order_details(order_id=order.pk, expected_version=order.version, changes={"comment": "ring twice"})
    assert (refused.value.code, refused.value.message) == (
        "parcel_handed_over",
        f"Order {order.number}'s parcel is already with Nova Poshta: its details can no longer be changed.",
    )
    assert state(order) == before


@pytest.mark.django_db
def test_an_edit_with_a_bad_phone_is_an_invalid_change():
    order = place_test_order()
    with pytest.raises(InvalidOrderChange) as refused:
        update_order_details(order_id=order.pk, expected_version=order.version, changes={"phone": "12345"})
    assert refused.value.extra == {"errors": {"phone": "Enter a Ukrainian phone number as +380XXXXXXXXX."}}


# --- the admin ------------------------------------------------------------------------------


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.django_db
def test_admin_cancel_button_shows_the_services_refusal(client):
    order = shipped_order()
    record_handover(order_id=order.pk, at=AT)
    before = state(order)
    client.force_login(StaffFactory(role="Manager"))

    response = client.post(
        reverse("admin:orders_order_transition", args=[order.pk, "cancel"]),
        {"confirmed": "1", "reason": "changed mind", "version": order.version},
    )

    assert response.status_code == 302
    assert _messages(response) == [
        f"Order {order.number}'s parcel is already with Nova Poshta: have it refused or returned instead of cancelling."
    ]
    assert state(order) == before


@pytest.mark.django_db
def test_admin_bulk_cancel_names_the_handed_over_order(client):
    left, waiting = shipped_order(), shipped_order()
    record_handover(order_id=left.pk, at=AT)
    client.force_login(StaffFactory(role="Manager"))

    response = client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "cancel_selected", "_selected_action": [left.pk, waiting.pk], "post": "yes", "reason": "Mix-up"},
    )

    assert response.status_code == 302
    assert _messages(response) == [
        f"Скасовано (1): {waiting.number}",
        f"Не вдалося (1): {left.number} (Order {left.number}'s parcel is already with Nova Poshta: have it refused or "
        "returned instead of cancelling)",
    ]
    assert (state(left)["status"], state(waiting)["status"]) == ("shipped", "cancelled")


@pytest.mark.django_db
def test_admin_change_page_of_a_shipped_order_says_to_void_the_waybill_first(client):
    order = shipped_order()
    before = state(order)
    client.force_login(StaffFactory(role="Support"))
    url = reverse("admin:orders_order_change", args=[order.pk])

    page = client.get(url)

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert (
        f"Order {order.number} already has a Nova Poshta waybill (20450000000001) made with the current details: "
        "void the waybill first (Shipping › Shipments), then change the details; the new waybill is made with them."
    ) in page.content.decode()
    assert client.post(url, {"phone": "0509998877", "expected_version": order.version}).status_code == 403
    assert state(order) == before


# --- the API --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_cancel_after_handover_is_409_with_the_reason():
    customer = UserFactory()
    order = shipped_order(customer=customer)
    record_handover(order_id=order.pk, at=AT)
    before = state(order)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=customer).key}")

    response = api.post(f"/api/v1/orders/{order.number}/cancel/", {"reason": "Too late?"}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Order {order.number}'s parcel is already with Nova Poshta: have it refused or returned instead "
        "of cancelling.",
        "code": "parcel_handed_over",
        "status": "shipped",
    }
    assert state(order) == before


# --- the race -------------------------------------------------------------------------------


def test_handover_racing_a_cancel_has_exactly_one_winner(run_concurrently):
    # given shipped orders whose parcel the carrier takes while staff cancel them
    for _ in range(5):
        order = shipped_order()

        # when tracking records the hand-over and staff cancel at the same instant
        def act(i, order_id=order.pk):
            if i == 0:
                return record_handover(order_id=order_id, at=AT)
            return cancel_order(order_id=order_id, by=None, reason="Stop it", source=Source.ADMIN)

        handover, cancel = run_concurrently(2, act)

        # then exactly one of them took effect, and the order says which
        order.refresh_from_db()
        assert handover.ok
        stock = Stock.objects.get(product_id=order.lines.get().product_id)
        if cancel.ok:
            assert (order.status, order.handed_over_at, stock.on_hand, stock.reserved) == ("cancelled", None, 5, 0)
        else:
            assert isinstance(cancel.error, OrderNotChangeable)
            assert (order.status, order.handed_over_at, stock.on_hand, stock.reserved) == ("shipped", AT, 4, 0)


# --- the backfill ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_backfill_marks_orders_whose_parcel_already_moved():
    import importlib

    from django.apps import apps

    from shipping.models import Shipment

    backfill = importlib.import_module("orders.migrations.0008_backfill_handed_over_at").backfill
    labelled_at = timezone.now().replace(microsecond=0) - timedelta(days=2)

    def with_shipment(status: str, code: int | None) -> Order:
        order = shipped_order()
        Shipment.objects.create(
            order=order,
            carrier="novaposhta",
            marker=order.number,
            recipient_name=order.full_name,
            recipient_phone=order.phone,
            weight_grams=500,
            declared_value=order.total,
            tracking_number=order.tracking_number[:-2] + str(order.pk)[-2:],
            waybill_ref=f"ref-{order.pk}",
            label_created_at=labelled_at,
        )
        Shipment.objects.filter(order=order).update(status=status, carrier_status_code=code)
        return order

    moving = with_shipment("in_transit", 5)
    collected_at_branch = with_shipment("label_created", 12)
    waiting = with_shipment("label_created", 1)
    unknown = with_shipment("label_created", None)

    backfill(apps, None)

    assert [state(o)["handed_over_at"] for o in (moving, collected_at_branch, waiting, unknown)] == [
        labelled_at,
        labelled_at,
        None,
        None,
    ]

"""Waybills created by Beat exactly once, against a local fake Nova Poshta."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order
from shipping.models import Shipment
from shipping.services import create_labels, plan_shipments, sender_from_settings
from shipping.services.labels import _request_for
from shipping.tests.conftest import confirmed_order

pytestmark = pytest.mark.django_db
LATER = timedelta(minutes=3)


def live_documents(fake):
    return [d for d in fake.documents.values() if int(d.get("StateId", 1)) != 2]


def test_labels_for_many_orders(fake_np, np_carrier, mailoutbox, django_capture_on_commit_callbacks):
    # given five confirmed orders
    orders = [confirmed_order() for _ in range(5)]

    # when Beat plans shipments and creates labels
    with django_capture_on_commit_callbacks(execute=True):
        assert plan_shipments() == 5
        assert create_labels() == 5

    # then each order has exactly one waybill, is shipped and the shopper has the TTN
    assert len(live_documents(fake_np)) == 5
    for order in orders:
        order.refresh_from_db()
        shipment = order.shipments.get()
        assert (shipment.status, order.status) == ("label_created", "shipped")
        assert order.tracking_number == shipment.tracking_number != ""
        document = fake_np.documents[shipment.waybill_ref]
        assert document["InfoRegClientBarcodes"] == order.number
    shipped_mails = [m for m in mailoutbox if "уже в дорозі" in m.subject]
    assert len(shipped_mails) == 5
    assert orders[0].tracking_number in next(m.body for m in shipped_mails if orders[0].number in m.subject)


def test_a_crash_between_the_answer_and_our_commit_leaves_one_waybill(fake_np, np_carrier):
    order = confirmed_order()
    plan_shipments()
    fake_np.fail_next("crash_after_save")

    # the carrier made the waybill but we never heard back: the shipment stays `creating`
    assert create_labels() == 0
    shipment = order.shipments.get()
    assert shipment.status == "creating"
    assert len(live_documents(fake_np)) == 1

    # the next run finds it by the order number instead of creating a second one
    create_labels(now=timezone.now() + LATER)
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert (shipment.status, order.status) == ("label_created", "shipped")
    assert len(live_documents(fake_np)) == 1
    assert shipment.tracking_number == next(iter(live_documents(fake_np)))["IntDocNumber"]


@pytest.mark.parametrize("failure", [429, 500, 502, "timeout", "not_json"])
def test_transient_errors_back_off_and_recover(fake_np, np_carrier, failure):
    order = confirmed_order()
    plan_shipments()
    fake_np.fail_next(failure)

    create_labels()
    shipment = order.shipments.get()
    assert shipment.status == "creating"
    assert shipment.last_error != ""

    # reconciliation finds nothing, releases it with a back-off, and a later run creates it
    create_labels(now=timezone.now() + LATER)
    shipment.refresh_from_db()
    assert shipment.status == "pending"
    assert shipment.next_attempt_at > timezone.now() + LATER - timedelta(seconds=5)
    create_labels(now=timezone.now() + timedelta(hours=2))
    shipment.refresh_from_db()
    assert shipment.status == "label_created"
    assert len(live_documents(fake_np)) == 1


def test_permanent_errors_need_attention_with_the_carriers_message(fake_np, np_carrier):
    order = confirmed_order()
    plan_shipments()
    fake_np.fail_next("error_codes", codes=("20000300434",), errors=("RecipientsPhone invalid format",))

    create_labels()

    shipment = order.shipments.get()
    order.refresh_from_db()
    assert (shipment.status, order.status) == ("needs_attention", "confirmed")
    assert "RecipientsPhone invalid format" in shipment.last_error
    assert not live_documents(fake_np)


def test_an_order_without_a_branch_needs_attention_at_once(np_carrier):
    order = confirmed_order(city="", branch="")
    plan_shipments()
    shipment = order.shipments.get()
    assert shipment.status == "needs_attention"
    assert shipment.last_error.startswith("No Nova Poshta city or branch was chosen")


def test_two_beat_runs_at_once_never_make_two_labels(run_concurrently, fake_np, np_carrier, monkeypatch):
    monkeypatch.setattr("core.outbox.enqueue", lambda task, /, **kwargs: None)  # no on-commit kick: Beat runs race
    monkeypatch.setattr("core.outbox.enqueue_each", lambda messages: None)  # (a confirmed order's kicks)
    orders = [confirmed_order() for _ in range(6)]
    plan_shipments()

    results = run_concurrently(3, lambda i: create_labels(batch_size=2))

    assert all(r.ok for r in results), [r.error for r in results]
    assert sum(r.value for r in results) == 6
    assert len(live_documents(fake_np)) == 6
    markers = sorted(d["InfoRegClientBarcodes"] for d in live_documents(fake_np))
    assert markers == sorted(o.number for o in orders)
    assert Shipment.objects.filter(status="label_created").count() == 6
    assert Order.objects.filter(status="shipped").count() == 6


def test_retry_adopts_a_waybill_the_carrier_already_has(fake_np, np_carrier):
    from shipping.services import retry_shipment

    order = confirmed_order()
    plan_shipments()
    fake_np.fail_next("crash_after_save")
    create_labels()
    shipment = order.shipments.get()
    # say a person flagged it before reconciliation ran
    Shipment.objects.filter(pk=shipment.pk).update(status="needs_attention")

    retry_shipment(shipment_id=shipment.pk, by=None)

    shipment.refresh_from_db()
    order.refresh_from_db()
    assert (shipment.status, order.status) == ("label_created", "shipped")
    assert len(live_documents(fake_np)) == 1


def test_a_late_answer_for_a_released_shipment_is_adopted_not_dropped(fake_np, np_carrier):
    from shipping.services import _adopt

    order = confirmed_order()
    plan_shipments()
    fake_np.fail_next("crash_after_save")
    create_labels()
    shipment = order.shipments.get()
    waybill = np_carrier.find_waybills(
        marker=order.number,
        date_from=timezone.localdate() - timedelta(days=1),
        date_to=timezone.localdate() + timedelta(days=1),
    )[0]
    Shipment.objects.filter(pk=shipment.pk).update(status="pending")  # reconciliation released it

    _adopt(shipment_id=shipment.pk, waybill=waybill, note="late answer")

    shipment.refresh_from_db()
    assert (shipment.status, shipment.tracking_number) == ("label_created", waybill.number)
    create_labels(now=timezone.now() + timedelta(hours=1))
    assert len(live_documents(fake_np)) == 1


def test_an_order_edited_after_planning_goes_out_with_its_new_phone_name_and_branch(fake_np, np_carrier):
    from orders.services import update_order_details
    from shipping.carriers.sandbox import KYIV_REF
    from shipping.tests.conftest import KYIV_BRANCH

    # given a confirmed order whose shipment is planned with the old contact and branch
    order = confirmed_order()
    plan_shipments()
    shipment = order.shipments.get()
    assert shipment.recipient_phone != "+380931234567"
    # when staff correct the phone, the name and the branch before the label is made
    order = update_order_details(
        order_id=order.pk,
        expected_version=order.version,
        changes={
            "phone": "093 123 45 67",
            "full_name": "Іваненко Марія",
            "delivery_city_ref": KYIV_REF,
            "delivery_warehouse_ref": KYIV_BRANCH,
        },
    )
    assert create_labels() == 1

    # then the waybill Nova Poshta received carries the order as it is now
    (document,) = live_documents(fake_np)
    assert (
        document["RecipientsPhone"],
        document["RecipientName"],
        document["CityRecipient"],
        document["RecipientAddress"],
    ) == ("380931234567", "Іваненко Марія", KYIV_REF, KYIV_BRANCH)
    shipment.refresh_from_db()
    assert (shipment.status, shipment.recipient_phone, shipment.recipient_name, shipment.warehouse_ref) == (
        "label_created",
        "+380931234567",
        "Іваненко Марія",
        KYIV_BRANCH,
    )


def test_an_order_whose_branch_was_removed_after_planning_needs_attention_not_a_waybill(fake_np, np_carrier):
    order = confirmed_order()
    plan_shipments()
    Order.objects.filter(pk=order.pk).update(delivery_warehouse_ref="")

    assert create_labels() == 0

    shipment = order.shipments.get()
    assert (shipment.status, shipment.last_error) == (
        "needs_attention",
        "No Nova Poshta city or branch was chosen: fix the delivery data, then retry.",
    )
    assert fake_np.methods_called().count("InternetDocument.save") == 0


def test_a_second_waybill_for_the_same_marker_flags_the_shipment_and_names_both(fake_np, np_carrier):
    from shipping.services import _adopt

    # given a labelled shipment, and a second waybill with its marker made by a lost call
    order = confirmed_order()
    plan_shipments()
    create_labels()
    shipment = order.shipments.get()
    second = np_carrier.create_waybill(
        _request_for(shipment, sender=sender_from_settings()),
    )

    # when that second waybill's answer turns up
    _adopt(shipment_id=shipment.pk, waybill=second, note="late answer")

    # then the shipment needs a person, who is told both numbers; the first is kept
    first_number = shipment.tracking_number
    shipment.refresh_from_db()
    assert (shipment.status, shipment.tracking_number) == ("needs_attention", first_number)
    assert shipment.last_error == (
        f"Nova Poshta has two waybills for {order.number}: {first_number} and {second.number}. "
        "Keep one, delete the other there."
    )
    assert len(live_documents(fake_np)) == 2

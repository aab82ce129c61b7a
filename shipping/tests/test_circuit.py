"""The breaker toward Nova Poshta: an outage is probed rarely instead of hammered every run."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from core.circuit import CircuitBreakerState
from shipping.models import Shipment
from shipping.services import create_labels, plan_shipments, reconcile_creating, track_shipments
from shipping.tests.conftest import confirmed_order

pytestmark = pytest.mark.django_db
OUTAGE = 1000  # more failures queued at the fake than any test sends


def saves(fake):
    return fake.methods_called().count("InternetDocument.save")


def open_breaker(**fields):
    CircuitBreakerState.objects.update_or_create(name="carrier:novaposhta", defaults=fields)


def breaker():
    return CircuitBreakerState.objects.get(name="carrier:novaposhta")


def test_an_outage_opens_the_breaker_after_five_failures_and_skips_the_next_runs(fake_np, np_carrier, caplog):
    # given eight parcels waiting for labels and Nova Poshta answering 500 to everything
    for _ in range(8):
        confirmed_order()
    plan_shipments()
    fake_np.fail_next(500, times=OUTAGE)
    start = timezone.now()

    # when Beat runs: five calls fail, the breaker opens, the other three are not sent
    assert create_labels(now=start) == 0
    assert saves(fake_np) == 5
    state = breaker()
    assert (state.state, state.consecutive_failures, state.openings) == ("open", 5, 1)
    assert state.open_until == start + timedelta(minutes=1)
    statuses = sorted(Shipment.objects.values_list("status", "attempts"))
    assert statuses == [("creating", 1)] * 5 + [("pending", 0)] * 3  # none marked failed

    # and the run 30 seconds later sends nothing and says so in one line
    caplog.clear()
    caplog.set_level(logging.INFO, logger="shipping.services.breaker")
    assert create_labels(now=start + timedelta(seconds=30)) == 0
    assert saves(fake_np) == 5
    said = [r.getMessage() for r in caplog.records if r.name == "shipping.services.breaker"]
    assert len(said) == 1
    assert said[0].startswith("labels skipped: carrier:novaposhta: open after 5 failures")
    assert sorted(Shipment.objects.values_list("status", "attempts")) == statuses

    # after the cool-down one probe goes out; it fails, so the next cool-down is twice as long
    create_labels(now=start + timedelta(seconds=61))
    assert saves(fake_np) == 6
    state = breaker()
    assert (state.state, state.openings, state.open_until) == (
        "open",
        2,
        start + timedelta(seconds=61) + timedelta(minutes=2),
    )


def test_a_successful_probe_closes_the_breaker_and_the_queue_moves_again(fake_np, np_carrier):
    for _ in range(7):
        confirmed_order()
    plan_shipments()
    fake_np.fail_next(500, times=5)
    start = timezone.now()
    create_labels(now=start)
    assert breaker().state == "open"

    # Nova Poshta is back: the probe succeeds and the rest of the batch follows
    assert create_labels(now=start + timedelta(seconds=61)) == 2
    state = breaker()
    assert (state.state, state.consecutive_failures, state.openings) == ("closed", 0, 0)
    # the five that failed are looked up first (nothing there), then sent again after a back-off
    create_labels(now=start + timedelta(minutes=5))
    assert sorted(Shipment.objects.values_list("status", flat=True)) == ["label_created"] * 2 + ["pending"] * 5
    create_labels(now=start + timedelta(minutes=10))
    assert set(Shipment.objects.values_list("status", flat=True)) == {"label_created"}
    assert saves(fake_np) == 5 + 2 + 5
    assert len([d for d in fake_np.documents.values() if int(d["StateId"]) != 2]) == 7


def test_tracking_is_skipped_while_the_breaker_is_open(fake_np, np_carrier):
    confirmed_order()
    plan_shipments()
    create_labels()
    open_breaker(
        state="open",
        consecutive_failures=5,
        openings=1,
        open_until=timezone.now() + timedelta(days=1),
    )
    before = fake_np.methods_called().count("TrackingDocument.getStatusDocuments")
    assert track_shipments(now=timezone.now() + timedelta(hours=3)) == 0
    assert fake_np.methods_called().count("TrackingDocument.getStatusDocuments") == before


def test_a_failed_lookup_is_asked_again_only_after_a_growing_back_off(fake_np, np_carrier):
    order = confirmed_order()
    plan_shipments()
    fake_np.fail_next("crash_after_save")
    create_labels()
    shipment = order.shipments.get()
    assert shipment.status == "creating"
    start = timezone.now() + timedelta(minutes=3)

    fake_np.fail_next(502)
    reconcile_creating(now=start)
    shipment.refresh_from_db()
    assert (shipment.lookups_failed, shipment.next_attempt_at) == (1, start + timedelta(minutes=1))
    lookups = fake_np.methods_called().count("InternetDocument.getDocumentList")

    reconcile_creating(now=start + timedelta(seconds=30))  # not due yet: nothing is asked
    assert fake_np.methods_called().count("InternetDocument.getDocumentList") == lookups

    fake_np.fail_next(502)
    reconcile_creating(now=start + timedelta(minutes=1))
    shipment.refresh_from_db()
    assert (shipment.lookups_failed, shipment.next_attempt_at) == (2, start + timedelta(minutes=3))

    reconcile_creating(now=start + timedelta(minutes=3))  # the carrier answers: adopted
    shipment.refresh_from_db()
    assert (shipment.status, shipment.lookups_failed) == ("label_created", 0)


def test_the_health_page_and_the_shipping_queue_show_an_open_breaker(fake_np, np_carrier, client):
    from tests.factories import StaffFactory

    open_breaker(
        state="open",
        consecutive_failures=5,
        openings=1,
        open_until=timezone.now() + timedelta(minutes=1),
        last_error="Nova Poshta answered InternetDocument.save with HTTP 500",
    )
    health = client.get("/health/?format=json").json()
    assert [v for v in health.values() if "carrier:novaposhta" in v] == [
        "Warning: carrier:novaposhta: open after 5 failures, next try at "
        f"{timezone.localtime(breaker().open_until).strftime('%H:%M:%S')} "
        "(last error: Nova Poshta answered InternetDocument.save with HTTP 500)"
    ]

    client.force_login(StaffFactory(role="Warehouse"))
    page = client.get("/admin/shipping/shipment/").content.decode()
    assert "Перевізника призупинено — carrier:novaposhta: відкритий після 5 збоїв" in page

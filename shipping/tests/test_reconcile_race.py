"""A reconcile run must never release a shipment whose label call may still be running.

Forced interleaving against the real database and the fake Nova Poshta server: run A has
claimed two parcels and is slow on the first, so the second's claim stamp is old; run B's
reconcile lists the second as stuck and asks the carrier (nothing yet); A then starts the
second's call; B locks the row; the carrier makes the waybill but A never hears back.
"""

import threading

import pytest
from django.utils import timezone

from shipping.carriers.novaposhta import NovaPoshtaCarrier
from shipping.models import Shipment
from shipping.services import create_labels, plan_shipments
from shipping.tests.conftest import confirmed_order

WAIT = 20


class GatedCarrier(NovaPoshtaCarrier):
    """The real adapter, paused at chosen points so two runs interleave in a fixed order."""

    def __init__(self, client, *, first: str, second: str, fake):
        super().__init__(client)
        self.code = "novaposhta"
        self.first, self.second, self.fake = first, second, fake
        self.a_claimed, self.b_looked, self.a_sent_second, self.b_done = (threading.Event() for _ in range(4))

    def create_waybill(self, request):
        if request.marker == self.first:
            # A is slow on its first parcel: by now the second's claim stamp is old.
            Shipment.objects.filter(marker=self.second).update(
                creating_since=timezone.now() - timezone.timedelta(minutes=10)
            )
            self.a_claimed.set()
            assert self.b_looked.wait(WAIT)
        elif request.marker == self.second:
            self.a_sent_second.set()  # restamped and about to call
            self.b_done.wait(WAIT)
            self.fake.fail_next("crash_after_save")  # the waybill is made, the answer is lost
        return super().create_waybill(request)

    def find_waybills(self, *, marker, date_from, date_to):
        found = super().find_waybills(marker=marker, date_from=date_from, date_to=date_to)
        if marker == self.second and threading.current_thread().name == "B":
            self.b_looked.set()  # nothing found yet: A has not called
            assert self.a_sent_second.wait(WAIT)
        return found


def live_documents(fake, marker):
    return [d for d in fake.documents.values() if d["InfoRegClientBarcodes"] == marker and int(d["StateId"]) != 2]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reconcile_race_never_makes_a_second_waybill(fake_np, np_carrier, monkeypatch):
    monkeypatch.setattr("core.outbox.enqueue", lambda task, /, **kwargs: None)  # no on-commit kick: the runs race
    monkeypatch.setattr("core.outbox.enqueue_each", lambda messages: None)  # (a confirmed order's kicks)
    first, second = confirmed_order(), confirmed_order()
    plan_shipments()
    carrier = GatedCarrier(fake_np.client(), first=first.number, second=second.number, fake=fake_np)
    monkeypatch.setattr("shipping.carriers.get_carrier", lambda: carrier)
    errors = []

    def run(name, before=None, after=None):
        def target():
            try:
                if before is not None:
                    assert before.wait(WAIT)
                # One call at a time, so A's second parcel waits behind its slow first one (the
                # same wait a parcel has behind a full pool of parallel calls).
                create_labels(batch_size=2, parallel=1)
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                if after is not None:
                    after.set()
                from django.db import connection

                connection.close()

        return threading.Thread(target=target, name=name)

    a = run("A")
    b = run("B", before=carrier.a_claimed, after=carrier.b_done)
    a.start()
    b.start()
    a.join(60)
    b.join(60)
    assert not errors, errors

    # then later runs reconcile the second parcel instead of creating it again
    create_labels(now=timezone.now() + timezone.timedelta(hours=2))
    create_labels(now=timezone.now() + timezone.timedelta(hours=4))
    shipment = Shipment.objects.get(order=second)
    assert len(live_documents(fake_np, second.number)) == 1
    assert (shipment.status, shipment.tracking_number) == (
        "label_created",
        live_documents(fake_np, second.number)[0]["IntDocNumber"],
    )
    assert len(live_documents(fake_np, first.number)) == 1

"""A label run: claim batches until nothing is pending or the time slice ends, a few calls at once.

Each parcel still goes claim (`creating`, committed) → restamp → carrier call with no lock
held → record in its own transaction, exactly as labels.py describes; what a run adds is
throughput. Nova Poshta answers in about 200 ms, so one call after another makes at most
~4 labels a second; a small pool of threads keeps `SHIPPING_LABEL_CALLS_IN_PARALLEL` calls in
flight, and the process-wide throttle (NovaPoshtaClient) still spaces every call out. Each
thread has its own database connection (closed when the batch is done), so one parcel's
transaction never waits for another's call.

A run stops at `time_slice` seconds (checked between batches) so the Beat schedule
(config/beat.py) starts the next one on time and a worker is never held for long.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.circuit import Breaker
from shipping import carriers
from shipping.carriers.base import Carrier, CarrierError, Sender
from shipping.models import Shipment
from shipping.services.breaker import batch_may_run, carrier_breaker, report
from shipping.services.common import S, sender_from_settings
from shipping.services.labels import _adopt, _claim, _record_failure, _request_for, _unclaim, reconcile_creating

logger = logging.getLogger(__name__)

TIME_SLICE = 18.0  # seconds; Beat starts a run every 20 s (config/beat.py)


class _Run:
    """What the threads of one run share: the carrier, its breaker, and what happened."""

    def __init__(self, *, carrier: Carrier, breaker: Breaker, sender: Sender, now):
        self.carrier, self.breaker, self.sender, self.now = carrier, breaker, sender, now
        self.lock = threading.Lock()
        self.stop = threading.Event()  # the breaker opened: send nothing more
        self.created = 0
        self.errors: list[BaseException] = []
        # A success only resets the breaker's failure count: once this run has told it the
        # carrier is up, later successes tell it nothing until a failure comes in between.
        self.reported_up = False

    def report(self, error: CarrierError | None) -> bool:
        """The breaker hears one call's outcome; True when calls must stop."""
        if error is None or not error.transient:
            with self.lock:
                if self.reported_up:
                    return False
                self.reported_up = True
        else:
            with self.lock:
                self.reported_up = False
        return report(self.breaker, error=error, now=self.now)


def _label_one(run: _Run, shipment: Shipment) -> None:
    """Restamp, call, record: one parcel, with no row locked during the call."""
    # Restamp just before the call, and only if still ours: reconciliation must never judge
    # a shipment whose call has not started.
    if not Shipment.objects.filter(pk=shipment.pk, status=S.CREATING).update(creating_since=timezone.now()):
        return
    try:
        waybill = run.carrier.create_waybill(_request_for(shipment, sender=run.sender))
    except CarrierError as exc:
        _record_failure(shipment_id=shipment.pk, order_id=shipment.order_id, error=exc)
        if run.report(exc):
            run.stop.set()
        return
    run.report(None)
    _adopt(shipment_id=shipment.pk, order_id=shipment.order_id, waybill=waybill, note="created")
    with run.lock:
        run.created += 1


def _send(run: _Run, batch: list[Shipment], *, parallel: int) -> None:
    """Label a claimed batch with up to `parallel` calls in flight; give back what was not sent."""
    todo = list(reversed(batch))  # popped from the end: the batch's own order

    def take() -> Shipment | None:
        with run.lock:
            return todo.pop() if todo and not run.stop.is_set() and not run.errors else None

    def work() -> None:
        try:
            while (shipment := take()) is not None:
                _label_one(run, shipment)
        except BaseException as exc:  # raised again in the run's own thread, below
            with run.lock:
                run.errors.append(exc)

    def threaded() -> None:
        try:
            work()
        finally:
            connection.close()  # this thread's own connection

    if parallel <= 1:
        work()
    else:
        threads = [threading.Thread(target=threaded, name=f"labels-{i}") for i in range(min(parallel, len(batch)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    _unclaim([shipment.pk for shipment in todo])  # never sent: no attempt was made
    if run.errors:
        raise run.errors[0]


def create_labels(
    *, now=None, batch_size: int | None = None, time_slice: float = TIME_SLICE, parallel: int | None = None
) -> int:
    """Create waybills for pending shipments (Beat), exactly once each; return how many.

    Skipped whole (one log line, nothing marked failed) while the carrier's breaker is open;
    when it opens during a batch, the parcels not yet sent go back to the queue untouched.
    Inside a caller's transaction (a test, a shell) the calls are made one at a time in the
    caller's thread: other connections would not see its uncommitted rows.
    """
    explicit_now = now
    now = now or timezone.now()
    carrier = carriers.get_carrier()
    breaker = carrier_breaker(carrier)
    if not batch_may_run(breaker, what="labels", now=now):
        return 0
    reconcile_creating(now=now, carrier=carrier, breaker=breaker)
    if breaker.is_open():  # the look-ups just found the carrier down
        return 0
    if parallel is None:
        parallel = settings.SHIPPING_LABEL_CALLS_IN_PARALLEL
    if connection.in_atomic_block:
        parallel = 1
    batch_size = batch_size or max(20, 4 * parallel)
    deadline = time.monotonic() + time_slice
    run = None
    while True:
        batch = _claim(now=explicit_now or timezone.now(), batch_size=batch_size)
        if not batch:
            break
        # Runtime settings, read once per run (and only when there is work).
        run = run or _Run(carrier=carrier, breaker=breaker, sender=sender_from_settings(), now=now)
        _send(run, batch, parallel=parallel)
        if run.stop.is_set() or time.monotonic() >= deadline:
            break
    return run.created if run else 0

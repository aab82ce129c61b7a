"""Label runs: batch after batch in one run, parallel carrier calls, and still exactly once.

Against the real database and the fake Nova Poshta over HTTP. The parallel tests are
transactional: the run's threads have their own connections and must see committed rows.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order
from shipping.carriers.novaposhta import NovaPoshtaCarrier
from shipping.models import Shipment
from shipping.services import create_labels, plan_shipments
from shipping.services.labels import _claim
from shipping.tests.conftest import confirmed_order

NO_KICK = "core.outbox.enqueue"  # the on-commit kick would start runs of its own


def no_kick(monkeypatch):
    monkeypatch.setattr(NO_KICK, lambda task, /, **kwargs: None)
    # A confirmed order's messages (its e-mail and the two label kicks) go in one INSERT.
    monkeypatch.setattr("core.outbox.enqueue_each", lambda messages: None)


@pytest.fixture
def patient_carrier(fake_np, np_carrier, monkeypatch):
    """np_carrier with production-like timeouts: a dozen threads share this process with the
    fake server, and a call timed out after the tests' usual 1 s would (rightly) stay
    `creating` for reconciliation instead of being labelled in the run."""
    carrier = NovaPoshtaCarrier(fake_np.client(timeout=(5, 10)))
    carrier.code = "novaposhta"
    monkeypatch.setattr("shipping.carriers.get_carrier", lambda: carrier)
    return carrier


def live_documents(fake):
    return [d for d in fake.documents.values() if int(d.get("StateId", 1)) != 2]


def saves(fake) -> int:
    return fake.methods_called().count("InternetDocument.save")


def queued(n: int) -> list[Order]:
    orders = [confirmed_order() for _ in range(n)]
    plan_shipments()
    return orders


# --- one run, many batches ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_run_claims_batch_after_batch_until_nothing_is_pending(fake_np, np_carrier, monkeypatch):
    no_kick(monkeypatch)
    queued(7)
    assert create_labels(batch_size=2) == 7
    assert Shipment.objects.filter(status="label_created").count() == 7
    assert saves(fake_np) == 7


@pytest.mark.django_db
def test_a_run_stops_when_its_time_slice_is_over(fake_np, np_carrier, monkeypatch):
    no_kick(monkeypatch)
    queued(5)
    assert create_labels(batch_size=2, time_slice=0) == 2  # the first batch, then the slice is over
    assert Shipment.objects.filter(status="pending", attempts=0).count() == 3
    assert create_labels(batch_size=2) == 3  # the next run takes the rest


# --- what it costs ------------------------------------------------------------------------------


def count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_claiming_costs_the_same_for_one_parcel_or_twelve(fake_np, np_carrier, monkeypatch):
    from django.utils import timezone

    no_kick(monkeypatch)
    costs = []
    for n in (1, 12):
        queued(n)
        costs.append(count(lambda: _claim(now=timezone.now(), batch_size=50)))
    # lock, orders, bulk UPDATE, state UPDATE, history INSERT (and the test's savepoint pair)
    assert costs[0] == costs[1] == 7


@pytest.mark.django_db
def test_each_label_costs_a_fixed_number_of_queries(fake_np, np_carrier, monkeypatch):
    no_kick(monkeypatch)
    queued(1)
    create_labels()  # a first run stores the runtime settings' defaults
    costs = {}
    for n in (2, 6):
        queued(n)
        costs[n] = count(create_labels)
    per_label = (costs[6] - costs[2]) // 4
    assert costs[6] - costs[2] == 4 * per_label
    # restamp 1; record: the order and shipment locks, history and UPDATE 4; the order's
    # shipped transition (orders.services) with its stock 8; savepoints 6, 2 of them the
    # test's atomic block. (The outbox row and its relay after commit are switched off here.)
    # 23 before: the claim row by row (2 a parcel), the order id looked up again.
    assert per_label == 19


@pytest.mark.django_db
def test_planning_a_batch_costs_seven_queries_whatever_its_size(fake_np, np_carrier):
    confirmed_order()
    plan_shipments()  # a first run stores the runtime settings' defaults
    costs = []
    for n in (1, 10):
        for _ in range(n):
            confirmed_order()
        costs.append(count(plan_shipments))
    # candidates and their lock, the shipments so far, the weights, the INSERT, and the test's
    # savepoint pair (the minimum weight, a runtime setting, comes from the cache). 9 before: the candidates
    # were read before their lock, and live and earlier shipments in two queries.
    assert costs == [6, 6]


# --- parallel calls, concurrent runs: still exactly once -----------------------------------------


def assert_exactly_once(fake, orders):
    documents = live_documents(fake)
    assert sorted(d["InfoRegClientBarcodes"] for d in documents) == sorted(o.number for o in orders)
    assert saves(fake) == len(orders)  # one carrier call per label
    assert Shipment.objects.filter(status="label_created").count() == len(orders)
    assert Order.objects.filter(status="shipped").count() == len(orders)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_run_with_parallel_calls_labels_each_parcel_once(fake_np, patient_carrier, monkeypatch):
    no_kick(monkeypatch)
    fake_np.latency = 0.05
    orders = queued(13)
    assert create_labels(batch_size=5, parallel=4) == 13
    assert_exactly_once(fake_np, orders)


def test_concurrent_runs_with_parallel_calls_never_make_two_labels(run_concurrently, fake_np, np_carrier, monkeypatch):
    no_kick(monkeypatch)
    fake_np.latency = 0.05
    orders = queued(24)

    results = run_concurrently(3, lambda i: create_labels(batch_size=4, parallel=4))

    assert all(r.ok for r in results), [r.error for r in results]
    assert sum(r.value for r in results) == 24
    assert_exactly_once(fake_np, orders)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_processes_never_make_two_labels(fake_np, np_carrier, monkeypatch):
    """Two worker processes (as Celery's prefork pool runs them), each with parallel calls."""
    import multiprocessing

    no_kick(monkeypatch)
    fake_np.latency = 0.05
    orders = queued(20)
    connection.close()  # the children must not share this process's connection
    context = multiprocessing.get_context("fork")
    children = [context.Process(target=_label_in_child, args=(fake_np.base_url,)) for _ in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
    assert [child.exitcode for child in children] == [0, 0]
    assert_exactly_once(fake_np, orders)


def _label_in_child(base_url: str) -> None:
    from shipping.carriers.novaposhta import NovaPoshtaCarrier, NovaPoshtaClient, Throttle
    from shipping.tests.fakes.novaposhta import FakeNovaPoshta

    client = NovaPoshtaClient(
        api_key=FakeNovaPoshta().api_key, base_url=base_url, timeout=(2, 5), min_interval=0, throttle=Throttle()
    )
    carrier = NovaPoshtaCarrier(client)
    carrier.code = "novaposhta"
    import shipping.carriers

    shipping.carriers.get_carrier = lambda: carrier
    try:
        create_labels(batch_size=3, parallel=3)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parcels_not_sent_when_the_breaker_opens_go_back_untouched(fake_np, np_carrier, monkeypatch):
    no_kick(monkeypatch)
    queued(12)
    fake_np.fail_next(503, times=100)  # the carrier is down: the breaker opens after 5 failures
    create_labels(batch_size=12, parallel=3)
    failed = Shipment.objects.filter(status="creating")  # outcome unknown: looked up before any retry
    untouched = Shipment.objects.filter(status="pending", attempts=0, creating_since__isnull=True)
    assert failed.count() == saves(fake_np)
    assert 5 <= failed.count() <= 5 + 2  # the calls already in flight when it opened still end
    assert failed.count() + untouched.count() == 12

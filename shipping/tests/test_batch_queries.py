"""What each Beat batch costs in queries: flat for planning, a fixed cost per parcel elsewhere.

Planning is one transaction for the whole batch, so its count must not move with the batch
size. Labels, tracking and cancelling record each parcel in its own transaction (a carrier
call sits between claim and record), so there the proof is that every extra parcel costs the
same fixed number of queries: no N+1 hides in a per-row loop.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Source
from orders.services import cancel_order
from shipping.services import (
    cancel_waybills_of_cancelled_orders,
    create_labels,
    plan_shipments,
    track_shipments,
)
from shipping.tests.conftest import confirmed_order

pytestmark = pytest.mark.django_db


def queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def cost_of_batches(make_batch, run, sizes=(1, 2, 4)) -> list[int]:
    make_batch(1)  # a first run stores the runtime settings' defaults: not part of the cost
    run()
    counts = []
    for size in sizes:
        make_batch(size)
        counts.append(queries(run))
    return counts


def test_planning_costs_the_same_queries_for_one_order_or_twenty(fake_np, np_carrier):
    counts = cost_of_batches(lambda n: [confirmed_order() for _ in range(n)], plan_shipments, sizes=(1, 5, 20))
    assert counts[0] == counts[1] == counts[2]


def _per_parcel(counts: list[int], sizes=(1, 2, 4)) -> tuple[int, int]:
    """(cost of one more parcel between sizes 1 and 2, between 2 and 4 per parcel)."""
    return counts[1] - counts[0], (counts[2] - counts[1]) // (sizes[2] - sizes[1])


def test_labels_cost_a_fixed_number_of_queries_per_parcel(fake_np, np_carrier):
    def make(n):
        for _ in range(n):
            confirmed_order()
        plan_shipments()

    counts = cost_of_batches(make, create_labels)
    first, then = _per_parcel(counts)
    assert first == then


def test_tracking_costs_a_fixed_number_of_queries_per_parcel(fake_np, np_carrier):
    clock = [timezone.now()]

    def make(n):
        for _ in range(n):
            confirmed_order()
        plan_shipments()
        create_labels()
        clock[0] += timedelta(days=1)  # every labelled parcel is due a look

    def run():
        track_shipments(now=clock[0])

    counts = cost_of_batches(make, run)
    first, then = _per_parcel(counts)
    assert first == then


def test_cancel_sweep_costs_a_fixed_number_of_queries_per_parcel(fake_np, np_carrier):
    def make(n):
        orders = [confirmed_order() for _ in range(n)]
        plan_shipments()
        create_labels()
        for order in orders:
            cancel_order(order_id=order.pk, by=None, reason="Changed her mind", source=Source.ADMIN)

    counts = cost_of_batches(make, cancel_waybills_of_cancelled_orders)
    first, then = _per_parcel(counts)
    assert first == then

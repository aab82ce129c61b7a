from datetime import timedelta

import pytest
from django.utils import timezone

from core.circuit import Breaker, CircuitBreakerState

pytestmark = pytest.mark.django_db
T0 = timezone.now()


def at(seconds: float):
    return T0 + timedelta(seconds=seconds)


def test_closed_open_half_open_with_a_cool_down_that_doubles_up_to_a_ceiling():
    breaker = Breaker(
        "psp:fondy", failure_threshold=3, cool_down=timedelta(seconds=10), max_cool_down=timedelta(seconds=30)
    )
    assert breaker.allow(now=at(0)).allowed
    assert [breaker.record_failure(error="timeout", now=at(i)) for i in range(3)] == [False, False, True]
    assert not breaker.allow(now=at(11)).allowed  # open until 2 + 10 s
    waits = []
    for start in (12, 40, 100, 200):
        permit = breaker.allow(now=at(start))
        assert (permit.allowed, permit.probe) == (True, True)
        assert not breaker.allow(now=at(start)).allowed  # one probe at a time
        assert breaker.record_failure(error="still down", now=at(start))
        waits.append((breaker.state().open_until - at(start)).total_seconds())
    assert waits == [20, 30, 30, 30]

    breaker.allow(now=at(300))
    breaker.record_success(now=at(300))
    state = CircuitBreakerState.objects.get(name="psp:fondy")
    assert (state.state, state.consecutive_failures, state.openings, state.open_until) == ("closed", 0, 0, None)
    assert breaker.allow(now=at(301)).allowed


def test_a_success_between_failures_starts_the_count_again():
    breaker = Breaker("carrier:novaposhta", failure_threshold=2)
    breaker.record_failure(error="x", now=at(0))
    breaker.record_success(now=at(1))
    assert breaker.record_failure(error="x", now=at(2)) is False
    assert breaker.state().state == "closed"


def test_a_probe_that_never_reports_frees_the_slot_after_its_timeout():
    breaker = Breaker("carrier:novaposhta", failure_threshold=1, cool_down=timedelta(seconds=10))
    breaker.record_failure(error="x", now=at(0))
    assert breaker.allow(now=at(10)).probe
    assert not breaker.allow(now=at(60)).allowed
    assert breaker.allow(now=at(10 + 121)).probe


def test_a_healthy_breaker_is_written_at_most_once_a_minute(django_assert_num_queries):
    # given a closed breaker that just saw a success
    breaker = Breaker("carrier:test-stamp", failure_threshold=5, cool_down=timedelta(minutes=1))
    breaker.record_success(now=at(0))
    stamped = CircuitBreakerState.objects.get(name="carrier:test-stamp").last_success_at

    # when more calls succeed within the minute, each only reads the row
    with django_assert_num_queries(1):
        breaker.record_success(now=at(30))
    assert CircuitBreakerState.objects.get(name="carrier:test-stamp").last_success_at == stamped

    # then a minute on, the stamp moves
    breaker.record_success(now=at(61))
    assert CircuitBreakerState.objects.get(name="carrier:test-stamp").last_success_at == at(61)

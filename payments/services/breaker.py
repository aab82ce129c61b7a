"""The circuit breaker toward each payment provider: "psp:<code>", shared by every worker (core.circuit).

Every outbound provider call asks it first: starting a payment or a top-up, the reconcile
sweep's status polls and refund sends. A transient ProviderError (timeout, unreachable, 5xx,
429, an answer that is not JSON) counts as a failure; any answer, even a refusal, proves the
provider is up and closes it. While it is open nothing goes out: a new payment is refused at
once (503), the sweep skips that provider's payments, a refund stays `requested` for the
stuck-refund sweep to send later.
"""

import logging
from datetime import timedelta

from core.circuit import Breaker, CircuitBreakerState, describe_for_operators
from payments.providers.base import ProviderError

logger = logging.getLogger(__name__)

FAILURES_TO_OPEN = 5
COOL_DOWN = timedelta(minutes=1)
MAX_COOL_DOWN = timedelta(minutes=30)
PREFIX = "psp:"


def provider_breaker(code: str) -> Breaker:
    return Breaker(
        f"{PREFIX}{code}", failure_threshold=FAILURES_TO_OPEN, cool_down=COOL_DOWN, max_cool_down=MAX_COOL_DOWN
    )


def may_call(breaker: Breaker, *, what: str, now=None) -> bool:
    """Ask before a call (or a batch of them); say in the log why it is held back."""
    if breaker.allow(now=now).allowed:
        return True
    logger.info("%s skipped: %s", what, describe_for_operators(breaker.state()))
    return False


def report(breaker: Breaker, *, error: ProviderError | None, now=None) -> bool:
    """Record one call's outcome; return True when calls must stop (the breaker is open)."""
    if error is None or not error.transient:
        breaker.record_success(now=now)
        return False
    return breaker.record_failure(error=str(error), now=now)


def _refuses(state: CircuitBreakerState, *, now) -> bool:
    """Would Breaker.allow() refuse now? (Open and cooling down, or a probe out that is not stale.)"""
    if state.state == CircuitBreakerState.State.OPEN:
        return state.open_until is None or state.open_until > now
    if state.state == CircuitBreakerState.State.HALF_OPEN:
        timeout = Breaker(state.name).probe_timeout
        return state.probe_started_at is not None and state.probe_started_at > now - timeout
    return False


class SweepGate:
    """One Beat sweep's view of the providers' breakers: one query up front, then only changes.

    `held` lists the providers every call to which is refused now, so the sweep can leave their
    rows out of its query (one provider's outage never crowds the others out of the batch). A
    provider whose cool-down is over gets its half-open probe from the first call the sweep
    really makes; a provider that opens during the sweep is asked nothing more in it. Successes
    are written only where there is something to reset, so a healthy sweep costs no more.
    """

    def __init__(self, *, what: str, now):
        self.what, self.now = what, now
        stored = CircuitBreakerState.objects.filter(name__startswith=PREFIX).exclude(
            state=CircuitBreakerState.State.CLOSED, consecutive_failures=0
        )
        self._states = {state.name[len(PREFIX) :]: state for state in stored}
        self.held = {code for code, state in self._states.items() if _refuses(state, now=now)}
        self._dirty = set(self._states)  # a success must reset these
        self._permitted: set[str] = set()
        for code in sorted(self.held):
            logger.info("%s skips %s: %s", what, code, describe_for_operators(self._states[code]))

    def may_call(self, code: str) -> bool:
        if code in self.held:
            return False
        if code in self._permitted:
            return True
        state = self._states.get(code)
        if state is None or state.state == CircuitBreakerState.State.CLOSED:
            self._permitted.add(code)
            return True
        if may_call(provider_breaker(code), what=f"{self.what} with {code}", now=self.now):
            self._permitted.add(code)
            return True
        self.held.add(code)
        return False

    def report(self, code: str, *, error: ProviderError | None) -> None:
        if error is None or not error.transient:
            if code in self._dirty:
                provider_breaker(code).record_success(now=self.now)
                self._dirty.discard(code)
            return
        self._dirty.add(code)
        if provider_breaker(code).record_failure(error=str(error), now=self.now):
            self.held.add(code)
            logger.info("%s stops asking %s: its circuit breaker opened", self.what, code)


def provider_states(codes) -> list[CircuitBreakerState]:
    """The breaker state of each provider in `codes` (an unsaved closed one if it never failed)."""
    stored = {s.name: s for s in CircuitBreakerState.objects.filter(name__in=[f"{PREFIX}{c}" for c in codes])}
    return [stored.get(f"{PREFIX}{c}") or CircuitBreakerState(name=f"{PREFIX}{c}") for c in codes]

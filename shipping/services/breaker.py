"""The circuit breaker toward the carrier: one per carrier, shared by every worker (core.circuit).

Labels, tracking and look-ups ask it before a batch; an open breaker skips the batch with one
log line and marks nothing failed. A carrier that answers, even with a refusal, is up.
"""

import logging
from datetime import timedelta

from core.circuit import Breaker, describe_for_operators
from shipping.carriers.base import Carrier, CarrierError

logger = logging.getLogger(__name__)

FAILURES_TO_OPEN = 5
COOL_DOWN = timedelta(minutes=1)
MAX_COOL_DOWN = timedelta(minutes=30)


def carrier_breaker(carrier: Carrier | str) -> Breaker:
    code = carrier if isinstance(carrier, str) else carrier.code
    return Breaker(
        f"carrier:{code}", failure_threshold=FAILURES_TO_OPEN, cool_down=COOL_DOWN, max_cool_down=MAX_COOL_DOWN
    )


def batch_may_run(breaker: Breaker, *, what: str, now) -> bool:
    """Ask before a batch; say once in the log why it is skipped."""
    if breaker.allow(now=now).allowed:
        return True
    logger.info("%s skipped: %s", what, describe_for_operators(breaker.state()))
    return False


def report(breaker: Breaker, *, error: CarrierError | None, now) -> bool:
    """Record one call's outcome; return True when calls must stop (the breaker is open)."""
    if error is None or not error.transient:
        breaker.record_success(now=now)
        return False
    return breaker.record_failure(error=str(error), now=now)

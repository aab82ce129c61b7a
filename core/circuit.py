"""A small circuit breaker per named outside dependency ("carrier:novaposhta", "psp:fondy").

closed: calls go out; N consecutive transient failures open it.
open: no calls until `open_until`; the cool-down doubles with every opening in a row
      (base, 2x, 4x, ... up to a ceiling), so a long outage is probed rarely.
half-open: after the cool-down one caller is let through as the probe; its success closes
      the breaker, its failure opens it again for the next, longer, cool-down.

State lives in the database (one row per dependency), so every worker shares it and it
survives restarts; a row is changed only under its own row lock. Callers ask `allow()`
before a batch and report each call's outcome with `record_success()` / `record_failure()`.
A refusal that proves the dependency answered (a validation error) is a success here.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)
# How often a healthy dependency's last success is written down (see record_success).
SUCCESS_STAMP_EVERY = timedelta(minutes=1)


class CircuitBreakerState(models.Model):
    class State(models.TextChoices):
        CLOSED = "closed", _("Closed (calls go out)")
        OPEN = "open", _("Open (calls are held back)")
        HALF_OPEN = "half_open", _("Half-open (one probe call)")

    name = models.CharField(max_length=60, primary_key=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.CLOSED)
    consecutive_failures = models.PositiveIntegerField(default=0)
    openings = models.PositiveIntegerField(default=0, help_text="Openings in a row, for the growing cool-down.")
    open_until = models.DateTimeField(null=True, blank=True)
    probe_started_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "core"
        db_table = "core_circuit_breaker"

    def __str__(self):
        return f"{self.name}: {self.state}"


S = CircuitBreakerState.State


@dataclass(frozen=True)
class Permit:
    """What `allow()` answers: may calls go out, and is this the single half-open probe?"""

    allowed: bool
    probe: bool = False


@dataclass
class Breaker:
    name: str
    failure_threshold: int = 5
    cool_down: timedelta = timedelta(seconds=60)
    max_cool_down: timedelta = timedelta(minutes=30)
    probe_timeout: timedelta = timedelta(minutes=2)  # a probe that never reported frees the slot

    def _row(self) -> CircuitBreakerState:
        row, _ = CircuitBreakerState.objects.select_for_update().get_or_create(name=self.name)
        return row

    def allow(self, *, now=None) -> Permit:
        """May calls go out now? At most one caller at a time gets the half-open probe."""
        now = now or timezone.now()
        current = CircuitBreakerState.objects.filter(name=self.name).first()
        if current is None or current.state == S.CLOSED:
            return Permit(True)
        with transaction.atomic():
            row = self._row()
            if row.state == S.CLOSED:
                return Permit(True)
            probe_free = row.state == S.OPEN and row.open_until is not None and row.open_until <= now
            stale_probe = row.state == S.HALF_OPEN and (
                row.probe_started_at is None or row.probe_started_at <= now - self.probe_timeout
            )
            if not (probe_free or stale_probe):
                return Permit(False)
            row.state, row.probe_started_at = S.HALF_OPEN, now
            row.save(update_fields=["state", "probe_started_at", "updated_at"])
            return Permit(True, probe=True)

    def record_success(self, *, now=None) -> None:
        now = now or timezone.now()
        current = CircuitBreakerState.objects.filter(name=self.name).first()
        if current is not None and current.state == S.CLOSED and current.consecutive_failures == 0:
            # The healthy path: every label and payment call ends here, so the one row per
            # dependency is stamped at most once a minute instead of written by every call.
            if current.last_success_at is None or now - current.last_success_at >= SUCCESS_STAMP_EVERY:
                CircuitBreakerState.objects.filter(name=self.name).update(last_success_at=now)
            return
        with transaction.atomic():
            row = self._row()
            if row.state != S.CLOSED:
                logger.info("circuit %s closed again", self.name)
            row.state, row.consecutive_failures, row.openings = S.CLOSED, 0, 0
            row.open_until = row.probe_started_at = None
            row.last_success_at = now
            row.save(
                update_fields=[
                    "state",
                    "consecutive_failures",
                    "openings",
                    "open_until",
                    "probe_started_at",
                    "last_success_at",
                    "updated_at",
                ]
            )

    def record_failure(self, *, error: str, now=None) -> bool:
        """Count one transient failure; return True when the breaker is (now) open."""
        now = now or timezone.now()
        with transaction.atomic():
            row = self._row()
            row.consecutive_failures += 1
            row.last_error, row.last_failure_at = str(error)[:2000], now
            tripped = row.state == S.HALF_OPEN or row.consecutive_failures >= self.failure_threshold
            if tripped and row.state != S.OPEN:
                row.openings += 1
                wait = min(self.cool_down * 2 ** (row.openings - 1), self.max_cool_down)
                row.state, row.open_until, row.probe_started_at = S.OPEN, now + wait, None
                logger.warning(
                    "circuit %s opened after %d failures: no calls for %d s (%s)",
                    self.name,
                    row.consecutive_failures,
                    wait.total_seconds(),
                    row.last_error,
                )
            row.save(
                update_fields=[
                    "state",
                    "consecutive_failures",
                    "openings",
                    "open_until",
                    "probe_started_at",
                    "last_error",
                    "last_failure_at",
                    "updated_at",
                ]
            )
            return row.state == S.OPEN

    def is_open(self) -> bool:
        """True while calls are held back (a caller that already holds a permit checks this)."""
        return self.state().state == S.OPEN

    def state(self) -> CircuitBreakerState:
        """The stored state (an unsaved closed one when the dependency never failed)."""
        return CircuitBreakerState.objects.filter(name=self.name).first() or CircuitBreakerState(name=self.name)


def describe(state: CircuitBreakerState) -> str:
    """One line for people, in the active language: the admin's banners."""
    if state.state == S.OPEN:
        return _("%(name)s: open after %(failures)d failures, next try at %(at)s (last error: %(error)s)") % {
            "name": state.name,
            "failures": state.consecutive_failures,
            "at": timezone.localtime(state.open_until).strftime("%H:%M:%S") if state.open_until else "?",
            "error": state.last_error or "-",
        }
    if state.state == S.HALF_OPEN:
        return _("%(name)s: half-open, one probe call is out") % {"name": state.name}
    return _("%(name)s: closed") % {"name": state.name}


def describe_for_operators(state: CircuitBreakerState) -> str:
    """The same line untranslated, for logs and /health/: what operators grep and alert on
    must not change with the language a worker or a request happens to run in."""
    with translation.override(None):
        return describe(state)


def all_states() -> list[CircuitBreakerState]:
    return list(CircuitBreakerState.objects.order_by("name"))

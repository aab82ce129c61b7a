"""The posting engine: one balanced journal entry, exactly once per idempotency key.

Posting path (post_entry): validate and hash in Python, then ONE call of the SQL function
ledger_post_entry (ledger/sql.py), which claims the idempotency key, locks the accounts in
the global order (cold by id, then hot by id), moves balances and writes the postings.
Which row of a hot account a leg lands on is decided in ledger/services/shards.py.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils.translation import gettext as _

from core.money import DEFAULT_CURRENCY
from ledger import keys
from ledger.exceptions import AlreadyReversed, IdempotencyConflict, InsufficientFunds, InvalidEntry, UnbalancedEntry
from ledger.models import JournalEntry
from ledger.services.shards import forget_shards, lane, pick_account

MAX_ATTEMPTS = 4
RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure


@dataclass(frozen=True)
class Leg:
    """One side of a posting on a logical account: debit positive, credit negative."""

    code: str
    amount: int
    currency: str = DEFAULT_CURRENCY


@dataclass(frozen=True)
class Posted:
    entry_id: int
    created: bool


def _request_hash(*, kind, legs, memo, reference_type, reference_id, reverses_id) -> str:
    payload = {
        "kind": kind,
        "legs": sorted([leg.code, leg.currency, leg.amount] for leg in legs),
        "memo": memo,
        "reference": [reference_type, str(reference_id)],
        "reverses": reverses_id,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _validate(legs: Sequence[Leg]) -> None:
    if len(legs) < 2:
        raise InvalidEntry(_("An entry needs at least two legs."))
    seen = set()
    totals: dict[str, int] = defaultdict(int)
    for leg in legs:
        if not isinstance(leg.amount, int) or isinstance(leg.amount, bool) or leg.amount == 0:
            raise InvalidEntry(
                _("Leg on %(account)s: the amount must be a non-zero whole number of kopiyky.") % {"account": leg.code}
            )
        if (leg.code, leg.currency) in seen:
            raise InvalidEntry(
                _("Account %(account)s appears twice in one entry; merge its legs.") % {"account": leg.code}
            )
        seen.add((leg.code, leg.currency))
        totals[leg.currency] += leg.amount
    unbalanced = {c: t for c, t in totals.items() if t != 0}
    if unbalanced:
        detail = ", ".join(f"{c} {t:+d}" for c, t in sorted(unbalanced.items()))
        raise UnbalancedEntry(
            _("The entry does not balance: debits exceed credits in %(detail)s.") % {"detail": detail}
        )


def _sqlstate(exc: Exception) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)


def _constraint(exc: Exception) -> str:
    diag = getattr(exc.__cause__, "diag", None)
    return (getattr(diag, "constraint_name", None) or "") if diag else ""


POST_ENTRY_SQL = (
    "SELECT entry_id, created, stored_hash FROM ledger_post_entry"
    "(%s, %s, %s, %s, %s, %s, %s::bigint, %s::bigint, %s::bigint[], %s::bigint[], %s::bigint, %s::bigint)"
)


def _run_prepared(sql: str, params: list) -> tuple:
    """Run one statement as a server-side prepared statement on Django's own connection.

    Django's psycopg cursors bind parameters on the client; the posting path is hot enough
    that parsing and planning its one statement every time shows (bench/ledger.py), so it
    uses a plain psycopg cursor with prepare=True. Same connection, so the same transaction;
    errors are translated to django.db exceptions as usual.
    """
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchone()


def _call_post_function(
    *,
    key,
    request_hash,
    kind,
    memo,
    reference_type,
    reference_id,
    created_by_id,
    reverses_id,
    account_ids,
    amounts,
    release,
) -> Posted:
    release_account, release_amount = release or (None, None)
    entry_id, created, stored_hash = _run_prepared(
        POST_ENTRY_SQL,
        [
            key,
            request_hash,
            kind,
            memo,
            reference_type,
            str(reference_id),
            created_by_id,
            reverses_id,
            list(account_ids),
            list(amounts),
            release_account,
            release_amount,
        ],
    )
    if not created and stored_hash != request_hash:
        raise IdempotencyConflict(
            _(
                "Ledger key '%(key)s' was already used for a different posting (entry #%(entry)s); "
                "a retry must repeat the original request exactly."
            )
            % {"key": key, "entry": entry_id}
        )
    return Posted(entry_id=entry_id, created=created)


def _post(*, key: str, request_hash: str, resolve, savepoint: bool = True, **fields) -> Posted:
    """Run the posting function as its own transaction (or a savepoint), retrying what is retryable.

    `resolve()` returns (account_ids, amounts); it runs again on retry so shards are re-picked.
    Deadlocks and serialization failures are retried with the same key when this call owns
    the transaction; inside a caller's transaction they propagate for the caller to retry.
    """
    owns_transaction = not connection.in_atomic_block
    for attempt in range(1, MAX_ATTEMPTS + 1):
        account_ids, amounts = resolve()
        call = {"key": key, "request_hash": request_hash, "account_ids": account_ids, "amounts": amounts, **fields}
        try:
            if owns_transaction:
                # Autocommit: the one statement is its own transaction, one round trip, and the
                # deferred balance check runs at its implicit commit.
                return _call_post_function(**call)
            if not savepoint:  # the caller's transaction fails with any error: no savepoint needed
                return _call_post_function(**call)
            with transaction.atomic():  # a savepoint: a refusal leaves the caller's transaction usable
                return _call_post_function(**call)
        except OperationalError as exc:
            if not owns_transaction or _sqlstate(exc) not in RETRYABLE_SQLSTATES or attempt == MAX_ATTEMPTS:
                raise
        except IntegrityError as exc:
            constraint = _constraint(exc)
            if constraint == "account_limited_never_negative":
                raise InsufficientFunds(
                    _("Not enough funds: the account would go below zero (or below what is on hold).")
                ) from None
            if constraint == "entry_reversed_at_most_once":
                raise AlreadyReversed() from None
            if _sqlstate(exc) == "23503" and attempt == 1 and (owns_transaction or savepoint):
                forget_shards()  # an account id we remembered is gone; look again
                continue
            if _sqlstate(exc) == "23514" and "does not balance" in str(exc):
                raise UnbalancedEntry(str(exc.__cause__).splitlines()[0]) from None
            raise
    raise AssertionError("unreachable")


def post_entry(
    *,
    idempotency_key: str,
    kind: str,
    legs: Sequence[Leg],
    memo: str = "",
    reference_type: str = "",
    reference_id: str | int = "",
    created_by=None,
    release_hold: tuple[int, int] | None = None,
    savepoint: bool = True,
) -> Posted:
    """Post one balanced journal entry, exactly once per idempotency key.

    Same key and same request: returns the original entry (created=False). Same key with a
    different request: IdempotencyConflict. A limited account that would go negative:
    InsufficientFunds, nothing written. Safe inside a caller's transaction (a savepoint);
    `savepoint=False` spares the savepoint's two round trips when the caller lets any error
    fail its whole transaction (a capture: no limited account, nothing to refuse).
    """
    if not idempotency_key or len(idempotency_key) > 200:
        raise InvalidEntry(_("A ledger idempotency key of 1 to 200 characters is required."))
    _validate(legs)
    request_hash = _request_hash(
        kind=kind, legs=legs, memo=memo, reference_type=reference_type, reference_id=reference_id, reverses_id=None
    )

    def resolve():
        shard_lane = lane()
        return [pick_account(leg.code, leg.currency, shard_lane) for leg in legs], [leg.amount for leg in legs]

    return _post(
        key=idempotency_key,
        request_hash=request_hash,
        resolve=resolve,
        kind=kind,
        memo=memo,
        reference_type=reference_type,
        reference_id=reference_id,
        created_by_id=getattr(created_by, "pk", None),
        reverses_id=None,
        release=release_hold,
        savepoint=savepoint,
    )


def reverse_entry(*, entry_id: int, reason: str, by=None) -> Posted:
    """Post the exact opposite of an entry, on the same account rows; at most once per entry."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidEntry(_("Say why the entry is reversed."))
    try:
        original = JournalEntry.objects.get(pk=entry_id)
    except JournalEntry.DoesNotExist:
        raise InvalidEntry(_("Journal entry #%(id)s does not exist.") % {"id": entry_id}) from None
    if original.reverses_id is not None:
        raise InvalidEntry(_("A reversal cannot itself be reversed; post a new entry instead."))
    postings = list(original.postings.select_related("account").order_by("id"))
    legs = [Leg(p.account.code + f"#{p.account.shard}", -p.amount, p.currency) for p in postings]
    request_hash = _request_hash(
        kind="reversal", legs=legs, memo="", reference_type="entry", reference_id=entry_id, reverses_id=entry_id
    )
    return _post(
        key=keys.reversal(entry_id=entry_id),
        request_hash=request_hash,
        resolve=lambda: ([p.account_id for p in postings], [-p.amount for p in postings]),
        kind="reversal",
        memo=f"Reversal of #{entry_id}: {reason}"[:500],
        reference_type="entry",
        reference_id=entry_id,
        created_by_id=getattr(by, "pk", None),
        reverses_id=entry_id,
        release=None,
    )

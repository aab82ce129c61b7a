"""Every write to the books. Other apps post only through these functions.

Posting path (post_entry): validate and hash in Python, then ONE call of the SQL function
ledger_post_entry (ledger/sql.py), which claims the idempotency key, locks the accounts in
the global order (cold by id, then hot by id), moves balances and writes the postings.

Hot accounts: every payment touches `psp:<provider>` and `customer_prepayments`. Each is
split into HOT_SHARDS rows and a posting picks one shard at random, so concurrent payments
rarely queue on the same row; balances and reports sum the shards. reference/ledger.md
measured this shape (one-shot function + shards) as the fastest from Django; see
bench/ledger.py for what it does here.
"""

import hashlib
import json
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from core.money import DEFAULT_CURRENCY, format_money
from ledger.chart import WALLET_PREFIX, normal_sign, wallet_code
from ledger.exceptions import (
    AlreadyReversed,
    HoldNotActive,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidEntry,
    UnbalancedEntry,
    UnknownAccount,
)
from ledger.models import Account, Hold, JournalEntry
from ledger.tasks import send_wallet_email_task

MAX_ATTEMPTS = 4
HOT_SHARDS = 8  # as created by migrations/0003_chart_of_accounts.py
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


# --- account lookup -------------------------------------------------------------------------

# (code, currency) -> tuple of shard ids. System accounts never change once made, so each
# process remembers them; an id that vanished (a test flush) clears this and retries once.
_shard_cache: dict[tuple[str, str], tuple[int, ...]] = {}


def _shard_ids(code: str, currency: str) -> tuple[int, ...]:
    key = (code, currency)
    ids = _shard_cache.get(key)
    if ids is None:
        ids = tuple(Account.objects.filter(code=code, currency=currency).order_by("shard").values_list("id", flat=True))
        if not ids:
            raise UnknownAccount(f"No ledger account '{code}' in {currency}.")
        if not code.startswith(WALLET_PREFIX):
            _shard_cache[key] = ids
    return ids


def _pick_account(code: str, currency: str, lane: int) -> int:
    """The account row for a leg: the only one, or the shard of this posting's lane."""
    ids = _shard_ids(code, currency)
    return ids[lane % len(ids)]


def _lane() -> int:
    """The shard number for the hot accounts of this posting.

    Random, and the same on every hot account one posting touches: two concurrent postings
    then collide with probability 1/shards. Inside a caller's transaction every posting uses
    the transaction's lane, so two entries in one transaction (a capture, then a store-credit
    hold posted) can never take two shards of one account in an order another transaction
    takes the other way round.
    """
    if not connection.in_atomic_block:
        return random.randrange(HOT_SHARDS)
    outer = id(connection.atomic_blocks[0])
    cached = getattr(connection, "_ledger_lane", None)
    if cached is None or cached[0] != outer:
        cached = (outer, random.randrange(HOT_SHARDS))
        connection._ledger_lane = cached
        transaction.on_commit(lambda: setattr(connection, "_ledger_lane", None))
    return cached[1]


def ensure_wallet(*, user_id: int, currency: str = DEFAULT_CURRENCY) -> Account:
    """The customer's store-credit account, created on first use; it never goes negative."""
    account, _ = Account.objects.get_or_create(
        code=wallet_code(user_id),
        currency=currency,
        shard=0,
        defaults={
            "name": f"Store credit of customer {user_id}",
            "type": Account.Type.LIABILITY,
            "normal_sign": normal_sign(Account.Type.LIABILITY),
            "allow_negative": False,
            "owner_id": user_id,
        },
    )
    return account


# --- posting --------------------------------------------------------------------------------


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
        raise InvalidEntry("An entry needs at least two legs.")
    seen = set()
    totals: dict[str, int] = defaultdict(int)
    for leg in legs:
        if not isinstance(leg.amount, int) or isinstance(leg.amount, bool) or leg.amount == 0:
            raise InvalidEntry(f"Leg on {leg.code}: the amount must be a non-zero whole number of kopiyky.")
        if (leg.code, leg.currency) in seen:
            raise InvalidEntry(f"Account {leg.code} appears twice in one entry; merge its legs.")
        seen.add((leg.code, leg.currency))
        totals[leg.currency] += leg.amount
    unbalanced = {c: t for c, t in totals.items() if t != 0}
    if unbalanced:
        detail = ", ".join(f"{c} by {t}" for c, t in sorted(unbalanced.items()))
        raise UnbalancedEntry(f"The entry does not balance: debits exceed credits in {detail}.")


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
            f"Ledger key '{key}' was already used for a different posting (entry #{entry_id}); "
            "a retry must repeat the original request exactly."
        )
    return Posted(entry_id=entry_id, created=created)


def _post(*, key: str, request_hash: str, resolve, **fields) -> Posted:
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
            with transaction.atomic():  # a savepoint: a refusal leaves the caller's transaction usable
                return _call_post_function(**call)
        except OperationalError as exc:
            if not owns_transaction or _sqlstate(exc) not in RETRYABLE_SQLSTATES or attempt == MAX_ATTEMPTS:
                raise
        except IntegrityError as exc:
            constraint = _constraint(exc)
            if constraint == "account_limited_never_negative":
                raise InsufficientFunds(
                    "Not enough funds: the account would go below zero (or below what is on hold)."
                ) from None
            if constraint == "entry_reversed_at_most_once":
                raise AlreadyReversed() from None
            if _sqlstate(exc) == "23503" and attempt == 1:
                _shard_cache.clear()  # an account id we remembered is gone; look again
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
) -> Posted:
    """Post one balanced journal entry, exactly once per idempotency key.

    Same key and same request: returns the original entry (created=False). Same key with a
    different request: IdempotencyConflict. A limited account that would go negative:
    InsufficientFunds, nothing written. Safe inside a caller's transaction (a savepoint).
    """
    if not idempotency_key or len(idempotency_key) > 200:
        raise InvalidEntry("A ledger idempotency key of 1 to 200 characters is required.")
    _validate(legs)
    request_hash = _request_hash(
        kind=kind, legs=legs, memo=memo, reference_type=reference_type, reference_id=reference_id, reverses_id=None
    )

    def resolve():
        lane = _lane()
        return [_pick_account(leg.code, leg.currency, lane) for leg in legs], [leg.amount for leg in legs]

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
    )


def reverse_entry(*, entry_id: int, reason: str, by=None) -> Posted:
    """Post the exact opposite of an entry, on the same account rows; at most once per entry."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidEntry("Say why the entry is reversed.")
    try:
        original = JournalEntry.objects.get(pk=entry_id)
    except JournalEntry.DoesNotExist:
        raise InvalidEntry(f"Journal entry #{entry_id} does not exist.") from None
    if original.reverses_id is not None:
        raise InvalidEntry("A reversal cannot itself be reversed; post a new entry instead.")
    postings = list(original.postings.select_related("account").order_by("id"))
    legs = [Leg(p.account.code + f"#{p.account.shard}", -p.amount, p.currency) for p in postings]
    request_hash = _request_hash(
        kind="reversal", legs=legs, memo="", reference_type="entry", reference_id=entry_id, reverses_id=entry_id
    )
    return _post(
        key=f"reversal:{entry_id}",
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


# --- holds ----------------------------------------------------------------------------------


def _hold_request_matches(hold: Hold, *, account_id: int, amount: int, currency: str) -> bool:
    return (hold.account_id, hold.amount, hold.currency) == (account_id, amount, currency)


def create_hold(
    *,
    account: Account,
    amount: int,
    idempotency_key: str,
    expires_at=None,
    reference_type: str = "",
    reference_id: str | int = "",
    memo: str = "",
) -> Hold:
    """Promise `amount` from `account` (not yet moved); refused beyond what is available.

    Idempotent by key. Locks the account row (after claiming the key).
    """
    if not isinstance(amount, int) or amount <= 0:
        raise InvalidEntry("A hold must be a positive whole number of kopiyky.")
    if account.is_hot:
        raise InvalidEntry("Holds are kept on single accounts such as wallets, not on hot system accounts.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                hold = Hold.objects.create(
                    account_id=account.pk,
                    amount=amount,
                    currency=account.currency,
                    idempotency_key=idempotency_key,
                    expires_at=expires_at,
                    reference_type=reference_type,
                    reference_id=str(reference_id),
                    memo=memo,
                )
        except IntegrityError:
            hold = Hold.objects.get(idempotency_key=idempotency_key)
            if not _hold_request_matches(hold, account_id=account.pk, amount=amount, currency=account.currency):
                raise IdempotencyConflict(f"Hold key '{idempotency_key}' was already used for another hold.") from None
            return hold
        locked = Account.objects.select_for_update(no_key=True).get(pk=account.pk)
        if not locked.allow_negative and locked.available < amount:
            raise InsufficientFunds(
                f"Only {format_money(max(locked.available, 0), locked.currency)} is available "
                f"({locked.name}); {format_money(amount, locked.currency)} was asked for."
            )
        Account.objects.filter(pk=locked.pk).update(held=locked.held + amount)
    return hold


def _lock_hold(hold_id: int) -> Hold:
    try:
        return Hold.objects.select_for_update().get(pk=hold_id)
    except Hold.DoesNotExist:
        raise HoldNotActive(f"Hold #{hold_id} does not exist.") from None


@transaction.atomic
def post_hold(*, hold_id: int, to_code: str, amount: int | None = None, memo: str = "", created_by=None) -> Posted:
    """Move the held money (all, or `amount` of it) to `to_code`; the rest is released.

    At most once: the hold row is locked, and a hold already posted answers with its entry.
    """
    hold = _lock_hold(hold_id)
    if hold.status == Hold.Status.POSTED:
        return Posted(entry_id=hold.resolution_entry_id, created=False)
    if hold.status != Hold.Status.ACTIVE:
        raise HoldNotActive(f"Hold #{hold.pk} is {hold.status}; it can no longer be posted.")
    amount = hold.amount if amount is None else amount
    if not isinstance(amount, int) or not 0 < amount <= hold.amount:
        raise InvalidEntry(f"Post between 1 and {hold.amount} kopiyky of this hold.")
    account = hold.account
    # Take the money out of the held account on its normal side, put it into `to_code`.
    out = -account.normal_sign * amount
    posted = post_entry(
        idempotency_key=f"hold:{hold.pk}:post",
        kind="hold_post",
        legs=[Leg(account.code, out, hold.currency), Leg(to_code, -out, hold.currency)],
        memo=memo or hold.memo,
        reference_type=hold.reference_type,
        reference_id=hold.reference_id,
        created_by=created_by,
        release_hold=(account.pk, hold.amount),
    )
    hold.status, hold.posted_amount = Hold.Status.POSTED, amount
    hold.resolution_entry_id, hold.resolved_at = posted.entry_id, timezone.now()
    hold.save(update_fields=["status", "posted_amount", "resolution_entry", "resolved_at"])
    notify_wallet_change(account)
    return posted


@transaction.atomic
def void_hold(*, hold_id: int, expired: bool = False) -> Hold:
    """Release a hold without moving money; at most once (a second void is a no-op)."""
    hold = _lock_hold(hold_id)
    target = Hold.Status.EXPIRED if expired else Hold.Status.VOIDED
    if hold.status in (Hold.Status.VOIDED, Hold.Status.EXPIRED):
        return hold
    if hold.status != Hold.Status.ACTIVE:
        raise HoldNotActive(f"Hold #{hold.pk} is {hold.status}; it can no longer be voided.")
    account = Account.objects.select_for_update(no_key=True).get(pk=hold.account_id)
    Account.objects.filter(pk=account.pk).update(held=account.held - hold.amount)
    hold.status, hold.resolved_at = target, timezone.now()
    hold.save(update_fields=["status", "resolved_at"])
    return hold


def expire_holds(*, now=None, batch_size: int = 100) -> int:
    """Void active holds past `expires_at` (Beat); SKIP LOCKED so overlapping runs split work."""
    now = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic():
            ids = list(
                Hold.objects.select_for_update(skip_locked=True)
                .filter(status=Hold.Status.ACTIVE, expires_at__lte=now)
                .order_by("expires_at", "id")
                .values_list("id", flat=True)[:batch_size]
            )
            for hold_id in ids:
                void_hold(hold_id=hold_id, expired=True)
        expired += len(ids)
        if len(ids) < batch_size:
            return expired


# --- wallets (store credit) -----------------------------------------------------------------


def notify_wallet_change(account: Account) -> None:
    if account.owner_id and account.code.startswith(WALLET_PREFIX):
        send_wallet_email_task.delay_on_commit(user_id=account.owner_id, currency=account.currency)


def _wallet_adjustment(*, user_id, amount, reason, by, idempotency_key, currency, credit: bool) -> Posted:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidEntry("Say why the store credit changes (goodwill, compensation, correction...).")
    if not isinstance(amount, int) or amount <= 0:
        raise InvalidEntry("The amount must be a positive whole number of kopiyky.")
    wallet = ensure_wallet(user_id=user_id, currency=currency)
    signed = -amount if credit else amount  # a credit on the wallet raises what we owe
    with transaction.atomic():
        posted = post_entry(
            idempotency_key=idempotency_key,
            kind="wallet_credit" if credit else "wallet_debit",
            legs=[Leg(wallet.code, signed, currency), Leg("customer_goodwill", -signed, currency)],
            memo=reason,
            reference_type="staff" if by else "customer",
            reference_id=getattr(by, "pk", "") or user_id,
            created_by=by,
        )
        if posted.created:
            notify_wallet_change(wallet)
    return posted


def credit_wallet(
    *, user_id: int, amount: int, reason: str, by, idempotency_key: str, currency: str = DEFAULT_CURRENCY
) -> Posted:
    """Give a customer store credit (goodwill, compensation); they get an e-mail."""
    return _wallet_adjustment(
        user_id=user_id,
        amount=amount,
        reason=reason,
        by=by,
        idempotency_key=idempotency_key,
        currency=currency,
        credit=True,
    )


def debit_wallet(
    *, user_id: int, amount: int, reason: str, by, idempotency_key: str, currency: str = DEFAULT_CURRENCY
) -> Posted:
    """Take store credit back; refused below zero (or below what is on hold)."""
    return _wallet_adjustment(
        user_id=user_id,
        amount=amount,
        reason=reason,
        by=by,
        idempotency_key=idempotency_key,
        currency=currency,
        credit=False,
    )

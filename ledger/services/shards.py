"""Which account row a leg lands on: system accounts by code, hot accounts by shard lane.

Hot accounts: every payment touches `psp:<provider>` and `customer_prepayments`. Each is
split into HOT_SHARDS rows and a posting picks one shard at random, so concurrent payments
rarely queue on the same row; balances and reports sum the shards. reference/ledger.md
measured this shape (one-shot function + shards) as the fastest from Django; see
bench/ledger.py for what it does here.
"""

import random

from django.db import connection, transaction
from django.utils.translation import gettext as _

from ledger.chart import WALLET_PREFIX
from ledger.exceptions import UnknownAccount
from ledger.models import Account

HOT_SHARDS = 8  # as created by migrations/0003_chart_of_accounts.py

# (code, currency) -> tuple of shard ids. System accounts never change once made, so each
# process remembers them; an id that vanished (a test flush) clears this and retries once.
_shard_cache: dict[tuple[str, str], tuple[int, ...]] = {}


def _shard_ids(code: str, currency: str) -> tuple[int, ...]:
    key = (code, currency)
    ids = _shard_cache.get(key)
    if ids is None:
        ids = tuple(Account.objects.filter(code=code, currency=currency).order_by("shard").values_list("id", flat=True))
        if not ids:
            raise UnknownAccount(
                _("No ledger account '%(code)s' in %(currency)s.") % {"code": code, "currency": currency}
            )
        if not code.startswith(WALLET_PREFIX):
            _shard_cache[key] = ids
    return ids


def forget_shards() -> None:
    """Drop the remembered account ids (one vanished: a test flush); the next lookup reads again."""
    _shard_cache.clear()


def pick_account(code: str, currency: str, lane: int) -> int:
    """The account row for a leg: the only one, or the shard of this posting's lane."""
    ids = _shard_ids(code, currency)
    return ids[lane % len(ids)]


def lane() -> int:
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

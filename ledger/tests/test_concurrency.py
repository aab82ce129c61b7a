"""Concurrency claims, proven with threads against the real database."""

from datetime import timedelta

from django.utils import timezone

from ledger.exceptions import AlreadyReversed, HoldNotActive, InsufficientFunds
from ledger.integrity import verify_ledger
from ledger.models import Account, Hold, JournalEntry
from ledger.postings import record_capture
from ledger.selectors import balance_of
from ledger.services import (
    Leg,
    create_hold,
    debit_wallet,
    expire_holds,
    post_entry,
    post_hold,
    reverse_entry,
    void_hold,
)
from ledger.tests.conftest import new_key


def test_twenty_concurrent_duplicates_make_one_entry(run_concurrently):
    key = new_key()
    results = run_concurrently(
        20, lambda i: record_capture(provider="fondy", amount=2500, payment_id=9, idempotency_key=key)
    )
    assert all(r.ok for r in results), [r.error for r in results]
    assert len({r.value.entry_id for r in results}) == 1
    assert sum(r.value.created for r in results) == 1
    assert JournalEntry.objects.count() == 1
    assert balance_of(code="psp:fondy") == 2500
    assert verify_ledger().ok


def test_opposite_transfers_between_the_same_accounts_never_deadlock(run_concurrently, funded_wallet):
    # given two wallets of 100.00 each
    a_user, a = funded_wallet(10000)
    b_user, b = funded_wallet(10000)

    # when 16 threads move 1.00 back and forth, half A->B, half B->A, 5 times each
    def transfer(i):
        src, dst = (a, b) if i % 2 else (b, a)
        for _ in range(5):
            post_entry(idempotency_key=new_key("xfer"), kind="transfer", legs=[Leg(src.code, 100), Leg(dst.code, -100)])

    results = run_concurrently(16, transfer)

    # then every transfer went through and both balances are back where they started
    assert all(r.ok for r in results), [r.error for r in results]
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.balance, b.balance) == (10000, 10000)
    assert (a.version, b.version) == (81, 81)  # the opening credit + 80 transfers each
    assert verify_ledger().ok


def test_concurrent_spends_beyond_the_balance_never_go_negative(run_concurrently, funded_wallet):
    user, wallet = funded_wallet(1000)

    results = run_concurrently(
        10, lambda i: debit_wallet(user_id=user.pk, amount=300, reason="spend", by=None, idempotency_key=new_key())
    )

    assert sum(r.ok for r in results) == 3
    assert all(isinstance(r.error, InsufficientFunds) for r in results if not r.ok)
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.version) == (100, 4)
    assert verify_ledger().ok


def test_concurrent_reversals_of_one_entry_exactly_one_wins(run_concurrently):
    original = record_capture(provider="liqpay", amount=7000, payment_id=3, idempotency_key=new_key())

    results = run_concurrently(8, lambda i: reverse_entry(entry_id=original.entry_id, reason=f"mistake {i}"))

    created = [r.value for r in results if r.ok and r.value.created]
    assert len(created) == 1
    assert all(
        (r.ok and not r.value.created) or isinstance(r.error, AlreadyReversed)
        for r in results
        if not (r.ok and r.value.created)
    )
    assert JournalEntry.objects.filter(reverses_id=original.entry_id).count() == 1
    assert balance_of(code="psp:liqpay") == 0
    assert verify_ledger().ok


def test_hold_post_void_and_expiry_race_each_hold_resolves_once(run_concurrently, funded_wallet):
    # given 12 expired holds of 10.00 on one wallet of 200.00
    user, wallet = funded_wallet(20000)
    past = timezone.now() - timedelta(seconds=1)
    holds = [
        create_hold(account=wallet, amount=1000, idempotency_key=new_key("hold"), expires_at=past) for _ in range(12)
    ]
    wallet.refresh_from_db()
    assert (wallet.held, wallet.available) == (12000, 8000)

    # when posting, voiding and the expiry sweeper all race for every hold
    def act(i):
        kind = i % 3
        if kind == 2:
            return ("expire", expire_holds(batch_size=3))
        done = []
        for hold in holds:
            try:
                if kind == 0:
                    post_hold(hold_id=hold.pk, to_code="customer_prepayments")
                else:
                    void_hold(hold_id=hold.pk)
                done.append(hold.pk)
            except HoldNotActive:
                pass
        return ("post" if kind == 0 else "void", done)

    results = run_concurrently(6, act)

    # then each hold ended in exactly one state, money moved once per posted hold, nothing is held
    assert all(r.ok for r in results), [r.error for r in results]
    final = dict(Hold.objects.values_list("pk", "status"))
    assert set(final.values()) <= {"posted", "voided", "expired"}
    posted = [pk for pk, status in final.items() if status == "posted"]
    wallet.refresh_from_db()
    assert wallet.held == 0
    assert wallet.balance == 20000 - 1000 * len(posted)
    assert JournalEntry.objects.filter(kind="hold_post").count() == len(posted)
    assert balance_of(code="customer_prepayments") == 1000 * len(posted)
    assert verify_ledger().ok


def test_hot_accounts_spread_over_shards_and_sum_in_reports(run_concurrently):
    results = run_concurrently(
        8,
        lambda i: [
            record_capture(provider="sandbox", amount=100, payment_id=i, idempotency_key=new_key()) for _ in range(10)
        ],
    )
    assert all(r.ok for r in results), [r.error for r in results]
    shards = Account.objects.filter(code="psp:sandbox")
    assert shards.count() == 8
    assert sum(s.balance for s in shards) == balance_of(code="psp:sandbox") == 8000
    assert shards.filter(version__gt=0).count() > 1
    assert verify_ledger().ok

"""The integrity check outside the admin: `manage.py ledger_verify` and the Beat jobs."""

import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from ledger import integrity
from ledger.integrity import CHECKS
from ledger.models import Account, Hold
from ledger.postings import record_capture
from ledger.services import create_hold
from ledger.tasks import expire_holds_task, verify_ledger_task
from ledger.tests.conftest import new_key

pytestmark = pytest.mark.django_db

# The chart of accounts made by migration 0003: 5 hot accounts of 8 shards and 7 single ones.
CHART_ACCOUNTS = 8 * 8 + 5  # 8 hot accounts of 8 shards, 5 cold ones (chargeback_losses from payments)


def corrupt_bank_balance():
    """Bump a stored balance behind the ledger's back (accounts may be updated; postings may not)."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_account SET balance = balance + 1 WHERE code = 'bank'")


def ok_lines() -> list[str]:
    return [f"  [ok] {description}" for _, description, _ in [*CHECKS, *integrity.EXTRA_CHECKS]]


def test_clean_books_pass_and_the_report_says_what_was_checked():
    # given one captured payment
    record_capture(provider="fondy", amount=10000, fee=200, payment_id=1, idempotency_key=new_key())
    out = StringIO()

    # when the command runs
    call_command("ledger_verify", stdout=out)

    # then every check is listed as ok and the run succeeds
    checks = len(CHECKS) + len(integrity.EXTRA_CHECKS)
    assert out.getvalue().splitlines() == [
        f"1 entries, 3 postings, {CHART_ACCOUNTS} accounts: all {checks} checks passed",
        *ok_lines(),
        "ledger integrity check passed",
    ]


def test_corrupted_books_fail_loudly_with_the_offender():
    # given a bank balance one kopiyka off its postings (the bank has none)
    record_capture(provider="fondy", amount=10000, payment_id=1, idempotency_key=new_key())
    corrupt_bank_balance()
    bank = Account.objects.get(code="bank")
    out = StringIO()

    # when the command runs, it fails
    with pytest.raises(CommandError, match=r"^ledger integrity check FAILED \(see above\)$"):
        call_command("ledger_verify", stdout=out)

    # then the report names the failed checks and their first offenders
    lines = out.getvalue().splitlines()
    assert lines[0] == f"1 entries, 2 postings, {CHART_ACCOUNTS} accounts: FAILED stored_balances, trial_balance"
    fail_lines = [line for line in lines if "[FAIL]" in line]
    assert fail_lines == [
        "  [FAIL] every stored balance equals the sum of its account's postings: 1",
        "  [FAIL] the trial balance is zero in every currency (debit-normal = credit-normal balances): 1",
    ]
    assert f"        ({bank.pk}, 'bank', 1, 0)" in lines
    assert "        ('UAH', 1)" in lines
    assert "ledger integrity check passed" not in out.getvalue()


def test_corrupted_books_exit_non_zero_from_the_command_line(capsys):
    corrupt_bank_balance()

    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "ledger_verify"])

    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert "[FAIL] every stored balance equals the sum of its account's postings: 1" in captured.out
    assert captured.err.endswith("CommandError: ledger integrity check FAILED (see above)\n")


def test_the_nightly_task_passes_on_clean_books(caplog):
    record_capture(provider="liqpay", amount=5000, payment_id=2, idempotency_key=new_key())

    with caplog.at_level(logging.INFO, logger="ledger"):
        ok = verify_ledger_task.delay().get()

    assert ok is True
    assert [r.levelno for r in caplog.records if r.name.startswith("ledger")] == [logging.INFO]


def test_the_nightly_task_returns_false_and_logs_an_error_on_corrupted_books(caplog):
    corrupt_bank_balance()

    with caplog.at_level(logging.INFO, logger="ledger"):
        ok = verify_ledger_task.delay().get()

    assert ok is False
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name.startswith("ledger")]
    assert [r.name for r in errors] == ["ledger.integrity", "ledger.tasks"]
    assert errors[1].getMessage().startswith("LEDGER INTEGRITY CHECK FAILED:\n")
    assert "[FAIL] every stored balance equals the sum of its account's postings: 1" in errors[1].getMessage()


def test_the_beat_sweep_voids_expired_holds_only(funded_wallet):
    # given a wallet with 500.00 and two holds: one expired a minute ago, one expiring in an hour
    _, wallet = funded_wallet(50000)
    now = timezone.now()
    expired = create_hold(
        account=wallet, amount=10000, idempotency_key=new_key(), expires_at=now - timedelta(minutes=1)
    )
    current = create_hold(account=wallet, amount=2500, idempotency_key=new_key(), expires_at=now + timedelta(hours=1))

    # when the sweep runs twice
    first = expire_holds_task.delay().get()
    second = expire_holds_task.delay().get()

    # then only the expired hold was released, once; the money never moved
    assert (first, second) == (1, 0)
    expired.refresh_from_db()
    current.refresh_from_db()
    assert (expired.status, expired.resolution_entry_id) == (Hold.Status.EXPIRED, None)
    assert expired.resolved_at is not None
    assert (current.status, current.resolved_at) == (Hold.Status.ACTIVE, None)
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.held, wallet.version) == (50000, 2500, 1)

"""Entries balance, never change, post once per key; the database refuses what bypasses us."""

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from ledger.exceptions import IdempotencyConflict, InsufficientFunds, InvalidEntry, UnbalancedEntry
from ledger.integrity import verify_ledger
from ledger.models import Account, JournalEntry, Posting
from ledger.postings import record_capture, record_refund
from ledger.selectors import balance_of, trial_balance
from ledger.services import Leg, debit_wallet, post_entry
from ledger.tests.conftest import new_key


def raw(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_capture_moves_money_and_records_balance_after():
    # when a 100.00 payment with a 2.00 fee is captured by Fondy
    posted = record_capture(provider="fondy", amount=10000, fee=200, payment_id=7, idempotency_key=new_key())

    # then the provider holds 98.00, fees are 2.00 and we owe 100.00 of goods
    assert posted.created is True
    assert (balance_of(code="psp:fondy"), balance_of(code="psp_fees")) == (9800, 200)
    assert balance_of(code="customer_prepayments") == 10000
    postings = Posting.objects.filter(entry_id=posted.entry_id).select_related("account").order_by("amount")
    assert [(p.account.code, p.amount, p.balance_after, p.account_version) for p in postings] == [
        ("customer_prepayments", -10000, 10000, 1),
        ("psp_fees", 200, 200, 1),
        ("psp:fondy", 9800, 9800, 1),
    ]
    entry = JournalEntry.objects.get(pk=posted.entry_id)
    assert (entry.kind, entry.reference_type, entry.reference_id) == ("capture", "payment", "7")
    assert trial_balance()["difference"] == 0
    assert verify_ledger().ok


@pytest.mark.django_db
def test_unbalanced_entry_is_refused_by_the_service():
    with pytest.raises(UnbalancedEntry, match="Проводка не збалансована: дебет перевищує кредит у UAH \\+1"):
        post_entry(idempotency_key=new_key(), kind="test", legs=[Leg("bank", 101), Leg("sales", -100)])
    assert not JournalEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("legs", "message"),
    [
        ([Leg("bank", 100)], "щонайменше двох частин"),
        ([Leg("bank", 0), Leg("sales", 0)], "ненульовим"),
        ([Leg("bank", 100), Leg("bank", -100)], "трапляється в проводці двічі"),
        ([Leg("bank", 1.5), Leg("sales", -1.5)], "цілим числом копійок"),
    ],
)
def test_malformed_entries_are_refused(legs, message):
    with pytest.raises(InvalidEntry, match=message):
        post_entry(idempotency_key=new_key(), kind="test", legs=legs)
    assert not JournalEntry.objects.exists()


@pytest.mark.django_db
def test_trigger_refuses_an_unbalanced_entry_written_around_the_service():
    bank = Account.objects.get(code="bank")
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        raw(
            "INSERT INTO ledger_journalentry (idempotency_key, request_hash, kind, memo, reference_type,"
            " reference_id, created_at) VALUES ('raw', '', 'raw', '', '', '', now())"
        )
        raw(
            "INSERT INTO ledger_posting (entry_id, account_id, currency, amount, balance_after, account_version,"
            " created_at) SELECT id, %s, 'UAH', 500, 500, 1, now() FROM ledger_journalentry WHERE"
            " idempotency_key = 'raw'",
            [bank.pk],
        )
        raw("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT would do
    assert not Posting.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_posting SET amount = amount * 2",
        "DELETE FROM ledger_posting",
        "UPDATE ledger_journalentry SET memo = 'edited'",
        "DELETE FROM ledger_journalentry",
    ],
)
def test_entries_and_postings_cannot_be_changed_even_by_raw_sql(sql):
    record_capture(provider="liqpay", amount=5000, payment_id=1, idempotency_key=new_key())
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(sql)
    assert list(Posting.objects.order_by("amount").values_list("amount", flat=True)) == [-5000, 5000]
    assert JournalEntry.objects.get().memo == "liqpay payment 1"


@pytest.mark.django_db
def test_database_refuses_zero_amounts_and_foreign_currency():
    record_capture(provider="fondy", amount=100, payment_id=1, idempotency_key=new_key())
    entry = JournalEntry.objects.get()
    bank = Account.objects.get(code="bank")
    with pytest.raises(IntegrityError, match="posting_amount_non_zero"), transaction.atomic():
        raw(
            "INSERT INTO ledger_posting (entry_id, account_id, currency, amount, balance_after, account_version,"
            " created_at) VALUES (%s, %s, 'UAH', 0, 0, 99, now())",
            [entry.pk, bank.pk],
        )
    sales = Account.objects.filter(code="sales").first()
    # a balanced pair, but in dollars on hryvnia accounts
    with pytest.raises(IntegrityError, match="in another currency"), transaction.atomic():
        post_raw_pair(bank.pk, sales.pk, currency="USD")
    # an account that does not exist
    with pytest.raises(IntegrityError, match="missing account"), transaction.atomic():
        post_raw_pair(bank.pk, 999_999)
    assert Posting.objects.count() == 2


def post_raw_pair(debit_account, credit_account, *, currency="UAH", entry_id=None):
    """Write a balanced pair of postings straight into the tables, then check as COMMIT would."""
    if entry_id is None:
        raw(
            "INSERT INTO ledger_journalentry (idempotency_key, request_hash, kind, memo, reference_type,"
            " reference_id, created_at) VALUES ('raw-pair', '', 'raw', '', '', '', now())"
        )
    for account, amount in ((debit_account, 5), (credit_account, -5)):
        raw(
            "INSERT INTO ledger_posting (entry_id, account_id, currency, amount, balance_after, account_version,"
            " created_at) SELECT coalesce(%s, (SELECT id FROM ledger_journalentry WHERE idempotency_key = 'raw-pair')),"
            " %s, %s, %s, 0, 1000 + %s, now()",
            [entry_id, account, currency, amount, amount],
        )
    raw("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db
def test_postings_need_an_existing_entry_and_accounts_are_never_deleted():
    bank, sales = Account.objects.get(code="bank"), Account.objects.filter(code="sales").first()
    with pytest.raises(IntegrityError, match="belongs to no journal entry"), transaction.atomic():
        post_raw_pair(bank.pk, sales.pk, entry_id=123_456)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("DELETE FROM ledger_account WHERE id = %s", [bank.pk])
    assert Account.objects.filter(pk=bank.pk).exists()


@pytest.mark.django_db
def test_same_key_same_request_returns_the_original_entry():
    key = new_key()
    first = record_capture(provider="fondy", amount=1000, payment_id=1, idempotency_key=key)
    again = record_capture(provider="fondy", amount=1000, payment_id=1, idempotency_key=key)
    assert (again.entry_id, again.created) == (first.entry_id, False)
    assert JournalEntry.objects.count() == 1
    assert balance_of(code="psp:fondy") == 1000


@pytest.mark.django_db
def test_same_key_different_request_is_an_error_that_says_so():
    key = new_key()
    record_capture(provider="fondy", amount=1000, payment_id=1, idempotency_key=key)
    with pytest.raises(IdempotencyConflict, match="уже використано для іншої проводки"):
        record_capture(provider="fondy", amount=999, payment_id=1, idempotency_key=key)
    assert balance_of(code="psp:fondy") == 1000


@pytest.mark.django_db
def test_refund_reverses_toward_the_provider():
    record_capture(provider="wayforpay", amount=3000, payment_id=1, idempotency_key=new_key())
    record_refund(provider="wayforpay", amount=1000, payment_id=1, idempotency_key=new_key())
    assert (balance_of(code="psp:wayforpay"), balance_of(code="customer_prepayments")) == (2000, 2000)
    assert verify_ledger().ok


@pytest.mark.django_db
def test_wallet_never_goes_negative(funded_wallet):
    user, wallet = funded_wallet(1000)
    with pytest.raises(InsufficientFunds):
        debit_wallet(user_id=user.pk, amount=1001, reason="correction", by=None, idempotency_key=new_key())
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.version) == (1000, 1)
    with pytest.raises(IntegrityError, match="account_limited_never_negative"), transaction.atomic():
        raw("UPDATE ledger_account SET balance = -1 WHERE id = %s", [wallet.pk])

"""The ledger back office: read-only books per role; reversals and store credit go through the services."""

import csv
import io
import logging
from datetime import timedelta

import pytest
from constance.test import override_config
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from ledger.admin import AccountAdmin, HoldAdmin, JournalEntryAdmin
from ledger.integrity import verify_ledger
from ledger.models import Account, Hold, JournalEntry, Posting, WalletAdjustmentRequest
from ledger.postings import record_capture, record_cod_remittance
from ledger.selectors import balance_of
from ledger.services import Leg, create_hold, credit_wallet, debit_wallet, ensure_wallet, post_entry, reverse_entry
from ledger.tests.conftest import new_key
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
# core.money.parse_hryvnias's refusals, in the admin's default language (Ukrainian).
POSITIVE = "Введіть суму, більшу за нуль."
TOO_PRECISE = "Після коми — не більше двох цифр (копійки)."
NOT_AN_AMOUNT = "Введіть суму в гривнях, наприклад 150, 150,50 або 1 399,50."
ACTION_CHECKBOX = admin.helpers.ACTION_CHECKBOX_NAME
ENTRIES_URL = reverse("admin:ledger_journalentry_changelist")
ACCOUNTS_URL = reverse("admin:ledger_account_changelist")
HOLDS_URL = reverse("admin:ledger_hold_changelist")
TRIAL_BALANCE_URL = reverse("admin:ledger_trial_balance")
STATEMENT_URL = reverse("admin:ledger_statement")
INTEGRITY_URL = reverse("admin:ledger_integrity")
STORE_CREDIT_URL = reverse("admin:ledger_store_credit")
ADJUSTMENTS_URL = reverse("admin:ledger_walletadjustmentrequest_changelist")
# The chart of accounts made by migration 0003: 5 hot accounts of 8 shards and 7 single ones.
CHART_ACCOUNTS = 8 * 8 + 5  # 8 hot accounts of 8 shards, 5 cold ones (chargeback_losses from payments)
NOT_ENOUGH_FUNDS = "Недостатньо коштів: залишок рахунку став би меншим за нуль (або за зарезервовану суму)."


def login_as(client, role=None, **fields):
    user = StaffFactory(role=role, **fields)
    client.force_login(user)
    return user


def messages_of(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def capture(amount=10000, fee=0, provider="fondy", payment_id=7) -> JournalEntry:
    posted = record_capture(provider=provider, amount=amount, fee=fee, payment_id=payment_id, idempotency_key=new_key())
    return JournalEntry.objects.get(pk=posted.entry_id)


def corrupt_bank_balance():
    """Bump a stored balance behind the ledger's back (accounts may be updated; postings may not)."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_account SET balance = balance + 1 WHERE code = 'bank'")


def backdate_entry(entry_id: int, *, days: int) -> None:
    """Move an entry and its postings into the past, with the append-only guard lifted for it.

    PostgreSQL's now() is fixed for a whole transaction, so a test cannot post on two days. The
    guard is disabled inside the test's own transaction and comes back when it rolls back; the
    deferred balance checks run first, since a table with pending trigger events cannot be altered.
    """
    shift = timedelta(days=days)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE ledger_posting DISABLE TRIGGER ledger_posting_append_only")
        cursor.execute("ALTER TABLE ledger_journalentry DISABLE TRIGGER ledger_journalentry_append_only")
        cursor.execute("UPDATE ledger_posting SET created_at = created_at - %s WHERE entry_id = %s", [shift, entry_id])
        cursor.execute("UPDATE ledger_journalentry SET created_at = created_at - %s WHERE id = %s", [shift, entry_id])
        cursor.execute("ALTER TABLE ledger_posting ENABLE TRIGGER ledger_posting_append_only")
        cursor.execute("ALTER TABLE ledger_journalentry ENABLE TRIGGER ledger_journalentry_append_only")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def books() -> dict:
    """What the admin must never change on its own: every entry, posting, hold and account row."""
    return {
        "entries": list(JournalEntry.objects.values_list("id", "kind", "memo", "reverses_id").order_by("id")),
        "postings": list(Posting.objects.values_list("id", "account_id", "amount", "balance_after").order_by("id")),
        "holds": list(Hold.objects.values_list("id", "status", "amount", "posted_amount").order_by("id")),
        "accounts": list(
            Account.objects.values_list("id", "code", "name", "balance", "held", "version", "allow_negative")
        ),
    }


# --- who opens what -------------------------------------------------------------------------


@pytest.fixture
def ledger_pages():
    """Every ledger admin page, over books with a capture, a wallet and a hold."""
    entry = capture()
    customer = UserFactory()
    credit_wallet(user_id=customer.pk, amount=5000, reason="Goodwill", by=None, idempotency_key=new_key())
    wallet = ensure_wallet(user_id=customer.pk)
    hold = create_hold(account=wallet, amount=1000, idempotency_key=new_key())
    return {
        "accounts": ACCOUNTS_URL,
        "account": reverse("admin:ledger_account_change", args=[wallet.pk]),
        "entries": ENTRIES_URL,
        "entry": reverse("admin:ledger_journalentry_change", args=[entry.pk]),
        "holds": HOLDS_URL,
        "hold": reverse("admin:ledger_hold_change", args=[hold.pk]),
        "trial_balance": TRIAL_BALANCE_URL,
        "statement": f"{STATEMENT_URL}?code=bank&currency=UAH",
        "statement_csv": f"{STATEMENT_URL}?code=bank&currency=UAH&format=csv",
        "integrity": INTEGRITY_URL,
        "store_credit": STORE_CREDIT_URL,
        "adjustments": ADJUSTMENTS_URL,
    }


EVERY_PAGE = {
    "accounts",
    "account",
    "entries",
    "entry",
    "holds",
    "hold",
    "trial_balance",
    "statement",
    "statement_csv",
    "integrity",
    "store_credit",
    "adjustments",
}
# What each role can open (200); every other ledger page answers 403. The ledger is read-only
# for a Manager: it sees the adjustments, and has no store-credit form (issue 9, item 2).
CAN_OPEN = {
    "Finance": EVERY_PAGE,
    "Manager": EVERY_PAGE - {"store_credit"},
    "Support": {"store_credit", "adjustments"},
    "Warehouse": set(),
}


@pytest.mark.parametrize("role", ["Finance", "Manager", "Support", "Warehouse"])
def test_each_role_opens_only_its_ledger_pages(client, ledger_pages, role):
    login_as(client, role)

    statuses = {name: client.get(url).status_code for name, url in ledger_pages.items()}

    assert statuses == {name: 200 if name in CAN_OPEN[role] else 403 for name in ledger_pages}


def test_a_customer_is_sent_to_the_admin_login(client, ledger_pages):
    client.force_login(UserFactory())

    for url in ledger_pages.values():
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")


@pytest.mark.parametrize("role", ["Support", "Warehouse"])
def test_roles_without_the_right_cannot_run_the_integrity_check(client, role):
    login_as(client, role)

    assert client.post(INTEGRITY_URL).status_code == 403


# --- read-only, for everyone ----------------------------------------------------------------


@pytest.fixture
def superuser(client):
    return login_as(client, is_superuser=True)


@pytest.mark.parametrize("model_admin", [AccountAdmin, JournalEntryAdmin, HoldAdmin])
def test_nobody_gets_a_delete_action(rf, model_admin):
    model = next(m for m, a in admin.site._registry.items() if isinstance(a, model_admin))
    for user in (StaffFactory(is_superuser=True), StaffFactory(role="Finance")):
        request = rf.get("/")
        request.user = user

        actions = admin.site._registry[model].get_actions(request)

        assert "delete_selected" not in actions
        assert set(actions) <= {"reverse_entries"}


def test_postings_have_no_admin_pages_of_their_own(superuser, client):
    assert Posting not in admin.site._registry
    with pytest.raises(NoReverseMatch):
        reverse("admin:ledger_posting_changelist")
    assert client.get("/admin/ledger/posting/").status_code == 404


def test_even_a_superuser_cannot_add_change_or_delete_ledger_rows(superuser, client):
    # given books with an entry, a wallet and an active hold
    entry = capture()
    customer = UserFactory()
    credit_wallet(user_id=customer.pk, amount=5000, reason="Goodwill", by=None, idempotency_key=new_key())
    wallet = ensure_wallet(user_id=customer.pk)
    hold = create_hold(account=wallet, amount=1000, idempotency_key=new_key())
    before = books()
    rows = {"account": wallet, "journalentry": entry, "hold": hold}

    # when a superuser tries every way of writing through the admin
    statuses = {}
    for model, row in rows.items():
        change_url = reverse(f"admin:ledger_{model}_change", args=[row.pk])
        add_url = reverse(f"admin:ledger_{model}_add")
        delete_url = reverse(f"admin:ledger_{model}_delete", args=[row.pk])
        statuses[model] = [
            client.get(add_url).status_code,
            client.post(add_url, {"code": "x", "kind": "x", "amount": "1"}).status_code,
            client.post(
                change_url, {"name": "Hacked", "memo": "hacked", "balance": "0", "amount": "1", "_save": "Save"}
            ).status_code,
            client.get(delete_url).status_code,
            client.post(delete_url, {"post": "yes"}).status_code,
        ]
    bulk_delete = client.post(
        ENTRIES_URL, {"action": "delete_selected", ACTION_CHECKBOX: [entry.pk], "index": 0, "post": "yes"}
    )

    # then every write is refused and the books are exactly as they were
    assert statuses == {model: [403, 403, 403, 403, 403] for model in rows}
    assert bulk_delete.status_code == 302
    assert messages_of(bulk_delete) == [("warning", "Дія не обрана.")]
    assert books() == before


def test_the_entry_page_is_view_only_even_for_a_superuser(superuser, client):
    entry = capture(amount=10000, fee=200)

    response = client.get(reverse("admin:ledger_journalentry_change", args=[entry.pk]))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert response.context["has_delete_permission"] is False
    assertNotContains(response, 'name="_save"')
    assertNotContains(response, 'name="_continue"')
    assertNotContains(response, "/delete/")
    postings = response.context["inline_admin_formsets"][0]
    assert postings.has_add_permission is False
    assert postings.has_change_permission is False
    assert postings.has_delete_permission is False


# --- the books, as Finance sees them --------------------------------------------------------


def test_finance_sees_an_entry_with_its_postings(client):
    # given a captured 100.00 payment with a 2.00 fee
    login_as(client, "Finance")
    entry = capture(amount=10000, fee=200, payment_id=42)

    # when Finance opens the entry
    response = client.get(reverse("admin:ledger_journalentry_change", args=[entry.pk]))

    # then its postings are listed with signed amounts and the balance after each
    assert response.status_code == 200
    inline = response.context["inline_admin_formsets"][0]
    assert sorted((form.original.account.code, form.original.amount) for form in inline) == [
        ("customer_prepayments", -10000),
        ("psp:fondy", 9800),
        ("psp_fees", 200),
    ]
    for amount in (f"98,00{NBSP}₴", f"2,00{NBSP}₴", f"-100,00{NBSP}₴"):
        assertContains(response, f'<td class="field-signed_amount"><p>{amount}</p></td>', html=True, count=1)
    assertContains(response, f'<td class="field-balance_after_display"><p>100,00{NBSP}₴</p></td>', html=True)
    assertContains(response, "fondy payment 42")
    assertContains(response, '<div class="readonly">—</div>', html=True, count=1)  # reversed by: nobody


def test_the_entry_list_marks_reversed_entries_and_reversals(client):
    login_as(client, "Finance")
    entry = capture()
    reversal = reverse_entry(entry_id=entry.pk, reason="Test payment", by=None)

    response = client.get(ENTRIES_URL)

    html = response.content.decode()
    assert [e.pk for e in response.context["cl"].result_list] == [reversal.entry_id, entry.pk]
    assert f'<td class="field-reversal_state">сторнує №{entry.pk}</td>' in html
    assert '<td class="field-reversal_state">сторновано</td>' in html
    assert '<td class="field-reference">payment 7</td>' in html


def test_the_entry_list_search_finds_by_id_or_memo(client):
    login_as(client, "Finance")
    first, second = capture(payment_id=1), capture(payment_id=2)

    by_id = client.get(ENTRIES_URL, {"q": str(second.pk)})
    by_word = client.get(ENTRIES_URL, {"q": "payment"})
    nonsense = client.get(ENTRIES_URL, {"q": "no-such-thing"})

    assert [e.pk for e in by_id.context["cl"].result_list] == [second.pk]
    assert [e.pk for e in by_word.context["cl"].result_list] == [second.pk, first.pk]
    assert list(nonsense.context["cl"].result_list) == []


@pytest.mark.parametrize("entries", [2, 12])
def test_the_entry_list_costs_the_same_however_many_entries(client, django_assert_num_queries, entries):
    login_as(client, "Finance")
    for n in range(entries):
        capture(payment_id=n)

    # session user, count, entries with their authors, the date hierarchy, the kinds filter...
    with django_assert_num_queries(8):  # the session row included; no date_hierarchy, one count
        response = client.get(ENTRIES_URL)

    assert len(response.context["cl"].result_list) == entries


@pytest.mark.parametrize("wallets", [1, 10])
def test_the_account_list_costs_the_same_however_many_wallets(client, django_assert_num_queries, wallets):
    login_as(client, "Finance")
    for _ in range(wallets):
        ensure_wallet(user_id=UserFactory().pk)

    with django_assert_num_queries(8):  # the session row included
        response = client.get(ACCOUNTS_URL)

    assert response.context["cl"].result_count == CHART_ACCOUNTS + wallets


def test_the_account_list_links_the_ledger_pages_by_permission(client):
    login_as(client, "Finance")

    response = client.get(ACCOUNTS_URL)

    for url, label in [
        (TRIAL_BALANCE_URL, "Залишки й оборотно-сальдова відомість"),
        (STATEMENT_URL, "Виписка"),
        (INTEGRITY_URL, "Перевірка цілісності"),
        (STORE_CREDIT_URL, "Баланс у магазині"),
    ]:
        assertContains(response, f'<li><a href="{url}">{label}</a></li>', html=True, count=1)


def test_trial_balance_sums_the_shards_and_balances(client):
    # given two Fondy captures (on whichever shards) and a COD remittance with nothing behind it
    login_as(client, "Finance")
    capture(amount=10000, fee=200)
    capture(amount=5000)
    post_entry(
        idempotency_key=new_key(), kind="shipping", legs=[Leg("shipping", 4500), Leg("bank", -4500)], memo="NP invoice"
    )

    response = client.get(TRIAL_BALANCE_URL)

    trial = response.context["trial"]
    assert [(row.code, row.balance) for row in trial["rows"] if row.balance] == [
        ("bank", -4500),
        ("customer_prepayments", 15000),
        ("psp:fondy", 14800),
        ("psp_fees", 200),
        ("shipping", 4500),
    ]
    assert (trial["debit"], trial["credit"], trial["difference"]) == (15000, 15000, 0)
    html = response.content.decode()
    assert f'<th style="text-align:right">150,00{NBSP}₴</th>' in html
    assert f'<th colspan="2" style="text-align:right;">0,00{NBSP}₴</th>' in html
    assertContains(response, f'<td style="text-align:right">148,00{NBSP}₴</td>', count=1)


@pytest.fixture
def bank_history():
    """Bank: +100.00 three days ago, then today +50.00 and -20.00."""
    old = record_cod_remittance(amount=10000, idempotency_key=new_key(), reference="R-1")
    backdate_entry(old.entry_id, days=3)
    paid_in = record_cod_remittance(amount=5000, idempotency_key=new_key(), reference="R-2")
    paid_out = post_entry(
        idempotency_key=new_key(), kind="shipping", legs=[Leg("shipping", 2000), Leg("bank", -2000)], memo="NP invoice"
    )
    start = timezone.localdate() - timedelta(days=2)
    return {"start": start, "old": old.entry_id, "in": paid_in.entry_id, "out": paid_out.entry_id}


def posting_time(entry_id, code="bank"):
    return Posting.objects.get(entry_id=entry_id, account__code=code).created_at


def test_statement_csv_has_the_opening_and_running_balances(client, bank_history):
    login_as(client, "Finance")

    response = client.get(
        STATEMENT_URL, {"code": "bank", "currency": "uah", "start": bank_history["start"].isoformat(), "format": "csv"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="statement-bank.csv"'
    # with a byte-order mark, so that Excel reads the UTF-8 (₴, Cyrillic memos) as UTF-8
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["date", "entry", "kind", "memo", "amount_kopiyky", "balance_kopiyky", "amount", "balance"],
        ["", "", "opening", "", "", "10000", "", f"100,00{NBSP}₴"],
        [
            posting_time(bank_history["in"]).isoformat(),
            str(bank_history["in"]),
            "cod_remittance",
            "Nova Poshta remittance R-2",
            "5000",
            "15000",
            f"50,00{NBSP}₴",
            f"150,00{NBSP}₴",
        ],
        [
            posting_time(bank_history["out"]).isoformat(),
            str(bank_history["out"]),
            "shipping",
            "NP invoice",
            "-2000",
            "13000",
            f"-20,00{NBSP}₴",
            f"130,00{NBSP}₴",
        ],
    ]


def test_statement_csv_without_a_start_begins_at_zero(client, bank_history):
    login_as(client, "Finance")

    response = client.get(STATEMENT_URL, {"code": "bank", "currency": "UAH", "format": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[1:6] for row in rows[1:]] == [
        ["", "opening", "", "", "0"],
        [str(bank_history["old"]), "cod_remittance", "Nova Poshta remittance R-1", "10000", "10000"],
        [str(bank_history["in"]), "cod_remittance", "Nova Poshta remittance R-2", "5000", "15000"],
        [str(bank_history["out"]), "shipping", "NP invoice", "-2000", "13000"],
    ]


def test_statement_csv_amounts_follow_the_staff_members_language(client, bank_history):
    login_as(client, "Finance")
    query = {"code": "bank", "currency": "UAH", "format": "csv"}

    ukrainian = list(csv.reader(io.StringIO(client.get(STATEMENT_URL, query).content.decode("utf-8-sig"))))
    client.cookies["django_language"] = "en"
    english = list(csv.reader(io.StringIO(client.get(STATEMENT_URL, query).content.decode("utf-8-sig"))))

    assert [row[6:] for row in ukrainian[2:]] == [
        [f"100,00{NBSP}₴", f"100,00{NBSP}₴"],
        [f"50,00{NBSP}₴", f"150,00{NBSP}₴"],
        [f"-20,00{NBSP}₴", f"130,00{NBSP}₴"],
    ]
    assert [row[6:] for row in english[2:]] == [["₴100.00", "₴100.00"], ["₴50.00", "₴150.00"], ["-₴20.00", "₴130.00"]]
    # the machine columns are the same in every language
    assert [row[:6] for row in english] == [row[:6] for row in ukrainian]


def test_statement_page_shows_the_period_with_opening_and_running_balance(client, bank_history):
    login_as(client, "Finance")
    yesterday = timezone.localdate() - timedelta(days=1)

    response = client.get(STATEMENT_URL, {"code": "bank", "currency": "UAH", "start": bank_history["start"]})
    before = client.get(STATEMENT_URL, {"code": "bank", "currency": "UAH", "end": yesterday})

    assert response.context["opening"] == 10000
    assert [(line.entry_id, line.amount, line.balance) for line in response.context["lines"]] == [
        (bank_history["in"], 5000, 15000),
        (bank_history["out"], -2000, 13000),
    ]
    html = response.content.decode()
    assert f'<td style="text-align:right">100,00{NBSP}₴</td>' in html  # the opening balance
    assert f'<td style="text-align:right">-20,00{NBSP}₴</td><td style="text-align:right">130,00{NBSP}₴</td>' in html
    assertContains(response, "?code=bank&amp;currency=UAH&amp;start=")
    assert [line.entry_id for line in before.context["lines"]] == [bank_history["old"]]


def test_statement_asks_for_an_account_first(client):
    login_as(client, "Finance")

    response = client.get(STATEMENT_URL)

    assert response.status_code == 200
    assert response.context["lines"] is None
    assertNotContains(response, "Download CSV")


# --- integrity ------------------------------------------------------------------------------


def test_the_integrity_page_runs_the_check_on_post_and_says_it_passed(client):
    login_as(client, "Finance")
    capture(amount=10000, fee=200)

    shown = client.get(INTEGRITY_URL)
    response = client.post(INTEGRITY_URL)

    assert shown.context["report"] is None
    summary = f"записів: 1, проводок: 3, рахунків: {CHART_ACCOUNTS}; перевірок пройдено: 8"
    assert messages_of(response) == [("success", f"Перевірку цілісності пройдено: {summary}.")]
    assert response.context["report"].ok is True
    assertContains(response, f'<h2 style="margin-top:1.5em;">{summary}</h2>', html=True)
    assertNotContains(response, "НЕ ПРОЙДЕНО")


def test_the_integrity_page_fails_loudly_on_corrupted_books(client, caplog):
    # given a bank balance one kopiyka off its postings
    login_as(client, "Manager")
    corrupt_bank_balance()
    bank = Account.objects.get(code="bank")

    # when the check is run from the admin
    with caplog.at_level(logging.ERROR, logger="ledger"):
        response = client.post(INTEGRITY_URL)

    # then the page, the message and the log all say so, naming the offending account
    summary = f"записів: 0, проводок: 0, рахунків: {CHART_ACCOUNTS}; не пройдено: stored_balances, trial_balance"
    assert messages_of(response) == [("error", f"ПЕРЕВІРКУ ЦІЛІСНОСТІ НЕ ПРОЙДЕНО: {summary}.")]
    assertContains(response, f'<h2 style="margin-top:1.5em;color:#ba2121">{summary}</h2>', html=True)
    failed = {c.name: c.examples for c in response.context["report"].checks if not c.ok}
    assert failed == {"stored_balances": [(bank.pk, "bank", 1, 0)], "trial_balance": [("UAH", 1)]}
    html = response.content.decode()
    assert (
        '<td><strong style="color:#ba2121">НЕ ПРОЙДЕНО</strong></td>\n'
        "      <td>кожен збережений баланс дорівнює сумі проводок свого рахунку</td><td>1</td>\n"
        f"      <td><code>({bank.pk}, &#x27;bank&#x27;, 1, 0)</code><br></td>"
    ) in html
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.name for r in errors] == ["ledger.integrity"]
    assert "[FAIL] every stored balance equals the sum of its account's postings: 1" in errors[0].getMessage()


# --- reversals ------------------------------------------------------------------------------


def reverse_action(entries, **extra):
    return {"action": "reverse_entries", ACTION_CHECKBOX: [e.pk for e in entries], **extra}


def test_finance_reverses_an_entry_after_giving_a_reason(client):
    # given a captured payment that was a test
    finance = login_as(client, "Finance")
    entry = capture(amount=10000, fee=200)

    # when Finance picks "reverse" on it, then gives the reason on the next page
    asked = client.post(ENTRIES_URL, reverse_action([entry], index=0))
    nothing_yet = JournalEntry.objects.count()
    applied = client.post(ENTRIES_URL, reverse_action([entry], reason="Test payment", apply="Post the reversals"))

    # then it was asked for a reason first, and exactly one reversal was posted
    assert asked.status_code == 200
    assert asked.templates[0].name == "admin/ledger/reverse_entries.html"
    assertContains(asked, f"#{entry.pk} capture: fondy payment 7")
    assert nothing_yet == 1
    assertRedirects(applied, ENTRIES_URL, fetch_redirect_response=False)
    reversal = JournalEntry.objects.get(reverses=entry)
    assert messages_of(applied) == [("success", f"Сторновано (1): #{entry.pk}.")]
    assert (reversal.kind, reversal.memo, reversal.created_by) == (
        "reversal",
        f"Reversal of #{entry.pk}: Test payment",
        finance,
    )
    assert JournalEntry.objects.count() == 2
    # and every balance is back to zero
    assert [balance_of(code=code) for code in ("psp:fondy", "psp_fees", "customer_prepayments")] == [0, 0, 0]
    assert verify_ledger().ok


def test_a_reversal_needs_a_reason(client):
    login_as(client, "Finance")
    entry = capture()

    response = client.post(ENTRIES_URL, reverse_action([entry], reason="  ", apply="Post the reversals"))

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["Це поле обов'язкове."]}
    assert JournalEntry.objects.count() == 1


def test_an_entry_is_reversed_only_once(client):
    # given an entry that was already reversed, and the reversal itself
    login_as(client, "Finance")
    entry = capture()
    reversal_id = reverse_entry(entry_id=entry.pk, reason="Duplicate", by=None).entry_id
    before = books()

    # when Finance selects both and reverses them
    response = client.post(
        ENTRIES_URL,
        reverse_action([entry, JournalEntry.objects.get(pk=reversal_id)], reason="Again", apply="Post the reversals"),
    )

    # then neither is reversed, each with the reason why, and nothing was posted
    assert messages_of(response) == [
        (
            "error",
            f"Не сторновано (2): #{entry.pk} (уже сторновано); "
            f"#{reversal_id} (Сторнувальну проводку не можна сторнувати; натомість створіть нову проводку).",
        )
    ]
    assert books() == before


def test_a_reversal_that_would_overdraw_a_wallet_is_refused(client):
    # given 100.00 of store credit of which 60.00 was spent already
    login_as(client, "Finance")
    customer = UserFactory()
    credit = credit_wallet(user_id=customer.pk, amount=10000, reason="Goodwill", by=None, idempotency_key=new_key())
    debit_wallet(user_id=customer.pk, amount=6000, reason="Spent", by=None, idempotency_key=new_key())
    before = books()

    # when Finance reverses the credit
    response = client.post(
        ENTRIES_URL,
        reverse_action([JournalEntry.objects.get(pk=credit.entry_id)], reason="Wrong customer", apply="Post"),
    )

    # then it is refused and the wallet keeps its 40.00
    assert messages_of(response) == [
        ("error", f"Не сторновано (1): #{credit.entry_id} ({NOT_ENOUGH_FUNDS.rstrip('.')}).")
    ]
    assert books() == before
    assert ensure_wallet(user_id=customer.pk).balance == 4000


def test_a_manager_does_not_get_the_reverse_action(client):
    # given a Manager, who may look at the books but not correct them
    login_as(client, "Manager")
    entry = capture()

    # when they open the entries and try the action anyway
    listed = client.get(ENTRIES_URL)
    forced = client.post(ENTRIES_URL, reverse_action([entry], reason="Mine now", apply="Post the reversals"))

    # then there is no such action and nothing was reversed
    assert listed.status_code == 200
    assert listed.context["action_form"] is None
    assertNotContains(listed, "reverse_entries")
    assert forced.status_code == 200
    assert JournalEntry.objects.count() == 1


def test_finance_gets_the_reverse_action(client):
    login_as(client, "Finance")
    capture()

    response = client.get(ENTRIES_URL)

    choices = [value for value, _ in response.context["action_form"].fields["action"].choices]
    assert choices == ["", "reverse_entries"]


# --- store credit ---------------------------------------------------------------------------


def store_credit_form(client, **data):
    """Open the form (for its one-time token) and fill it in as staff would."""
    token = client.get(STORE_CREDIT_URL).context["form"].initial["token"]
    return {"direction": "credit", "reason": "Sorry for the late parcel", "token": token, **data}


@pytest.mark.parametrize("role", ["Finance", "Support"])
def test_staff_give_store_credit_and_the_customer_gets_an_email(client, django_capture_on_commit_callbacks, role):
    # given a customer without store credit
    staff = login_as(client, role)
    customer = UserFactory(email="olena@example.com")
    data = store_credit_form(client, email="Olena@Example.com", amount="150.50")

    # when staff give them 150.50
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(STORE_CREDIT_URL, data)

    # then the wallet holds 15 050 kopiyky, the entry names who and why, and one e-mail went out
    assertRedirects(response, STORE_CREDIT_URL, fetch_redirect_response=False)
    assert messages_of(response) == [
        ("success", f"Нараховано 150,50{NBSP}₴ на баланс у магазині покупця olena@example.com.")
    ]
    wallet = ensure_wallet(user_id=customer.pk)
    assert (wallet.balance, wallet.held) == (15050, 0)
    entry = JournalEntry.objects.get(postings__account=wallet)
    assert (entry.kind, entry.memo, entry.created_by, entry.reference_type) == (
        "wallet_credit",
        "Sorry for the late parcel",
        staff,
        "staff",
    )
    subject = "Ваш баланс у магазині kramar змінився"
    assert [(m.to, m.subject) for m in mail.outbox] == [(["olena@example.com"], subject)]
    assert f"150,50{NBSP}₴ — Sorry for the late parcel" in mail.outbox[0].body
    assert verify_ledger().ok


def test_submitting_the_same_form_twice_credits_once(client, django_capture_on_commit_callbacks):
    login_as(client, "Finance")
    customer = UserFactory(email="taras@example.com")
    data = store_credit_form(client, email="taras@example.com", amount="100")

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(STORE_CREDIT_URL, data, follow=True)
        second = client.post(STORE_CREDIT_URL, data, follow=True)

    gave = f"Нараховано 100,00{NBSP}₴ на баланс у магазині покупця taras@example.com."
    assert [str(m) for m in first.context["messages"]] == [gave]
    assert [str(m) for m in second.context["messages"]] == [
        f"Нараховано 100,00{NBSP}₴ на баланс у магазині покупця taras@example.com"
        " (цю форму вже надіслано; більше нічого не зроблено)."
    ]
    assert ensure_wallet(user_id=customer.pk).balance == 10000
    assert JournalEntry.objects.filter(kind="wallet_credit").count() == 1
    assert len(mail.outbox) == 1


def test_the_same_token_with_another_amount_is_refused(client):
    login_as(client, "Finance")
    customer = UserFactory(email="taras@example.com")
    data = store_credit_form(client, email="taras@example.com", amount="100")
    client.post(STORE_CREDIT_URL, data)

    response = client.post(STORE_CREDIT_URL, {**data, "amount": "200"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        f"Цю форму вже надіслано з іншими даними (запит №{WalletAdjustmentRequest.objects.get().pk}); "
        "відкрийте нову форму."
    ]
    assert ensure_wallet(user_id=customer.pk).balance == 10000


def test_taking_back_more_than_the_balance_changes_nothing(client, funded_wallet, django_capture_on_commit_callbacks):
    # given a customer with 100.00 of store credit
    login_as(client, "Finance")
    customer, wallet = funded_wallet(10000)
    data = store_credit_form(client, email=customer.email, direction="debit", amount="100.01")
    before = books()

    # when staff try to take back 100.01
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(STORE_CREDIT_URL, data)

    # then the form says why and nothing changed, not even an e-mail
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [NOT_ENOUGH_FUNDS]
    assertContains(response, NOT_ENOUGH_FUNDS, count=1)
    assert books() == before
    assert WalletAdjustmentRequest.objects.count() == 0
    assert mail.outbox == []


def test_taking_back_store_credit(client, funded_wallet, django_capture_on_commit_callbacks):
    login_as(client, "Finance")
    customer, wallet = funded_wallet(10000)
    data = store_credit_form(client, email=customer.email, direction="debit", amount="40", reason="Credited twice")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(STORE_CREDIT_URL, data)

    assert messages_of(response) == [
        ("success", f"Списано 40,00{NBSP}₴ з балансу в магазині покупця {customer.email}.")
    ]
    wallet.refresh_from_db()
    assert wallet.balance == 6000
    assert len(mail.outbox) == 1


def test_an_unknown_email_is_a_form_error(client):
    login_as(client, "Finance")
    before = books()

    response = client.post(STORE_CREDIT_URL, store_credit_form(client, email="nobody@example.com", amount="10"))

    assert response.status_code == 200
    assert response.context["form"].errors == {"email": ["Немає активного покупця з таким e-mail."]}
    assert books() == before


@pytest.mark.parametrize(
    ("typed", "kopiyky"),
    [("1,5", 150), ("150.50", 15050), ("1 000,25", 100025), ("7", 700)],
)
@override_config(WALLET_CREDIT_APPROVAL_THRESHOLD=5000)  # 1 000,25 is posted at once, not queued
def test_amounts_are_read_the_way_people_type_them(client, typed, kopiyky):
    login_as(client, "Finance")
    customer = UserFactory()

    client.post(STORE_CREDIT_URL, store_credit_form(client, email=customer.email, amount=typed))

    assert ensure_wallet(user_id=customer.pk).balance == kopiyky


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("0", POSITIVE),
        ("-3", POSITIVE),
        ("1.234", TOO_PRECISE),
        ("abc", NOT_AN_AMOUNT),
        ("Infinity", NOT_AN_AMOUNT),
        ("NaN", NOT_AN_AMOUNT),
        ("sNaN", NOT_AN_AMOUNT),
        ("1e400", NOT_AN_AMOUNT),
        ("1000000.01", f"За один раз — не більше 1\u202f000\u202f000,00{NBSP}₴."),
        ("", "Це поле обов'язкове."),
    ],
)
def test_amounts_that_are_not_money_are_form_errors(client, typed, error):
    login_as(client, "Finance")
    customer = UserFactory()
    before = books()

    response = client.post(STORE_CREDIT_URL, store_credit_form(client, email=customer.email, amount=typed))

    assert response.status_code == 200
    assert response.context["form"].errors == {"amount": [error]}
    assert books() == before


def test_a_reason_is_required(client):
    login_as(client, "Finance")
    customer = UserFactory()

    response = client.post(STORE_CREDIT_URL, store_credit_form(client, email=customer.email, amount="5", reason=""))

    assert response.context["form"].errors == {"reason": ["Це поле обов'язкове."]}
    assert Account.objects.filter(owner=customer).exists() is False


def test_the_form_can_be_opened_for_a_customer(client):
    login_as(client, "Support")

    response = client.get(STORE_CREDIT_URL, {"email": "olena@example.com"})

    form = response.context["form"]
    assert form.initial["email"] == "olena@example.com"
    assert len(form.initial["token"]) == 32
    assertContains(response, 'type="hidden" name="token"')


def test_warehouse_cannot_give_store_credit(client):
    login_as(client, "Warehouse")
    customer = UserFactory()

    response = client.post(
        STORE_CREDIT_URL,
        {"email": customer.email, "direction": "credit", "amount": "100", "reason": "x", "token": "t" * 32},
    )

    assert response.status_code == 403
    assert Account.objects.filter(owner=customer).exists() is False

"""What a payment callback costs in SQL, first delivery and duplicate (issue 11)."""

import pytest

from ledger.models import JournalEntry
from payments.models import Payment, WebhookEvent
from payments.tests.conftest import online_order, post_callback, signed_callback, start

pytestmark = pytest.mark.django_db

# BEGIN; INSERT the event ON CONFLICT DO NOTHING; lock the order (found through the payment,
# with "does it wait for review?"); lock the payment (with "did another payment pay the
# order?"); the payment's state log; the order's state log; UPDATE the order; INSERT its three
# outbox messages (one statement); UPDATE the payment; UPDATE the event; COMMIT. The ledger
# entry is one prepared statement on the raw connection (ledger.services.posting), not listed.
FIRST_CALLBACK_QUERIES = 11
# BEGIN; INSERT ON CONFLICT DO NOTHING (the index finds the first); read the event; COMMIT.
DUPLICATE_CALLBACK_QUERIES = 4


def _warm(sandbox):
    """One callback first: the ledger's account ids and the content types are per process."""
    payment = start(online_order())
    assert post_callback(*signed_callback(sandbox, payment)).status_code == 200


def test_a_first_callback_costs_a_fixed_number_of_queries(sandbox, django_assert_num_queries):
    _warm(sandbox)
    payment = start(online_order())
    body, signature = signed_callback(sandbox, payment)
    with django_assert_num_queries(FIRST_CALLBACK_QUERIES):
        response = post_callback(body, signature)
    assert (response.status_code, response.content) == (200, b"OK")
    payment.refresh_from_db()
    assert (payment.status, payment.order.status) == ("captured", "confirmed")
    assert JournalEntry.objects.filter(kind="capture", reference_id=str(payment.reference)).count() == 1


def test_a_duplicate_callback_reads_and_writes_nothing_more(sandbox, django_assert_num_queries):
    _warm(sandbox)
    payment = start(online_order())
    body, signature = signed_callback(sandbox, payment)
    assert post_callback(body, signature).status_code == 200
    with django_assert_num_queries(DUPLICATE_CALLBACK_QUERIES) as captured:
        response = post_callback(body, signature)
    assert (response.status_code, response.content) == (200, b"OK")
    # nothing locked, nothing changed: the duplicate's only write is the INSERT the index refused
    assert not any("FOR UPDATE" in q["sql"] or q["sql"].startswith("UPDATE") for q in captured.captured_queries)
    assert WebhookEvent.objects.filter(payment=payment).count() == 1
    assert Payment.objects.get(pk=payment.pk).status == "captured"
    assert JournalEntry.objects.filter(kind="capture", reference_id=str(payment.reference)).count() == 1

"""Races that hurt users of Saleor, Medusa and Oscar, proven with threads on the real database."""

from urllib.parse import urlsplit

import pytest
from django.test import Client

from ledger.integrity import verify_ledger
from ledger.models import JournalEntry
from payments.exceptions import RefundNotPossible
from payments.models import Payment, Refund, WebhookEvent
from payments.return_links import return_url_for
from payments.services import request_refund, send_refund
from payments.tests.conftest import deliver, money_at, online_order, post_callback, signed_callback, start


def test_fifty_concurrent_deliveries_of_one_callback_capture_once(run_concurrently, sandbox):
    payment = start(online_order(price=25000))
    body, signature = signed_callback(sandbox, payment)

    results = run_concurrently(50, lambda i: post_callback(body, signature, client=Client()).status_code)

    assert [r.value for r in results] == [200] * 50
    payment.refresh_from_db()
    assert (payment.status, payment.captured_amount) == ("captured", 25000)
    assert JournalEntry.objects.filter(kind="capture").count() == 1
    assert WebhookEvent.objects.count() == 1
    assert money_at("customer_prepayments") == 25000
    assert verify_ledger().ok


def test_callback_racing_the_shoppers_return(run_concurrently, sandbox):
    order = online_order()
    payment = start(order)
    body, signature = signed_callback(sandbox, payment)

    def act(i):
        client = Client()
        if i % 2:
            return post_callback(body, signature, client=client).status_code
        client.get(urlsplit(return_url_for(payment)).path)
        return client.get(order.get_absolute_url()).status_code

    results = run_concurrently(10, act)

    assert all(r.ok and r.value == 200 for r in results), [r.error for r in results]
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.status, order.status) == ("captured", "confirmed")
    assert JournalEntry.objects.filter(kind="capture").count() == 1


def test_two_different_callbacks_racing_each_other(run_concurrently, sandbox):
    # "paid" and a stale "declined" for the same attempt at once: paid wins, never backwards
    order = online_order()
    payment = start(order)
    paid = signed_callback(sandbox, payment, "paid")
    declined = signed_callback(sandbox, payment, "declined")

    results = run_concurrently(8, lambda i: post_callback(*(paid if i % 2 else declined), client=Client()))

    assert all(r.ok for r in results)
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status in ("captured", "failed")
    if payment.status == "failed":  # the decline came first; the success still overrides it
        assert order.status == "placed"
    assert WebhookEvent.objects.count() == 2
    assert JournalEntry.objects.filter(kind="capture").count() == (1 if payment.status == "captured" else 0)


@pytest.mark.django_db
def test_partial_then_full_refund(sandbox, django_capture_on_commit_callbacks):
    payment = start(online_order(price=40000))
    deliver(sandbox, payment)

    with django_capture_on_commit_callbacks(execute=True):
        request_refund(payment_id=payment.pk, amount=15000, reason="one item broken", by=None, idempotency_key="r1")
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", 15000)

    with django_capture_on_commit_callbacks(execute=True):
        request_refund(payment_id=payment.pk, amount=25000, reason="rest returned", by=None, idempotency_key="r2")
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount, payment.refundable) == ("refunded", 40000, 0)
    assert money_at("customer_prepayments") == 0
    assert verify_ledger().ok


def test_concurrent_refunds_never_exceed_what_was_captured(run_concurrently, sandbox):
    payment = start(online_order(price=10000))
    deliver(sandbox, payment)

    def refund(i):
        request_refund(payment_id=payment.pk, amount=3000, reason="partial", by=None, idempotency_key=f"c{i}")

    results = run_concurrently(8, refund)

    assert sum(r.ok for r in results) == 3
    assert all(isinstance(r.error, RefundNotPossible) for r in results if not r.ok)
    payment.refresh_from_db()
    assert payment.refund_requested_amount == 9000
    assert payment.refunded_amount == 9000  # the on-commit sends ran in each thread
    assert Refund.objects.filter(status="succeeded").count() == 3
    assert verify_ledger().ok


@pytest.mark.django_db
def test_a_refund_left_pending_by_a_crash_is_finished_by_reconciliation(sandbox):
    from django.utils import timezone

    from payments.services import reconcile_payments

    payment = start(online_order(price=20000))
    deliver(sandbox, payment)
    refund = request_refund(payment_id=payment.pk, amount=5000, reason="late", by=None, idempotency_key="crash")
    # the worker marked it pending, the gateway refunded, and the worker died before recording it
    Refund.objects.filter(pk=refund.pk).update(status="pending")
    sandbox.refund(payment_ref=str(payment.reference), amount=5000, currency="UAH", refund_ref="crash", reason="")

    reconcile_payments(now=timezone.now() + timezone.timedelta(hours=1))

    refund.refresh_from_db()
    payment.refresh_from_db()
    assert (refund.status, payment.refunded_amount, payment.status) == ("succeeded", 5000, "partially_refunded")
    # sending it again later does not ask the provider twice
    assert send_refund(refund_id=refund.pk).status == "succeeded"
    assert JournalEntry.objects.filter(kind="refund").count() == 1
    assert verify_ledger().ok


@pytest.mark.django_db
def test_store_credit_top_up_by_online_payment(sandbox, django_capture_on_commit_callbacks, mailoutbox):
    from ledger.selectors import wallet_of
    from payments.return_links import callback_url_for, return_url_for
    from payments.services import start_top_up
    from tests.factories import UserFactory

    user = UserFactory()
    payment = start_top_up(
        user=user,
        amount=50000,
        provider_code="sandbox",
        return_url_for=return_url_for,
        callback_url_for=callback_url_for,
    )
    with django_capture_on_commit_callbacks(execute=True):
        deliver(sandbox, payment)

    assert wallet_of(user_id=user.pk).balance == 50000
    assert Payment.objects.get(pk=payment.pk).status == "captured"
    assert [m.to for m in mailoutbox] == [[user.email]]
    assert verify_ledger().ok

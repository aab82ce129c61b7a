"""Disputes (chargebacks): opened by a provider's notice or Finance, freezing refunds, resolved won or lost."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from ledger.integrity import verify_ledger
from ledger.models import JournalEntry
from orders.models import Order
from payments.exceptions import PaymentDisputed, RefundNotPossible
from payments.models import Payment, Refund, WebhookEvent
from payments.services import (
    open_dispute,
    refund_money_of_closed_orders,
    request_refund,
    resolve_dispute,
    send_refund,
    send_stuck_refunds,
)
from payments.tests.conftest import deliver, money_at, online_order, start
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:payments_payment_changelist"


@pytest.fixture
def captured(sandbox):
    payment = start(online_order(price=40000))
    deliver(sandbox, payment)
    payment.refresh_from_db()
    assert (payment.status, payment.captured_amount, payment.fee) == ("captured", 40000, 600)
    return payment


def refund(payment, amount=1000, key="k1", send=True):
    """Ask for a refund and, as the worker would, send it (the sandbox settles it at once)."""
    asked = request_refund(payment_id=payment.pk, amount=amount, reason="returned", by=None, idempotency_key=key)
    return send_refund(refund_id=asked.pk) if send else asked


def test_a_chargeback_notice_disputes_the_payment_and_freezes_refunds(sandbox, captured):
    response = deliver(sandbox, captured, status="chargeback")

    captured.refresh_from_db()
    assert response.status_code == 200
    assert (captured.status, captured.status_before_dispute, captured.disputed_by, captured.needs_review) == (
        "disputed",
        "captured",
        None,
        True,
    )
    assert captured.dispute_reason == "Chargeback notice from sandbox: chargeback"
    assert WebhookEvent.objects.filter(event="chargeback").get().result == "processed"
    with pytest.raises(PaymentDisputed) as refused:
        refund(captured)
    assert refused.value.code == "payment_disputed"
    assert str(refused.value.message) == (
        "Цей платіж оскаржено (чарджбек): повернення коштів заморожено до завершення спору."
    )
    assert not Refund.objects.exists()
    # a redelivered notice changes nothing
    deliver(sandbox, captured, status="chargeback")
    assert WebhookEvent.objects.filter(event="chargeback").count() == 1


def test_sweeps_skip_a_disputed_payment(captured):
    frozen = refund(captured, send=False)  # asked for before the dispute, not yet sent
    Refund.objects.filter(pk=frozen.pk).update(status=Refund.Status.REQUESTED, created_at="2000-01-01T00:00:00Z")
    captured.refresh_from_db()
    open_dispute(payment_id=captured.pk, by=None, reason="bank letter 42")
    Order.objects.filter(pk=captured.order_id).update(status=Order.Status.CANCELLED)

    assert refund_money_of_closed_orders() == 0
    assert send_stuck_refunds() == {"sent": 0, "flagged": 0}
    frozen.refresh_from_db()
    assert frozen.status == "requested"


def test_finance_marks_a_payment_disputed_with_a_reason_and_support_cannot(client, captured):
    client.force_login(StaffFactory(role="Support"))
    selected = {"action": "mark_disputed", "_selected_action": [captured.pk], "index": 0}
    assert client.post(reverse(CHANGELIST), {**selected, "post": "yes", "reason": "x"}).context["action_form"] is None

    finance = StaffFactory(role="Finance")
    client.force_login(finance)
    page = client.post(reverse(CHANGELIST), selected)
    assert (page.status_code, [p.pk for p in page.context["payments"]]) == (200, [captured.pk])
    response = client.post(reverse(CHANGELIST), {**selected, "post": "yes", "reason": "Visa case 7731"})

    assert response.status_code == 302
    captured.refresh_from_db()
    assert (captured.status, captured.disputed_by, captured.dispute_reason) == ("disputed", finance, "Visa case 7731")
    listed = client.get(reverse(CHANGELIST), {"dispute": "open"})
    assert [p.pk for p in listed.context["cl"].result_list] == [captured.pk]
    assert client.get(reverse(CHANGELIST), {"dispute": "lost"}).context["cl"].result_list.count() == 0


def test_a_won_dispute_returns_the_payment_to_where_it_was(client, captured):
    refund(captured, amount=1000)  # a partial refund, settled by the sandbox at once
    captured.refresh_from_db()
    assert captured.status == "partially_refunded"
    open_dispute(payment_id=captured.pk, by=None, reason="bank letter")
    finance = StaffFactory(role="Finance")
    client.force_login(finance)

    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "resolve_disputes",
            "_selected_action": [captured.pk],
            "index": 0,
            "post": "yes",
            "outcome": "won",
            "note": "Evidence accepted",
        },
    )

    assert response.status_code == 302
    captured.refresh_from_db()
    assert (captured.status, captured.dispute_outcome, captured.dispute_resolved_by, captured.needs_review) == (
        "partially_refunded",
        "won",
        finance,
        False,
    )
    refund(captured, amount=500, key="k2")  # refunds work again
    captured.refresh_from_db()
    assert captured.refunded_amount == 1500
    assert verify_ledger().ok


def test_a_lost_dispute_is_booked_as_a_chargeback_loss_and_the_books_still_balance(captured):
    refund(captured, amount=1000)
    captured.refresh_from_db()
    frozen_key = "k-frozen"
    open_dispute(payment_id=captured.pk, by=None, reason="bank letter")
    Refund.objects.create(
        payment=captured, amount=2000, reason="asked during the dispute", idempotency_key=frozen_key, kind="staff"
    )
    Payment.objects.filter(pk=captured.pk).update(refund_requested_amount=3000)
    psp_before = money_at("psp:sandbox")

    resolve_dispute(payment_id=captured.pk, by=None, outcome="lost", note="Issuer ruled for the cardholder")

    captured.refresh_from_db()
    assert (captured.status, captured.charged_back_amount, captured.refund_requested_amount) == (
        "charged_back",
        39000,
        1000,
    )
    assert Refund.objects.get(idempotency_key=frozen_key).status == "failed"
    entry = JournalEntry.objects.get(kind="chargeback")
    assert entry.idempotency_key == f"payment:{captured.reference}:chargeback"
    assert (money_at("chargeback_losses"), money_at("psp:sandbox")) == (39000, psp_before - 39000)
    report = verify_ledger()
    assert report.ok, report.as_text()
    call_command("ledger_verify")  # the command exits non-zero on a failed check
    with pytest.raises(RefundNotPossible, match="лише за списаним платежем; цей має статус"):
        refund(captured, amount=100, key="k3")


def test_a_refund_reported_during_a_dispute_goes_to_review(sandbox, captured):
    open_dispute(payment_id=captured.pk, by=None, reason="bank letter")

    deliver(sandbox, captured, status="refunded", refunded=40000)

    captured.refresh_from_db()
    assert (captured.status, captured.refunded_amount, captured.needs_review) == ("disputed", 0, True)
    assert WebhookEvent.objects.filter(event="refunded").get().result == "review"
    assert not JournalEntry.objects.filter(kind="refund").exists()

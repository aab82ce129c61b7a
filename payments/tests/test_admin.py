"""The payments back office: who sees and does what, refunds through the form, the inbox."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from ledger.integrity import verify_ledger
from ledger.models import JournalEntry
from payments.models import Payment, Refund, WebhookEvent
from payments.services import request_refund
from payments.tests.conftest import deliver, money_at, online_order, post_callback, signed_callback, start
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
# core.money.parse_hryvnias's refusals, in the admin's default language (Ukrainian).
POSITIVE = "Введіть суму, більшу за нуль."
TOO_PRECISE = "Після коми — не більше двох цифр (копійки)."
NOT_AN_AMOUNT = "Введіть суму в гривнях, наприклад 150, 150,50 або 1 399,50."


def login_as(client, role):
    user = StaffFactory(role=role)
    client.force_login(user)
    return user


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def changelist_url(model: str) -> str:
    return reverse(f"admin:payments_{model}_changelist")


def change_url(obj) -> str:
    return reverse(f"admin:payments_{obj._meta.model_name}_change", args=[obj.pk])


def refund_url(payment) -> str:
    return reverse("admin:payments_payment_refund", args=[payment.pk])


def refund_form(client, payment) -> dict:
    """Open the refund form as staff would and return its fields, one-time token included."""
    response = client.get(refund_url(payment))
    assert response.status_code == 200
    return {"token": response.context["form"]["token"].value(), "amount": "", "reason": ""}


def state(payment) -> tuple:
    payment.refresh_from_db()
    return (payment.status, payment.refund_requested_amount, payment.refunded_amount, Refund.objects.count())


@pytest.fixture
def captured(sandbox):
    """A captured payment of 400.00 ₴ for an online order."""
    payment = start(online_order(price=40000))
    deliver(sandbox, payment)
    payment.refresh_from_db()
    assert payment.status == "captured"
    return payment


# --- roles -----------------------------------------------------------------------------------


def test_roles_hold_exactly_their_payment_permissions():
    def payment_perms(role):
        return sorted(
            Group.objects.get(name=role)
            .permissions.filter(content_type__app_label="payments")
            .values_list("codename", flat=True)
        )

    assert payment_perms("Finance") == [
        "dispute_payment",
        "refund_payment",
        "reprocess_webhook",
        "view_payment",
        "view_refund",
        "view_webhookevent",
    ]
    assert payment_perms("Manager") == ["refund_payment", "view_payment", "view_refund", "view_webhookevent"]
    assert payment_perms("Support") == ["view_payment", "view_refund"]
    assert payment_perms("Warehouse") == []


@pytest.mark.parametrize(
    ("role", "payments", "refunds", "events"),
    [
        ("Finance", 200, 200, 200),
        ("Manager", 200, 200, 200),
        ("Support", 200, 200, 403),
        ("Warehouse", 403, 403, 403),
    ],
)
def test_each_role_sees_only_its_lists(client, captured, role, payments, refunds, events):
    login_as(client, role)
    assert client.get(changelist_url("payment")).status_code == payments
    assert client.get(change_url(captured)).status_code == payments
    assert client.get(changelist_url("refund")).status_code == refunds
    assert client.get(changelist_url("webhookevent")).status_code == events
    event = WebhookEvent.objects.get()
    assert client.get(change_url(event)).status_code == events


def test_nobody_adds_edits_or_deletes_payments_here(client, captured):
    login_as(client, "Finance")
    before = state(captured)
    assert client.get(reverse("admin:payments_payment_add")).status_code == 403
    assert client.post(change_url(captured), {"needs_review": "on"}).status_code == 403
    assert client.post(reverse("admin:payments_payment_delete", args=[captured.pk]), {"post": "yes"}).status_code == 403
    event = WebhookEvent.objects.get()
    assert (
        client.post(reverse("admin:payments_webhookevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    )
    assert state(captured) == before
    assert WebhookEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(("role", "button"), [("Finance", True), ("Manager", True), ("Support", False)])
def test_the_refund_button_is_shown_to_who_may_refund(client, captured, role, button):
    login_as(client, role)
    response = client.get(change_url(captured))
    assert response.status_code == 200
    assert (f'href="{refund_url(captured)}"' in response.content.decode()) is button


def test_no_refund_button_on_a_payment_with_nothing_to_refund(client, sandbox):
    login_as(client, "Finance")
    pending = start(online_order())
    assert "refund_url" not in client.get(change_url(pending)).context
    assert client.get(change_url(pending)).status_code == 200


@pytest.mark.parametrize("role", ["Support", "Warehouse"])
def test_support_and_warehouse_cannot_refund_even_by_posting_the_form(client, captured, role):
    login_as(client, role)
    before = state(captured)
    assert client.get(refund_url(captured)).status_code == 403
    response = client.post(refund_url(captured), {"token": "t1", "amount": "100", "reason": "asked nicely"})
    assert response.status_code == 403
    assert state(captured) == before


# --- the changelist --------------------------------------------------------------------------


def test_changelist_row_shows_order_status_and_money(client, captured):
    login_as(client, "Support")
    response = client.get(changelist_url("payment"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [captured]
    html = response.content.decode()
    order = captured.order
    assert f'<a href="{reverse("admin:orders_order_change", args=[order.pk])}">{order.number}</a>' in html
    assert 'class="kr-status kr-payment-captured"' in html
    assert f'<td class="field-amount_display">400,00{NBSP}₴</td>' in html
    assert f'<td class="field-captured_display">400,00{NBSP}₴</td>' in html
    assert f'<td class="field-refunded_display">0,00{NBSP}₴</td>' in html


@pytest.mark.parametrize("count", [2, 6])
def test_payment_changelist_query_count_is_flat(client, sandbox, django_assert_num_queries, count):
    login_as(client, "Finance")
    for _ in range(count):
        deliver(sandbox, start(online_order()))
    # the session row and the providers' breaker line included; no date_hierarchy, one count
    with django_assert_num_queries(8):
        response = client.get(changelist_url("payment"))
    assert len(response.context["cl"].result_list) == count


@pytest.mark.parametrize("count", [2, 6])
def test_inbox_and_refund_lists_query_count_is_flat(
    client, sandbox, django_assert_num_queries, django_capture_on_commit_callbacks, count
):
    login_as(client, "Finance")
    for i in range(count):
        payment = start(online_order())
        deliver(sandbox, payment)
        with django_capture_on_commit_callbacks(execute=True):
            request_refund(payment_id=payment.pk, amount=100, reason="r", by=None, idempotency_key=f"k{i}")
    with django_assert_num_queries(8):  # the session row included; no date_hierarchy, one count
        response = client.get(changelist_url("webhookevent"))
    assert len(response.context["cl"].result_list) == count  # the paid callbacks
    with django_assert_num_queries(9):  # the session row included
        response = client.get(changelist_url("refund"))
    assert len(response.context["cl"].result_list) == count


def test_search_finds_a_payment_by_reference_order_number_and_email(client, sandbox):
    login_as(client, "Support")
    mine = start(online_order(email="taras@example.com"))
    other = start(online_order())

    def found(q):
        return list(client.get(changelist_url("payment"), {"q": q}).context["cl"].result_list)

    assert found(str(mine.reference)) == [mine]
    assert found(mine.order.number) == [mine]
    assert found("TARAS@example.com") == [mine]
    assert found(str(other.reference).upper()) == [other]


# --- refunds through the form ----------------------------------------------------------------


def test_finance_refunds_part_then_the_rest_through_the_form(client, captured, django_capture_on_commit_callbacks):
    finance = login_as(client, "Finance")
    # when Finance refunds 150.00 ₴ of the 400.00 ₴
    data = {**refund_form(client, captured), "amount": "150", "reason": "One cup arrived broken"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(refund_url(captured), data)
    # then the refund is requested, sent to the provider on commit, and confirmed
    assert response.status_code == 302
    assert response["Location"] == change_url(captured)
    refund = Refund.objects.get()
    assert messages_of(response) == [
        f"Повернення 150,00{NBSP}₴ запитано (повернення №{refund.pk}); платіж покаже його, щойно sandbox підтвердить."
    ]
    assert (refund.amount, refund.status, refund.reason, refund.requested_by, refund.automatic) == (
        15000,
        "succeeded",
        "One cup arrived broken",
        finance,
        False,
    )
    assert refund.idempotency_key == f"admin-refund:{data['token']}"
    assert state(captured) == ("partially_refunded", 15000, 15000, 1)
    # and the page still offers the rest
    assert client.get(change_url(captured)).context["refund_url"] == refund_url(captured)

    # when Finance refunds the remaining 250.00 ₴ from a fresh form
    data = {**refund_form(client, captured), "amount": "250.00", "reason": "Whole order returned"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(refund_url(captured), data)
    # then the payment is fully refunded and the button is gone
    assert response.status_code == 302
    assert state(captured) == ("refunded", 40000, 40000, 2)
    page = client.get(change_url(captured))
    assert "refund_url" not in page.context
    assert money_at("customer_prepayments") == 0
    assert verify_ledger().ok


def test_an_over_refund_is_refused_with_a_message_and_changes_nothing(client, captured):
    login_as(client, "Finance")
    before = state(captured)
    data = {**refund_form(client, captured), "amount": "400.01", "reason": "Too generous"}

    response = client.post(refund_url(captured), data)

    assert response.status_code == 200  # the form again, with what was typed
    assert messages_of(response) == ["За цим платежем можна повернути ще щонайбільше 40000 коп.; запитано 40001."]
    assert response.context["form"]["amount"].value() == "400.01"
    assert state(captured) == before == ("captured", 0, 0, 0)
    assert not JournalEntry.objects.filter(kind="refund").exists()


@pytest.mark.parametrize(
    ("amount", "reason", "errors"),
    [
        ("abc", "x", {"amount": [NOT_AN_AMOUNT]}),
        ("0", "x", {"amount": [POSITIVE]}),
        ("10.001", "x", {"amount": [TOO_PRECISE]}),
        ("10", "", {"reason": ["Це поле обов'язкове."]}),
    ],
)
def test_a_wrong_amount_or_no_reason_is_a_form_error(client, captured, amount, reason, errors):
    login_as(client, "Finance")
    before = state(captured)
    response = client.post(refund_url(captured), {**refund_form(client, captured), "amount": amount, "reason": reason})
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert state(captured) == before


def test_a_double_submitted_refund_form_refunds_once(client, captured, django_capture_on_commit_callbacks):
    login_as(client, "Finance")
    data = {**refund_form(client, captured), "amount": "100", "reason": "Late delivery"}

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(refund_url(captured), data)
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(refund_url(captured), data)

    assert (first.status_code, again.status_code) == (302, 302)
    refund = Refund.objects.get()
    assert messages_of(again)[-1:] == [
        f"Цю форму повернення вже надіслано: повернення №{refund.pk} на 100,00{NBSP}₴ — повернуто; "
        "більше нічого не зроблено."
    ]
    assert state(captured) == ("partially_refunded", 10000, 10000, 1)
    assert JournalEntry.objects.filter(kind="refund").count() == 1


def test_the_form_refuses_a_payment_that_is_not_captured(client, sandbox):
    login_as(client, "Finance")
    pending = start(online_order())
    response = client.post(refund_url(pending), {**refund_form(client, pending), "amount": "1", "reason": "x"})
    assert response.status_code == 200
    pending_label = str(Payment.Status.PENDING.label).lower()
    assert messages_of(response) == [
        f"Повернути кошти можна лише за списаним платежем; цей має статус «{pending_label}»."
    ]
    assert not Refund.objects.exists()


# --- review ----------------------------------------------------------------------------------


def test_finance_marks_a_payment_reviewed_with_a_note(client, sandbox):
    finance = login_as(client, "Finance")
    flagged = start(online_order(price=49900))
    deliver(sandbox, flagged, amount=100)  # the provider reported another amount: review
    clean = start(online_order())
    selected = {"action": "mark_reviewed", "_selected_action": [flagged.pk, clean.pk], "index": 0}
    # the action first asks for a note
    page = client.post(changelist_url("payment"), selected)
    assert page.status_code == 200
    assert [p.pk for p in page.context["payments"]] == [flagged.pk, clean.pk]
    refused = client.post(changelist_url("payment"), {**selected, "post": "yes", "note": " "})
    assert refused.context["form"].errors == {"note": ["Це поле обов'язкове."]}

    response = client.post(changelist_url("payment"), {**selected, "post": "yes", "note": "Called the bank"})

    assert response.status_code == 302
    assert messages_of(response) == [
        f"Позначено перевіреними (1): {flagged.reference}.",
        f"Не позначено перевіреними (1): {clean.reference} (Він не чекав на перевірку).",
    ]
    flagged.refresh_from_db()
    assert (flagged.needs_review, flagged.status) == (False, "pending")
    assert flagged.review_reason == (
        f"Provider reported amount 100, expected 49900; not captured. Reviewed by {finance.email}: Called the bank"
    )


def test_support_has_no_payment_actions(client, captured):
    login_as(client, "Support")
    Payment.objects.filter(pk=captured.pk).update(needs_review=True)
    response = client.post(
        changelist_url("payment"),
        {"action": "mark_reviewed", "_selected_action": [captured.pk], "index": 0, "post": "yes", "note": "x"},
    )
    assert response.status_code == 200
    assert response.context["action_form"] is None
    captured.refresh_from_db()
    assert captured.needs_review is True


# --- the webhook inbox -----------------------------------------------------------------------


def _failed_event(sandbox, monkeypatch, payment):
    """A paid callback whose processing crashed: kept in the inbox as failed."""
    from payments.services import capture

    original = capture.on_captured
    monkeypatch.setattr(capture, "on_captured", lambda *a: (_ for _ in ()).throw(RuntimeError("disk full")))
    body, signature = signed_callback(sandbox, payment)
    with pytest.raises(RuntimeError):
        post_callback(body, signature, client=Client(raise_request_exception=True))
    monkeypatch.setattr(capture, "on_captured", original)
    event = WebhookEvent.objects.get(result="failed")
    assert event.result_detail == "RuntimeError: disk full"
    return event


def reprocess(client, *events):
    return client.post(
        changelist_url("webhookevent"),
        {"action": "reprocess_selected", "_selected_action": [e.pk for e in events], "index": 0},
    )


def test_finance_reprocesses_a_failed_event_from_the_inbox(client, sandbox, monkeypatch):
    login_as(client, "Finance")
    payment = start(online_order())
    event = _failed_event(sandbox, monkeypatch, payment)
    payment.refresh_from_db()
    assert payment.status == "pending"

    response = reprocess(client, event)

    assert response.status_code == 302
    order = payment.order
    assert messages_of(response) == [
        f"Повторно оброблено (1): #{event.pk} (оброблено: captured; order {order.number} confirmed)."
    ]
    payment.refresh_from_db()
    event.refresh_from_db()
    order.refresh_from_db()
    assert (payment.status, order.status) == ("captured", "confirmed")
    assert (event.result, event.attempts, event.payment_id) == ("processed", 2, payment.pk)
    assert JournalEntry.objects.filter(kind="capture").count() == 1


def test_an_event_with_a_bad_signature_is_never_reprocessed(client, sandbox):
    login_as(client, "Finance")
    payment = start(online_order())
    body, _ = signed_callback(sandbox, payment)
    assert post_callback(body, "0" * 64).status_code == 403
    rejected = WebhookEvent.objects.get()

    response = reprocess(client, rejected)

    assert messages_of(response) == [
        f"Не оброблено повторно (1): #{rejected.pk} (її підпис неправильний: підроблений або пошкоджений колбек "
        "ніколи не застосовується)."
    ]
    rejected.refresh_from_db()
    payment.refresh_from_db()
    assert (rejected.result, rejected.attempts, payment.status) == ("rejected", 0, "pending")


def test_reprocessing_reports_each_event(client, sandbox, monkeypatch):
    # given a processed event, a failed one and a rejected one
    login_as(client, "Finance")
    done = start(online_order())
    deliver(sandbox, done)
    processed = WebhookEvent.objects.get(payment=done)
    failed = _failed_event(sandbox, monkeypatch, start(online_order()))
    post_callback(signed_callback(sandbox, done)[0], "forged")
    rejected = WebhookEvent.objects.get(result="rejected")
    # when all three are re-processed at once
    response = reprocess(client, processed, failed, rejected)
    # then each is reported, and the processed one is left as it was
    assert [m.split(":")[0] for m in messages_of(response)] == [
        "Повторно оброблено (1)",
        "Уже оброблено, нічого робити",
        "Не оброблено повторно (1)",
    ]
    assert f"#{processed.pk}." in messages_of(response)[1]
    processed.refresh_from_db()
    assert (processed.result, processed.attempts) == ("processed", 1)


@pytest.mark.parametrize("role", ["Manager", "Support"])
def test_only_finance_may_reprocess(client, sandbox, monkeypatch, role):
    login_as(client, role)
    event = _failed_event(sandbox, monkeypatch, start(online_order()))
    response = reprocess(client, event)
    assert response.status_code == (200 if role == "Manager" else 403)
    event.refresh_from_db()
    assert (event.result, event.attempts) == ("failed", 1)


def test_the_event_page_shows_the_payload_headers_and_update(client, sandbox):
    login_as(client, "Finance")
    payment = start(online_order())
    body, signature = signed_callback(sandbox, payment)
    post_callback(body, signature)
    event = WebhookEvent.objects.get()

    html = client.get(change_url(event)).content.decode()

    assert event.raw_body == body.decode()
    assert "&quot;payment_ref&quot;: &quot;" + str(payment.reference) in html  # raw body, escaped
    assert "x-sandbox-signature" in html.lower()
    assert "&quot;event&quot;: &quot;captured&quot;" in html  # the verified update, as JSON
    assert f'href="{change_url(payment)}"' in html
    assert "<pre" in html


def test_payment_page_lists_its_refunds_and_events_with_links(client, captured, django_capture_on_commit_callbacks):
    login_as(client, "Finance")
    data = {**refund_form(client, captured), "amount": "10", "reason": "Goodwill"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(refund_url(captured), data)
    refund = Refund.objects.get()

    html = client.get(change_url(captured)).content.decode()

    assert f'<a href="{change_url(refund)}">#{refund.pk}</a>' in html
    for event in WebhookEvent.objects.all():
        assert f'<a href="{change_url(event)}">#{event.pk}</a>' in html


def test_support_sees_refunds_but_not_the_inbox_on_a_payment(client, captured):
    login_as(client, "Support")
    response = client.get(change_url(captured))
    names = [formset.opts.__class__.__name__ for formset in response.context["inline_admin_formsets"]]
    assert names == ["RefundInline"]


# --- the order's payments in the orders admin -----------------------------------------------


def test_order_page_lists_its_payments_for_who_may_see_them(client, captured):
    order = captured.order
    url = reverse("admin:orders_order_change", args=[order.pk])
    login_as(client, "Finance")
    html = client.get(url).content.decode()
    assert f'<a href="{change_url(captured)}">{captured.reference}</a>' in html
    assert '<div class="readonly">оплачено</div>' in html
    client.force_login(StaffFactory(role="Warehouse"))
    response = client.get(url)
    assert response.status_code == 200
    assert change_url(captured) not in response.content.decode()
    assert "Платежі" not in [fieldset.name for fieldset in response.context["adminform"]]


@pytest.mark.parametrize("count", [2, 6])
def test_order_changelist_shows_payment_status_at_a_flat_cost(client, sandbox, django_assert_num_queries, count):
    login_as(client, "Support")
    for _ in range(count):
        deliver(sandbox, start(online_order()))
    with django_assert_num_queries(7):  # the orders list's 6 (with the session), one for all their payments
        response = client.get(reverse("admin:orders_order_changelist"))
    assert response.content.decode().count('<span class="kr-sub">оплачено</span></td>') == count


def test_my_orders_page_shows_the_payment_status_at_a_flat_cost(client, sandbox, django_assert_num_queries):
    me = UserFactory()
    for _ in range(3):
        deliver(sandbox, start(online_order(customer=me)))
    start(online_order(customer=me))
    client.force_login(me)
    # the session row, the user, a count for the pages, the orders, their lines, their payments,
    # the header's cart count
    with django_assert_num_queries(7):
        response = client.get(reverse("accounts:orders"))
    html = response.content.decode()
    assert html.count('<td data-label="Оплата">оплачено</td>') == 3
    assert html.count('<td data-label="Оплата">оплата обробляється</td>') == 1

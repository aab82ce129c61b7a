"""The payments API: paying one's own order, reading a payment, refunding (finance staff)."""

from datetime import datetime

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ledger.integrity import verify_ledger
from ledger.models import JournalEntry
from payments.api import refund_key
from payments.models import Payment, Refund
from payments.providers.base import ProviderError
from payments.providers.sandbox import SandboxProvider
from payments.return_links import callback_url_for, return_url_for
from payments.services import start_top_up
from payments.tests.conftest import deliver, online_order, start
from tests.factories import StaffFactory, UserFactory, place_test_order

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def pay_url(order) -> str:
    return f"/api/v1/orders/{order.number}/payments/"


def payment_url(payment) -> str:
    return f"/api/v1/payments/{payment.reference}/"


def refunds_url(payment) -> str:
    return f"{payment_url(payment)}refunds/"


@pytest.fixture
def customer():
    return UserFactory()


@pytest.fixture
def captured(sandbox, customer):
    """A captured payment of 400.00 ₴ for the customer's online order."""
    payment = start(online_order(price=40000, customer=customer))
    deliver(sandbox, payment)
    payment.refresh_from_db()
    return payment


# --- starting a payment ----------------------------------------------------------------------


def test_a_customer_starts_paying_their_online_order(customer):
    # given the customer's online order of 499.00 ₴
    order = online_order(price=49900, customer=customer)
    # when they ask to pay it with the sandbox
    response = client_for(customer).post(pay_url(order), {"provider": "sandbox"}, format="json")
    # then a payment attempt is open and they are told where to go
    assert response.status_code == 201
    payment = Payment.objects.get()
    body = response.json()
    assert body == {
        "reference": str(payment.reference),
        "provider": "sandbox",
        "status": "pending",
        "amount": 49900,
        "currency": "UAH",
        "redirect_url": payment.redirect_url,
        "form_action": "",
        "form_fields": {},
    }
    assert body["redirect_url"].startswith("http://")
    assert "/payments/sandbox/" in body["redirect_url"]
    assert (payment.order_id, payment.purpose) == (order.pk, "order")
    # and the order waits for the provider's word, not the shopper's
    order.refresh_from_db()
    assert order.status == "placed"


def test_paying_somebody_elses_order_is_not_found(customer):
    order = online_order(customer=UserFactory())
    response = client_for(customer).post(pay_url(order), {"provider": "sandbox"}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "order_not_found"
    assert not Payment.objects.exists()


def test_a_cash_on_delivery_order_cannot_be_paid_online(customer):
    order = place_test_order(customer=customer)
    response = client_for(customer).post(pay_url(order), {"provider": "sandbox"}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Замовлення №{order.number} не оплачується онлайн.",
        "code": "payment_not_possible",
    }
    assert not Payment.objects.exists()


def test_a_paid_order_cannot_be_paid_again(customer, captured):
    response = client_for(customer).post(pay_url(captured.order), {"provider": "sandbox"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "payment_not_possible"
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("provider", ["fondy", "barter", ""])
def test_an_unknown_or_disabled_provider_is_400(customer, settings, provider):
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, "fondy": {"enabled": False}}
    order = online_order(customer=customer)
    response = client_for(customer).post(pay_url(order), {"provider": provider}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == ("invalid" if provider == "" else "unknown_provider")
    assert "provider" in response.json()["errors"]
    assert not Payment.objects.exists()


def test_a_provider_that_does_not_answer_is_503_and_charges_nothing(customer, monkeypatch):
    def down(self, request):
        raise ProviderError("connection timed out", transient=True)

    monkeypatch.setattr(SandboxProvider, "create_checkout", down)
    order = online_order(customer=customer)
    client = client_for(customer)

    response = client.post(pay_url(order), {"provider": "sandbox"}, format="json", HTTP_IDEMPOTENCY_KEY="k-503")

    assert response.status_code == 503
    assert response.json()["code"] == "provider_unavailable"
    assert Payment.objects.get().status == "failed"
    # a server-side failure releases the key: the retry really tries again
    monkeypatch.undo()
    retry = client.post(pay_url(order), {"provider": "sandbox"}, format="json", HTTP_IDEMPOTENCY_KEY="k-503")
    assert retry.status_code == 201
    assert Payment.objects.filter(status="pending").count() == 1


def test_a_retry_with_the_same_key_returns_the_same_payment(customer):
    order = online_order(customer=customer)
    client = client_for(customer)

    first = client.post(pay_url(order), {"provider": "sandbox"}, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    again = client.post(pay_url(order), {"provider": "sandbox"}, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1


def test_a_new_attempt_without_a_key_supersedes_the_open_one(customer):
    order = online_order(customer=customer)
    client = client_for(customer)
    first = client.post(pay_url(order), {"provider": "sandbox"}, format="json").json()
    second = client.post(pay_url(order), {"provider": "sandbox"}, format="json").json()
    assert first["reference"] != second["reference"]
    statuses = {str(ref): status for ref, status in Payment.objects.values_list("reference", "status")}
    assert statuses == {first["reference"]: "expired", second["reference"]: "pending"}


def test_paying_needs_a_token(customer):
    order = online_order(customer=customer)
    response = APIClient().post(pay_url(order), {"provider": "sandbox"}, format="json")
    assert response.status_code == 401
    assert not Payment.objects.exists()


# --- reading a payment -----------------------------------------------------------------------


def test_the_payer_reads_their_payment(customer, captured):
    response = client_for(customer).get(payment_url(captured))
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "reference": str(captured.reference),
        "provider": "sandbox",
        "purpose": "order",
        "order": captured.order.number,
        "status": "captured",
        "amount": 40000,
        "captured_amount": 40000,
        "refunded_amount": 0,
        "currency": "UAH",
        "created_at": body["created_at"],
    }
    assert datetime.fromisoformat(body["created_at"]) == captured.created_at


def test_a_top_up_is_read_by_whoever_topped_up(customer):
    payment = start_top_up(
        user=customer,
        amount=50000,
        provider_code="sandbox",
        return_url_for=return_url_for,
        callback_url_for=callback_url_for,
    )
    assert client_for(customer).get(payment_url(payment)).json()["order"] is None
    assert client_for(UserFactory()).get(payment_url(payment)).status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("another shopper", 404),
        ("Support", 200),
        ("Finance", 200),
        ("Manager", 200),
        ("Warehouse", 404),
        ("staff without a role", 404),
    ],
)
def test_who_may_read_a_payment(captured, who, status):
    user = {
        "another shopper": UserFactory,
        "staff without a role": StaffFactory,
    }.get(who, lambda: StaffFactory(role=who))()
    response = client_for(user).get(payment_url(captured))
    assert response.status_code == status
    if status == 404:
        assert response.json() == {"detail": "Платіж не знайдено.", "code": "payment_not_found"}


def test_an_order_of_this_customer_as_a_guest_does_not_make_the_payment_theirs(customer, sandbox):
    guest_payment = start(online_order(customer=None))
    assert client_for(customer).get(payment_url(guest_payment)).status_code == 404


@pytest.mark.parametrize("reference", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_reference_is_not_found(reference):
    response = client_for(StaffFactory(role="Finance")).get(f"/api/v1/payments/{reference}/")
    assert response.status_code == 404
    assert response.json()["code"] == "payment_not_found"


# --- the order shows its payment state -------------------------------------------------------


def test_the_order_shows_the_payment_state_from_its_payments(customer, sandbox, django_capture_on_commit_callbacks):
    order = online_order(price=40000, customer=customer)
    client = client_for(customer)

    def payment_status():
        return client.get(f"/api/v1/orders/{order.number}/").json()["payment_status"]

    assert payment_status() == "unpaid"
    payment = Payment.objects.get(
        reference=client.post(pay_url(order), {"provider": "sandbox"}, format="json").json()["reference"]
    )
    assert payment_status() == "payment processing"
    deliver(sandbox, payment)
    assert payment_status() == "paid"
    finance = client_for(StaffFactory(role="Finance"))
    with django_capture_on_commit_callbacks(execute=True):
        finance.post(refunds_url(payment), {"amount": 100, "reason": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="r")
    assert payment_status() == "partially refunded"


def test_the_order_list_reads_all_payments_at_once(customer, sandbox, django_assert_num_queries):
    client = client_for(customer)
    for _ in range(2):
        deliver(sandbox, start(online_order(customer=customer)))
    # token and user, count, orders, their lines, their payments
    with django_assert_num_queries(5):
        assert [o["payment_status"] for o in client.get("/api/v1/orders/").json()["results"]] == ["paid"] * 2
    for _ in range(4):
        start(online_order(customer=customer))
    with django_assert_num_queries(5):
        statuses = [o["payment_status"] for o in client.get("/api/v1/orders/").json()["results"]]
    assert statuses == ["payment processing"] * 4 + ["paid"] * 2


# --- refunds ---------------------------------------------------------------------------------


def refund(client, payment, body=None, key: str | None = "refund-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(
        refunds_url(payment), body or {"amount": 15000, "reason": "One cup broken"}, format="json", **headers
    )


def test_finance_refunds_part_of_a_payment(captured, django_capture_on_commit_callbacks):
    finance = StaffFactory(role="Finance")

    with django_capture_on_commit_callbacks(execute=True):
        response = refund(client_for(finance), captured)

    assert response.status_code == 201
    made = Refund.objects.get()
    assert response.json() == {"id": made.pk, "amount": 15000, "status": "requested", "reason": "One cup broken"}
    assert (made.requested_by, made.idempotency_key) == (finance, f"api-refund:{finance.pk}:refund-1")
    # the provider was asked after the commit and confirmed it
    made.refresh_from_db()
    captured.refresh_from_db()
    assert made.status == "succeeded"
    assert (captured.status, captured.refunded_amount) == ("partially_refunded", 15000)
    assert verify_ledger().ok


def test_a_refund_retried_with_the_same_key_refunds_once(captured, django_capture_on_commit_callbacks):
    client = client_for(StaffFactory(role="Manager"))
    with django_capture_on_commit_callbacks(execute=True):
        first = refund(client, captured)
    with django_capture_on_commit_callbacks(execute=True):
        again = refund(client, captured)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Refund.objects.count() == 1
    assert JournalEntry.objects.filter(kind="refund").count() == 1
    captured.refresh_from_db()
    assert (captured.refund_requested_amount, captured.refunded_amount) == (15000, 15000)


def test_the_refund_key_still_protects_after_the_stored_answer_is_gone(captured):
    from core.models import IdempotencyKey

    client = client_for(StaffFactory(role="Finance"))
    first = refund(client, captured)
    IdempotencyKey.objects.all().delete()  # 24 hours later
    again = refund(client, captured)
    assert again.json()["id"] == first.json()["id"]
    assert Refund.objects.count() == 1


def test_a_refund_needs_an_idempotency_key(captured):
    response = refund(client_for(StaffFactory(role="Finance")), captured, key=None)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Надішліть заголовок Idempotency-Key: без нього повернення коштів не виконується.",
        "code": "idempotency_key_required",
    }
    assert not Refund.objects.exists()


def test_an_over_refund_is_409_and_changes_nothing(captured):
    response = refund(client_for(StaffFactory(role="Finance")), captured, {"amount": 40001, "reason": "Too much"})
    assert response.status_code == 409
    assert response.json() == {
        "detail": "За цим платежем можна повернути ще щонайбільше 40000 коп.; запитано 40001.",
        "code": "refund_not_possible",
    }
    captured.refresh_from_db()
    assert (captured.status, captured.refund_requested_amount) == ("captured", 0)
    assert not Refund.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": 0, "reason": "x"}, "amount"),
        ({"amount": 100}, "reason"),
        ({"amount": "ten", "reason": "x"}, "amount"),
    ],
)
def test_an_invalid_refund_body_is_400(captured, body, field):
    response = refund(client_for(StaffFactory(role="Finance")), captured, body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Refund.objects.exists()


@pytest.mark.parametrize("who", ["Support", "Warehouse", "the payer", "a shopper"])
def test_only_finance_staff_may_refund(captured, customer, who):
    user = {"the payer": customer, "a shopper": UserFactory()}.get(who) or StaffFactory(role=who)
    response = refund(client_for(user), captured)
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Повертати кошти за платежами можуть лише працівники фінансового відділу.",
        "code": "permission_denied",
    }
    assert not Refund.objects.exists()


def test_refunding_an_unknown_payment_is_not_found():
    payment = Payment(reference="00000000-0000-0000-0000-000000000000")
    response = refund(client_for(StaffFactory(role="Finance")), payment)
    assert response.status_code == 404
    assert response.json()["code"] == "payment_not_found"


def test_refunding_a_payment_not_captured_is_409(customer):
    pending = start(online_order(customer=customer))
    response = refund(client_for(StaffFactory(role="Finance")), pending)
    assert response.status_code == 409
    assert response.json()["code"] == "refund_not_possible"


def test_a_long_key_still_makes_one_refund_key():
    key = "k" * 255
    made = refund_key(user_id=7, key=key)
    assert len(made) <= Refund._meta.get_field("idempotency_key").max_length
    assert made == refund_key(user_id=7, key=key) != refund_key(user_id=8, key=key)

"""Issue 9, "Also": export and anonymise a customer; the books and the totals stay whole."""

import io
import json
import zipfile

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse

from ledger.integrity import verify_ledger
from ledger.models import Account, JournalEntry, Posting
from ledger.services import credit_wallet
from orders.models import Order, OrderScreening, Source
from orders.services import TRANSITION_SERVICES
from payments.models import Payment, WebhookEvent
from payments.providers import get_provider
from payments.tests.conftest import deliver, online_order, start
from privacy.models import PrivacyAction
from privacy.services import anonymise_customer
from shipping.models import Shipment
from shipping.services import plan_shipments
from tests.factories import StaffFactory, UserFactory, place_test_order

pytestmark = pytest.mark.django_db

User = get_user_model()
USERS_URL = reverse("admin:accounts_user_changelist")


def step(order, name):
    return TRANSITION_SERVICES[name](order_id=order.pk, by=None, reason="test", source=Source.ADMIN)


@pytest.fixture
def customer(django_capture_on_commit_callbacks):
    """Olena: a delivered online order (payment, webhook, shipment), a cancelled COD order, store credit."""
    user = UserFactory(email="olena@example.com", full_name="Olena Shevchenko", phone="+380671234567")
    credit_wallet(user_id=user.pk, amount=5000, reason="Sorry for the delay", by=None, idempotency_key="privacy:1")
    with django_capture_on_commit_callbacks(execute=True):
        paid = online_order(customer=user, price=49900)
        payment = start(paid)
        assert deliver(get_provider("sandbox"), payment).status_code == 200
        plan_shipments()
        step(paid, "ship")
        step(paid, "deliver")
        cancelled = place_test_order(customer=user, comment="Call me after 6 pm")
        step(cancelled, "cancel")
    return user


def books() -> dict:
    return {
        "entries": list(JournalEntry.objects.values_list("id", "kind", "memo").order_by("id")),
        "postings": list(Posting.objects.values_list("id", "account_id", "amount", "balance_after").order_by("id")),
        "accounts": list(Account.objects.values_list("id", "code", "balance", "held").order_by("id")),
        "totals": list(Order.objects.values_list("id", "subtotal", "delivery_fee", "total").order_by("id")),
        "payments": list(
            Payment.objects.values_list("id", "amount", "captured_amount", "refunded_amount", "status").order_by("id")
        ),
    }


# --- export ------------------------------------------------------------------------------------


def test_the_export_holds_everything_about_the_customer(customer, tmp_path):
    # when the operator exports Olena into a folder
    call_command("export_customer", "OLENA@example.com", "--output", str(tmp_path), stdout=io.StringIO())

    # then the JSON has her account, both orders with lines and history, her payment, shipment and wallet
    data = json.loads((tmp_path / "customer.json").read_text())
    assert data["account"]["email"] == "olena@example.com"
    assert data["account"]["phone"] == "+380671234567"
    assert sorted(o["status"] for o in data["orders"]) == ["cancelled", "delivered"]
    delivered = next(o for o in data["orders"] if o["status"] == "delivered")
    assert (delivered["full_name"], delivered["phone"], delivered["total"]) == (
        "Olena Shevchenko",
        "+380671234567",
        delivered["subtotal"] + delivered["delivery_fee"],
    )
    assert [line["quantity"] for line in delivered["lines"]] == [1]
    assert [h["to"] for h in delivered["history"]][-1] == "Доставлено"
    assert [(p["order"], p["status"], p["captured_amount"]) for p in data["payments"]] == [
        (delivered["number"], "captured", delivered["total"])
    ]
    assert [(s["order"], s["recipient_phone"]) for s in data["shipments"]] == [(delivered["number"], "+380671234567")]
    assert [(line["kind"], line["amount"], line["memo"]) for line in data["wallets"][0]["statement"]] == [
        ("wallet_credit", 5000, "Sorry for the delay")
    ]
    # and a CSV per table
    orders_csv = (tmp_path / "orders.csv").read_text().splitlines()
    assert orders_csv[0].startswith("number,status,placed_at,full_name,phone,email,")
    assert len(orders_csv) == 3
    assert (
        (tmp_path / "wallet_statement.csv")
        .read_text()
        .splitlines()[1]
        .endswith(",wallet_credit,Sorry for the delay,5000,5000")
    )
    assert PrivacyAction.objects.get().kind == "export"


def test_a_manager_downloads_the_export_from_the_user_admin(client, customer):
    manager = StaffFactory(role="Manager")
    client.force_login(manager)

    response = client.post(USERS_URL, {"action": "export_personal_data", "_selected_action": [customer.pk]})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert "customer.json" in archive.namelist()
    assert json.loads(archive.read("customer.json"))["account"]["email"] == "olena@example.com"
    assert list(PrivacyAction.objects.values_list("kind", "customer", "by")) == [("export", customer.pk, manager.pk)]


def action_names(response) -> set[str]:
    form = response.context["action_form"] if response.status_code == 200 else None
    return {value for value, _ in form.fields["action"].choices} - {""} if form else set()


@pytest.mark.parametrize(("role", "list_status"), [("Support", 200), ("Finance", 200), ("Warehouse", 403)])
def test_only_a_manager_gets_the_privacy_actions(client, role, list_status):
    client.force_login(StaffFactory(role=role))
    customer = UserFactory()

    listed = client.get(USERS_URL)
    forced = client.post(USERS_URL, {"action": "anonymise_customers", "_selected_action": [customer.pk]})

    assert listed.status_code == list_status
    assert action_names(listed) & {"export_personal_data", "anonymise_customers"} == set()
    assert forced.status_code == list_status
    customer.refresh_from_db()
    assert customer.is_active is True
    assert PrivacyAction.objects.count() == 0


def test_a_manager_has_both_privacy_actions(client):
    client.force_login(StaffFactory(role="Manager"))
    UserFactory()

    listed = client.get(USERS_URL)

    assert {"export_personal_data", "anonymise_customers"} <= action_names(listed)


# --- anonymisation -----------------------------------------------------------------------------


def test_anonymising_blanks_personal_data_and_keeps_the_books(customer):
    order = Order.objects.filter(customer=customer).first()
    OrderScreening.objects.update_or_create(order=order, defaults={"ip": "203.0.113.7"})
    AccessLog.objects.create(username="olena@example.com", ip_address="203.0.113.7", user_agent="test")
    AccessAttempt.objects.create(
        username="olena@example.com", ip_address="203.0.113.7", user_agent="test", failures_since_start=2
    )
    before = books()
    assert verify_ledger().ok
    assert WebhookEvent.objects.exclude(raw_body="").exists()  # the provider's callback, as received
    assert any("raw" in update for update in WebhookEvent.objects.values_list("update", flat=True))  # and parsed
    assert not Shipment.objects.filter(recipient_phone="").exists()

    out = io.StringIO()
    call_command("anonymise_customer", "olena@example.com", stdout=out)

    # then nothing about who she is or where she lives is left
    user = User.objects.get(pk=customer.pk)
    placeholder = f"anonymised-{customer.pk}@anonymised.invalid"
    assert (user.email, user.full_name, user.phone, user.is_active, user.has_usable_password()) == (
        placeholder,
        "",
        "",
        False,
        False,
    )
    orders = Order.objects.filter(customer=customer)
    assert set(
        orders.values_list(
            "full_name",
            "phone",
            "email",
            "delivery_city",
            "delivery_branch",
            "delivery_city_ref",
            "delivery_warehouse_ref",
            "comment",
        )
    ) == {("", "", placeholder, "", "", "", "", "")}
    assert set(Shipment.objects.values_list("recipient_name", "recipient_phone", "city_ref", "warehouse_ref")) == {
        ("", "", "", "")
    }
    assert list(Payment.objects.values_list("form_fields", "redirect_url")) == [({}, "")]
    assert WebhookEvent.objects.exists()
    events = list(WebhookEvent.objects.values_list("raw_body", "headers", "remote_ip"))
    assert events == [("", {}, None)] * len(events)
    assert [sorted(update) for update in WebhookEvent.objects.values_list("update", flat=True) if "raw" in update] == []
    assert list(OrderScreening.objects.filter(order=order).values_list("ip", flat=True)) == [None]
    assert (AccessLog.objects.count(), AccessAttempt.objects.count()) == (0, 0)
    # and every amount, entry and balance is as it was; the ledger still verifies
    assert books() == before
    assert verify_ledger().ok
    assert out.getvalue().startswith("Знеособлено olena@example.com: замовлень — 2, платежів — 1, ")
    assert PrivacyAction.objects.get().kind == "anonymise"


def test_a_customer_with_an_open_order_is_not_anonymised(client):
    # given a customer whose COD order is placed but not yet delivered
    user = UserFactory(email="taras@example.com", full_name="Taras")
    order = place_test_order(customer=user, email="taras@example.com")
    manager = StaffFactory(role="Manager")
    client.force_login(manager)

    # when a Manager anonymises them, and the operator tries the command
    response = client.post(USERS_URL, {"action": "anonymise_customers", "_selected_action": [user.pk]})
    with pytest.raises(CommandError) as refused:
        call_command("anonymise_customer", "taras@example.com")

    # then both are refused with the order named, and nothing changed
    message = (
        f"Не анонімізовано: замовлення {order.number} ще не доставлено або не скасовано; "
        "спробуйте знову, коли це станеться."
    )
    assert str(refused.value) == message
    assert [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)] == [
        ("error", f"Не знеособлено (1): taras@example.com ({message.rstrip('.')}).")
    ]
    user.refresh_from_db()
    order.refresh_from_db()
    assert (user.email, user.full_name, user.is_active) == ("taras@example.com", "Taras", True)
    assert (order.full_name, order.phone) == ("Olena Shevchenko", "+380671234567")
    assert PrivacyAction.objects.count() == 0


def test_a_manager_anonymises_from_the_user_admin(client, customer):
    client.force_login(StaffFactory(role="Manager"))

    response = client.post(USERS_URL, {"action": "anonymise_customers", "_selected_action": [customer.pk]})

    assert [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)] == [
        ("success", "Знеособлено (1): olena@example.com.")
    ]
    assert User.objects.get(pk=customer.pk).is_active is False
    assert verify_ledger().ok


def test_staff_accounts_and_twice_anonymised_customers_are_refused(customer):
    anonymise_customer(user_id=customer.pk)

    with pytest.raises(Exception, match="вже анонімізовано"):
        anonymise_customer(user_id=customer.pk)
    with pytest.raises(CommandError, match="Облікові записи працівників тут не експортуються"):
        call_command("anonymise_customer", StaffFactory(role="Support").email)
    with pytest.raises(CommandError, match="Немає покупця з цією електронною адресою."):
        call_command("export_customer", "nobody@example.com")

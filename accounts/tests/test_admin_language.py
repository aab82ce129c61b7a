"""The back office speaks Ukrainian by default, and English to a staff member who chose it.

Every main page and intermediate page is rendered for real (superuser, so all of them open) and
checked for Ukrainian text and for English phrases that would mean a string was left behind.
"""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from ledger.postings import record_capture
from ledger.services import reverse_entry
from ledger.tests.conftest import new_key
from orders.models import Order, Source
from orders.services import confirm_order
from payments.models import Refund
from payments.providers import get_provider
from payments.services import request_refund
from payments.tests.conftest import deliver, online_order, start
from shipping.services import plan_shipments
from tests.factories import ProductFactory, StaffFactory, np_branch, place_test_order

pytestmark = pytest.mark.django_db

# kramar's own English that must not show on a Ukrainian page (Django's included: its
# catalogue is the one that would be missing). Stored data (the chart's account names such as
# "Store credit", product names) is not a label and is not checked.
LEFTOVER_ENGLISH = [
    "Select order to change",
    "Select payment to change",
    "Select shipment to change",
    "Cancel selected orders",
    "Confirm selected orders",
    "Trial balance",
    "Reason",
    "Back to the order",
    "Back to the payment",
    "No, take me back",
    "Please correct the error",
    "Log out",
    "Mark reviewed",
    "Give store credit",
    "Integrity check",
    "Opening balance",
    "Cash on delivery",
    "Waiting for a label",
    "kramar back office",
    "My language",
]


@pytest.fixture(autouse=True)
def _sandbox_carrier(settings):
    settings.NOVA_POSHTA_API_KEY = ""  # shipping.services talks to the built-in sandbox


@pytest.fixture
def books():
    """An order of each kind the pages show: a COD order, a captured and refunded online payment,
    a shipment waiting for its label, and journal entries (one reversed)."""
    cod = place_test_order()
    payment = start(online_order(price=40000))
    deliver(get_provider("sandbox"), payment)
    payment.refresh_from_db()
    request_refund(payment_id=payment.pk, amount=5000, reason="Broken cup", by=None, idempotency_key=new_key())
    branch = np_branch("Київ", "2")
    shipped = place_test_order(
        items={ProductFactory(price=49900, stock=10).pk: 1},
        delivery_city=branch.city.name,
        delivery_branch=branch.name,
        delivery_city_ref=branch.city_id,
        delivery_warehouse_ref=branch.ref,
    )
    confirm_order(order_id=shipped.pk, by=None, reason="Phoned", source=Source.ADMIN)
    plan_shipments()
    entry = record_capture(provider="fondy", amount=10000, fee=0, payment_id=7, idempotency_key=new_key())
    reverse_entry(entry_id=entry.entry_id, reason="Test payment", by=None)
    return {
        "order": cod,
        "payment": payment,
        "refund": Refund.objects.get(payment=payment),
        "shipment": shipped.shipments.get(),
        "entry_id": entry.entry_id,
    }


def superuser(language: str = "") -> User:
    return User.objects.create_superuser(email=f"root-{language or 'default'}@kramar.local", language=language)


def action(changelist: str, name: str, pk: int) -> tuple[str, dict]:
    return reverse(changelist), {"action": name, "_selected_action": [pk], "index": "0"}


def pages(books) -> dict[str, tuple[str, dict | None]]:
    """Each page by name: (url, POST data or None for a GET)."""
    order, payment, refund, shipment = books["order"], books["payment"], books["refund"], books["shipment"]
    return {
        "order list": (reverse("admin:orders_order_changelist"), None),
        "order": (reverse("admin:orders_order_change", args=[order.pk]), None),
        "order cancel": (reverse("admin:orders_order_transition", args=[order.pk, "cancel"]), None),
        "orders bulk cancel": action("admin:orders_order_changelist", "cancel_selected", order.pk),
        "payment list": (reverse("admin:payments_payment_changelist"), None),
        "payment": (reverse("admin:payments_payment_change", args=[payment.pk]), None),
        "payment refund": (reverse("admin:payments_payment_refund", args=[payment.pk]), None),
        "payment dispute": action("admin:payments_payment_changelist", "mark_disputed", payment.pk),
        "payment resolve": action("admin:payments_payment_changelist", "resolve_disputes", payment.pk),
        "payment review": action("admin:payments_payment_changelist", "mark_reviewed", payment.pk),
        "refund list": (reverse("admin:payments_refund_changelist"), None),
        "refund": (reverse("admin:payments_refund_change", args=[refund.pk]), None),
        "shipment list": (reverse("admin:shipping_shipment_changelist"), None),
        "shipment": (reverse("admin:shipping_shipment_change", args=[shipment.pk]), None),
        "shipment cancel": (reverse("admin:shipping_shipment_cancel", args=[shipment.pk]), None),
        "entry list": (reverse("admin:ledger_journalentry_changelist"), None),
        "entry": (reverse("admin:ledger_journalentry_change", args=[books["entry_id"]]), None),
        "entry reversal": action("admin:ledger_journalentry_changelist", "reverse_entries", books["entry_id"]),
        "trial balance": (reverse("admin:ledger_trial_balance"), None),
        "statement": (reverse("admin:ledger_statement") + "?code=bank&currency=UAH", None),
        "integrity": (reverse("admin:ledger_integrity"), {}),
        "store credit": (reverse("admin:ledger_store_credit"), None),
        "runtime settings": (reverse("admin:constance_config_changelist"), None),
    }


# A Ukrainian phrase each page must show (its title, its form or its table).
UKRAINIAN = {
    "order list": "Скасувати вибрані замовлення",
    "order": "Історія статусів",
    "order cancel": "Скасувати замовлення: замовлення",
    "orders bulk cancel": "Скасувати ці замовлення?",
    "payment list": "Позначити вибрані платежі перевіреними",
    "payment": "Повернути кошти",
    "payment refund": "ще можна повернути",
    "payment dispute": "Позначити платежі спірними",
    "payment resolve": "Закрити спори",
    "payment review": "Позначити ці платежі перевіреними?",
    "refund list": "Повернення",
    "refund": "Повернення",
    "shipment list": "Чекає на накладну",
    "shipment": "Отримувач",
    "shipment cancel": "Скасувати цю посилку?",
    "entry list": "Сторнувати вибрані записи",
    "entry": "Проводки",
    "entry reversal": "Провести сторнування",
    "trial balance": "Різниця (має бути нуль)",
    "statement": "Вхідний залишок",
    "integrity": "перевірок пройдено",
    "store credit": "Нарахувати на баланс у магазині",
    "runtime settings": "Відправник Нової Пошти",
}

# The same pages for a staff member who chose English.
ENGLISH = {
    "order list": "Select order to change",
    "order": "Status history",
    "order cancel": "Cancel order: order",
    "orders bulk cancel": "Cancel these orders?",
    "payment list": "Mark selected payments reviewed",
    "payment": "Refund",
    "payment refund": "can still be refunded",
    "payment dispute": "Mark payments disputed",
    "payment resolve": "Resolve disputes",
    "payment review": "Mark these payments reviewed?",
    "refund list": "Select refund to view",
    "refund": "Refunds",
    "shipment list": "Waiting for a label",
    "shipment": "Recipient",
    "shipment cancel": "Cancel this parcel?",
    "entry list": "Reverse selected entries",
    "entry": "Postings",
    "entry reversal": "Post the reversals",
    "trial balance": "Difference (must be zero)",
    "statement": "Opening balance",
    "integrity": "checks passed",
    "store credit": "Give store credit",
    "runtime settings": "Nova Poshta sender",
}


def render(client, url: str, data: dict | None) -> str:
    response = client.get(url) if data is None else client.post(url, data)
    assert response.status_code == 200, url
    return response.content.decode()


def test_every_main_admin_page_is_ukrainian_by_default(client, books):
    # given a superuser who never chose a language (and a browser asking for English)
    client.force_login(superuser())
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    for name, (url, data) in pages(books).items():
        # when the page is opened
        html = render(client, url, data)
        # then it is in Ukrainian, with none of kramar's English left
        assert '<html lang="uk"' in html, name
        assert UKRAINIAN[name] in html, name
        left = [phrase for phrase in LEFTOVER_ENGLISH if phrase in html]
        assert left == [], f"{name}: {left}"


def test_the_same_pages_are_english_for_who_chose_english_in_their_profile(client, books):
    client.force_login(superuser(language="en"))
    client.cookies["django_language"] = "uk"  # the cookie never beats the profile
    for name, (url, data) in pages(books).items():
        html = render(client, url, data)
        assert '<html lang="en"' in html, name
        assert ENGLISH[name] in html, name
        assert "Скасувати" not in html, name
        assert "Замовлення" not in html, name


def test_the_header_switch_changes_the_language_and_the_profile(client, books):
    # given a staff member with no saved language, on the orders list in Ukrainian
    staff = StaffFactory(role="Support")
    client.force_login(staff)
    orders = reverse("admin:orders_order_changelist")
    page = client.get(orders).content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert 'name="language" value="en"' in page
    # when they press "English" in the header
    response = client.post(reverse("set_language"), {"language": "en", "next": orders})
    # then they are back on the same page, in English, and the profile says English too
    assert response.status_code == 302
    assert response["Location"] == orders
    staff.refresh_from_db()
    assert staff.language == "en"
    assert "Select order to change" in client.get(orders).content.decode()
    # and switching back works the same way
    client.post(reverse("set_language"), {"language": "uk", "next": orders})
    staff.refresh_from_db()
    assert staff.language == "uk"
    assert "Виберіть, що змінити: замовлення" in client.get(orders).content.decode()


def test_the_shops_language_switch_leaves_the_back_office_preference_alone(client):
    staff = StaffFactory(role="Support", language="uk")
    client.force_login(staff)
    client.post(reverse("set_language"), {"language": "en", "next": "/en/"})
    staff.refresh_from_db()
    assert staff.language == "uk"
    assert '<html lang="uk"' in client.get(reverse("admin:orders_order_changelist")).content.decode()


def test_a_switch_posted_from_another_site_changes_nothing(client):
    # given a staff member signed in, and a forged form on another site (no CSRF token)
    staff = StaffFactory(role="Support")
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(staff)
    # when it posts "English" to the switch, then it is refused and the profile is unchanged
    response = forged.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    assert response.status_code == 403
    staff.refresh_from_db()
    assert staff.language == ""


def test_an_unknown_language_from_the_header_changes_nothing(client):
    staff = StaffFactory(role="Support")
    client.force_login(staff)
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/admin/"})
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.language == ""
    assert '<html lang="uk"' in client.get(reverse("admin:index")).content.decode()


def test_a_staff_member_sets_their_own_language_on_my_language(client):
    # given a Warehouse agent (no "change user" permission) who switched to English in this browser
    staff = StaffFactory(role="Warehouse")
    client.force_login(staff)
    url = reverse("admin:accounts_user_my_language")
    page = client.get(url).content.decode()
    assert "Мова адмінки" in page
    # when they save English on their profile
    response = client.post(url, {"language": "en"}, follow=True)
    staff.refresh_from_db()
    assert staff.language == "en"
    assert [str(m) for m in response.context["messages"]] == ["Your language is saved."]
    # and when they empty it again, the shop's default applies (and the header's cookie goes)
    client.cookies["django_language"] = "en"
    response = client.post(url, {"language": ""})
    staff.refresh_from_db()
    assert staff.language == ""
    assert response.cookies["django_language"].value == ""
    assert '<html lang="uk"' in client.get(reverse("admin:index")).content.decode()


def test_a_language_that_is_not_offered_is_a_form_error_and_changes_nothing(client):
    staff = StaffFactory(role="Warehouse", language="uk")
    client.force_login(staff)
    response = client.post(reverse("admin:accounts_user_my_language"), {"language": "de"})
    assert response.status_code == 200
    assert "language" in response.context["form"].errors
    staff.refresh_from_db()
    assert staff.language == "uk"


def test_the_user_change_page_offers_the_language(client):
    admin = superuser()
    client.force_login(admin)
    html = client.get(reverse("admin:accounts_user_change", args=[admin.pk])).content.decode()
    assert 'name="language"' in html
    assert "Мова" in html


def test_order_status_and_method_read_in_english_too(client):
    order = place_test_order()
    client.force_login(superuser(language="en"))
    html = client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert order.number in html
    assert "Cash on delivery" in html
    assert "Placed" in html
    assert Order.objects.count() == 1

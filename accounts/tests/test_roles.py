"""Staff roles in the back office: what each role opens, and who may grant rights."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.text import capfirst

from accounts.models import User
from catalog.models import Reservation
from tests.factories import ProductFactory, StaffFactory, UserFactory, place_test_order

pytestmark = pytest.mark.django_db

PAGES = (
    "admin_index",
    "orders",
    "order",
    "order_add",
    "products",
    "product",
    "product_add",
    "stock_list",
    "stock",
    "reservations",
    "reservation",
    "users",
    "customer",
    "idempotency_keys",
)
# What each role can open (200); every other page answers 403.
CAN_OPEN = {
    "Support": {"admin_index", "orders", "order", "products", "product", "stock_list", "stock", "users", "customer"},
    "Warehouse": {
        "admin_index",
        "orders",
        "order",
        "products",
        "product",
        "stock_list",
        "stock",
        "reservations",
        "reservation",
    },
    "Finance": {"admin_index", "orders", "order", "products", "product", "users", "customer"},
    "Manager": {
        "admin_index",
        "orders",
        "order",
        "products",
        "product",
        "product_add",
        "stock_list",
        "stock",
        "reservations",
        "reservation",
        "users",
        "customer",
    },
}


@pytest.fixture
def pages():
    product = ProductFactory(stock=5)
    order = place_test_order(items={product.pk: 1})
    reservation = Reservation.objects.get(reference=order.stock_reference)
    customer = UserFactory()
    return {
        "admin_index": reverse("admin:index"),
        "orders": reverse("admin:orders_order_changelist"),
        "order": reverse("admin:orders_order_change", args=[order.pk]),
        "order_add": reverse("admin:orders_order_add"),
        "products": reverse("admin:catalog_product_changelist"),
        "product": reverse("admin:catalog_product_change", args=[product.pk]),
        "product_add": reverse("admin:catalog_product_add"),
        "stock_list": reverse("admin:catalog_stock_changelist"),
        "stock": reverse("admin:catalog_stock_change", args=[product.pk]),
        "reservations": reverse("admin:catalog_reservation_changelist"),
        "reservation": reverse("admin:catalog_reservation_change", args=[reservation.pk]),
        "users": reverse("admin:accounts_user_changelist"),
        "customer": reverse("admin:accounts_user_change", args=[customer.pk]),
        "idempotency_keys": reverse("admin:core_idempotencykey_changelist"),
    }


@pytest.mark.parametrize("role", sorted(CAN_OPEN))
def test_each_role_opens_only_its_pages(client, pages, role):
    client.force_login(StaffFactory(role=role))
    statuses = {page: client.get(pages[page]).status_code for page in PAGES}
    assert statuses == {page: 200 if page in CAN_OPEN[role] else 403 for page in PAGES}


def test_superuser_opens_everything_but_adding_orders(client, pages):
    client.force_login(StaffFactory(is_superuser=True))
    statuses = {page: client.get(pages[page]).status_code for page in PAGES}
    assert statuses == {page: 403 if page == "order_add" else 200 for page in PAGES}


def test_shopper_is_sent_to_the_admin_login(client, pages):
    client.force_login(UserFactory())
    response = client.get(pages["orders"])
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={pages['orders']}"


def test_admin_site_is_named_for_staff(client):
    client.force_login(StaffFactory(role="Support"))
    response = client.get(reverse("admin:index"))
    assert response.context["site_header"] == "kramar: адмінка"


PRODUCT, STOCK, USER = "catalog.Product", "catalog.Stock", "accounts.User"


@pytest.mark.parametrize(
    ("role", "models"),
    [
        (
            "Support",
            ["orders.BlockedContact", "orders.OrderScreening", "orders.Order", PRODUCT, STOCK, "accounts.User"],
        ),
        ("Warehouse", ["orders.Order", PRODUCT, "catalog.Reservation", STOCK]),
        ("Finance", ["orders.Order", PRODUCT, USER]),
    ],
)
def test_index_lists_only_what_the_role_may_see(client, role, models):
    # (other apps' pages, such as the ledger, are their own tests' business)
    client.force_login(StaffFactory(role=role))
    response = client.get(reverse("admin:index"))
    listed = [
        m["name"]
        for app in response.context["app_list"]
        if app["app_label"] in {"accounts", "catalog", "orders"}
        for m in app["models"]
    ]
    # named as the index names them (each model's plural, in the staff member's language)
    assert sorted(listed) == sorted(capfirst(apps.get_model(name)._meta.verbose_name_plural) for name in models)


# --- the user admin -------------------------------------------------------------------------


def user_form(user, **changes):
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "phone": user.phone,
        "is_active": "on",
        "_save": "Save",
    }
    data.update(changes)
    return data


def user_url(user):
    return reverse("admin:accounts_user_change", args=[user.pk])


def test_user_list_shows_contact_and_roles(client):
    client.force_login(StaffFactory(role="Manager", email="boss@kramar.local", full_name="Oksana Boss"))
    response = client.get(reverse("admin:accounts_user_changelist"), {"q": "boss@kramar.local"})
    html = response.content.decode()
    assert '<td class="field-full_name">Oksana Boss</td>' in html
    assert '<td class="field-roles">Менеджер</td>' in html


def test_user_search_understands_phone_spellings(client):
    client.force_login(StaffFactory(role="Support"))
    wanted = UserFactory(phone="+380671112233")
    UserFactory(phone="+380501112233")
    response = client.get(reverse("admin:accounts_user_changelist"), {"q": "067 111 22 33"})
    assert list(response.context["cl"].result_list) == [wanted]


def test_manager_cannot_grant_themselves_superuser_or_roles(client):
    # given a Manager, who may change users
    manager = StaffFactory(role="Manager", full_name="Old Name")
    client.force_login(manager)
    finance = Group.objects.get(name="Finance")
    # when they post their own page with superuser, staff rights and another role
    response = client.post(
        user_url(manager),
        user_form(
            manager,
            full_name="New Name",
            is_superuser="on",
            groups=[finance.pk],
            user_permissions=[],
        ),
    )
    # then their name changes and nothing else does
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.full_name == "New Name"
    assert manager.is_superuser is False
    assert manager.is_staff is True
    assert sorted(manager.groups.values_list("name", flat=True)) == ["Manager"]
    assert list(manager.user_permissions.all()) == []


def test_manager_cannot_change_another_staff_account(client):
    client.force_login(StaffFactory(role="Manager"))
    colleague = StaffFactory(role="Support", email="colleague@kramar.local")
    page = client.get(user_url(colleague))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    response = client.post(user_url(colleague), user_form(colleague, email="mine@kramar.local"))
    assert response.status_code == 403
    colleague.refresh_from_db()
    assert colleague.email == "colleague@kramar.local"


def test_support_fixes_a_customers_phone_but_not_their_password(client):
    client.force_login(StaffFactory(role="Support"))
    customer = UserFactory(phone="+380671112233")
    response = client.post(user_url(customer), user_form(customer, phone="+380509998877"))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.phone == "+380509998877"
    password_url = reverse("admin:auth_user_password_change", args=[customer.pk])
    assert client.get(password_url).status_code == 403
    assert client.post(password_url, {"password1": "x" * 20, "password2": "x" * 20}).status_code == 403


def test_finance_cannot_change_users(client):
    client.force_login(StaffFactory(role="Finance"))
    customer = UserFactory(full_name="Kept Name")
    response = client.post(user_url(customer), user_form(customer, full_name="Changed"))
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.full_name == "Kept Name"


def test_superuser_gives_a_staff_member_a_role(client):
    client.force_login(StaffFactory(is_superuser=True))
    newcomer = StaffFactory()
    warehouse = Group.objects.get(name="Warehouse")
    response = client.post(
        user_url(newcomer), user_form(newcomer, is_staff="on", groups=[warehouse.pk], user_permissions=[])
    )
    assert response.status_code == 302
    assert sorted(newcomer.groups.values_list("name", flat=True)) == ["Warehouse"]


def test_superuser_adds_a_user_with_a_password(client):
    client.force_login(StaffFactory(is_superuser=True))
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New.Person@Example.com",
            "full_name": "New Person",
            "phone": "+380671234000",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert (user.full_name, user.phone, user.is_staff, user.is_superuser) == (
        "New Person",
        "+380671234000",
        False,
        False,
    )
    assert user.check_password("a-long-enough-passphrase")


def test_manager_cannot_add_users(client):
    client.force_login(StaffFactory(role="Manager"))
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "sneaky@example.com",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="sneaky@example.com").exists()


@pytest.mark.django_db
def test_customer_page_shows_store_credit_with_a_link_to_change_it(client):
    from ledger.services import credit_wallet

    customer = UserFactory(email="buyer@example.com")
    credit_wallet(user_id=customer.pk, amount=12345, reason="goodwill", by=None, idempotency_key="roles-credit")
    client.force_login(StaffFactory(role="Support"))
    page = client.get(f"/admin/accounts/user/{customer.pk}/change/").content.decode()
    assert "123,45\u00a0₴" in page
    assert "/admin/ledger/account/store-credit/?email=buyer%40example.com" in page


@pytest.mark.django_db
def test_customer_page_shows_a_manager_the_store_credit_but_no_link_to_a_page_they_may_not_open(client):
    from ledger.services import credit_wallet

    # given a customer with store credit and a Manager (the ledger is read-only for that role)
    customer = UserFactory(email="buyer@example.com")
    credit_wallet(user_id=customer.pk, amount=12345, reason="goodwill", by=None, idempotency_key="roles-credit")
    manager = StaffFactory(role="Manager")
    client.force_login(manager)
    assert not manager.has_perm("ledger.adjust_wallet")
    assert client.get("/admin/ledger/account/store-credit/?email=buyer%40example.com").status_code == 403

    # when the Manager opens the customer's page
    response = client.get(f"/admin/accounts/user/{customer.pk}/change/")

    # then the balance is there and the link that would answer 403 is not
    page = response.content.decode()
    assert response.status_code == 200
    assert "123,45\u00a0₴" in page
    assert "/admin/ledger/account/store-credit/" not in page
    assert "Give or take back store credit" not in page

"""The orders back office: what each role sees and does, always through the services."""

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from catalog.models import Stock
from orders.exceptions import OrderStateError
from orders.models import Order, Source
from orders.selectors import order_history
from orders.services import TRANSITION_SERVICES, cancel_order, update_order_details
from tests.factories import ProductFactory, StaffFactory, place_test_order

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def changelist_url():
    return reverse("admin:orders_order_changelist")


def change_url(order):
    return reverse("admin:orders_order_change", args=[order.pk])


def transition_url(order, name):
    return reverse("admin:orders_order_transition", args=[order.pk, name])


def login_as(client, role):
    user = StaffFactory(role=role)
    client.force_login(user)
    return user


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def edit_data(order, **changes):
    """The change form as the browser posts it, with `changes` typed over the current values."""
    lines = list(order.lines.all())
    data = {
        "full_name": order.full_name,
        "phone": order.phone,
        "email": order.email,
        "delivery_city": order.delivery_city,
        "delivery_branch": order.delivery_branch,
        "comment": order.comment,
        "delivery_city_ref": order.delivery_city_ref,
        "delivery_warehouse_ref": order.delivery_warehouse_ref,
        "expected_version": order.version,
        "lines-TOTAL_FORMS": len(lines),
        "lines-INITIAL_FORMS": len(lines),
        "lines-MIN_NUM_FORMS": 0,
        "lines-MAX_NUM_FORMS": 0,
        "_save": "Save",
    }
    for i, line in enumerate(lines):
        data[f"lines-{i}-id"] = line.pk
        data[f"lines-{i}-order"] = order.pk
    data.update(changes)
    return data


def snapshot(order):
    order.refresh_from_db()
    return {
        "status": order.status,
        "version": order.version,
        "phone": order.phone,
        "delivery_branch": order.delivery_branch,
        "history": len(order_history(order=order)),
    }


# --- changelist -----------------------------------------------------------------------------


def test_changelist_shows_an_order_row(client):
    # given a cash-on-delivery order of two units at 1 249,50 ₴
    login_as(client, "Support")
    order = place_test_order(items={ProductFactory(price=124950).pk: 2})
    # when Support opens the orders list
    response = client.get(changelist_url())
    # then the row shows who, what, how and how much
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [order]
    html = response.content.decode()
    assert f'<th class="field-number"><a href="{change_url(order)}">{order.number}</a></th>' in html
    # who ordered is one column, where the order stands another (it fits 1280 px: tests/browser)
    assert (
        '<td class="field-customer_column">Olena Shevchenko<span class="kr-sub">+380 67 123 45 67</span>'
        '<span class="kr-sub kr-email">olena@example.com</span></td>'
    ) in html
    assert '<span class="kr-sub">оплата при отриманні</span></td>' in html
    assert f'<td class="field-total_display">2\u202f499,00{NBSP}₴</td>' in html
    assert 'class="kr-status kr-status-placed"' in html


@pytest.mark.parametrize("orders", [5, 15])
def test_changelist_query_count_does_not_grow_with_orders(client, django_assert_num_queries, orders):
    # given 5 or 15 orders
    login_as(client, "Support")
    product = ProductFactory(stock=100)
    for _ in range(orders):
        place_test_order(items={product.pk: 1})
    # when the list is opened, then it costs the same number of queries either way
    # the session row included; no date_hierarchy years and one count (not two)
    with django_assert_num_queries(6):
        response = client.get(changelist_url())
    assert len(response.context["cl"].result_list) == orders


@pytest.fixture
def three_orders():
    return {
        "olena": place_test_order(),
        "taras": place_test_order(full_name="Taras Melnyk", phone="+380501112233", email="taras@example.com"),
        "iryna": place_test_order(full_name="Iryna Bondar", phone="+380931234567", email="iryna@example.com"),
    }


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("067 123 45 67", "olena"),
        ("+380671234567", "olena"),
        ("0671234567", "olena"),
        ("+38 (050) 111-22-33", "taras"),
        ("TARAS@example.com", "taras"),
        ("Bondar", "iryna"),
    ],
)
def test_search_finds_the_right_order(client, three_orders, query, found):
    login_as(client, "Support")
    response = client.get(changelist_url(), {"q": query})
    assert [o.number for o in response.context["cl"].result_list] == [three_orders[found].number]


def test_search_by_number_finds_that_order(client, three_orders):
    login_as(client, "Support")
    taras = three_orders["taras"]
    response = client.get(changelist_url(), {"q": taras.number.lower()})
    assert [o.number for o in response.context["cl"].result_list] == [taras.number]


# --- buttons and actions per role ---------------------------------------------------------------


def _order_in(status):
    order = place_test_order()
    path = {
        "placed": [],
        "confirmed": ["confirm"],
        "shipped": ["confirm", "ship"],
        "delivered": ["confirm", "ship", "deliver"],
        "cancelled": ["cancel"],
    }[status]
    for name in path:
        TRANSITION_SERVICES[name](order_id=order.pk, by=None, reason="set up", source=Source.SYSTEM)
    order.refresh_from_db()
    return order


@pytest.mark.parametrize(
    ("role", "status", "buttons"),
    [
        ("Support", "placed", ["confirm", "cancel"]),
        ("Support", "confirmed", ["cancel"]),
        ("Support", "shipped", ["cancel"]),
        ("Warehouse", "placed", []),
        ("Warehouse", "confirmed", ["ship"]),
        ("Warehouse", "shipped", ["deliver", "return"]),
        ("Warehouse", "delivered", ["return"]),
        ("Finance", "placed", []),
        ("Finance", "confirmed", []),
        ("Finance", "shipped", []),
        ("Manager", "placed", ["confirm", "cancel"]),
        ("Manager", "confirmed", ["cancel", "ship"]),
        ("Manager", "shipped", ["cancel", "deliver", "return"]),
        ("Manager", "delivered", ["complete", "return"]),
        ("Manager", "cancelled", []),
    ],
)
def test_change_page_shows_the_buttons_the_role_may_use_now(client, role, status, buttons):
    login_as(client, role)
    order = _order_in(status)
    response = client.get(change_url(order))
    assert response.status_code == 200
    assert [t["name"] for t in response.context["order_transitions"]] == buttons
    html = response.content.decode()
    for name in ("confirm", "cancel", "ship", "deliver", "complete", "return"):
        assert (f'action="{transition_url(order, name)}"' in html) == (name in buttons)


def test_online_order_has_no_confirm_button(client):
    # an online order is confirmed by its captured payment, never by staff
    login_as(client, "Manager")
    order = place_test_order(payment_method=Order.PaymentMethod.ONLINE)
    response = client.get(change_url(order))
    assert [t["name"] for t in response.context["order_transitions"]] == ["cancel"]


@pytest.mark.parametrize(
    ("role", "actions"),
    [
        ("Support", ["confirm_selected", "cancel_selected"]),
        ("Warehouse", None),
        ("Finance", None),
        ("Manager", ["confirm_selected", "cancel_selected"]),
    ],
)
def test_bulk_actions_shown_only_to_who_may_use_them(client, role, actions):
    login_as(client, role)
    place_test_order()
    response = client.get(changelist_url())
    action_form = response.context["action_form"]
    if actions is None:
        assert action_form is None
    else:
        assert [name for name, _ in action_form.fields["action"].choices if name] == actions


# --- transitions through the buttons -------------------------------------------------------


def test_support_confirms_a_cod_order_with_the_button(client):
    # given a placed COD order on Support's screen (version 1)
    support = login_as(client, "Support")
    order = place_test_order()
    assert client.get(change_url(order)).context["original"].version == 1
    # when Support clicks "Confirm", then is asked for a reason
    response = client.post(transition_url(order, "confirm"), {"version": 1})
    assert response.status_code == 200
    assert response.context["form"].initial["version"] == "1"
    assert snapshot(order)["status"] == "placed"
    # and when Support confirms with a reason
    response = client.post(
        transition_url(order, "confirm"), {"version": 1, "reason": "Called the shopper", "confirmed": "yes"}
    )
    # then the order is confirmed and the history says who, why and from where
    assert response.status_code == 302
    assert response["Location"] == change_url(order)
    assert messages_of(response) == [f"Замовлення №{order.number} підтверджено."]
    assert snapshot(order) == {
        "status": "confirmed",
        "version": 2,
        "phone": "+380671234567",
        "delivery_branch": "Branch No 1: Khreshchatyk St, 22",
        "history": 1,
    }
    (entry,) = order_history(order=order)
    assert (entry.from_status, entry.to_status, entry.by, entry.source, entry.reason) == (
        "Оформлено",
        "Підтверджено",
        support.email,
        "admin",
        "Called the shopper",
    )
    # and the change page lists it
    html = client.get(change_url(order)).content.decode()
    assert (
        f"<td>Оформлено → Підтверджено</td><td>{support.email}</td><td>Адмінка</td><td>Called the shopper</td>" in html
    )


def test_warehouse_ships_a_confirmed_order_and_its_units_leave(client):
    # given a confirmed order holding 2 of 10 units
    warehouse = login_as(client, "Warehouse")
    product = ProductFactory(stock=10)
    order = place_test_order(items={product.pk: 2})
    TRANSITION_SERVICES["confirm"](order_id=order.pk, by=None, reason="", source=Source.SYSTEM)
    # when Warehouse marks it shipped from the order page (version 2)
    response = client.post(transition_url(order, "ship"), {"version": 2, "reason": "", "confirmed": "yes"})
    # then it is shipped and the units are out of the warehouse
    assert response.status_code == 302
    assert messages_of(response) == [f"Замовлення №{order.number} позначено відправленим."]
    assert snapshot(order)["status"] == "shipped"
    stock = Stock.objects.get(product=product)
    assert (stock.on_hand, stock.reserved) == (8, 0)
    assert order_history(order=order)[-1].by == warehouse.email


def test_confirmation_page_opens_with_the_current_version(client):
    login_as(client, "Support")
    order = place_test_order()
    response = client.get(transition_url(order, "cancel"))
    assert response.status_code == 200
    assert response.context["form"].initial == {"version": 1}
    assert response.context["form"].fields["reason"].required is True
    assert snapshot(order)["status"] == "placed"


def test_transition_needs_the_csrf_token(client):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(StaffFactory(role="Support"))
    order = place_test_order()
    before = snapshot(order)
    response = csrf_client.post(transition_url(order, "confirm"), {"version": 1, "confirmed": "yes"})
    assert response.status_code == 403
    assert snapshot(order) == before


def test_warehouse_cannot_confirm_even_by_posting_the_url(client):
    login_as(client, "Warehouse")
    order = place_test_order()
    before = snapshot(order)
    response = client.post(transition_url(order, "confirm"), {"version": 1, "reason": "", "confirmed": "yes"})
    assert response.status_code == 403
    assert snapshot(order) == before


def test_finance_cannot_change_anything(client):
    login_as(client, "Finance")
    order = place_test_order()
    before = snapshot(order)
    # the order page is view-only, without buttons
    page = client.get(change_url(order))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert page.context["order_transitions"] == []
    # and every way of changing it is refused
    assert client.post(change_url(order), edit_data(order, phone="+380509998877")).status_code == 403
    for name in ("confirm", "cancel"):
        response = client.post(transition_url(order, name), {"version": 1, "reason": "x", "confirmed": "yes"})
        assert response.status_code == 403
    # (with no action to offer, the list ignores an action posted anyway)
    response = client.post(
        changelist_url(), {"action": "cancel_selected", "_selected_action": [order.pk], "index": 0, "post": "yes"}
    )
    assert response.status_code == 200
    assert response.context["action_form"] is None
    assert snapshot(order) == before


def test_cancel_needs_a_reason(client):
    login_as(client, "Support")
    order = place_test_order()
    before = snapshot(order)
    response = client.post(transition_url(order, "cancel"), {"version": 1, "reason": " ", "confirmed": "yes"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["Це поле обов'язкове."]}
    assert snapshot(order) == before


def test_transition_no_longer_possible_is_an_error_message(client):
    # given Support's page shows "Confirm", but a colleague cancels the order meanwhile
    login_as(client, "Support")
    order = place_test_order()
    cancel_order(order_id=order.pk, by=None, reason="Shopper called", source=Source.SYSTEM)
    before = snapshot(order)
    # when Support clicks it, then nothing changes and the reason is shown
    response = client.post(transition_url(order, "confirm"), {"version": 1, "confirmed": "yes"})
    assert response.status_code == 302
    assert response["Location"] == change_url(order)
    # the service's own refusal, word for word
    assert messages_of(response) == [OrderStateError(Order.objects.get(pk=order.pk), "confirm").message]
    assert snapshot(order) == before


def test_transition_from_a_stale_page_is_refused(client):
    # given Support's page shows version 1, and a colleague corrects the branch meanwhile
    login_as(client, "Support")
    order = place_test_order()
    update_order_details(order_id=order.pk, expected_version=1, changes={"delivery_branch": "Branch No 7"})
    before = snapshot(order)
    # when Support confirms from the old page
    response = client.post(transition_url(order, "confirm"), {"version": 1, "reason": "ok", "confirmed": "yes"})
    # then nothing changes and Support is told to reload
    assert response.status_code == 302
    assert messages_of(response) == [
        f"Замовлення №{order.number} уже змінив хтось інший (версія 2, у вас була 1). "
        "Завантажте його знову й повторіть спробу."
    ]
    assert snapshot(order) == before


def test_unknown_transition_is_not_found(client):
    login_as(client, "Manager")
    order = place_test_order()
    assert client.post(transition_url(order, "expire"), {"version": 1, "confirmed": "yes"}).status_code == 404
    assert snapshot(order)["status"] == "placed"


# --- editing contact details ----------------------------------------------------------------


def test_support_corrects_the_phone_and_branch(client):
    login_as(client, "Support")
    order = place_test_order()
    response = client.post(change_url(order), edit_data(order, phone="050 999 88 77", delivery_branch="Branch No 7"))
    assert response.status_code == 302
    assert messages_of(response) == [
        f'замовлення "<a href="{change_url(order)}">{order.number}</a>" було змінено успішно.'
    ]
    assert snapshot(order) == {
        "status": "placed",
        "version": 2,
        "phone": "+380509998877",
        "delivery_branch": "Branch No 7",
        "history": 0,
    }


def test_a_phone_that_is_not_ukrainian_is_a_form_error(client):
    login_as(client, "Support")
    order = place_test_order()
    before = snapshot(order)
    response = client.post(change_url(order), edit_data(order, phone="12345"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "phone": ["Введіть український номер телефону, наприклад +380671234567 або 067 123 45 67."]
    }
    assert snapshot(order) == before


def test_stale_edit_is_refused(client):
    # given Support loaded the order form (version 1)
    login_as(client, "Support")
    order = place_test_order()
    form_data = edit_data(order, phone="050 999 88 77")
    assert client.get(change_url(order)).context["adminform"].form["expected_version"].value() == 1
    # and a colleague changed the order meanwhile
    update_order_details(order_id=order.pk, expected_version=1, changes={"delivery_branch": "Branch No 7"})
    # when Support submits the old form
    response = client.post(change_url(order), form_data)
    # then it is refused with a form error, Support's typing is kept, and nothing is saved
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.non_field_errors() == [
        f"Замовлення №{order.number} уже змінив хтось інший (версія 2, у вас була 1). "
        "Завантажте його знову й повторіть спробу."
    ]
    assert form["phone"].value() == "050 999 88 77"
    assert snapshot(order) == {
        "status": "placed",
        "version": 2,
        "phone": "+380671234567",
        "delivery_branch": "Branch No 7",
        "history": 0,
    }


def test_closed_order_is_read_only(client):
    login_as(client, "Support")
    order = _order_in("cancelled")
    before = snapshot(order)
    page = client.get(change_url(order))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert client.post(change_url(order), edit_data(order, phone="+380509998877")).status_code == 403
    assert snapshot(order) == before


def test_orders_are_never_added_or_deleted_here(client):
    login_as(client, "Manager")
    order = place_test_order()
    assert client.get(reverse("admin:orders_order_add")).status_code == 403
    assert client.post(reverse("admin:orders_order_delete", args=[order.pk]), {"post": "yes"}).status_code == 403
    assert Order.objects.filter(pk=order.pk).exists()


# --- bulk actions ---------------------------------------------------------------------------


def test_bulk_confirm_reports_each_success_and_failure(client):
    # given two placed COD orders, a cancelled one and an online one
    support = login_as(client, "Support")
    first = place_test_order()
    cancelled = _order_in("cancelled")
    online = place_test_order(payment_method=Order.PaymentMethod.ONLINE)
    last = place_test_order()
    # when Support confirms all four at once
    response = client.post(
        changelist_url(),
        {
            "action": "confirm_selected",
            "_selected_action": [first.pk, cancelled.pk, online.pk, last.pk],
            "index": 0,
        },
    )
    # then the COD orders are confirmed and each failure is named with its reason
    assert response.status_code == 302
    done, failed = messages_of(response)
    assert done == f"Підтверджено (2): {first.number}, {last.number}"
    # each failure named by its number, with the service's reason (without the number again)
    assert re.fullmatch(rf"Не вдалося \(2\): {cancelled.number} \(.+\); {online.number} \(.+\)", failed)
    assert failed.count("KR-") == 2
    assert [snapshot(o)["status"] for o in (first, cancelled, online, last)] == [
        "confirmed",
        "cancelled",
        "placed",
        "confirmed",
    ]
    (entry,) = order_history(order=last)
    assert (entry.by, entry.source, entry.to_status) == (support.email, "admin", "Підтверджено")


def test_bulk_cancel_asks_why_then_releases_the_stock(client):
    # given two orders holding 2 and 3 of a product's 10 units
    login_as(client, "Support")
    product = ProductFactory(stock=10)
    orders = [place_test_order(items={product.pk: 2}), place_test_order(items={product.pk: 3})]
    assert Stock.objects.get(product=product).reserved == 5
    selected = {"action": "cancel_selected", "_selected_action": [o.pk for o in orders], "index": 0}
    # when Support picks "Cancel selected orders", then a page asks for the reason first
    page = client.post(changelist_url(), selected)
    assert page.status_code == 200
    assert [o.number for o in page.context["orders"]] == [o.number for o in orders]
    # and an empty reason is refused
    refused = client.post(changelist_url(), {**selected, "post": "yes", "reason": ""})
    assert refused.status_code == 200
    assert refused.context["form"].errors == {"reason": ["Це поле обов'язкове."]}
    assert [snapshot(o)["status"] for o in orders] == ["placed", "placed"]
    # when Support gives a reason
    response = client.post(changelist_url(), {**selected, "post": "yes", "reason": "Shop closed for stocktaking"})
    # then both are cancelled and their units are back on sale
    assert response.status_code == 302
    assert messages_of(response) == [f"Скасовано (2): {orders[0].number}, {orders[1].number}"]
    assert [snapshot(o)["status"] for o in orders] == ["cancelled", "cancelled"]
    stock = Stock.objects.get(product=product)
    assert (stock.on_hand, stock.reserved) == (10, 0)
    assert order_history(order=orders[0])[0].reason == "Shop closed for stocktaking"


def test_warehouse_cannot_run_bulk_confirm_by_posting_it(client):
    login_as(client, "Warehouse")
    order = place_test_order()
    before = snapshot(order)
    response = client.post(changelist_url(), {"action": "confirm_selected", "_selected_action": [order.pk], "index": 0})
    assert response.status_code == 200
    assert response.context["action_form"] is None
    assert messages_of(response) == []
    assert snapshot(order) == before


def test_support_moves_an_order_to_another_nova_poshta_branch(client):
    from tests.factories import np_branch

    branch = np_branch(city_name="Львів", number="3")
    elsewhere = np_branch(city_name="Одеса", number="2")
    order = place_test_order()
    login_as(client, "Support")

    refused = client.post(
        change_url(order), edit_data(order, delivery_city_ref=branch.city_id, delivery_warehouse_ref=elsewhere.ref)
    )
    assert refused.status_code == 200
    assert "Виберіть відділення або поштомат Нової Пошти в місті Львів." in refused.content.decode()
    order.refresh_from_db()
    assert order.delivery_warehouse_ref == ""

    client.post(
        change_url(order), edit_data(order, delivery_city_ref=branch.city_id, delivery_warehouse_ref=branch.ref)
    )
    order.refresh_from_db()
    assert (order.delivery_city, order.delivery_branch, order.delivery_warehouse_ref) == (
        "Львів",
        branch.name,
        branch.ref,
    )

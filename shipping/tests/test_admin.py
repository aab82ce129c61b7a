"""The shipping back office: the parcel queue, labels, retry and cancel, and who may do what."""

from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse

from directory.models import City, Warehouse
from orders.models import Order, Source
from orders.services import confirm_order
from shipping.carriers.base import CarrierError
from shipping.carriers.sandbox import LVIV_REF, WAREHOUSE_ROWS, SandboxCarrier
from shipping.models import Shipment
from shipping.services import KYIV, create_labels, kyiv_today, plan_shipments
from shipping.tests.conftest import ensure_sandbox_directory
from tests.factories import ProductFactory, StaffFactory, np_branch, place_test_order

pytestmark = pytest.mark.django_db

S = Shipment.Status
NBSP = "\u00a0"
CHANGELIST = reverse("admin:shipping_shipment_changelist")
ACTIONS = ["download_labels_100x100", "download_labels_a4", "retry_selected", "void_waybills", "cancel_parcels"]


@pytest.fixture(autouse=True)
def _sandbox_carrier(settings):
    settings.NOVA_POSHTA_API_KEY = ""  # shipping.services talks to the built-in sandbox


def login_as(client, role):
    user = StaffFactory(role=role)
    client.force_login(user)
    return user


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def change_url(shipment):
    return reverse("admin:shipping_shipment_change", args=[shipment.pk])


def button_url(name, shipment):
    return reverse(f"admin:shipping_shipment_{name}", args=[shipment.pk])


def action(client, name, shipments, **extra):
    data = {"action": name, "_selected_action": [s.pk for s in shipments], "index": "0", **extra}
    return client.post(CHANGELIST, data)


def confirmed_order(branch=None, **contact) -> Order:
    """A confirmed cash-on-delivery order to a directory branch (Kyiv №2 unless told)."""
    branch = branch or np_branch("Київ", "2")
    order = place_test_order(
        items={ProductFactory(price=49900, stock=10).pk: 1},
        delivery_city=branch.city.name,
        delivery_branch=branch.name,
        delivery_city_ref=branch.city_id,
        delivery_warehouse_ref=branch.ref,
        **contact,
    )
    return confirm_order(order_id=order.pk, by=None, reason="Phoned", source=Source.ADMIN)


def pending(n=1, **contact) -> list[Shipment]:
    orders = [confirmed_order(**contact) for _ in range(n)]
    plan_shipments()
    return [order.shipments.get() for order in orders]


def labelled(n=1, **contact) -> list[Shipment]:
    shipments = pending(n, **contact)
    assert create_labels() == n
    for shipment in shipments:
        shipment.refresh_from_db()
        assert shipment.status == S.LABEL_CREATED
    return shipments


def needing_attention() -> Shipment:
    """A shipment whose order has no branch: planning flags it for a person."""
    order = confirmed_order()
    Order.objects.filter(pk=order.pk).update(delivery_warehouse_ref="")
    plan_shipments()
    shipment = order.shipments.get()
    assert shipment.status == S.NEEDS_ATTENTION
    return shipment


def state(shipment) -> tuple:
    shipment.refresh_from_db()
    shipment.order.refresh_from_db()
    return (shipment.status, shipment.order.status, shipment.attempts, shipment.last_error)


def pages_in(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page ")


# --- roles -----------------------------------------------------------------------------------


def test_roles_hold_exactly_their_shipping_permissions():
    def shipping_perms(role):
        return sorted(
            f"{app}.{codename}"
            for app, codename in Group.objects.get(name=role)
            .permissions.filter(content_type__app_label__in=["shipping", "directory"])
            .values_list("content_type__app_label", "codename")
        )

    directory = ["directory.view_city", "directory.view_warehouse"]
    everything = [*directory, "shipping.manage_shipment", "shipping.view_shipment"]
    assert shipping_perms("Warehouse") == everything
    assert shipping_perms("Manager") == everything
    assert shipping_perms("Support") == [*directory, "shipping.view_shipment"]
    assert shipping_perms("Finance") == ["shipping.view_shipment"]


@pytest.mark.parametrize(
    ("role", "shipments", "directory"),
    [("Warehouse", 200, 200), ("Manager", 200, 200), ("Support", 200, 200), ("Finance", 200, 403)],
)
def test_each_role_opens_only_its_lists(client, role, shipments, directory):
    shipment = pending()[0]
    branch = Warehouse.objects.get(ref=shipment.warehouse_ref)
    login_as(client, role)

    assert client.get(CHANGELIST).status_code == shipments
    assert client.get(change_url(shipment)).status_code == shipments
    assert client.get(reverse("admin:directory_city_changelist")).status_code == directory
    assert client.get(reverse("admin:directory_city_change", args=[branch.city_id])).status_code == directory
    assert client.get(reverse("admin:directory_warehouse_changelist")).status_code == directory
    assert client.get(reverse("admin:directory_warehouse_change", args=[branch.ref])).status_code == directory


def test_nobody_adds_edits_or_deletes_shipments_or_the_directory_here(client):
    shipment = pending()[0]
    client.force_login(StaffFactory(is_superuser=True))
    before = state(shipment)

    assert client.get(reverse("admin:shipping_shipment_add")).status_code == 403
    assert client.post(reverse("admin:shipping_shipment_delete", args=[shipment.pk])).status_code == 403
    assert client.post(change_url(shipment), {"status": "delivered", "attempts": 5}).status_code == 403
    assert client.get(reverse("admin:directory_city_add")).status_code == 403
    assert client.get(reverse("admin:directory_warehouse_add")).status_code == 403
    choices = client.get(CHANGELIST).context["action_form"].fields["action"].choices
    assert [name for name, _ in choices if name] == ACTIONS  # no "delete selected"
    assert state(shipment) == before


# --- the queue -------------------------------------------------------------------------------


def test_warehouse_sees_the_queue_filters_and_actions(client):
    pending()
    login_as(client, "Warehouse")

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    choices = [name for name, _ in response.context["action_form"].fields["action"].choices if name]
    assert choices == ACTIONS
    filters = {
        spec.title: [choice["display"] for choice in spec.choices(response.context["cl"])]
        for spec in response.context["cl"].filter_specs
    }
    assert filters["черга"] == ["Всі", "Створити накладну", "Накладні сьогодні", "Потребує уваги"]
    assert "статус" in filters
    assert "перевізник" in filters


def test_changelist_row_shows_the_parcel(client):
    # given a labelled cash-on-delivery parcel to Kyiv's branch 2
    branch = np_branch("Київ", "2", name="Відділення №2: вул. Богатирська, 11")
    order = confirmed_order(branch)
    plan_shipments()
    create_labels()
    shipment = order.shipments.get()
    login_as(client, "Warehouse")

    # when the queue is opened
    html = client.get(CHANGELIST).content.decode()

    # then its row shows the parcel, the order, the recipient, where it goes and what to collect
    assert f'<th class="field-marker"><a href="{change_url(shipment)}">{order.number}</a></th>' in html
    order_url = reverse("admin:orders_order_change", args=[order.pk])
    assert f'<td class="field-order_link"><a href="{order_url}">{order.number}</a></td>' in html
    assert 'class="kr-status kr-status-label_created"' in html
    assert f'<td class="field-tracking_number">{shipment.tracking_number}</td>' in html
    assert '<td class="field-recipient">Olena Shevchenko<br>+380671234567</td>' in html
    assert '<td class="field-destination">Київ<br>Відділення №2: вул. Богатирська, 11</td>' in html
    assert f'<td class="field-cod_display">499,00{NBSP}₴</td>' in html
    assert '<td class="field-attempts">1</td>' in html


@pytest.mark.parametrize("count", [3, 12])
def test_changelist_query_count_does_not_grow_with_shipments(client, django_assert_num_queries, count):
    labelled(count)
    login_as(client, "Warehouse")
    client.get(CHANGELIST)  # warm the session and permission caches

    # the session row and the carrier breaker's line included; no date_hierarchy, one count
    with django_assert_num_queries(10):
        response = client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == count


def test_queue_filter_finds_what_to_label_what_was_labelled_today_and_what_needs_attention(client):
    # given parcels in every state of the warehouse's day
    today, yesterday, moving = labelled(3)
    waiting = pending()[0]
    creating = pending()[0]
    Shipment.objects.filter(pk=creating.pk).update(status=S.CREATING)
    start_of_today = datetime.combine(kyiv_today(), time.min, KYIV)
    Shipment.objects.filter(pk=today.pk).update(label_created_at=start_of_today + timedelta(minutes=1))
    Shipment.objects.filter(pk=yesterday.pk).update(label_created_at=start_of_today - timedelta(minutes=1))
    Shipment.objects.filter(pk=moving.pk).update(status=S.IN_TRANSIT)
    broken = needing_attention()
    login_as(client, "Warehouse")

    def listed(queue):
        return sorted(s.pk for s in client.get(CHANGELIST, {"queue": queue}).context["cl"].result_list)

    assert listed("to_label") == sorted([waiting.pk, creating.pk])
    assert listed("labelled_today") == [today.pk]
    assert listed("attention") == [broken.pk]


def test_search_finds_a_parcel_by_ttn_marker_order_number_and_phone(client):
    mine = labelled(1, phone="+380501112233")[0]
    labelled(1)
    login_as(client, "Support")

    def found(q):
        return [s.pk for s in client.get(CHANGELIST, {"q": q}).context["cl"].result_list]

    assert found(mine.tracking_number) == [mine.pk]
    assert found(mine.marker) == [mine.pk]
    assert found(mine.order.number) == [mine.pk]
    assert found("050 111 22 33") == [mine.pk]
    assert found("+38 (050) 111-22-33") == [mine.pk]


# --- who may act -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["Support", "Finance"])
def test_support_and_finance_see_the_list_but_cannot_act(client, role):
    # given a labelled parcel and one that needs attention
    parcel = labelled()[0]
    broken = needing_attention()
    before = (state(parcel), state(broken))
    login_as(client, role)

    # then the list has no actions and the change pages no buttons
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context["action_form"] is None
    page = client.get(change_url(broken)).content.decode()
    assert "Завантажити етикетку" not in page
    assert "Скасувати посилку" not in page
    assert button_url("retry", broken) not in page

    # and posting an action or calling a button anyway is refused, changing nothing
    for name in ACTIONS:
        assert action(client, name, [parcel, broken], reason="no", post="yes").status_code == 403
    assert client.get(button_url("label", parcel)).status_code == 403
    assert client.post(button_url("retry", broken)).status_code == 403
    assert client.get(button_url("cancel", parcel)).status_code == 403
    assert client.post(button_url("cancel", parcel), {"reason": "no"}).status_code == 403
    assert (state(parcel), state(broken)) == before


# --- labels ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "layout"), [("download_labels_100x100", "100x100"), ("download_labels_a4", "a4")])
def test_labels_download_as_one_pdf_from_our_server(client, name, layout):
    # given three labelled parcels
    shipments = labelled(3)
    login_as(client, "Warehouse")

    # when the warehouse downloads their labels
    response = action(client, name, shipments)

    # then one PDF with a page each comes from our server, as a file
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith(f'attachment; filename="labels-{layout}-')
    assert response.content.startswith(b"%PDF")
    assert pages_in(response.content) == 3
    for shipment in shipments:
        assert f"TTN {shipment.tracking_number}".encode() in response.content
    # and it carries no carrier key or address
    assert b"apiKey" not in response.content
    assert "apiKey" not in str(response.headers)
    assert "novaposhta.ua" not in str(response.headers)


def test_labels_of_a_mixed_selection_print_those_with_a_waybill(client):
    printed = labelled(2)
    waiting = pending()[0]
    login_as(client, "Warehouse")

    response = action(client, "download_labels_100x100", [*printed, waiting])

    assert response.status_code == 200
    assert pages_in(response.content) == 2
    assert messages_of(response) == ["1 з вибраних відправлень не має накладної (або скасоване) і не потрапило в PDF."]


def test_labels_of_parcels_without_a_waybill_say_so(client):
    waiting = pending(2)
    login_as(client, "Warehouse")

    response = action(client, "download_labels_a4", waiting)

    assert response.status_code == 302
    assert messages_of(response) == ["Жодне з вибраних відправлень ще не має накладної."]


def test_change_page_offers_the_label_and_serves_it(client):
    parcel = labelled()[0]
    login_as(client, "Warehouse")

    page = client.get(change_url(parcel)).content.decode()
    assert f'href="{button_url("label", parcel)}?layout=100x100"' in page
    assert f'href="{button_url("label", parcel)}?layout=a4"' in page
    assert button_url("retry", parcel) not in page  # it has its waybill: nothing to retry

    response = client.get(button_url("label", parcel), {"layout": "a4"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="label-{parcel.tracking_number}-a4.pdf"'
    assert response.content.startswith(b"%PDF")
    assert pages_in(response.content) == 1


def test_label_button_for_a_parcel_without_a_waybill_explains(client):
    waiting = pending()[0]
    login_as(client, "Warehouse")

    assert "Завантажити етикетку" not in client.get(change_url(waiting)).content.decode()
    response = client.get(button_url("label", waiting))
    assert response.status_code == 302
    assert messages_of(response) == ["Жодне з цих відправлень ще не має накладної (ТТН)."]


def test_labels_through_the_real_adapter_never_show_the_api_key(client, fake_np, np_carrier):
    # given a parcel labelled by the real Nova Poshta adapter (against the local fake)
    lviv_branch = next(row for row in WAREHOUSE_ROWS if row["CityRef"] == LVIV_REF)
    ensure_sandbox_directory()
    order = place_test_order(delivery_city_ref=LVIV_REF, delivery_warehouse_ref=lviv_branch["Ref"])
    confirm_order(order_id=order.pk, by=None, source=Source.ADMIN)
    plan_shipments()
    assert create_labels() == 1
    parcel = order.shipments.get()
    login_as(client, "Warehouse")

    # when its label is downloaded, and once more while the carrier sends an error page
    ok = action(client, "download_labels_100x100", [parcel])
    fake_np.fail_next(500)
    failed = action(client, "download_labels_100x100", [parcel])

    # then the PDF came from the carrier through our server, and the key shows nowhere
    assert [p["refs"] for p in fake_np.prints] == [[parcel.waybill_ref]]  # the failed one was not served
    assert ok.content.startswith(b"%PDF")
    assert failed.status_code == 302
    assert messages_of(failed) == ["Нова Пошта не видала етикетки: Nova Poshta answered 100x100 labels with HTTP 500"]
    for response in (ok, failed):
        assert fake_np.api_key.encode() not in response.content
        assert fake_np.api_key not in str(response.headers)
        assert b"apiKey" not in response.content
        assert all(fake_np.api_key not in message for message in messages_of(response))


# --- retry -----------------------------------------------------------------------------------


def test_retry_after_fixing_the_order_puts_the_parcel_back_in_the_queue(client):
    # given a parcel that needed attention because its order had no branch, now fixed
    broken = needing_attention()
    branch = np_branch("Київ", "2")
    Order.objects.filter(pk=broken.order_id).update(delivery_warehouse_ref=branch.ref)
    parcel = labelled()[0]
    login_as(client, "Warehouse")

    # when both are retried
    response = action(client, "retry_selected", [broken, parcel])

    # then the fixed one is pending with the order's branch, and the other is reported by marker
    broken.refresh_from_db()
    assert (broken.status, broken.warehouse_ref, broken.attempts, broken.last_error) == (S.PENDING, branch.ref, 0, "")
    assert state(parcel)[0] == S.LABEL_CREATED
    assert messages_of(response) == [
        f"Знову в черзі накладних (1): {broken.marker}.",
        # the service's refusal as it words it, the status as staff read it
        f"Не повторено (1): {parcel.marker} (Повторити можна лише відправлення, що потребує уваги; це має статус "
        f"«{str(S.LABEL_CREATED.label).lower()}»).",
    ]
    # and the next label run creates its waybill
    create_labels()
    broken.refresh_from_db()
    assert broken.status == S.LABEL_CREATED


def test_retry_without_a_fix_is_refused_and_changes_nothing(client):
    broken = needing_attention()
    before = state(broken)
    login_as(client, "Warehouse")

    response = action(client, "retry_selected", [broken])

    assert messages_of(response) == [
        f"Не повторено (1): {broken.marker} (Спершу виберіть у замовленні місто й відділення Нової Пошти)."
    ]
    assert state(broken) == before


def test_retry_button_on_the_change_page(client):
    broken = needing_attention()
    Order.objects.filter(pk=broken.order_id).update(delivery_warehouse_ref=np_branch("Київ", "2").ref)
    login_as(client, "Warehouse")

    page = client.get(change_url(broken)).content.decode()
    assert f'action="{button_url("retry", broken)}"' in page
    assert client.get(button_url("retry", broken)).status_code == 405
    response = client.post(button_url("retry", broken))

    assert response.status_code == 302
    assert response["Location"] == change_url(broken)
    assert messages_of(response) == [f"Відправлення {broken.marker} знову в черзі накладних."]
    assert state(broken)[0] == S.PENDING


# --- cancel ----------------------------------------------------------------------------------


def test_cancel_parcels_asks_why_then_cancels_the_orders_and_waybills(client):
    # given a labelled parcel and one still waiting for its label
    parcel = labelled()[0]
    waiting = pending()[0]
    login_as(client, "Warehouse")

    # when the warehouse chooses "Cancel parcel", it is asked why first
    asked = action(client, "cancel_parcels", [parcel, waiting])
    assert asked.status_code == 200
    assert asked.templates[0].name == "admin/shipping/shipment/cancel.html"
    assert [s.pk for s in asked.context["shipments"]] == sorted([parcel.pk, waiting.pk])
    assert state(parcel)[:2] == (S.LABEL_CREATED, Order.Status.SHIPPED)

    # and with a reason, both parcels and their orders are cancelled, the waybill deleted
    response = action(client, "cancel_parcels", [parcel, waiting], post="yes", reason="The shopper changed their mind")
    assert state(parcel)[:2] == (S.CANCELLED, Order.Status.CANCELLED)
    assert state(waiting)[:2] == (S.CANCELLED, Order.Status.CANCELLED)
    assert SandboxCarrier().track(numbers=[parcel.tracking_number], phone="")[0].carrier_code == 2  # deleted
    # and the deleted waybill is no longer offered for printing
    assert "Завантажити етикетку" not in client.get(change_url(parcel)).content.decode()
    assert messages_of(client.get(button_url("label", parcel))) == ["Посилку скасовано: її накладна більше не дійсна."]
    markers = sorted([parcel.marker, waiting.marker])
    assert messages_of(response) == [f"Скасовано разом із замовленнями (2): {', '.join(markers)}."]


def test_cancel_parcels_without_a_reason_changes_nothing(client):
    parcel = labelled()[0]
    before = state(parcel)
    login_as(client, "Warehouse")

    response = action(client, "cancel_parcels", [parcel], post="yes", reason="  ")

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["Це поле обов'язкове."]}
    assert state(parcel) == before


def test_a_parcel_already_on_its_way_cannot_be_cancelled(client):
    parcel = labelled()[0]
    Shipment.objects.filter(pk=parcel.pk).update(status=S.IN_TRANSIT, carrier_status_code=5)
    before = state(parcel)
    login_as(client, "Warehouse")

    assert "Скасувати посилку" not in client.get(change_url(parcel)).content.decode()
    response = action(client, "cancel_parcels", [parcel], post="yes", reason="Too late")

    assert messages_of(response) == [
        f"Не скасовано (1): {parcel.marker} (Посилка має статус «{str(S.IN_TRANSIT.label).lower()}»; скасувати її "
        "більше не можна. Натомість оформіть відмову або повернення)."
    ]
    assert state(parcel) == before


def test_cancel_button_on_the_change_page(client):
    parcel = labelled()[0]
    login_as(client, "Manager")

    page = client.get(change_url(parcel)).content.decode()
    assert f'href="{button_url("cancel", parcel)}"' in page
    asked = client.get(button_url("cancel", parcel))
    assert asked.status_code == 200
    assert asked.context["bulk"] is False
    refused = client.post(button_url("cancel", parcel), {"reason": ""})
    assert refused.context["form"].errors == {"reason": ["Це поле обов'язкове."]}
    assert state(parcel)[0] == S.LABEL_CREATED

    response = client.post(button_url("cancel", parcel), {"reason": "Out of stock after all"})

    assert response["Location"] == change_url(parcel)
    assert messages_of(response) == [f"Скасовано разом із замовленнями (1): {parcel.marker}."]
    assert state(parcel)[:2] == (S.CANCELLED, Order.Status.CANCELLED)


def test_when_the_carrier_will_not_delete_the_waybill_nothing_is_cancelled(client, monkeypatch):
    # given a labelled parcel the carrier no longer lets us delete (it moved on since we looked)
    parcel = labelled()[0]
    before = state(parcel)

    def refuse(self, *, ref):
        raise CarrierError("Sandbox: waybill is already on its way (status 4)", transient=False)

    monkeypatch.setattr(SandboxCarrier, "delete_waybill", refuse)
    login_as(client, "Warehouse")

    # when staff cancel it
    response = client.post(button_url("cancel", parcel), {"reason": "Changed their mind"})

    # then they are told why, and neither the order nor the parcel changed
    assert response.status_code == 302
    assert messages_of(response) == [
        f"Нова Пошта не видалила накладну {parcel.tracking_number}: Sandbox: waybill is already on its way "
        "(status 4). Нічого не скасовано; якщо посилка вже в дорозі, оформіть відмову або повернення."
    ]
    assert state(parcel) == before


# --- the directory ---------------------------------------------------------------------------


def test_directory_lists_are_searchable(client):
    np_branch("Київ", "2", name="Відділення №2: вул. Богатирська, 11")
    np_branch("Львів", "3", name="Відділення №3: вул. Шевченка, 60")
    login_as(client, "Support")

    cities = client.get(reverse("admin:directory_city_changelist"), {"q": "Льв"}).context["cl"].result_list
    branches = client.get(reverse("admin:directory_warehouse_changelist"), {"q": "Богатирська"})

    assert [c.name for c in cities] == ["Львів"]
    assert [w.number for w in branches.context["cl"].result_list] == ["2"]
    assert City.objects.count() == 2

"""The big changelists (orders, payments, shipments, the inbox, the journal) at a million rows.

What the bench (bench/admin.py) times, these prove: every search is answered by its trigram
index (the planner is told to avoid sequential and plain index scans, which it would rightly
prefer on a test database's few rows: a search expression that does not match its index would
leave it no bitmap scan to choose),
searches still find what staff type, an unfiltered total comes from the statistics once the
table is big, and no changelist costs more queries as rows are added, searched or filtered.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import large_lists
from core.large_lists import EstimatedCountPaginator, trigram_search
from orders.models import ORDER_SEARCH_FIELDS, Order
from payments.models import Payment, WebhookEvent
from shipping.models import Shipment
from tests.factories import ProductFactory, StaffFactory, place_test_order

pytestmark = pytest.mark.django_db


def plan(queryset) -> str:
    # No sequential scan and no plain index scan (an ORDER BY's index read end to end with a
    # filter would do on a few rows): only a bitmap scan on an index the filter matches is left.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_indexonlyscan = off")
    return queryset.explain()


def order(**contact) -> Order:
    return place_test_order(items={ProductFactory(stock=10).pk: 1}, **contact)


def admin_search(model, term: str, role: str = "Manager"):
    """The queryset the model's admin searches with, as a staff member's changelist would."""
    from django.contrib.admin import site
    from django.test import RequestFactory

    request = RequestFactory().get("/", {"q": term})
    request.user = StaffFactory(role=role, is_superuser=True)
    model_admin = site._registry[model]
    queryset, _ = model_admin.get_search_results(request, model_admin.get_queryset(request), term)
    return queryset


# --- the searches use their indexes --------------------------------------------------------------


def test_the_order_search_is_an_index_scan_of_its_trigram_index():
    order()
    assert "order_search_trgm" in plan(admin_search(Order, "Шевченко"))


def test_the_shipment_search_uses_the_marker_trigram_index():
    assert "shipment_marker_trgm" in plan(admin_search(Shipment, "KR-1001"))


def test_the_payment_search_is_a_union_of_index_scans():
    explained = plan(admin_search(Payment, "KR-1001"))
    assert "order_search_trgm" in explained
    assert "payment_provider_id_trgm" in explained


def test_the_inbox_search_uses_the_dedupe_key_trigram_index():
    assert "webhook_dedupe_key_trgm" in plan(admin_search(WebhookEvent, "wayforpay"))


# --- and find what staff type ----------------------------------------------------------------------


def test_an_order_is_found_by_any_part_of_its_name_email_number_or_phone():
    shevchenko = order(full_name="Олена Шевченко", email="olena.sh@example.com", phone="+380671234567")
    kovalenko = order(full_name="Тарас Коваленко", email="taras@example.com", phone="+380501112233")
    found = lambda term: set(admin_search(Order, term))  # noqa: E731
    assert found("шевченко") == {shevchenko}  # any case
    assert found("Олена Шевч") == {shevchenko}  # every word, each anywhere
    assert found("EXAMPLE.com") == {shevchenko, kovalenko}
    assert found(kovalenko.number) == {kovalenko}
    assert found("1112233") == {kovalenko}  # a part of a phone
    assert found("Олена Коваленко") == set()
    assert found('"Тарас Коваленко"') == {kovalenko}  # a quoted phrase stays whole


def test_an_order_is_found_by_its_ttn():
    shipped = order()
    Order.objects.filter(pk=shipped.pk).update(tracking_number="20450000123456")
    order()
    assert set(admin_search(Order, "20450000123456")) == {shipped}


def test_search_characters_that_mean_something_to_like_are_plain_characters():
    order(email="a_b@example.com")
    order(email="axb@example.com")
    assert [o.email for o in trigram_search(Order.objects.all(), ORDER_SEARCH_FIELDS, "a_b")] == ["a_b@example.com"]
    assert not trigram_search(Order.objects.all(), ORDER_SEARCH_FIELDS, "100%").exists()


# --- counts --------------------------------------------------------------------------------------


def test_a_small_or_never_analysed_table_is_counted_exactly():
    for _ in range(3):
        order()
    assert EstimatedCountPaginator(Order.objects.all(), 100).count == 3


def test_a_big_unfiltered_table_is_counted_from_the_statistics(monkeypatch):
    for _ in range(3):
        order()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
        cursor.execute("UPDATE pg_class SET reltuples = 1234567 WHERE oid = 'orders_order'::regclass")
    monkeypatch.setattr(large_lists, "ESTIMATE_FROM", 1000)
    assert EstimatedCountPaginator(Order.objects.all(), 100).count == 1234567
    # filtered, it is counted exactly, whatever the statistics say
    assert EstimatedCountPaginator(Order.objects.filter(status="placed"), 100).count == 3


# --- the changelists cost the same queries, however many rows ----------------------------------


PAGES = ["", "?q=Шевченко", "?status__exact=placed", "?q=Шевченко&status__exact=placed"]


@pytest.mark.parametrize("page", PAGES)
def test_the_order_changelist_costs_the_same_for_3_or_12_orders(client, page):
    client.force_login(StaffFactory(role="Support"))
    url = reverse("admin:orders_order_changelist") + page
    counts = []
    for n in (3, 9):
        for _ in range(n):
            order(full_name="Олена Шевченко")
        client.get(url)  # the session and permission caches are warm for the counted one
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert response.context["cl"].result_count == 12

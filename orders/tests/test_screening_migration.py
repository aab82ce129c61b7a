"""Orders take over the fraud app's block list and screenings without losing a row or a grant."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE_THE_MOVE = [("orders", "0008_backfill_handed_over_at"), ("fraud", "0002_role_permissions")]
CODENAMES = ["review_order", "view_orderscreening", "add_blockedcontact", "view_blockedcontact"]


def role_permissions(role: str) -> list[str]:
    return sorted(
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=role)
        .permissions.filter(codename__in=CODENAMES)
        .values_list("content_type__app_label", "codename")
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_move_keeps_every_blocked_contact_screening_and_grant():
    # given the database as it was with the fraud app: a blocked phone and a held order's screening
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_THE_MOVE)
    old = executor.loader.project_state(BEFORE_THE_MOVE).apps
    Order = old.get_model("orders", "Order")
    BlockedContact, OrderScreening = old.get_model("fraud", "BlockedContact"), old.get_model("fraud", "OrderScreening")
    at = timezone.now()
    order = Order.objects.create(
        number="KR-9001",
        public_token="p" * 32,
        checkout_token="c" * 32,
        full_name="Olena Shevchenko",
        phone="+380671234567",
        email="olena@example.com",
        delivery_city="Київ",
        delivery_branch="Відділення №1",
        payment_method="cod",
        subtotal=600_000,
        total=600_000,
        placed_via="web",
        status="placed",
        created_at=at,
    )
    blocked = BlockedContact.objects.create(kind="phone", value="+380500000000", reason="Refused 40 kettles")
    screening = OrderScreening.objects.create(
        order=order, ip="203.0.113.7", review="pending", rule="FRAUD_REVIEW_FIRST_ORDER_ABOVE", reason="big"
    )
    assert {"fraud_blockedcontact", "fraud_orderscreening"} <= set(connection.introspection.table_names())
    assert role_permissions("Support") == [
        "fraud.review_order",
        "fraud.view_blockedcontact",
        "fraud.view_orderscreening",
    ]

    # when every migration runs
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    # then orders hold the same rows in their own tables, and the roles keep their grants
    new = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps
    NewBlocked, NewScreening = new.get_model("orders", "BlockedContact"), new.get_model("orders", "OrderScreening")
    assert list(NewBlocked.objects.values_list("pk", "kind", "value", "reason")) == [
        (blocked.pk, "phone", "+380500000000", "Refused 40 kettles")
    ]
    assert list(NewScreening.objects.values_list("pk", "order_id", "ip", "review", "rule", "reason")) == [
        (screening.pk, order.pk, "203.0.113.7", "pending", "FRAUD_REVIEW_FIRST_ORDER_ABOVE", "big")
    ]
    tables = set(connection.introspection.table_names())
    assert {"orders_blockedcontact", "orders_orderscreening"} <= tables
    assert not {"fraud_blockedcontact", "fraud_orderscreening"} & tables
    assert role_permissions("Support") == [
        "orders.review_order",
        "orders.view_blockedcontact",
        "orders.view_orderscreening",
    ]
    assert role_permissions("Manager") == [
        "orders.add_blockedcontact",
        "orders.review_order",
        "orders.view_blockedcontact",
        "orders.view_orderscreening",
    ]
    assert role_permissions("Finance") == []
    # new rows still get fresh ids from the renamed tables' sequences
    assert NewBlocked.objects.create(kind="email", value="x@example.com", reason="r").pk == blocked.pk + 1

"""The directory's tables move out of shipping without losing a row or a role's permission."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_THE_MOVE = [("shipping", "0003_shipment_handed_over_at"), ("directory", None)]


def role_permissions(role: str) -> list[str]:
    return sorted(
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=role)
        .permissions.filter(codename__in=["view_city", "view_warehouse"])
        .values_list("content_type__app_label", "codename")
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_move_keeps_every_city_branch_and_grant():
    # given the database as it was before the directory app existed, with a city and two branches
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_THE_MOVE)
    old = executor.loader.project_state([BEFORE_THE_MOVE[0]]).apps
    OldCity, OldWarehouse = old.get_model("shipping", "City"), old.get_model("shipping", "Warehouse")
    lviv = OldCity.objects.create(ref="city-lviv", name="Львів", area="Львівська", settlement_type="місто")
    OldWarehouse.objects.create(ref="wh-1", city=lviv, number="1", name="Відділення №1", kind="cargo")
    OldWarehouse.objects.create(
        ref="wh-2", city=lviv, number="2", name="Поштомат №2", kind="parcel_locker", is_active=False
    )
    assert "shipping_city" in connection.introspection.table_names()
    assert role_permissions("Support") == ["shipping.view_city", "shipping.view_warehouse"]

    # when every migration runs
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    # then the directory app holds the same rows in its own tables, and the roles keep their grants
    new = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps
    City, Warehouse = new.get_model("directory", "City"), new.get_model("directory", "Warehouse")
    assert list(City.objects.values_list("ref", "name", "area", "settlement_type")) == [
        ("city-lviv", "Львів", "Львівська", "місто")
    ]
    assert list(Warehouse.objects.order_by("ref").values_list("ref", "city_id", "number", "kind", "is_active")) == [
        ("wh-1", "city-lviv", "1", "cargo", True),
        ("wh-2", "city-lviv", "2", "parcel_locker", False),
    ]
    tables = set(connection.introspection.table_names())
    assert {"directory_city", "directory_warehouse"} <= tables
    assert not {"shipping_city", "shipping_warehouse"} & tables
    assert role_permissions("Support") == ["directory.view_city", "directory.view_warehouse"]
    assert role_permissions("Finance") == []

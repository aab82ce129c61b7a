"""Products made before the texts were translated keep their names and descriptions, now as the Ukrainian ones."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from catalog.models import Product as LiveProduct
from tests.factories import ProductFactory

BEFORE = [("catalog", "0003_remove_reservation_reservation_one_per_product_and_holder_and_more")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_texts_become_the_ukrainian_ones_and_nothing_is_lost():
    # given two products from before the translation columns existed
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    OldProduct = executor.loader.project_state(BEFORE).apps.get_model("catalog", "Product")
    OldProduct.objects.create(sku="TEA-1", name="Зелений чай", slug="green-tea", description="Розсипний.", price=9900)
    OldProduct.objects.create(sku="CUP-1", name="Clay cup", slug="clay-cup", description="", price=29900)

    # when every migration runs
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    # then each product has its texts as the Ukrainian ones, no English yet, the old columns intact
    Product = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps.get_model("catalog", "Product")
    rows = Product.objects.order_by("sku").values_list(
        "sku", "name", "name_uk", "name_en", "description", "description_uk", "description_en"
    )
    assert list(rows) == [
        ("CUP-1", "Clay cup", "Clay cup", None, "", "", None),
        ("TEA-1", "Зелений чай", "Зелений чай", None, "Розсипний.", "Розсипний.", None),
    ]
    # and the live model reads them in either language (English falls back to the Ukrainian)
    tea = LiveProduct.objects.get(sku="TEA-1")
    with translation.override("en"):
        assert (tea.name, tea.description) == ("Зелений чай", "Розсипний.")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_going_back_keeps_the_ukrainian_texts():
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    ProductFactory(sku="TEA-1", name="Зелений чай", name_en="Green tea", description="Розсипний.")

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        OldProduct = executor.loader.project_state(BEFORE).apps.get_model("catalog", "Product")
        assert list(OldProduct.objects.values_list("sku", "name", "description")) == [
            ("TEA-1", "Зелений чай", "Розсипний.")
        ]
    finally:
        # the tests after this one need today's schema
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

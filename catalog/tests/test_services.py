"""Stock invariants hold in the database whatever code runs."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from catalog.exceptions import InvalidStockChange, OutOfStock
from catalog.models import Reservation, Stock
from catalog.services import (
    create_product,
    fulfil_reservation,
    release_reservation,
    reserve_stock,
    set_product_texts,
    set_stock_on_hand,
)
from tests.factories import ProductFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sql", "constraint"),
    [
        ("UPDATE catalog_stock SET reserved = on_hand + 1", "stock_reserved_le_on_hand"),
        ("UPDATE catalog_stock SET on_hand = -1", "on_hand"),
        ("UPDATE catalog_stock SET reserved = -1", "reserved"),
    ],
)
def test_database_refuses_impossible_stock(sql, constraint):
    product = ProductFactory(stock=2)
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    stock = Stock.objects.get(pk=product.pk)
    assert (stock.on_hand, stock.reserved) == (2, 0)


@pytest.mark.django_db
def test_reserve_release_fulfil_each_happen_once():
    a, b = ProductFactory(stock=5), ProductFactory(stock=5)
    reserve_stock(reference="order:1", quantities={a.pk: 2, b.pk: 1})
    reserve_stock(reference="order:2", quantities={a.pk: 3})

    assert release_reservation(reference="order:1") == 3
    assert release_reservation(reference="order:1") == 0  # already released: nothing more
    assert fulfil_reservation(reference="order:2") == 3
    assert fulfil_reservation(reference="order:2") == 0

    stocks = {s.pk: (s.on_hand, s.reserved) for s in Stock.objects.all()}
    assert stocks == {a.pk: (2, 0), b.pk: (5, 0)}
    assert sorted(Reservation.objects.values_list("reference", "status")) == [
        ("order:1", "released"),
        ("order:1", "released"),
        ("order:2", "fulfilled"),
    ]


@pytest.mark.django_db
def test_reserve_is_all_or_nothing():
    a, b = ProductFactory(stock=5), ProductFactory(stock=1)
    with pytest.raises(OutOfStock):
        reserve_stock(reference="order:1", quantities={a.pk: 1, b.pk: 2})
    assert list(Stock.objects.values_list("reserved", flat=True)) == [0, 0]
    assert not Reservation.objects.exists()


@pytest.mark.django_db
def test_on_hand_cannot_go_below_reserved():
    product = ProductFactory(stock=5)
    reserve_stock(reference="order:1", quantities={product.pk: 3})
    with pytest.raises(InvalidStockChange, match="3 одиниці зарезервовані"):
        set_stock_on_hand(product_id=product.pk, on_hand=2)
    assert set_stock_on_hand(product_id=product.pk, on_hand=3).on_hand == 3
    with pytest.raises(InvalidStockChange, match="не може бути від'ємною"):
        set_stock_on_hand(product_id=product.pk, on_hand=-1)


@pytest.mark.django_db
def test_create_product_makes_its_stock_row():
    product = create_product(sku="NEW-1", name="New", slug="new-1", price=1000, on_hand=7)
    assert (product.stock.on_hand, product.stock.reserved) == (7, 0)


@pytest.mark.django_db
def test_create_product_takes_the_ukrainian_texts_whatever_language_is_active():
    with translation.override("en"):
        product = create_product(sku="TEA-1", name="Зелений чай", name_en="Green tea", slug="green-tea", price=9900)
    assert (product.name_uk, product.name_en, product.description_uk, product.description_en) == (
        "Зелений чай",
        "Green tea",
        "",
        "",
    )


@pytest.mark.django_db
def test_set_product_texts_replaces_both_languages_and_refuses_an_empty_ukrainian_name():
    product = ProductFactory(name="Чай", description="")
    set_product_texts(
        product_id=product.pk, name="Зелений чай", name_en="Green tea", description="Розсипний.", description_en=""
    )
    product.refresh_from_db()
    assert (product.name_uk, product.name_en, product.description_uk, product.description_en) == (
        "Зелений чай",
        "Green tea",
        "Розсипний.",
        "",
    )
    with pytest.raises(DjangoValidationError) as excinfo:
        set_product_texts(product_id=product.pk, name="", name_en="Green tea", description="")
    assert "name_uk" in excinfo.value.message_dict
    product.refresh_from_db()
    assert product.name_uk == "Зелений чай"

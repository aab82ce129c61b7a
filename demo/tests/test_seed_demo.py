import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation
from django.utils.text import slugify

from accounts.models import User
from catalog.models import Product, Reservation, Stock
from demo.management.commands.seed_demo import DEFAULT_PASSWORD
from directory.models import City, Warehouse
from directory.selectors import resolve_delivery
from orders.models import Order, OrderLine
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Everything seed_demo writes, in a form two runs can be compared by."""
    return {
        "products": list(Product.objects.order_by("sku").values_list("sku", "slug", "price", "is_active")),
        "stock": list(Stock.objects.order_by("product__sku").values_list("product__sku", "on_hand", "reserved")),
        "reservations": list(Reservation.objects.order_by("id").values_list("reference", "quantity", "status")),
        "users": list(User.objects.order_by("email").values_list("email", "password", "is_staff", "is_superuser")),
        "groups": list(User.objects.order_by("email").values_list("email", "groups__name")),
        "orders": list(
            Order.objects.order_by("id").values_list(
                "number", "status", "total", "version", "delivery_city_ref", "delivery_warehouse_ref"
            )
        ),
        "directory": (
            list(City.objects.values_list("ref", "name")),
            list(Warehouse.objects.values_list("ref", "name")),
        ),
        "lines": OrderLine.objects.count(),
    }


def test_seed_demo_twice_loads_the_demo_shop_once():
    # given an empty database, when the demo data is loaded twice
    first_out = seed()
    after_first = snapshot()
    second_out = seed()

    # then the second run changed nothing and said so
    assert snapshot() == after_first
    assert "products: 30 created, 0 already there" in first_out
    assert "users: 6 created, 0 already there" in first_out
    assert "orders: 3 created, 0 already there" in first_out
    assert "products: 0 created, 30 already there" in second_out
    assert "users: 0 created, 6 already there" in second_out
    assert "orders: 0 created, 3 already there" in second_out

    # and the shop has 30 products, two sold out and one no longer sold
    assert Product.objects.count() == 30
    assert Stock.objects.count() == 30
    assert list(Product.objects.filter(is_active=False).values_list("sku", flat=True)) == ["KR-GAD-006"]
    assert sorted(Stock.objects.filter(on_hand=0).values_list("product__sku", flat=True)) == [
        "KR-KIT-010",
        "KR-TEA-005",
    ]
    assert all(0 <= s.on_hand <= 50 and s.reserved <= s.on_hand for s in Stock.objects.all())


def test_seed_demo_users_have_their_roles_and_can_log_in():
    seed()

    staff = {u.email: u for u in User.objects.filter(is_staff=True)}
    assert sorted(staff) == [
        "admin@kramar.local",
        "finance@kramar.local",
        "manager@kramar.local",
        "support@kramar.local",
        "warehouse@kramar.local",
    ]
    assert [u.email for u in User.objects.filter(is_superuser=True)] == ["admin@kramar.local"]
    for email, group in [
        ("support@kramar.local", "Support"),
        ("warehouse@kramar.local", "Warehouse"),
        ("finance@kramar.local", "Finance"),
        ("manager@kramar.local", "Manager"),
    ]:
        assert list(staff[email].groups.values_list("name", flat=True)) == [group]
    customer = User.objects.get(email="customer@kramar.local")
    assert not customer.is_staff
    assert not customer.groups.exists()
    assert User.objects.count() == 6
    for user in User.objects.all():
        assert user.is_active
        assert user.check_password(DEFAULT_PASSWORD)


def test_seed_demo_orders_reserve_their_stock():
    seed()

    customer = User.objects.get(email="customer@kramar.local")
    orders = list(Order.objects.order_by("id"))
    assert [o.checkout_token for o in orders] == ["demo-order-1", "demo-order-2", "demo-order-3"]
    assert {o.customer_id for o in orders} == {customer.pk}
    assert {o.payment_method for o in orders} == {Order.PaymentMethod.COD}
    assert [o.status for o in orders] == [Order.Status.CONFIRMED, Order.Status.PLACED, Order.Status.PLACED]
    # Every ordered unit is reserved, nothing more.
    reserved = dict(Stock.objects.filter(reserved__gt=0).values_list("product__sku", "reserved"))
    assert reserved == {
        "KR-KIT-002": 1,
        "KR-KIT-004": 2,
        "KR-TEA-001": 1,
        "KR-HOM-003": 1,
        "KR-HOM-004": 2,
        "KR-TEA-002": 2,
    }


def test_seed_demo_password_option():
    seed("--password", "another-secret-1")

    assert User.objects.get(email="manager@kramar.local").check_password("another-secret-1")
    assert not User.objects.get(email="manager@kramar.local").check_password(DEFAULT_PASSWORD)


def test_seed_demo_fills_the_directory_and_delivers_to_its_branches(settings):
    # given no Nova Poshta API key (the sandbox carrier plays Nova Poshta, offline)
    settings.NOVA_POSHTA_API_KEY = ""

    # when the demo data is loaded twice
    first_out = seed()
    second_out = seed()

    # then the directory was synced once, from the sandbox
    cities, branches = City.objects.count(), Warehouse.objects.count()
    assert cities >= 3
    assert branches >= cities
    assert f"directory: {cities} cities and {branches} branches synced from sandbox" in first_out
    assert f"directory: {cities} cities already there" in second_out
    # and every demo order goes to a real branch, with the directory's names and Refs
    for order in Order.objects.order_by("id"):
        city, branch = resolve_delivery(city_ref=order.delivery_city_ref, warehouse_ref=order.delivery_warehouse_ref)
        assert (order.delivery_city, order.delivery_branch) == (city.name, branch.name)
    assert list(Order.objects.order_by("id").values_list("delivery_city", flat=True)) == ["Київ", "Львів", "Одеса"]


CYRILLIC = re.compile(r"[А-ЩЬЮЯҐЄІЇа-щьюяґєії]")


def test_seed_demo_is_a_ukrainian_shop_with_english_translations():
    seed()

    # every product has a Ukrainian name and description, and an English translation of both
    for p in Product.objects.all():
        ukrainian = [bool(CYRILLIC.search(text)) for text in (p.name_uk, p.description_uk)]
        english = [bool(text) and not CYRILLIC.search(text) for text in (p.name_en, p.description_en)]
        assert (ukrainian, english) == ([True, True], [True, True]), p.sku
        assert p.slug == slugify(p.name_en)
    tea = Product.objects.get(sku="KR-TEA-003")
    assert (tea.name_uk, tea.name_en) == ("Закарпатський трав'яний чай у бляшанці", "Zakarpattia Herbal Tea Tin")
    with translation.override("en"):
        assert tea.name == "Zakarpattia Herbal Tea Tin"
    assert tea.name == "Закарпатський трав'яний чай у бляшанці"
    # the people are Ukrainian, with Ukrainian phone numbers, and the orders' lines name the products in Ukrainian
    for user in User.objects.all():
        assert CYRILLIC.search(user.full_name), user.email
    customer = User.objects.get(email="customer@kramar.local")
    assert (customer.full_name, customer.phone) == ("Олена Шевченко", "+380671234567")
    assert set(OrderLine.objects.filter(sku="KR-KIT-002").values_list("name", flat=True)) == {
        "Емальована каструля для борщу, 5 л"
    }
    assert {o.full_name for o in Order.objects.all()} == {"Олена Шевченко"}


def test_seed_demo_gives_english_only_demo_products_their_ukrainian_texts_and_leaves_staff_edits():
    # given a database seeded before the shop spoke Ukrainian (migration 0005 made the English
    # texts the Ukrainian ones), where staff have since renamed one product
    ProductFactory(
        sku="KR-TEA-003",
        slug="zakarpattia-herbal-tea-tin",
        name="Zakarpattia Herbal Tea Tin",
        description="Mountain thyme, mint and linden blossom, 100 g.",
    )
    ProductFactory(sku="KR-TEA-002", slug="opishnia-ceramic-mug-350-ml", name="Чашка від майстра", description="")

    # when the demo data is loaded
    out = seed()

    # then the untouched one gets its Ukrainian texts and the English ones as its translation
    tea = Product.objects.get(sku="KR-TEA-003")
    assert (tea.name_uk, tea.name_en) == ("Закарпатський трав'яний чай у бляшанці", "Zakarpattia Herbal Tea Tin")
    assert (tea.description_uk, tea.description_en) == (
        "Гірський чебрець, м'ята й липовий цвіт, 100 г.",
        "Mountain thyme, mint and linden blossom, 100 g.",
    )
    assert Product.objects.rewrite(False).filter(sku="KR-TEA-003").values_list("name", flat=True).get() == (
        "Закарпатський трав'яний чай у бляшанці"
    )
    # and the staff's edit stays
    mug = Product.objects.get(sku="KR-TEA-002")
    assert (mug.name_uk, mug.name_en) == ("Чашка від майстра", None)
    assert "products: 28 created, 2 already there" in out
    assert "products: 1 loaded in English before now have their Ukrainian texts" in out
    assert "have their Ukrainian texts" not in seed()

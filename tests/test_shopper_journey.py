"""One shopper's whole visit through the pages: browse, search, buy, find the order again."""

import pytest
from pytest_django.asserts import assertContains

from catalog.models import Stock
from core.money import format_money
from orders.models import Order
from tests.factories import ProductFactory, UserFactory, np_branch

pytestmark = pytest.mark.django_db


def test_a_shopper_finds_buys_and_sees_their_order(client):
    # given a small catalog and a registered shopper
    kettle = ProductFactory(name="Copper kettle", slug="copper-kettle", sku="KET-001", price=129900, stock=4)
    ProductFactory(name="Linen apron", slug="linen-apron", price=45050, stock=10)
    ProductFactory(name="Clay pot", slug="clay-pot", price=30000, stock=0)
    shopper = UserFactory(email="olena@example.com", full_name="Olena Shevchenko", phone="+380671234567")
    client.force_login(shopper)

    # when she browses the catalog
    home = client.get("/")
    assert [p.name for p in home.context["products"]] == ["Clay pot", "Copper kettle", "Linen apron"]

    # and searches for a kettle
    found = client.get("/", {"q": "kettle"})
    assert [p.name for p in found.context["products"]] == ["Copper kettle"]
    assertContains(found, 'href="/p/copper-kettle/"')

    # and opens it
    product_page = client.get("/p/copper-kettle/")
    assertContains(product_page, format_money(129900))
    assertContains(product_page, "В наявності")

    # and puts two in the cart
    cart = client.post("/cart/add/", {"product_id": kettle.pk, "quantity": 2}, follow=True)
    assert cart.redirect_chain == [("/cart/", 303)]
    assertContains(cart, "Додано в кошик: Copper kettle × 2.")
    assertContains(cart, "Разом (2 товари)")
    assert cart.context["contents"].total == 259800
    assert cart.context["cart_count"] == 2

    # and checks out with her details already filled in, picking her city and branch
    lviv_5 = np_branch("Львів", "5", name="Відділення №5: вул. Городоцька, 120")
    cities = client.get("/shipping/cities/", {"q": "Льв"}).json()["results"]
    assert [(c["ref"], c["name"]) for c in cities] == [(lviv_5.city_id, "Львів")]
    branches = client.get("/shipping/warehouses/", {"city": lviv_5.city_id}).json()["results"]
    assert [(b["ref"], b["name"]) for b in branches] == [(lviv_5.ref, "Відділення №5: вул. Городоцька, 120")]
    checkout = client.get("/checkout/")
    form = checkout.context["form"]
    assert (form["full_name"].value(), form["email"].value(), form["phone"].value()) == (
        "Olena Shevchenko",
        "olena@example.com",
        "+380671234567",
    )
    placed = client.post(
        "/checkout/",
        {
            "full_name": form["full_name"].value(),
            "phone": form["phone"].value(),
            "email": form["email"].value(),
            "delivery_city": "Львів",
            "delivery_city_ref": cities[0]["ref"],
            "delivery_branch": branches[0]["name"],
            "delivery_warehouse_ref": branches[0]["ref"],
            "comment": "",
            "payment_method": "cod",
            "checkout_token": form["checkout_token"].value(),
        },
        follow=True,
    )

    # then she lands on her order's secret page
    order = Order.objects.get()
    assert placed.redirect_chain == [(f"/orders/{order.public_token}/", 303)]
    assertContains(placed, f"Дякуємо! Ваше замовлення №{order.number} оформлено.")
    assertContains(placed, f"<h1>Замовлення №{order.number}</h1>", html=True)
    assertContains(placed, f'<span class="status status-placed">{Order.Status.PLACED.label}</span>', html=True)
    assertContains(placed, "Ми зателефонуємо вам на номер +380 67 123 45 67, щоб підтвердити замовлення.")
    assert (order.customer, order.total, order.delivery_city) == (shopper, 259800, "Львів")
    assert (order.delivery_city_ref, order.delivery_warehouse_ref) == (lviv_5.city_id, lviv_5.ref)
    assert list(order.lines.values_list("name", "quantity", "line_total")) == [("Copper kettle", 2, 259800)]
    assert placed.context["cart_count"] == 0

    # and the two kettles are held for her
    stock = Stock.objects.get(product=kettle)
    assert (stock.on_hand, stock.reserved) == (4, 2)

    # and the order is in her account, linking back to the same page
    account = client.get("/account/orders/")
    assert list(account.context["orders"]) == [order]
    assertContains(account, f'<a href="/orders/{order.public_token}/">{order.number}</a>', html=True)

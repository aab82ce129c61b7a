import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from cart.models import Cart
from cart.tests.helpers import cart_of, checkout_token_of, owner_of
from catalog.models import Reservation, Stock
from orders.cart import RECENT_ORDERS_KEY
from orders.models import Order, OrderLine, Source
from orders.services import confirm_order
from tests.factories import ProductFactory, StaffFactory, UserFactory, np_branch, place_test_order

pytestmark = pytest.mark.django_db

CART_URL = reverse("orders:cart")
ADD_URL = reverse("orders:cart_add")
UPDATE_URL = reverse("orders:cart_update")
CHECKOUT_URL = reverse("orders:checkout")

CONTACT = {
    "full_name": "Olena Shevchenko",
    "phone": "067 123 45 67",
    "email": "Olena@Example.com",
    "delivery_city": "Київ",
    "delivery_branch": "Відділення №1: вул. Хрещатик, 1",
    "comment": "Call after 18:00",
    "payment_method": "cod",
}


@pytest.fixture(autouse=True)
def branch():
    """The Nova Poshta branch the shoppers here pick (the picker fills in its Refs)."""
    return np_branch("Київ", "1")


def assert_redirects(response, url, status_code=302):
    """Check the redirect without following it (following would use up its flash messages)."""
    assertRedirects(response, url, status_code=status_code, fetch_redirect_response=False)


def add_to_cart(client, product, quantity=1):
    return client.post(ADD_URL, {"product_id": product.pk, "quantity": quantity})


def checkout_form(client, **overrides) -> dict:
    """Open the checkout page and fill its form in, as a shopper would, picking Kyiv's branch 1."""
    response = client.get(CHECKOUT_URL)
    assert response.status_code == 200
    branch = np_branch("Київ", "1")
    return {
        **CONTACT,
        "delivery_city_ref": branch.city_id,
        "delivery_warehouse_ref": branch.ref,
        "checkout_token": response.context["form"]["checkout_token"].value(),
        **overrides,
    }


def stock_of(product) -> tuple[int, int]:
    stock = Stock.objects.get(product=product)
    return stock.on_hand, stock.reserved


# --- cart -----------------------------------------------------------------------------------


def test_add_to_cart_puts_the_product_in_the_cart(client):
    product = ProductFactory(name="Copper kettle", stock=5)

    response = add_to_cart(client, product, 2)

    assert_redirects(response, CART_URL, status_code=303)
    assert cart_of(client) == {product.pk: 2}
    cart = client.get(CART_URL)
    assertContains(cart, "Added 2 × Copper kettle to your cart.")


def test_adding_again_adds_up_and_stops_at_99(client):
    product = ProductFactory(name="Nail", stock=500)

    add_to_cart(client, product, 60)
    add_to_cart(client, product, 60)

    assert cart_of(client) == {product.pk: 99}
    assertContains(client.get(CART_URL), "You can buy at most 99 of one product.")


def test_adding_more_than_is_left_warns_and_the_cart_shows_it(client):
    product = ProductFactory(name="Clay pot", stock=2)

    add_to_cart(client, product, 3)
    response = client.get(CART_URL)

    assert cart_of(client) == {product.pk: 3}
    assertContains(response, "Only 2 of Clay pot left in stock.", count=1)
    assertContains(response, '<p class="warning">Only 2 left in stock.</p>', html=True, count=1)


def test_cart_shows_lines_and_totals(client):
    # given two products in the cart
    kettle = ProductFactory(name="Copper kettle", price=129900, stock=5)
    apron = ProductFactory(name="Linen apron", price=45050, stock=5)
    add_to_cart(client, kettle, 2)
    add_to_cart(client, apron, 1)

    # when the cart is opened
    response = client.get(CART_URL)

    # then each line and the total are shown
    contents = response.context["contents"]
    assert [(line.product.name, line.quantity, line.line_total) for line in contents.lines] == [
        ("Copper kettle", 2, 259800),
        ("Linen apron", 1, 45050),
    ]
    assert contents.total == 304850
    assertContains(response, "2\u00a0598.00\u00a0₴")
    assertContains(response, "3\u00a0048.50\u00a0₴")
    assertContains(response, "Total (3 items)")
    assert response.context["cart_count"] == 3


def test_cart_update_sets_quantities_and_zero_removes(client):
    kettle = ProductFactory(name="Copper kettle", stock=5)
    apron = ProductFactory(name="Linen apron", stock=5)
    add_to_cart(client, kettle, 1)
    add_to_cart(client, apron, 1)

    response = client.post(UPDATE_URL, {f"quantity_{kettle.pk}": "4", f"quantity_{apron.pk}": "0"})

    assert_redirects(response, CART_URL, status_code=303)
    assert cart_of(client) == {kettle.pk: 4}


def test_cart_remove_button_removes_one_line(client):
    kettle = ProductFactory(name="Copper kettle", stock=5)
    apron = ProductFactory(name="Linen apron", stock=5)
    add_to_cart(client, kettle, 1)
    add_to_cart(client, apron, 2)

    response = client.post(
        UPDATE_URL, {"remove": str(kettle.pk), f"quantity_{kettle.pk}": "1", f"quantity_{apron.pk}": "2"}
    )

    assert_redirects(response, CART_URL, status_code=303)
    assert cart_of(client) == {apron.pk: 2}
    assertContains(client.get(CART_URL), "Removed Copper kettle from your cart.")


def test_cart_update_with_a_bad_quantity_changes_nothing(client):
    kettle = ProductFactory(name="Copper kettle", stock=5)
    add_to_cart(client, kettle, 1)

    response = client.post(UPDATE_URL, {f"quantity_{kettle.pk}": "100"})

    assert response.status_code == 400
    assertContains(response, "You can buy at most 99 of one product.", status_code=400)
    assert cart_of(client) == {kettle.pk: 1}


def test_adding_a_sold_out_product_is_refused(client):
    product = ProductFactory(name="Clay pot", slug="clay-pot", stock=0)

    response = add_to_cart(client, product, 1)

    assert_redirects(response, "/p/clay-pot/", status_code=303)
    assert cart_of(client) == {}
    assertContains(client.get("/p/clay-pot/"), "Sorry, Clay pot is out of stock.")


def test_adding_an_inactive_product_is_refused(client):
    product = ProductFactory(is_active=False)

    response = add_to_cart(client, product, 1)

    assert_redirects(response, "/", status_code=303)
    assert cart_of(client) == {}
    assertContains(client.get("/"), "This product is no longer sold.")


def test_adding_a_bad_quantity_shows_the_product_page_with_the_error(client):
    product = ProductFactory(name="Copper kettle", stock=5)

    response = add_to_cart(client, product, 0)

    assert response.status_code == 400
    assertContains(response, "Enter a quantity of at least 1.", status_code=400)
    assertContains(response, 'aria-invalid="true"', status_code=400)
    assert cart_of(client) == {}


def test_product_no_longer_sold_is_dropped_from_the_cart_with_a_message(client):
    kettle = ProductFactory(name="Copper kettle", stock=5)
    apron = ProductFactory(name="Linen apron", stock=5)
    add_to_cart(client, kettle, 1)
    add_to_cart(client, apron, 1)
    apron.is_active = False
    apron.save(update_fields=["is_active"])

    response = client.get(CART_URL)

    assert [line.product.name for line in response.context["contents"].lines] == ["Copper kettle"]
    assertContains(response, "A product in your cart is no longer sold and was removed.")
    assert cart_of(client) == {kettle.pk: 1}


# --- checkout -------------------------------------------------------------------------------


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(client):
    response = client.get(CHECKOUT_URL)

    assert_redirects(response, CART_URL)
    assert checkout_token_of(client) == ""


def test_checkout_form_carries_the_carts_token(client):
    add_to_cart(client, ProductFactory(stock=5))

    response = client.get(CHECKOUT_URL)

    token = checkout_token_of(client)
    assert len(token) == 32
    assert response.context["form"]["checkout_token"].value() == token
    assertContains(response, f'<input type="hidden" name="checkout_token" value="{token}"', count=1)
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_guest_checkout_places_one_order_and_lands_on_its_secret_link(client, branch):
    # given a guest with two products in the cart
    kettle = ProductFactory(name="Copper kettle", sku="KET-001", price=129900, stock=5)
    apron = ProductFactory(name="Linen apron", sku="APR-001", price=45050, stock=5)
    add_to_cart(client, kettle, 2)
    add_to_cart(client, apron, 1)

    # when they fill in the checkout form and place the order
    response = client.post(CHECKOUT_URL, checkout_form(client))

    # then exactly one order exists, with the lines, totals and normalized contact
    order = Order.objects.get()
    assert_redirects(response, f"/orders/{order.public_token}/", status_code=303)
    assert order.customer is None
    assert (order.full_name, order.phone, order.email) == ("Olena Shevchenko", "+380671234567", "olena@example.com")
    assert (order.delivery_city, order.delivery_branch) == ("Київ", "Відділення №1: вул. Хрещатик, 1")
    assert (order.delivery_city_ref, order.delivery_warehouse_ref) == (branch.city_id, branch.ref)
    assert order.comment == "Call after 18:00"
    assert order.payment_method == Order.PaymentMethod.COD
    assert order.status == Order.Status.PLACED
    assert order.placed_via == Source.WEB
    assert (order.subtotal, order.delivery_fee, order.total) == (304850, 0, 304850)
    assert list(order.lines.values_list("sku", "name", "unit_price", "quantity", "line_total")) == [
        ("KET-001", "Copper kettle", 129900, 2, 259800),
        ("APR-001", "Linen apron", 45050, 1, 45050),
    ]
    # and its stock is reserved
    assert stock_of(kettle) == (5, 2)
    assert stock_of(apron) == (5, 1)
    # and the cart and token are gone, while the order is remembered for the guest
    assert cart_of(client) == {}
    assert checkout_token_of(client) == ""
    assert client.session[RECENT_ORDERS_KEY] == [order.public_token]
    page = client.get(response["Location"])
    assertContains(page, f"Thank you! Your order {order.number} is placed.")
    assert page.context["cart_count"] == 0


def test_logged_in_checkout_is_prefilled_and_belongs_to_the_customer(client):
    # given a logged-in customer with a product in the cart
    user = UserFactory(email="taras@example.com", full_name="Taras Melnyk", phone="+380501112233")
    client.force_login(user)
    product = ProductFactory(price=10000, stock=3)
    add_to_cart(client, product, 3)

    # when they open checkout, the form holds their details
    initial = client.get(CHECKOUT_URL).context["form"].initial
    assert (initial["full_name"], initial["email"], initial["phone"]) == (
        "Taras Melnyk",
        "taras@example.com",
        "+380501112233",
    )

    # and when they place the order
    form = checkout_form(client, full_name="Taras Melnyk", email="taras@example.com", phone="+380501112233")
    response = client.post(CHECKOUT_URL, form)

    # then the one order is theirs and all three units are reserved
    order = Order.objects.get()
    assert_redirects(response, order.get_absolute_url(), status_code=303)
    assert order.customer == user
    assert order.total == 30000
    assert stock_of(product) == (3, 3)


def test_double_submitted_checkout_places_one_order(client):
    # given a filled-in checkout form
    product = ProductFactory(stock=5)
    add_to_cart(client, product, 2)
    form = checkout_form(client)

    # when it is submitted twice
    first = client.post(CHECKOUT_URL, form)
    second = client.post(CHECKOUT_URL, form)

    # then both land on the same, only order, and stock is reserved once
    order = Order.objects.get()
    assert_redirects(first, order.get_absolute_url(), status_code=303)
    assert_redirects(second, order.get_absolute_url(), status_code=303)
    assert OrderLine.objects.count() == 1
    assert stock_of(product) == (5, 2)
    assert Reservation.objects.filter(reference=order.stock_reference).count() == 1


def test_double_submit_by_a_logged_in_customer_places_one_order(client):
    user = UserFactory()
    client.force_login(user)
    product = ProductFactory(stock=5)
    add_to_cart(client, product, 1)
    form = checkout_form(client)

    client.post(CHECKOUT_URL, form)
    second = client.post(CHECKOUT_URL, form)

    order = Order.objects.get()
    assert_redirects(second, order.get_absolute_url(), status_code=303)
    assert stock_of(product) == (5, 1)


def test_a_simultaneous_double_click_places_one_order(run_concurrently):
    # given a filled-in checkout form in one browser
    browser = Client()
    product = ProductFactory(stock=5)
    add_to_cart(browser, product, 2)
    form = checkout_form(browser)

    # when the form is posted twice at the same moment (two requests, one session cookie)
    def submit(_):
        tab = Client()
        tab.cookies = browser.cookies
        return tab.post(CHECKOUT_URL, form)

    outcomes = run_concurrently(2, submit)

    # then one order exists, both requests land on it and its stock is reserved once
    order = Order.objects.get()
    assert [o.error for o in outcomes] == [None, None]
    assert [(o.value.status_code, o.value["Location"]) for o in outcomes] == [(303, order.get_absolute_url())] * 2
    assert stock_of(product) == (5, 2)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "Enter a Ukrainian phone number, for example +380671234567 or 067 123 45 67."),
        ("phone", "", "Enter a Ukrainian phone number, for example +380671234567 or 067 123 45 67."),
        ("email", "olena@", "Enter a valid e-mail address."),
        ("full_name", "", "Enter the recipient&#x27;s name."),
        ("delivery_branch", "", "Enter the Nova Poshta branch or parcel locker."),
    ],
)
def test_invalid_contact_is_refused_and_changes_nothing(client, field, value, message):
    # given a cart and a checkout form with one field wrong
    product = ProductFactory(stock=5)
    add_to_cart(client, product, 2)
    form = checkout_form(client, **{field: value})

    # when it is submitted
    response = client.post(CHECKOUT_URL, form)

    # then the form comes back with the message next to the field and nothing is created or reserved
    assert response.status_code == 400
    assertContains(response, message, count=2, status_code=400)  # in the summary and at the field
    assertContains(response, f'id="id_{field}_error"', status_code=400)
    assert Order.objects.count() == 0
    assert stock_of(product) == (5, 0)
    assert cart_of(client) == {product.pk: 2}


def test_invalid_form_keeps_the_token_so_the_fixed_form_places_the_order(client):
    product = ProductFactory(stock=5)
    add_to_cart(client, product, 1)
    form = checkout_form(client, phone="nope")
    client.post(CHECKOUT_URL, form)

    response = client.post(CHECKOUT_URL, {**form, "phone": "+380671234567"})

    order = Order.objects.get()
    assert_redirects(response, order.get_absolute_url(), status_code=303)
    assert order.checkout_token == form["checkout_token"]


def test_out_of_stock_at_checkout_says_which_product_and_changes_nothing(client):
    # given a cart with 3 units of a product of which another shopper took 4 of 5
    product = ProductFactory(name="Copper kettle", stock=5)
    add_to_cart(client, product, 3)
    form = checkout_form(client)
    place_test_order(items={product.pk: 4})

    # when the checkout form is submitted
    response = client.post(CHECKOUT_URL, form)

    # then the shopper is told what is short, and no order, reservation or cart change happened
    assert response.status_code == 409
    assertContains(response, "Not enough stock: Copper kettle (only 1 left).", status_code=409)
    assertContains(response, "Only 1 left in stock.", status_code=409)
    assert Order.objects.count() == 1
    assert stock_of(product) == (5, 4)
    assert cart_of(client) == {product.pk: 3}
    assert checkout_token_of(client) == form["checkout_token"]


def test_a_form_shown_before_the_cart_changed_is_not_placed(client):
    # given a checkout form for one kettle
    kettle = ProductFactory(name="Copper kettle", stock=5)
    apron = ProductFactory(name="Linen apron", stock=5)
    add_to_cart(client, kettle, 1)
    form = checkout_form(client)

    # when the shopper adds an apron in another tab and submits the old form
    add_to_cart(client, apron, 1)
    response = client.post(CHECKOUT_URL, form)

    # then nothing is ordered; the form comes back with the new contents and a fresh token
    assert response.status_code == 409
    assertContains(response, "Your cart changed since this page was opened.", status_code=409)
    assert Order.objects.count() == 0
    new_token = response.context["form"]["checkout_token"].value()
    assert new_token == checkout_token_of(client)
    assert new_token != form["checkout_token"]
    assert [line.product.name for line in response.context["contents"].lines] == ["Copper kettle", "Linen apron"]

    # and submitting the refreshed form places the order with both products
    client.post(CHECKOUT_URL, {**form, "checkout_token": new_token})
    assert list(Order.objects.get().lines.values_list("name", flat=True)) == ["Copper kettle", "Linen apron"]


def test_a_token_already_used_by_another_customer_places_nothing(client, branch):
    # given a checkout whose token (somehow) is that of another customer's order
    product = ProductFactory(stock=5)
    theirs = place_test_order(customer=UserFactory(), items={product.pk: 1}, checkout_token="f" * 32)
    add_to_cart(client, product, 2)
    client.get(CHECKOUT_URL)
    Cart.objects.filter(guest_token=owner_of(client).guest_token).update(checkout_token="f" * 32)

    # when the form is submitted with it
    form = {**CONTACT, "delivery_city_ref": branch.city_id, "delivery_warehouse_ref": branch.ref}
    response = client.post(CHECKOUT_URL, {**form, "checkout_token": "f" * 32})

    # then the other order is neither shown nor changed, and a fresh form is offered
    assert response.status_code == 409
    assertContains(response, "Your session changed since this page was opened.", status_code=409)
    assertNotContains(response, theirs.public_token, status_code=409)
    assert list(Order.objects.all()) == [theirs]
    assert stock_of(product) == (5, 1)
    assert response.context["form"]["checkout_token"].value() == checkout_token_of(client) != "f" * 32


def test_checkout_post_with_an_empty_cart_goes_back_to_the_cart(client):
    response = client.post(CHECKOUT_URL, {**CONTACT, "checkout_token": "made-up"})

    assert_redirects(response, CART_URL, status_code=303)
    assert Order.objects.count() == 0


# --- the order's secret-link page -----------------------------------------------------------


def test_order_page_shows_the_order_by_its_secret_token(client):
    # given a confirmed order
    product = ProductFactory(name="Copper kettle", price=129900, stock=5)
    order = place_test_order(items={product.pk: 2}, comment="Call after 18:00")
    confirm_order(order_id=order.pk, by=StaffFactory(), reason="Phoned the shopper", source=Source.ADMIN)

    # when anybody opens its secret link
    response = client.get(f"/orders/{order.public_token}/")

    # then it shows number, status, payment, lines, totals, contact, delivery and the timeline
    assert response.status_code == 200
    assertContains(response, f"<h1>Order {order.number}</h1>", html=True)
    assertContains(response, '<span class="status status-confirmed">Підтверджено</span>', html=True)
    assertContains(response, "<dt>Payment method</dt><dd>Оплата при отриманні (накладений платіж)</dd>", html=True)
    assertContains(response, '<dt>Payment status</dt><dd class="payment-status">Cash on delivery</dd>', html=True)
    assertContains(response, "Copper kettle")
    assertContains(response, "2\u00a0598.00\u00a0₴", count=4)  # total at the top, line total, subtotal, total
    assertContains(response, "Olena Shevchenko<br>+380671234567<br>olena@example.com")
    assertContains(response, "Nova Poshta<br>Kyiv<br>Branch No 1: Khreshchatyk St, 22")
    assertContains(response, "Your comment: Call after 18:00")
    assert [(entry.to_status) for entry in response.context["history"]] == ["Підтверджено"]
    assertContains(response, '<span class="timeline-status">Placed</span>', html=True)
    assertContains(response, '<span class="timeline-status">Підтверджено</span>', html=True)
    # and it is never cached nor indexed, and staff identities stay private
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assertContains(response, '<meta name="robots" content="noindex, nofollow">', html=True)
    assertNotContains(response, "@kramar.local")
    assertNotContains(response, "Phoned the shopper")


def test_wrong_token_is_not_found(client):
    order = place_test_order()

    assert client.get(f"/orders/{order.public_token[:-1]}x/").status_code == 404
    assert client.get("/orders/nothing-here/").status_code == 404


def test_an_order_cannot_be_opened_by_its_number(client):
    # given another shopper's order and a logged-in customer
    order = place_test_order(customer=UserFactory())
    client.force_login(UserFactory())

    # when they try its number or id instead of its secret token
    by_number = client.get(f"/orders/{order.number}/")
    by_id = client.get(f"/orders/{order.pk}/")

    # then there is nothing there
    assert by_number.status_code == 404
    assert by_id.status_code == 404


def test_cart_lists_the_guests_recent_orders(client):
    product = ProductFactory(stock=5)
    add_to_cart(client, product, 1)
    client.post(CHECKOUT_URL, checkout_form(client))
    order = Order.objects.get()

    response = client.get(CART_URL)

    assert response.context["recent_orders"] == [order]
    assertContains(response, f'<a href="/orders/{order.public_token}/">Order {order.number}</a>', html=True)


def test_paying_online_goes_straight_from_checkout_to_the_providers_page(client):
    from payments.models import Payment

    product = ProductFactory(stock=3, price=25000)
    add_to_cart(client, product)
    page = client.get(CHECKOUT_URL).content.decode()
    assert 'value="online:sandbox"' in page

    response = client.post(CHECKOUT_URL, checkout_form(client, payment_method="online:sandbox"))

    order = Order.objects.get()
    payment = Payment.objects.get()
    assert (order.payment_method, order.status, payment.status, payment.amount) == (
        "online",
        "placed",
        "pending",
        25000,
    )
    assert response.status_code == 302
    assert response["Location"] == payment.redirect_url
    assert "/payments/sandbox/" in payment.redirect_url

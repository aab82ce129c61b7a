"""Store credit at checkout: held, posted on confirmation, given back when the order ends."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Reservation, Stock
from core.money import format_money
from ledger.exceptions import InsufficientFunds
from ledger.integrity import verify_ledger
from ledger.models import Hold
from ledger.selectors import balance_of, wallet_of
from ledger.services import credit_wallet
from orders.exceptions import InvalidCheckout
from orders.models import Order, Source
from orders.services import TRANSITION_SERVICES, expire_unpaid_orders
from payments.services import recognize_revenue_of_delivered_orders
from tests.factories import ProductFactory, UserFactory, np_branch, place_test_order

PM = Order.PaymentMethod


def customer_with_credit(amount: int):
    user = UserFactory()
    credit_wallet(user_id=user.pk, amount=amount, reason="welcome", by=None, idempotency_key=f"welcome:{user.pk}")
    return user


def wallet(user):
    return wallet_of(user_id=user.pk)


def step(order, name, reason="test"):
    return TRANSITION_SERVICES[name](order_id=order.pk, by=None, reason=reason, source=Source.ADMIN)


@pytest.mark.django_db
def test_part_store_credit_part_cash_on_delivery_books_every_step():
    # given a customer with 300.00 of credit and a 1000.00 product
    user = customer_with_credit(30000)
    product = ProductFactory(price=100000, stock=5)

    # when they pay 300.00 with credit and the rest on delivery
    order = place_test_order(items={product.pk: 1}, customer=user, payment_method=PM.COD, store_credit=30000)

    # then the credit is on hold, not yet spent
    assert (order.payment_method, order.store_credit, order.amount_due) == (PM.COD, 30000, 70000)
    assert (wallet(user).balance, wallet(user).held) == (30000, 30000)
    assert Hold.objects.get().status == "active"

    # when staff confirm it, the credit is taken into prepayments
    step(order, "confirm")
    assert (wallet(user).balance, wallet(user).held) == (0, 0)
    assert balance_of(code="customer_prepayments") == 30000

    # when it is delivered, the prepaid part is a sale and the carrier owes us the cash
    step(order, "ship")
    step(order, "deliver")
    assert recognize_revenue_of_delivered_orders() == 1  # payments' sweep books the revenue
    assert balance_of(code="customer_prepayments") == 0
    assert balance_of(code="sales") == 100000
    assert balance_of(code="cod:novaposhta") == 70000
    assert verify_ledger().ok


@pytest.mark.django_db
def test_order_paid_in_full_with_store_credit_is_confirmed_at_once():
    user = customer_with_credit(60000)
    product = ProductFactory(price=49900, stock=5)

    order = place_test_order(items={product.pk: 1}, customer=user, payment_method=PM.COD, store_credit=49900)

    assert (order.payment_method, order.status, order.amount_due) == (PM.STORE_CREDIT, "confirmed", 0)
    assert order.offline_payment_status == "paid with store credit"
    assert (wallet(user).balance, wallet(user).held) == (10100, 0)
    assert Hold.objects.get().status == "posted"
    assert verify_ledger().ok


@pytest.mark.django_db
def test_not_enough_store_credit_changes_nothing():
    user = customer_with_credit(1000)
    product = ProductFactory(price=49900, stock=5)

    with pytest.raises(InsufficientFunds):
        place_test_order(items={product.pk: 1}, customer=user, store_credit=2000)

    assert not Order.objects.exists()
    assert not Reservation.objects.exists()
    assert Stock.objects.get(pk=product.pk).reserved == 0
    assert (wallet(user).balance, wallet(user).held) == (1000, 0)
    assert not Hold.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("customer", "store_credit", "method", "message"),
    [
        (None, 100, PM.COD, "Увійдіть, щоб оплатити з балансу в магазині"),
        ("user", 60000, PM.COD, "не можна оплатити більше, ніж сума замовлення"),
        ("user", 100, PM.STORE_CREDIT, "не вистачає на все замовлення"),
        ("user", -5, PM.COD, "цілим невід’ємним числом"),
    ],
)
def test_impossible_store_credit_requests_are_refused(customer, store_credit, method, message):
    user = customer_with_credit(100000)
    product = ProductFactory(price=49900, stock=5)
    with pytest.raises(InvalidCheckout, match=message):
        place_test_order(
            items={product.pk: 1}, customer=user if customer else None, payment_method=method, store_credit=store_credit
        )
    assert not Order.objects.exists()
    assert (wallet(user).balance, wallet(user).held) == (100000, 0)


@pytest.mark.django_db
def test_expired_online_order_gives_the_held_credit_back():
    user = customer_with_credit(5000)
    order = place_test_order(customer=user, payment_method=PM.ONLINE, store_credit=5000 - 1)
    assert wallet(user).held == 4999
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert expire_unpaid_orders() == 1

    assert (wallet(user).balance, wallet(user).held) == (5000, 0)
    assert Hold.objects.get().status == "voided"
    assert verify_ledger().ok


@pytest.mark.django_db
def test_cancelling_before_confirmation_voids_the_hold():
    user = customer_with_credit(5000)
    order = place_test_order(customer=user, store_credit=3000)
    step(order, "cancel", reason="changed mind")
    assert (wallet(user).balance, wallet(user).held) == (5000, 0)
    assert Hold.objects.get().status == "voided"


@pytest.mark.django_db
def test_cancelling_after_confirmation_returns_the_credit_to_the_wallet(django_capture_on_commit_callbacks, mailoutbox):
    user = customer_with_credit(5000)
    order = place_test_order(customer=user, store_credit=3000)
    step(order, "confirm")
    assert wallet(user).balance == 2000

    with django_capture_on_commit_callbacks(execute=True):
        step(order, "cancel", reason="out of stock after all")

    assert (wallet(user).balance, wallet(user).held) == (5000, 0)
    assert balance_of(code="customer_prepayments") == 0
    assert [m.to for m in mailoutbox if m.subject == "Ваш баланс у магазині kramar змінився"] == [[user.email]]
    assert verify_ledger().ok


def test_concurrent_checkouts_cannot_spend_the_same_credit_twice(run_concurrently):
    # given 100.00 of credit and six checkouts of 40.00 each at the same instant
    user = customer_with_credit(10000)
    product = ProductFactory(price=4000, stock=50)

    results = run_concurrently(
        6,
        lambda i: place_test_order(items={product.pk: 1}, customer=user, payment_method=PM.COD, store_credit=4000),
    )

    # then two fit, the others are refused, and nothing is half-written
    assert sum(r.ok for r in results) == 2
    assert all(isinstance(r.error, InsufficientFunds) for r in results if not r.ok)
    assert Order.objects.count() == 2
    assert Stock.objects.get(pk=product.pk).reserved == 2
    assert (wallet(user).balance, wallet(user).held) == (10000 - 8000, 0)
    assert verify_ledger().ok


@pytest.mark.django_db
def test_checkout_page_offers_and_uses_store_credit(client):
    # given a logged-in customer with 100.00 of credit and a 300.00 product in the cart
    user = customer_with_credit(10000)
    product = ProductFactory(price=30000, stock=3)
    client.force_login(user)
    client.post("/cart/add/", {"product_id": product.pk, "quantity": 1})
    branch = np_branch()
    page = client.get("/checkout/")
    assert f"Сплатити {format_money(10000)} з мого балансу в магазині" in page.content.decode()
    token = page.context["form"].initial["checkout_token"]

    # when they check out using it
    response = client.post(
        "/checkout/",
        {
            "full_name": "Olena",
            "phone": "0671234567",
            "email": user.email,
            "delivery_city": "Kyiv",
            "delivery_city_ref": branch.city_id,
            "delivery_branch": "Branch 1",
            "delivery_warehouse_ref": branch.ref,
            "payment_method": "cod",
            "use_store_credit": "on",
            "checkout_token": token,
        },
    )

    # then the order takes 100.00 of credit and 200.00 is due on delivery
    assert response.status_code == 303
    order = Order.objects.get()
    assert (order.store_credit, order.amount_due, order.payment_method) == (10000, 20000, PM.COD)
    assert wallet(user).held == 10000


@pytest.mark.django_db
def test_checkout_page_hides_store_credit_without_a_balance(client):
    user = UserFactory()
    product = ProductFactory(price=30000, stock=3)
    client.force_login(user)
    client.post("/cart/add/", {"product_id": product.pk, "quantity": 1})
    assert 'name="use_store_credit"' not in client.get("/checkout/").content.decode()

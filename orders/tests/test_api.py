"""The orders API (and the token it needs): placing, reading, scoping, ETags and cancelling."""

from datetime import datetime

import pytest
from django.conf import settings
from django_fsm_log.models import StateLog
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Reservation, Stock
from core.models import IdempotencyKey
from orders.models import Order, Source
from orders.services import confirm_order, ship_order
from tests.factories import DEMO_PASSWORD, ProductFactory, UserFactory, place_test_order

pytestmark = pytest.mark.django_db

ORDERS_URL = "/api/v1/orders/"
TOKEN_URL = "/api/v1/auth/token/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def order_body(*items, **overrides) -> dict:
    body = {
        "items": list(items),
        "full_name": "Olena Shevchenko",
        "phone": "+380671234567",
        "email": "olena@example.com",
        "delivery_city": "Kyiv",
        "delivery_branch": "Branch No 1: Khreshchatyk St, 22",
        "comment": "Call before delivery",
        "payment_method": "cod",
    }
    body.update(overrides)
    return body


def detail_url(order_or_number) -> str:
    return f"{ORDERS_URL}{getattr(order_or_number, 'number', order_or_number)}/"


def cancel_url(order_or_number) -> str:
    return f"{detail_url(order_or_number)}cancel/"


def reserved(product) -> int:
    return Stock.objects.get(product=product).reserved


def assert_nothing_placed(*products):
    assert Order.objects.count() == 0
    assert Reservation.objects.count() == 0
    assert [reserved(p) for p in products] == [0] * len(products)


# --- token -----------------------------------------------------------------------------------


def test_token_is_issued_for_the_right_email_and_password():
    # given a shopper
    user = UserFactory(email="taras@example.com")
    # when they ask for a token (the e-mail typed in capitals)
    response = APIClient().post(TOKEN_URL, {"email": "Taras@Example.com", "password": DEMO_PASSWORD}, format="json")
    # then they get their one token, and asking again gives the same one
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}
    again = APIClient().post(TOKEN_URL, {"email": "taras@example.com", "password": DEMO_PASSWORD}, format="json")
    assert again.json() == response.json()
    assert Token.objects.count() == 1


@pytest.mark.parametrize(
    ("email", "password"),
    [("taras@example.com", "wrong-password"), ("nobody@example.com", DEMO_PASSWORD)],
)
def test_token_is_refused_for_wrong_credentials(email, password):
    UserFactory(email="taras@example.com")
    response = APIClient().post(TOKEN_URL, {"email": email, "password": password}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Не вдалося увійти з цією електронною адресою та паролем.",
        "code": "invalid_credentials",
    }
    english = APIClient().post(
        TOKEN_URL, {"email": email, "password": password}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.json() == {
        "detail": "Unable to log in with this e-mail and password.",
        "code": "invalid_credentials",
    }
    assert Token.objects.count() == 0


def test_token_is_refused_for_an_inactive_account():
    UserFactory(email="taras@example.com", is_active=False)
    response = APIClient().post(TOKEN_URL, {"email": "taras@example.com", "password": DEMO_PASSWORD}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_token_request_without_password_names_the_field():
    response = APIClient().post(TOKEN_URL, {"email": "taras@example.com"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "password: Це поле обов'язкове.",
        "code": "invalid",
        "errors": {"password": ["Це поле обов'язкове."]},
    }
    english = APIClient().post(TOKEN_URL, {"email": "taras@example.com"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json() == {
        "detail": "password: This field is required.",
        "code": "invalid",
        "errors": {"password": ["This field is required."]},
    }


def test_token_requests_are_locked_out_after_repeated_failures():
    # given a shopper whose password was guessed wrong as often as the limit allows
    UserFactory(email="taras@example.com")
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(TOKEN_URL, {"email": "taras@example.com", "password": "guess"}, format="json")
    # when the right password comes from the same address
    response = client.post(TOKEN_URL, {"email": "taras@example.com", "password": DEMO_PASSWORD}, format="json")
    # then django-axes refuses it and no token is issued
    assert response.status_code == 429
    assert Token.objects.count() == 0


# --- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", ORDERS_URL),
        ("post", ORDERS_URL),
        ("get", detail_url("KR-1")),
        ("post", cancel_url("KR-1")),
    ],
)
def test_orders_need_a_token(method, url):
    response = getattr(APIClient(), method)(url, {}, format="json")
    assert response.status_code == 401
    detail = "Потрібна автентифікація: облікові дані не надано."
    assert response.json() == {"detail": detail, "code": "not_authenticated"}
    assert response["WWW-Authenticate"] == "Token"
    english = getattr(APIClient(), method)(url, {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json() == {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"}


def test_a_wrong_token_is_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get(ORDERS_URL)
    assert response.status_code == 401
    assert response.json() == {"detail": "Недійсний токен.", "code": "authentication_failed"}
    english = client.get(ORDERS_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert english.json() == {"detail": "Invalid token.", "code": "authentication_failed"}


# --- placing ---------------------------------------------------------------------------------


def test_placing_an_order_reserves_stock_and_answers_with_the_order():
    # given two products and a customer
    kettle = ProductFactory(sku="KETTLE-1", name="Kettle", price=129900, stock=5)
    mug = ProductFactory(sku="MUG-1", name="Mug", price=24950, stock=10)
    customer = UserFactory()
    # when the customer orders two kettles (by id) and three mugs (by SKU)
    response = client_for(customer).post(
        ORDERS_URL,
        order_body({"product_id": kettle.pk, "quantity": 2}, {"sku": "MUG-1", "quantity": 3}, phone="067 123 45 67"),
        format="json",
    )
    # then the order is placed with exact totals, through the API, for this customer
    assert response.status_code == 201
    order = Order.objects.get()
    assert (order.customer, order.placed_via, order.status) == (customer, Source.API, Order.Status.PLACED)
    body = response.json()
    assert body == {
        "number": order.number,
        "status": "placed",
        "payment_method": "cod",
        "payment_status": "cash on delivery",
        "currency": "UAH",
        "subtotal": 2 * 129900 + 3 * 24950,
        "delivery_fee": 0,
        "total": 334650,
        "store_credit": 0,
        "amount_due": 334650,
        "lines": [
            {"sku": "KETTLE-1", "name": "Kettle", "unit_price": 129900, "quantity": 2, "line_total": 259800},
            {"sku": "MUG-1", "name": "Mug", "unit_price": 24950, "quantity": 3, "line_total": 74850},
        ],
        "full_name": "Olena Shevchenko",
        "phone": "+380671234567",
        "email": "olena@example.com",
        "delivery_city": "Kyiv",
        "delivery_branch": "Branch No 1: Khreshchatyk St, 22",
        "comment": "Call before delivery",
        "created_at": body["created_at"],
        "expires_at": None,
        "version": 1,
        "url": f"/orders/{order.public_token}/",
    }
    assert datetime.fromisoformat(body["created_at"]) == order.created_at
    assert response["ETag"] == '"1"'
    assert response["Location"] == f"http://testserver/api/v1/orders/{order.number}/"
    # and the stock is reserved for it
    assert (reserved(kettle), reserved(mug)) == (2, 3)
    assert sorted(Reservation.objects.values_list("product_id", "quantity", "reference", "status")) == sorted(
        [
            (kettle.pk, 2, f"order:{order.pk}", "active"),
            (mug.pk, 3, f"order:{order.pk}", "active"),
        ]
    )


def test_the_same_checkout_token_returns_the_same_order_with_200():
    # given an order placed with a checkout token
    product = ProductFactory(stock=5)
    client = client_for(UserFactory())
    body = order_body({"product_id": product.pk, "quantity": 1}, checkout_token="form-1234")
    first = client.post(ORDERS_URL, body, format="json")
    # when the same checkout is sent again (no Idempotency-Key)
    second = client.post(ORDERS_URL, body, format="json")
    # then it is the same order, answered with 200, and the stock is reserved once
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert Order.objects.count() == 1
    assert reserved(product) == 1


def test_without_checkout_token_or_key_every_post_is_a_new_order():
    product = ProductFactory(stock=5)
    client = client_for(UserFactory())
    body = order_body({"product_id": product.pk, "quantity": 1})
    responses = [client.post(ORDERS_URL, body, format="json") for _ in range(2)]
    assert [r.status_code for r in responses] == [201, 201]
    assert Order.objects.count() == 2
    assert reserved(product) == 2


@pytest.mark.parametrize(
    ("change", "errors", "english"),
    [
        (
            {"items": []},
            {"items": {"non_field_errors": ["Цей список не може бути порожнім."]}},
            {"items": {"non_field_errors": ["This list may not be empty."]}},
        ),
        ({"phone": ""}, {"phone": ["Це поле не може бути порожнім."]}, {"phone": ["This field may not be blank."]}),
        (
            {"email": "not-an-email"},
            {"email": ["Введіть коректну адресу електронної пошти."]},
            {"email": ["Enter a valid email address."]},
        ),
        (
            {"payment_method": "barter"},
            {"payment_method": ['"barter" не є коректним вибором.']},
            {"payment_method": ['"barter" is not a valid choice.']},
        ),
        (
            {"full_name": "x" * 151},
            {"full_name": ["Переконайтесь, що кількість символів в цьому полі не перевищує 150."]},
            {"full_name": ["Ensure this field has no more than 150 characters."]},
        ),
    ],
)
def test_an_invalid_body_is_400_and_places_nothing(change, errors, english):
    product = ProductFactory(stock=5)
    body = order_body({"product_id": product.pk, "quantity": 1}, **change)
    client = client_for(UserFactory())
    response = client.post(ORDERS_URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"] == errors
    in_english = client.post(ORDERS_URL, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert (in_english.status_code, in_english.json()["code"]) == (400, "invalid")
    assert in_english.json()["errors"] == english
    assert_nothing_placed(product)


@pytest.mark.parametrize(
    ("item", "errors", "english"),
    [
        (
            {"quantity": 1},
            {"non_field_errors": ["Для кожної позиції вкажіть або product_id, або sku."]},
            {"non_field_errors": ["Give either product_id or sku for each item."]},
        ),
        (
            {"product_id": 1, "sku": "X", "quantity": 1},
            {"non_field_errors": ["Для кожної позиції вкажіть або product_id, або sku."]},
            {"non_field_errors": ["Give either product_id or sku for each item."]},
        ),
        (
            {"sku": "X", "quantity": 0},
            {"quantity": ["Переконайтесь, що значення більше або дорівнює 1."]},
            {"quantity": ["Ensure this value is greater than or equal to 1."]},
        ),
        (
            {"sku": "X", "quantity": 100},
            {"quantity": ["Переконайтесь, що значення менше або дорівнює 99."]},
            {"quantity": ["Ensure this value is less than or equal to 99."]},
        ),
        (
            {"sku": "X", "quantity": "two"},
            {"quantity": ["Необхідне цілочисельне значення."]},
            {"quantity": ["A valid integer is required."]},
        ),
    ],
)
def test_an_invalid_item_is_400_and_places_nothing(item, errors, english):
    product = ProductFactory(stock=5)
    client = client_for(UserFactory())
    response = client.post(ORDERS_URL, order_body(item), format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    # DRF names the failing item by its index
    assert response.json()["errors"] == {"items": {"0": errors}}
    in_english = client.post(ORDERS_URL, order_body(item), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert in_english.json()["errors"] == {"items": {"0": english}}
    assert_nothing_placed(product)


def test_an_online_order_waits_for_its_payment():
    product = ProductFactory(stock=5)
    body = order_body({"product_id": product.pk, "quantity": 1}, payment_method="online")
    response = client_for(UserFactory()).post(ORDERS_URL, body, format="json")
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["payment_status"]) == ("placed", "unpaid")
    assert response.json()["expires_at"] is not None


def test_a_wrong_phone_is_refused_by_checkout_with_its_field_named():
    product = ProductFactory(stock=5)
    body = order_body({"product_id": product.pk, "quantity": 1}, phone="12345")
    response = client_for(UserFactory()).post(ORDERS_URL, body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Вкажіть український номер телефону у форматі +380XXXXXXXXX.",
        "code": "invalid_checkout",
        "errors": {"phone": "Вкажіть український номер телефону у форматі +380XXXXXXXXX."},
    }
    assert_nothing_placed(product)


def test_online_payment_is_refused_when_no_provider_is_switched_on(settings):
    settings.PAYMENT_PROVIDERS = {code: {**conf, "enabled": False} for code, conf in settings.PAYMENT_PROVIDERS.items()}
    product = ProductFactory(stock=5)
    body = order_body({"product_id": product.pk, "quantity": 1}, payment_method="online")
    response = client_for(UserFactory()).post(ORDERS_URL, body, format="json")
    message = (
        'Онлайн-оплата тут недоступна; натомість оберіть оплату при отриманні (накладений платіж, спосіб оплати "cod").'
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": message,
        "code": "payment_method_unavailable",
        "errors": {"payment_method": [message]},
    }
    assert_nothing_placed(product)


def test_out_of_stock_is_409_and_reserves_nothing():
    # given one product with plenty and one with 2 units left
    plenty = ProductFactory(stock=10)
    scarce = ProductFactory(name="Scarce lamp", sku="LAMP-1", stock=2)
    # when a customer orders 3 of the scarce one along with the other
    body = order_body({"product_id": plenty.pk, "quantity": 1}, {"product_id": scarce.pk, "quantity": 3})
    response = client_for(UserFactory()).post(ORDERS_URL, body, format="json")
    # then nothing is ordered or reserved, and the answer says what is short
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Недостатньо товару на складі: Scarce lamp (залишилось лише 2).",
        "code": "out_of_stock",
        "items": [{"sku": "LAMP-1", "name": "Scarce lamp", "requested": 3, "available": 2}],
    }
    assert_nothing_placed(plenty, scarce)


def test_an_unknown_product_id_is_400_naming_it():
    product = ProductFactory(stock=5)
    body = order_body({"product_id": product.pk, "quantity": 1}, {"product_id": 999999, "quantity": 1})
    response = client_for(UserFactory()).post(ORDERS_URL, body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Деякі товари в кошику більше не продаються; видаліть їх і спробуйте ще раз.",
        "code": "product_unavailable",
        "product_ids": [999999],
    }
    assert_nothing_placed(product)


def test_an_unknown_or_inactive_sku_is_400_naming_it():
    product = ProductFactory(sku="OK-1", stock=5)
    ProductFactory(sku="GONE-1", is_active=False, stock=5)
    body = order_body({"sku": "OK-1", "quantity": 1}, {"sku": "GONE-1", "quantity": 1}, {"sku": "NOPE", "quantity": 1})
    response = client_for(UserFactory()).post(ORDERS_URL, body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Немає товару в продажу з артикулом GONE-1, NOPE.",
        "code": "product_unavailable",
        "skus": ["GONE-1", "NOPE"],
    }
    assert_nothing_placed(product)


def test_the_same_product_twice_is_400():
    product = ProductFactory(sku="MUG-1", stock=5)
    body = order_body({"product_id": product.pk, "quantity": 1}, {"sku": "MUG-1", "quantity": 2})
    response = client_for(UserFactory()).post(ORDERS_URL, body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Товар трапляється в items двічі; надішліть його один раз із загальною кількістю.",
        "code": "duplicate_item",
    }
    assert_nothing_placed(product)


def test_a_body_that_is_not_json_is_400():
    client = client_for(UserFactory())
    response = client.post(ORDERS_URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert Order.objects.count() == 0


# --- reading ---------------------------------------------------------------------------------


def test_customers_list_only_their_own_orders_newest_first():
    # given two orders of A and one of B
    alice, bob = UserFactory(), UserFactory()
    first = place_test_order(customer=alice)
    second = place_test_order(customer=alice)
    place_test_order(customer=bob)
    # when A lists her orders
    response = client_for(alice).get(ORDERS_URL)
    # then she sees exactly hers, newest first, paginated
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    assert [o["number"] for o in body["results"]] == [second.number, first.number]
    assert body["results"][0]["lines"] == [
        {
            "sku": line.sku,
            "name": line.name,
            "unit_price": line.unit_price,
            "quantity": 1,
            "line_total": line.line_total,
        }
        for line in second.lines.all()
    ]


def test_the_order_list_costs_the_same_queries_for_more_orders(django_assert_num_queries):
    customer = UserFactory()
    client = client_for(customer)
    for _ in range(3):
        place_test_order(customer=customer)
    # token and user, count, orders, their lines
    with django_assert_num_queries(4):
        assert len(client.get(ORDERS_URL).json()["results"]) == 3
    for _ in range(5):
        place_test_order(customer=customer)
    with django_assert_num_queries(4):
        assert len(client.get(ORDERS_URL).json()["results"]) == 8


def test_the_order_list_is_paginated_by_20():
    customer = UserFactory()
    product = ProductFactory(stock=50)
    for _ in range(21):
        place_test_order(customer=customer, items={product.pk: 1})
    client = client_for(customer)
    page_1 = client.get(ORDERS_URL).json()
    page_2 = client.get(ORDERS_URL, {"page": 2}).json()
    assert (page_1["count"], len(page_1["results"]), len(page_2["results"])) == (21, 20, 1)
    assert page_1["next"] == "http://testserver/api/v1/orders/?page=2"


def test_an_order_is_read_with_its_etag():
    customer = UserFactory()
    order = place_test_order(customer=customer)
    response = client_for(customer).get(detail_url(order))
    assert response.status_code == 200
    assert response.json()["number"] == order.number
    assert response.json()["version"] == 1
    assert response["ETag"] == '"1"'
    assert response["Cache-Control"] == "private, no-cache"


@pytest.mark.parametrize("if_none_match", ['"1"', 'W/"1"', '"7", "1"', "*"])
def test_an_unchanged_order_is_304_without_a_body(if_none_match):
    customer = UserFactory()
    order = place_test_order(customer=customer)
    response = client_for(customer).get(detail_url(order), HTTP_IF_NONE_MATCH=if_none_match)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == '"1"'


def test_a_changed_order_is_sent_again_for_an_old_etag():
    customer = UserFactory()
    order = place_test_order(customer=customer)
    confirm_order(order_id=order.pk, by=None, source=Source.ADMIN)
    response = client_for(customer).get(detail_url(order), HTTP_IF_NONE_MATCH='"1"')
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    assert response["ETag"] == '"2"'


def test_an_unknown_order_number_is_404():
    response = client_for(UserFactory()).get(detail_url("KR-999999"))
    assert response.status_code == 404
    assert response.json() == {"detail": "Замовлення не знайдено.", "code": "order_not_found"}


# --- scoping ---------------------------------------------------------------------------------


def test_another_customers_order_cannot_be_seen_listed_or_cancelled():
    # given an order of Alice
    alice, bob = UserFactory(), UserFactory()
    product = ProductFactory(stock=5)
    order = place_test_order(customer=alice, items={product.pk: 2})
    bob_client = client_for(bob)
    # when Bob reads, lists and cancels it (even with its correct ETag)
    read = bob_client.get(detail_url(order))
    listed = bob_client.get(ORDERS_URL)
    cancelled = bob_client.post(cancel_url(order), {"reason": "mine now"}, format="json", HTTP_IF_MATCH='"1"')
    # then each time it is "not found", never "forbidden"
    not_found = {"detail": "Замовлення не знайдено.", "code": "order_not_found"}
    assert (read.status_code, read.json()) == (404, not_found)
    assert (cancelled.status_code, cancelled.json()) == (404, not_found)
    assert listed.json()["count"] == 0
    # and Alice's order is untouched
    order.refresh_from_db()
    assert (order.status, order.version) == (Order.Status.PLACED, 1)
    assert reserved(product) == 2
    assert StateLog.objects.count() == 0


def test_a_guest_order_is_nobodys_in_the_api():
    order = place_test_order(customer=None)
    response = client_for(UserFactory()).get(detail_url(order))
    assert response.status_code == 404


# --- cancelling ------------------------------------------------------------------------------


def test_cancelling_releases_the_stock_and_records_why():
    # given a placed order holding 2 units
    customer = UserFactory()
    product = ProductFactory(stock=5)
    order = place_test_order(customer=customer, items={product.pk: 2})
    # when the customer cancels it
    response = client_for(customer).post(cancel_url(order), {"reason": "Found it cheaper"}, format="json")
    # then it is cancelled, its version and ETag went up and its units are free again
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"], response["ETag"]) == ("cancelled", 2, '"2"')
    assert not response.has_header("Location")
    order.refresh_from_db()
    assert (order.status, order.version) == (Order.Status.CANCELLED, 2)
    assert reserved(product) == 0
    assert list(Reservation.objects.values_list("status", flat=True)) == ["released"]
    log = StateLog.objects.get()
    assert (log.transition, log.by, log.description) == ("cancel", customer, "[api] Found it cheaper")


def test_a_confirmed_order_can_be_cancelled_too():
    customer = UserFactory()
    order = place_test_order(customer=customer)
    confirm_order(order_id=order.pk, by=None, source=Source.ADMIN)
    response = client_for(customer).post(cancel_url(order), {"reason": "Changed my mind"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_a_shipped_order_cannot_be_cancelled():
    customer = UserFactory()
    product = ProductFactory(stock=5)
    order = place_test_order(customer=customer, items={product.pk: 1})
    confirm_order(order_id=order.pk, by=None, source=Source.ADMIN)
    ship_order(order_id=order.pk, by=None, source=Source.ADMIN)
    response = client_for(customer).post(cancel_url(order), {"reason": "Too late?"}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Замовлення №{order.number} уже відправлено, тож скасувати його тут більше не можна: "
        "відмовтеся від посилки у відділенні Нової Пошти або зв’яжіться з нами.",
        "code": "order_shipped",
        "status": "shipped",
    }
    order.refresh_from_db()
    assert (order.status, order.version) == (Order.Status.SHIPPED, 3)


def test_cancelling_twice_is_409_the_second_time():
    customer = UserFactory()
    order = place_test_order(customer=customer)
    client = client_for(customer)
    client.post(cancel_url(order), {"reason": "No longer needed"}, format="json")
    response = client.post(cancel_url(order), {"reason": "No longer needed"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_cancelling_needs_a_reason():
    customer = UserFactory()
    product = ProductFactory(stock=5)
    order = place_test_order(customer=customer, items={product.pk: 1})
    client = client_for(customer)
    response = client.post(cancel_url(order), {"reason": "  "}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "reason: Це поле не може бути порожнім.",
        "code": "invalid",
        "errors": {"reason": ["Це поле не може бути порожнім."]},
    }
    english = client.post(cancel_url(order), {"reason": "  "}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json() == {
        "detail": "reason: This field may not be blank.",
        "code": "invalid",
        "errors": {"reason": ["This field may not be blank."]},
    }
    order.refresh_from_db()
    assert (order.status, order.version, reserved(product)) == (Order.Status.PLACED, 1, 1)


@pytest.mark.parametrize(
    ("stale", "shown"),
    [('"1"', "1"), ('W/"1"', "1"), ("1", "1"), ('"1", "5"', '"1", "5"'), ("garbage", "garbage")],
)
def test_a_stale_if_match_is_412_and_changes_nothing(stale, shown):
    # given an order that staff confirmed after the customer read it (version 1 -> 2)
    customer = UserFactory()
    product = ProductFactory(stock=5)
    order = place_test_order(customer=customer, items={product.pk: 1})
    confirm_order(order_id=order.pk, by=None, source=Source.ADMIN)
    # when the customer cancels with the ETag they read
    client = client_for(customer)
    response = client.post(cancel_url(order), {"reason": "Changed my mind"}, format="json", HTTP_IF_MATCH=stale)
    # then nothing is done and they are told to reload (in Ukrainian, or in English when asked)
    assert response.status_code == 412
    assert response.json() == {
        "detail": f"Замовлення №{order.number} уже змінив хтось інший (версія 2, у вас була {shown}). "
        "Завантажте його знову й повторіть спробу.",
        "code": "stale_version",
        "version": 2,
    }
    english = client.post(
        cancel_url(order), {"reason": "Changed my mind"}, format="json", HTTP_IF_MATCH=stale, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.json() == {
        "detail": f"Order {order.number} was changed by someone else (version 2, you had {shown}). "
        "Reload it and try again.",
        "code": "stale_version",
        "version": 2,
    }
    order.refresh_from_db()
    assert (order.status, order.version, reserved(product)) == (Order.Status.CONFIRMED, 2, 1)
    assert list(Reservation.objects.values_list("status", flat=True)) == ["active"]


@pytest.mark.parametrize("current", ['"2"', 'W/"2"', '"1", "2"', "*"])
def test_the_current_if_match_cancels_and_releases_stock(current):
    customer = UserFactory()
    product = ProductFactory(stock=5)
    order = place_test_order(customer=customer, items={product.pk: 3})
    confirm_order(order_id=order.pk, by=None, source=Source.ADMIN)
    response = client_for(customer).post(
        cancel_url(order), {"reason": "Changed my mind"}, format="json", HTTP_IF_MATCH=current
    )
    assert response.status_code == 200
    assert response["ETag"] == '"3"'
    order.refresh_from_db()
    assert (order.status, order.version, reserved(product)) == (Order.Status.CANCELLED, 3, 0)


def test_a_refused_cancel_with_an_idempotency_key_is_replayed_not_rerun():
    # given a cancel refused as stale under a key
    customer = UserFactory()
    order = place_test_order(customer=customer)
    client = client_for(customer)
    headers = {"HTTP_IF_MATCH": '"9"', "HTTP_IDEMPOTENCY_KEY": "cancel-1"}
    first = client.post(cancel_url(order), {"reason": "Oops"}, format="json", **headers)
    # when the same request is retried
    second = client.post(cancel_url(order), {"reason": "Oops"}, format="json", **headers)
    # then the stored 412 comes back and the order is still placed
    assert (first.status_code, second.status_code) == (412, 412)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED
    assert IdempotencyKey.objects.get().response_status == 412


# --- concurrency -----------------------------------------------------------------------------


def test_the_last_unit_is_sold_once_through_the_api(run_concurrently):
    # given one unit left and five customers
    product = ProductFactory(stock=1)
    clients = [client_for(UserFactory()) for _ in range(5)]

    # when all of them order it at the same moment
    def place(i):
        response = clients[i].post(ORDERS_URL, order_body({"product_id": product.pk, "quantity": 1}), format="json")
        return response.status_code, response.json()["code"] if response.status_code != 201 else None

    outcomes = run_concurrently(5, place)

    # then exactly one gets it and the others are told it is out of stock
    assert [o.error for o in outcomes] == [None] * 5
    assert sorted(o.value for o in outcomes) == [(201, None)] + [(409, "out_of_stock")] * 4
    assert Order.objects.count() == 1
    stock = Stock.objects.get(product=product)
    assert (stock.on_hand, stock.reserved) == (1, 1)


def test_two_cancels_with_the_same_etag_change_the_order_once(run_concurrently):
    # given an order and two tabs of its customer holding the same ETag
    customer = UserFactory()
    product = ProductFactory(stock=5)
    order = place_test_order(customer=customer, items={product.pk: 1})
    token = Token.objects.create(user=customer)

    # when both tabs cancel at the same moment
    def cancel(i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        response = client.post(cancel_url(order), {"reason": f"tab {i}"}, format="json", HTTP_IF_MATCH='"1"')
        return response.status_code

    outcomes = run_concurrently(2, cancel)

    # then one wins and the other is told the order changed under it
    assert sorted(o.value for o in outcomes) == [200, 412]
    order.refresh_from_db()
    assert (order.status, order.version, reserved(product)) == (Order.Status.CANCELLED, 2, 0)
    assert StateLog.objects.filter(transition="cancel").count() == 1


def test_an_api_client_can_pay_part_with_store_credit():
    from ledger.selectors import wallet_of
    from ledger.services import credit_wallet

    customer = UserFactory()
    credit_wallet(user_id=customer.pk, amount=10000, reason="goodwill", by=None, idempotency_key="api-credit")
    product = ProductFactory(price=30000, stock=2)
    response = client_for(customer).post(
        ORDERS_URL, order_body({"product_id": product.pk, "quantity": 1}, store_credit=10000), format="json"
    )
    assert response.status_code == 201
    assert (response.json()["store_credit"], response.json()["amount_due"]) == (10000, 20000)
    assert wallet_of(user_id=customer.pk).held == 10000


def test_store_credit_beyond_the_balance_is_409_and_changes_nothing():
    customer = UserFactory()
    product = ProductFactory(price=30000, stock=2)
    response = client_for(customer).post(
        ORDERS_URL, order_body({"product_id": product.pk, "quantity": 1}, store_credit=100), format="json"
    )
    assert (response.status_code, response.json()["code"]) == (409, "insufficient_funds")
    assert not Order.objects.exists()
    assert reserved(product) == 0


def test_nova_poshta_refs_are_checked_and_stored():
    from tests.factories import np_branch

    branch = np_branch(city_name="Львів", number="3")
    other_city_branch = np_branch(city_name="Одеса", number="2")
    product = ProductFactory(stock=5)
    client = client_for(UserFactory())

    wrong = client.post(
        ORDERS_URL,
        order_body(
            {"product_id": product.pk, "quantity": 1},
            delivery_city_ref=branch.city_id,
            delivery_warehouse_ref=other_city_branch.ref,
        ),
        format="json",
    )
    assert (wrong.status_code, wrong.json()["code"]) == (400, "invalid_delivery")
    assert not Order.objects.exists()

    right = client.post(
        ORDERS_URL,
        order_body(
            {"product_id": product.pk, "quantity": 1},
            delivery_city_ref=branch.city_id,
            delivery_warehouse_ref=branch.ref,
        ),
        format="json",
    )
    assert right.status_code == 201
    order = Order.objects.get()
    assert (order.delivery_city_ref, order.delivery_warehouse_ref) == (branch.city_id, branch.ref)
    assert (order.delivery_city, order.delivery_branch) == ("Львів", branch.name)

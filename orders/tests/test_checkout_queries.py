"""What a checkout costs in SQL: the same few statements whatever the cart holds (issue 11)."""

import pytest

from catalog.models import Reservation, Stock
from orders.models import Order
from orders.tests.test_api import ORDERS_URL, client_for, order_body
from tests.factories import ProductFactory, UserFactory, place_test_order

pytestmark = pytest.mark.django_db

# The token's user; BEGIN; the stock rows locked with their products; the block list (the
# anti-abuse counts join it when a rule is on); INSERT order ON CONFLICT (checkout_token);
# INSERT its lines; one UPDATE ... FROM (VALUES ...) with the reservations' INSERT; INSERT
# the screening; INSERT the outbox message; COMMIT. No re-read: the answer is what was written.
API_CHECKOUT_QUERIES = 10


def _api_checkout(client, products) -> dict:
    body = order_body(*[{"product_id": p.pk, "quantity": 2} for p in products])
    response = client.post(ORDERS_URL, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize("lines", [1, 3, 10])
def test_an_api_checkout_costs_the_same_queries_for_any_cart(lines, django_assert_num_queries):
    # given a shopper with an API token and the runtime settings' cache warm (one order placed)
    client = client_for(UserFactory())
    place_test_order()
    products = [ProductFactory(stock=5, price=10000 + i) for i in range(lines)]
    # when they check out a cart of `lines` products
    with django_assert_num_queries(API_CHECKOUT_QUERIES):
        answer = _api_checkout(client, products)
    # then the answer is the order as stored, and every line's stock is reserved
    order = Order.objects.get(number=answer["number"])
    assert answer["total"] == order.total == sum(2 * (10000 + i) for i in range(lines))
    assert [line["sku"] for line in answer["lines"]] == [p.sku for p in products]
    assert answer["version"] == order.version == 1
    assert answer["status"] == "placed"
    assert [Stock.objects.get(product=p).reserved for p in products] == [2] * lines
    assert Reservation.objects.filter(reference=order.stock_reference).count() == lines


def test_a_retried_api_checkout_answers_with_the_first_order_and_reserves_nothing_more(django_assert_num_queries):
    client = client_for(UserFactory())
    place_test_order()
    products = [ProductFactory(stock=5) for _ in range(3)]
    body = order_body(*[{"product_id": p.pk, "quantity": 1} for p in products], checkout_token="retry-me")
    first = client.post(ORDERS_URL, body, format="json")
    assert first.status_code == 201
    # the retry runs into the token's unique index (ON CONFLICT DO NOTHING, after the same
    # locks and checks), finds the order by its token and answers it as it is now (order, lines)
    with django_assert_num_queries(9):
        again = client.post(ORDERS_URL, body, format="json")
    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 2
    assert [Stock.objects.get(product=p).reserved for p in products] == [1, 1, 1]

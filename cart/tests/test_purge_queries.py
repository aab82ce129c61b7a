"""The guest-cart purge (Beat) costs the same queries whether it deletes 2 carts or 6."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cart.models import Cart, CartLine
from cart.services import GUEST_CART_MAX_AGE, purge_stale_guest_carts
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def stale_guest_carts(n: int) -> None:
    old = timezone.now() - GUEST_CART_MAX_AGE - timedelta(hours=1)
    product = ProductFactory()
    for _ in range(n):
        cart = Cart.objects.create(guest_token=uuid.uuid4().hex, updated_at=old)
        CartLine.objects.create(cart=cart, product=product, quantity=2)


def purge_counting_queries() -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        purged = purge_stale_guest_carts()
    return purged, len(ctx.captured_queries)


def test_purging_guest_carts_costs_the_same_queries_for_2_or_6_carts():
    old = timezone.now() - GUEST_CART_MAX_AGE - timedelta(hours=1)
    kept = Cart.objects.create(customer=UserFactory(), updated_at=old)  # a customer's cart is never purged
    stale_guest_carts(2)
    two = purge_counting_queries()
    stale_guest_carts(6)
    six = purge_counting_queries()

    assert (two[0], six[0]) == (2, 6)
    assert two[1] == six[1]
    assert list(Cart.objects.values_list("pk", flat=True)) == [kept.pk]
    assert CartLine.objects.count() == 0

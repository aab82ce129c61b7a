"""Every write to carts. Each change is a per-line SQL statement, never a rewrite of the cart.

Lock order: the cart row first (every change stamps `updated_at` and empties the checkout
token with one UPDATE, which also serialises changes of one cart), then its line rows; a
merge locks both carts in id order. Nothing here locks stock: a cart reserves nothing.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cart.exceptions import CartLineNotFound, CartProductOutOfStock, CartProductUnavailable
from cart.models import MAX_QUANTITY, Cart, CartLine
from cart.owners import CartOwner
from cart.selectors import CartContents, list_cart_items
from catalog.models import Product
from catalog.selectors import list_products_for_shoppers
from core.exceptions import ValidationError

GUEST_CART_MAX_AGE = timedelta(days=30)

_ADD_SQL = """
WITH old AS (SELECT quantity FROM cart_cartline WHERE cart_id = %(cart)s AND product_id = %(product)s)
INSERT INTO cart_cartline (cart_id, product_id, quantity, created_at, updated_at)
VALUES (%(cart)s, %(product)s, LEAST(%(quantity)s, %(max)s), now(), now())
ON CONFLICT (cart_id, product_id) DO UPDATE
    SET quantity = LEAST(cart_cartline.quantity + EXCLUDED.quantity, %(max)s), updated_at = now()
RETURNING quantity, (SELECT quantity FROM old)
"""

_MERGE_SQL = """
INSERT INTO cart_cartline (cart_id, product_id, quantity, created_at, updated_at)
SELECT %(into)s, product_id, quantity, created_at, now() FROM cart_cartline WHERE cart_id = %(from)s
ON CONFLICT (cart_id, product_id) DO UPDATE
    SET quantity = LEAST(cart_cartline.quantity + EXCLUDED.quantity, %(max)s), updated_at = now()
"""


@dataclass(frozen=True)
class LineChange:
    product: Product  # with `available` annotated
    before: int
    after: int
    requested: int

    @property
    def added(self) -> int:
        return self.after - self.before

    @property
    def capped(self) -> bool:
        """More than MAX_QUANTITY was asked for in all."""
        return self.before + self.requested > MAX_QUANTITY


def read_cart(*, owner: CartOwner | None) -> CartContents:
    """The cart's lines with fresh prices and stock; lines of products no longer sold are removed."""
    if owner is None:
        return CartContents(lines=[], dropped=0)
    lines, unsold = list_cart_items(owner=owner)
    if unsold:
        remove_from_cart(owner=owner, product_ids=unsold)
    return CartContents(lines=lines, dropped=len(unsold))


def new_checkout_token() -> str:
    return uuid.uuid4().hex


def _touch_cart(owner: CartOwner) -> int:
    """Lock the owner's cart (made on first use), mark it changed and void its checkout token."""
    while True:
        cart, _created = Cart.objects.get_or_create(**owner.as_filter())
        if Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now(), checkout_token=""):
            return cart.pk
        # Deleted in between (a guest cart merged on login by a concurrent request): make it afresh.


@transaction.atomic
def add_to_cart(*, owner: CartOwner, product_id: int, quantity: int) -> LineChange:
    """Add units of a product on sale and in stock; the line stops at MAX_QUANTITY.

    One upsert (`quantity = quantity + n`): two adds at once both count.
    """
    if not isinstance(quantity, int) or quantity < 1:
        raise ValidationError(_("Enter a quantity of at least 1."), code="invalid_quantity")
    product = list_products_for_shoppers().filter(pk=product_id).first()
    if product is None:
        raise CartProductUnavailable()
    if max(product.available or 0, 0) == 0:
        raise CartProductOutOfStock(_("Sorry, %(name)s is out of stock.") % {"name": product.name})
    cart_id = _touch_cart(owner)
    with connection.cursor() as cursor:
        cursor.execute(_ADD_SQL, {"cart": cart_id, "product": product.pk, "quantity": quantity, "max": MAX_QUANTITY})
        after, before = cursor.fetchone()
    return LineChange(product=product, before=before or 0, after=after, requested=quantity)


@transaction.atomic
def set_line_quantities(*, owner: CartOwner, quantities: Mapping[int, int], must_exist: bool = False) -> int:
    """Set lines' quantities ({product_id: n}); 0 or less removes the line. Return lines changed.

    Only lines in the cart are changed (one removed in another tab is not brought back);
    `must_exist` raises CartLineNotFound, changing nothing, when one is not there.
    """
    cart_id = _touch_cart(owner)
    changed = 0
    for product_id, quantity in quantities.items():
        lines = CartLine.objects.filter(cart_id=cart_id, product_id=product_id)
        if quantity > 0:
            n = lines.update(quantity=min(quantity, MAX_QUANTITY), updated_at=timezone.now())
        else:
            n, _deleted = lines.delete()
        if must_exist and not n:
            raise CartLineNotFound()
        changed += n
    return changed


@transaction.atomic
def remove_from_cart(*, owner: CartOwner, product_ids, must_exist: bool = False) -> int:
    """Remove lines; return how many were there."""
    cart_id = _touch_cart(owner)
    removed, _deleted = CartLine.objects.filter(cart_id=cart_id, product_id__in=list(product_ids)).delete()
    if must_exist and not removed:
        raise CartLineNotFound()
    return removed


@transaction.atomic
def clear_cart_after_checkout(*, owner: CartOwner, checkout_token: str, ordered: Mapping[int, int]) -> None:
    """Empty the cart whose checkout form placed an order.

    If the cart changed while the order was being placed (another tab added something, which
    voided the token), only what was ordered is taken out and the rest stays.
    """
    cart = Cart.objects.select_for_update().filter(**owner.as_filter()).first()
    if cart is None:
        return
    if cart.checkout_token == checkout_token:
        CartLine.objects.filter(cart=cart).delete()
    else:
        for product_id, quantity in ordered.items():
            lines = CartLine.objects.filter(cart=cart, product_id=product_id)
            lines.filter(quantity__lte=quantity).delete()
            lines.filter(quantity__gt=quantity).update(quantity=F("quantity") - quantity, updated_at=timezone.now())
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now(), checkout_token="")


def issue_checkout_token(*, owner: CartOwner) -> str:
    """The token of the checkout form for the current contents, made on first use (one statement)."""
    cart, _created = Cart.objects.get_or_create(**owner.as_filter())
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cart_cart SET checkout_token = COALESCE(NULLIF(checkout_token, ''), %s) "
            "WHERE id = %s RETURNING checkout_token",
            [new_checkout_token(), cart.pk],
        )
        (token,) = cursor.fetchone()
    return token


def forget_checkout_token(*, owner: CartOwner) -> None:
    Cart.objects.filter(**owner.as_filter()).update(checkout_token="")


@transaction.atomic
def merge_guest_cart(*, guest_token: str, customer_id: int) -> int:
    """Move a guest's lines into the customer's cart (quantities added, capped at MAX_QUANTITY).

    Return how many lines the guest cart had; the guest cart is deleted. Safe to run twice at
    once: both carts are locked in id order and the second run finds no guest cart.
    """
    guest = Cart.objects.filter(guest_token=guest_token).first()
    if guest is None:
        return 0
    mine, _created = Cart.objects.get_or_create(customer_id=customer_id)
    locked = {c.pk: c for c in Cart.objects.select_for_update().filter(pk__in=[guest.pk, mine.pk]).order_by("pk")}
    if guest.pk not in locked:  # merged by a concurrent request meanwhile
        return 0
    moved = CartLine.objects.filter(cart_id=guest.pk).count()
    if moved:
        with connection.cursor() as cursor:
            cursor.execute(_MERGE_SQL, {"into": mine.pk, "from": guest.pk, "max": MAX_QUANTITY})
        Cart.objects.filter(pk=mine.pk).update(updated_at=timezone.now(), checkout_token="")
    Cart.objects.filter(pk=guest.pk).delete()
    return moved


def purge_stale_guest_carts(*, now=None, max_age: timedelta = GUEST_CART_MAX_AGE, batch_size: int = 1000) -> int:
    """Delete guest carts untouched for `max_age` (customers' carts stay); return how many."""
    cutoff = (now or timezone.now()) - max_age
    purged = 0
    while True:
        ids = list(
            Cart.objects.filter(guest_token__isnull=False, updated_at__lt=cutoff).values_list("pk", flat=True)[
                :batch_size
            ]
        )
        if not ids:
            return purged
        _total, by_model = Cart.objects.filter(pk__in=ids, updated_at__lt=cutoff).delete()
        purged += by_model.get(Cart._meta.label, 0)

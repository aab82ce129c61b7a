"""Reads of a cart: its lines with fresh prices and stock, its item count, its checkout token.

A cart never holds a price: prices and stock are read from catalog with the lines, in one query.
"""

from dataclasses import dataclass

from django.db.models import F, Sum

from cart.models import Cart, CartLine
from cart.owners import CartOwner
from catalog.models import Product


@dataclass(frozen=True)
class CartItem:
    product: Product  # carries `available`, as catalog.selectors.list_products_for_shoppers annotates it
    quantity: int

    @property
    def line_total(self) -> int:
        return self.product.price * self.quantity

    @property
    def available(self) -> int:
        return max(self.product.available or 0, 0)

    @property
    def is_short(self) -> bool:
        """More units are wanted than the warehouse has free right now."""
        return self.quantity > self.available


@dataclass(frozen=True)
class CartContents:
    lines: list[CartItem]
    dropped: int  # products removed because they are no longer sold

    @property
    def total(self) -> int:
        return sum(line.line_total for line in self.lines)

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def items(self) -> dict[int, int]:
        """{product_id: quantity}, what orders.services.place_order takes."""
        return {line.product.pk: line.quantity for line in self.lines}

    @property
    def has_short_lines(self) -> bool:
        return any(line.is_short for line in self.lines)


def list_cart_items(*, owner: CartOwner) -> tuple[list[CartItem], list[int]]:
    """The cart's lines on sale (by product name) and the ids of products no longer sold; one query."""
    rows = (
        CartLine.objects.filter(**owner.as_filter("cart__"))
        .select_related("product", "product__stock")
        .annotate(available=F("product__stock__on_hand") - F("product__stock__reserved"))
        .order_by("product__name", "product_id")
    )
    items, unsold = [], []
    for row in rows:
        if not row.product.is_active:
            unsold.append(row.product_id)
            continue
        row.product.available = row.available
        items.append(CartItem(product=row.product, quantity=row.quantity))
    return items, unsold


def count_cart_items(*, owner: CartOwner) -> int:
    """How many units the cart holds (the header's number); one query."""
    return CartLine.objects.filter(**owner.as_filter("cart__")).aggregate(n=Sum("quantity"))["n"] or 0


def get_cart_quantities(*, owner: CartOwner) -> dict[int, int]:
    return dict(CartLine.objects.filter(**owner.as_filter("cart__")).values_list("product_id", "quantity"))


def get_checkout_token(*, owner: CartOwner) -> str:
    """The token of the checkout form for the current contents, or "" when none was made since the last change."""
    return Cart.objects.filter(**owner.as_filter()).values_list("checkout_token", flat=True).first() or ""

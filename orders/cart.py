"""The shopper's cart and checkout state, kept in the session.

Nothing here writes to the database: the cart is `request.session["cart"]`, a mapping of
product id (a string, as JSON keys are) to quantity. Prices and stock are always read fresh
from catalog, so a cart never holds a stale price. The checkout token of the form being
filled in lives next to it and is dropped whenever the cart changes, so an order is always
placed for the contents the shopper last saw.
"""

from dataclasses import dataclass

from catalog.models import Product
from catalog.selectors import list_products_for_shoppers
from orders.services import MAX_QUANTITY, new_checkout_token

CART_KEY = "cart"
CHECKOUT_TOKEN_KEY = "checkout_token"
RECENT_ORDERS_KEY = "recent_orders"
RECENT_ORDERS_KEPT = 5


@dataclass(frozen=True)
class CartLine:
    product: Product
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
    lines: list[CartLine]
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


class Cart:
    """A small wrapper around the session's cart; quantities are kept within 1..MAX_QUANTITY."""

    def __init__(self, session):
        self.session = session

    def quantities(self) -> dict[int, int]:
        cleaned = {}
        for key, value in (self.session.get(CART_KEY) or {}).items():
            try:
                product_id, quantity = int(key), int(value)
            except (TypeError, ValueError):
                continue
            if quantity > 0:
                cleaned[product_id] = min(quantity, MAX_QUANTITY)
        return cleaned

    def count(self) -> int:
        return sum(self.quantities().values())

    def quantity_of(self, product_id: int) -> int:
        return self.quantities().get(product_id, 0)

    def add(self, product_id: int, quantity: int) -> int:
        """Add units of a product; return the line's new quantity (capped at MAX_QUANTITY)."""
        new_quantity = min(self.quantity_of(product_id) + quantity, MAX_QUANTITY)
        self.set(product_id, new_quantity)
        return new_quantity

    def set(self, product_id: int, quantity: int) -> None:
        """Set a line's quantity; zero or less removes it."""
        quantities = self.quantities()
        if quantity > 0:
            quantities[product_id] = min(quantity, MAX_QUANTITY)
        else:
            quantities.pop(product_id, None)
        self._save(quantities)

    def remove(self, product_id: int) -> bool:
        quantities = self.quantities()
        removed = quantities.pop(product_id, None) is not None
        self._save(quantities)
        return removed

    def clear(self) -> None:
        self._save({})

    def contents(self) -> CartContents:
        """The lines with fresh prices and stock; products no longer sold are dropped."""
        quantities = self.quantities()
        if not quantities:
            return CartContents(lines=[], dropped=0)
        products = list_products_for_shoppers().filter(pk__in=quantities).in_bulk()
        lines = [CartLine(product=products[pid], quantity=qty) for pid, qty in quantities.items() if pid in products]
        lines.sort(key=lambda line: (line.product.name, line.product.pk))
        dropped = len(quantities) - len(lines)
        if dropped:
            self._save({pid: qty for pid, qty in quantities.items() if pid in products})
        return CartContents(lines=lines, dropped=dropped)

    # --- checkout token -----------------------------------------------------------------------

    def checkout_token(self) -> str:
        """The token of the checkout form for the current contents, made on first use."""
        token = self.session.get(CHECKOUT_TOKEN_KEY)
        if not token:
            token = new_checkout_token()
            self.session[CHECKOUT_TOKEN_KEY] = token
        return token

    def forget_checkout_token(self) -> None:
        self.session.pop(CHECKOUT_TOKEN_KEY, None)

    def is_current_checkout_token(self, token: str) -> bool:
        current = self.session.get(CHECKOUT_TOKEN_KEY)
        return bool(current) and current == token

    def _save(self, quantities: dict[int, int]) -> None:
        self.session[CART_KEY] = {str(pid): qty for pid, qty in quantities.items()}
        # The contents changed: a checkout form rendered before no longer describes them.
        self.forget_checkout_token()


def remember_order(session, *, public_token: str) -> None:
    """Keep the secret links of this browser's last orders, so a guest can find them again."""
    tokens = [t for t in session.get(RECENT_ORDERS_KEY, []) if t != public_token]
    session[RECENT_ORDERS_KEY] = [public_token, *tokens][:RECENT_ORDERS_KEPT]


def recent_order_tokens(session) -> list[str]:
    return list(session.get(RECENT_ORDERS_KEY, []))

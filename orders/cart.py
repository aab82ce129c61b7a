"""The shopper's cart as the shop pages use it: a thin wrapper over the cart app.

The cart itself lives in database rows (cart.models), changed line by line by cart.services,
so two tabs or two quick clicks never lose each other's changes. Prices and stock are always
read fresh from catalog. The checkout token of the form being filled in is kept on the cart
and voided by every change, so an order is always placed for the contents the shopper last saw.
The browser's recent orders stay in the session.
"""

from cart import selectors as cart_selectors
from cart import services as cart_services
from cart.requests import cart_owner_for
from cart.selectors import CartContents, CartItem
from cart.services import LineChange

RECENT_ORDERS_KEY = "recent_orders"
RECENT_ORDERS_KEPT = 5

# The names the views and templates have always used.
CartLine = CartItem
__all__ = ["Cart", "CartContents", "CartLine", "LineChange", "recent_order_tokens", "remember_order"]


class Cart:
    """The request's cart (the customer's, or the guest's found through the session)."""

    def __init__(self, request):
        self.request = request

    def _owner(self, *, create: bool = False):
        return cart_owner_for(self.request, create=create)

    def count(self) -> int:
        owner = self._owner()
        return cart_selectors.count_cart_items(owner=owner) if owner else 0

    def add(self, product_id: int, quantity: int) -> LineChange:
        """Add units of a product; raises the cart's domain errors when it is not sold or sold out."""
        return cart_services.add_to_cart(owner=self._owner(create=True), product_id=product_id, quantity=quantity)

    def set_quantities(self, quantities: dict[int, int]) -> None:
        owner = self._owner()
        if owner:
            cart_services.set_line_quantities(owner=owner, quantities=quantities)

    def remove(self, product_id: int) -> bool:
        owner = self._owner()
        return bool(owner and cart_services.remove_from_cart(owner=owner, product_ids=[product_id]))

    def clear_after_checkout(self, *, checkout_token: str, ordered: dict[int, int]) -> None:
        owner = self._owner()
        if owner:
            cart_services.clear_cart_after_checkout(owner=owner, checkout_token=checkout_token, ordered=ordered)

    def contents(self) -> CartContents:
        """The lines with fresh prices and stock; products no longer sold are dropped."""
        return cart_services.read_cart(owner=self._owner())

    # --- checkout token -----------------------------------------------------------------------

    def checkout_token(self) -> str:
        """The token of the checkout form for the current contents, made on first use."""
        return cart_services.issue_checkout_token(owner=self._owner(create=True))

    def forget_checkout_token(self) -> None:
        owner = self._owner()
        if owner:
            cart_services.forget_checkout_token(owner=owner)

    def is_current_checkout_token(self, token: str) -> bool:
        owner = self._owner()
        current = cart_selectors.get_checkout_token(owner=owner) if owner else ""
        return bool(current) and current == token


def remember_order(session, *, public_token: str) -> None:
    """Keep the secret links of this browser's last orders, so a guest can find them again."""
    tokens = [t for t in session.get(RECENT_ORDERS_KEY, []) if t != public_token]
    session[RECENT_ORDERS_KEY] = [public_token, *tokens][:RECENT_ORDERS_KEPT]


def recent_order_tokens(session) -> list[str]:
    return list(session.get(RECENT_ORDERS_KEY, []))

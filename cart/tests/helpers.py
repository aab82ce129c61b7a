"""Read a test client's cart from the database, as the shop would for that browser."""

from cart.owners import CartOwner
from cart.requests import SESSION_KEY
from cart.selectors import get_cart_quantities, get_checkout_token


def owner_of(client) -> CartOwner | None:
    session = client.session
    if "_auth_user_id" in session:
        return CartOwner(customer_id=int(session["_auth_user_id"]))
    token = session.get(SESSION_KEY)
    return CartOwner(guest_token=token) if token else None


def cart_of(client) -> dict[int, int]:
    """{product_id: quantity} of the client's cart; {} when it has none."""
    owner = owner_of(client)
    return get_cart_quantities(owner=owner) if owner else {}


def checkout_token_of(client) -> str:
    owner = owner_of(client)
    return get_checkout_token(owner=owner) if owner else ""

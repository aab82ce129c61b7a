"""Which cart a request works on: the customer's when logged in, else the guest's.

A guest's cart is found by a token kept in the session. It is derived from the session key
the first time it is needed, so two first clicks at once in one session name the same cart;
it then stays in the session (login keeps the session's data), and the guest cart is merged
into the customer's on login (merge_cart_on_login, called by the login views; any other
login path is caught by the first cart read after it, which merges the same way).
"""

from django.utils.crypto import salted_hmac

from cart.owners import CartOwner
from cart.services import merge_guest_cart

SESSION_KEY = "cart_guest_token"


def _guest_token(session, *, create: bool) -> str | None:
    token = session.get(SESSION_KEY)
    if token or not create:
        return token
    if session.session_key is None:
        session.save()  # a new visitor: give the session its key now
    token = salted_hmac("cart.guest_token", session.session_key, algorithm="sha256").hexdigest()
    session[SESSION_KEY] = token
    return token


def merge_cart_on_login(request) -> None:
    """Merge the guest cart this session holds into the logged-in customer's, once."""
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    if session is None or user is None or not user.is_authenticated:
        return
    token = session.get(SESSION_KEY)
    if token:
        merge_guest_cart(guest_token=token, customer_id=user.pk)
        session.pop(SESSION_KEY, None)


def cart_owner_for(request, *, create: bool = False) -> CartOwner | None:
    """The owner of this request's cart; None for a guest who has none yet (unless `create`)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        merge_cart_on_login(request)
        return CartOwner(customer_id=user.pk)
    session = getattr(request, "session", None)
    if session is None:
        return None
    token = _guest_token(session, create=create)
    return CartOwner(guest_token=token) if token else None

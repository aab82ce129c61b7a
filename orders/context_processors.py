from django.conf import settings

from orders.cart import Cart


def cart(request):
    """What every page's header shows: the shop's name and how many items the cart holds."""
    session = getattr(request, "session", None)
    return {
        "shop_name": settings.SHOP_NAME,
        "cart_count": Cart(session).count() if session is not None else 0,
    }

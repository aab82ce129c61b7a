import operator

from django.conf import settings
from django.utils.functional import SimpleLazyObject, new_method_proxy

from orders.cart import Cart


class _LazyCount(SimpleLazyObject):
    """A number read once, on first use; also a number to filters such as pluralize and to
    gettext's plural rule (``{% blocktranslate count %}``: n % 10, n >= 2, ...)."""

    __int__ = new_method_proxy(int)
    __float__ = new_method_proxy(float)
    __index__ = new_method_proxy(operator.index)
    __mod__ = new_method_proxy(operator.mod)
    __le__ = new_method_proxy(operator.le)
    __ge__ = new_method_proxy(operator.ge)


def cart(request):
    """What every page's header shows: the shop's name and how many items the cart holds.

    The count is read (one query) only by a page that shows it: the admin's pages do not.
    """
    return {"shop_name": settings.SHOP_NAME, "cart_count": _LazyCount(lambda: Cart(request).count())}

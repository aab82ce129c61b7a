from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, NotFound


class CartProductUnavailable(NotFound):
    code = "product_unavailable"
    default_message = _("This product is no longer sold.")


class CartProductOutOfStock(Conflict):
    code = "out_of_stock"
    default_message = _("This product is out of stock.")


class CartLineNotFound(NotFound):
    code = "cart_line_not_found"
    default_message = _("This product is not in your cart.")

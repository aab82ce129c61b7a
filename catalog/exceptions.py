from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, NotFound, ValidationError


class ProductUnavailable(NotFound):
    code = "product_unavailable"
    default_message = _("This product is not available.")


class OutOfStock(Conflict):
    code = "out_of_stock"
    default_message = _("Not enough stock.")


class InvalidStockChange(ValidationError):
    code = "invalid_stock_change"

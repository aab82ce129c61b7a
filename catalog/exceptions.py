from core.exceptions import Conflict, NotFound, ValidationError


class ProductUnavailable(NotFound):
    code = "product_unavailable"
    default_message = "This product is not available."


class OutOfStock(Conflict):
    code = "out_of_stock"
    default_message = "Not enough stock."


class InvalidStockChange(ValidationError):
    code = "invalid_stock_change"

from core.exceptions import ValidationError


class InvalidDelivery(ValidationError):
    code = "invalid_delivery"

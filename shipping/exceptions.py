from core.exceptions import Conflict, ValidationError


class ShipmentStateError(Conflict):
    code = "shipment_state"


class InvalidDelivery(ValidationError):
    code = "invalid_delivery"

from core.exceptions import Conflict
from directory.exceptions import InvalidDelivery  # noqa: F401  (its old home; import it from directory)


class ShipmentStateError(Conflict):
    code = "shipment_state"

"""Nova Poshta (API 2.0, JSON): a thin client and the Carrier adapter built on it.

parsing     NP's value formats (numbers as strings, hryvnias, weights, dates)
client      NovaPoshtaClient: the envelope, the throttle, every failure as a CarrierError
directory   getCities / getWarehouses rows as carrier-neutral values (shared with the sandbox)
carrier     NovaPoshtaCarrier: waybills, reconciliation, tracking, labels
"""

from shipping.carriers.novaposhta.carrier import PRINT_FORMS, NovaPoshtaCarrier
from shipping.carriers.novaposhta.client import (
    API_URL,
    AUTH_FAIL_CODE,
    PRINT_URL,
    PROCESS_THROTTLE,
    TRACK_BATCH_LIMIT,
    TRANSIENT_CODES,
    NovaPoshtaClient,
    Throttle,
)
from shipping.carriers.novaposhta.directory import city_from_row, warehouse_from_row, warehouse_kind
from shipping.carriers.novaposhta.parsing import (
    KYIV,
    format_date,
    hryvnias,
    kyiv_today,
    parse_date,
    parse_datetime,
    parse_int,
    parse_kopiyky,
    weight_kg,
)

__all__ = [
    "API_URL",
    "AUTH_FAIL_CODE",
    "KYIV",
    "PRINT_FORMS",
    "PRINT_URL",
    "PROCESS_THROTTLE",
    "TRACK_BATCH_LIMIT",
    "TRANSIENT_CODES",
    "NovaPoshtaCarrier",
    "NovaPoshtaClient",
    "Throttle",
    "city_from_row",
    "format_date",
    "hryvnias",
    "kyiv_today",
    "parse_date",
    "parse_datetime",
    "parse_int",
    "parse_kopiyky",
    "warehouse_from_row",
    "warehouse_kind",
    "weight_kg",
]

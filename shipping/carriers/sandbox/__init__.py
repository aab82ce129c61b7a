"""Sandbox: a built-in carrier for local runs and demos without a Nova Poshta API key.

directory   the built-in cities and branches, in Nova Poshta's row shapes
pdf         a minimal hand-written PDF for its labels
carrier     SandboxCarrier: waybills and parcels that move through NP's status codes with time
"""

from shipping.carriers.sandbox.carrier import (
    COD_PATH,
    NORMAL_PATH,
    REFUSAL_PATH,
    REFUSING_PHONES,
    RETURN_PATH,
    STATUS_TEXT,
    SandboxCarrier,
)
from shipping.carriers.sandbox.directory import (
    CITY_ROWS,
    DNIPRO_REF,
    KHARKIV_REF,
    KYIV_REF,
    LVIV_REF,
    ODESA_REF,
    SETTLEMENT_REFS,
    WAREHOUSE_ROWS,
)
from shipping.carriers.sandbox.pdf import PAGE_SIZES, simple_pdf

__all__ = [
    "CITY_ROWS",
    "COD_PATH",
    "DNIPRO_REF",
    "KHARKIV_REF",
    "KYIV_REF",
    "LVIV_REF",
    "NORMAL_PATH",
    "ODESA_REF",
    "PAGE_SIZES",
    "REFUSAL_PATH",
    "REFUSING_PHONES",
    "RETURN_PATH",
    "SETTLEMENT_REFS",
    "STATUS_TEXT",
    "WAREHOUSE_ROWS",
    "SandboxCarrier",
    "simple_pdf",
]

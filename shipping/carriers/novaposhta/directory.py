"""Nova Poshta's directory rows (getCities, getWarehouses) as carrier-neutral values.

Shared with the sandbox carrier, which serves the same row shapes from its built-in copy.
"""

from shipping.carriers.base import City, Warehouse
from shipping.carriers.novaposhta.parsing import parse_int

# §5.3: Address.getWarehouseTypes refs (verified live by a third party).
CARGO_TYPE_REF = "9a68df70-0267-42a8-bb5c-37f427e36ee4"  # "Вантажне відділення"
POSTOMAT_TYPE_REFS = frozenset(
    {
        "f9316480-5f2d-425d-bc2c-ac7cd29decf0",  # "Поштомат"
        "95dc212d-479c-4ffb-a8ab-8c1b9073d0bc",  # "Поштомат ПриватБанку" (withdrawn)
    }
)


# --- directory mapping (shared with the sandbox, which serves the same rows) -------------------


def city_from_row(row: dict) -> City:
    """A getCities row; its `Ref` is the CITY Ref (searchSettlements' `Ref` is not, §5.1)."""
    return City(
        ref=row["Ref"],
        name=row.get("Description", ""),
        area=row.get("AreaDescription", ""),
        settlement_type=row.get("SettlementTypeDescription", ""),
    )


def warehouse_kind(row: dict) -> str:
    """`parcel_locker` (Поштомат), `cargo` (Вантажне відділення) or `branch` (§5.3)."""
    type_ref = row.get("TypeOfWarehouse", "")
    category = str(row.get("CategoryOfWarehouse", "")).lower()
    description = str(row.get("Description", ""))
    if type_ref in POSTOMAT_TYPE_REFS or category == "postomat" or "Поштомат" in description:
        return "parcel_locker"
    if type_ref == CARGO_TYPE_REF:
        return "cargo"
    return "branch"


def warehouse_from_row(row: dict) -> Warehouse:
    """A getWarehouses row; `CityRef` is the city, `SettlementRef` is deliberately ignored."""
    # §5.3: the per-parcel limit is PlaceMaxWeightAllowed; "0" means "no limit stated".
    max_weight = parse_int(row.get("PlaceMaxWeightAllowed")) or parse_int(row.get("TotalMaxWeightAllowed")) or None
    return Warehouse(
        ref=row["Ref"],
        city_ref=row.get("CityRef", ""),
        number=str(row.get("Number", "")),
        name=row.get("Description", ""),
        kind=warehouse_kind(row),
        max_weight_kg=max_weight,
        is_active=row.get("WarehouseStatus", "Working") == "Working" and str(row.get("DenyToSelect", "0")) != "1",
    )

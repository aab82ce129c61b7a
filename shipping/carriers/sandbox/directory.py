"""The sandbox's built-in city and branch directory, in Nova Poshta's own row shapes."""

import uuid

NAMESPACE = uuid.UUID("5b1f3c0e-7f47-4c55-9a53-2b3d9d5a0c11")  # sandbox Refs and synthetic directory Refs


def _ref(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


# --- the built-in directory, in Nova Poshta's own row shapes ----------------------------------
# Kyiv's and Lviv's city Refs are NP's real ones (reference §4.2, §5.2); the other cities' are
# believed real; settlement and branch Refs are synthetic except Kyiv branch №1 (§5.3).

KYIV_REF = "8d5a980d-391c-11dd-90d9-001a92567626"
LVIV_REF = "db5c88f5-391c-11dd-90d9-001a92567626"
ODESA_REF = "db5c88d0-391c-11dd-90d9-001a92567626"
KHARKIV_REF = "db5c88e0-391c-11dd-90d9-001a92567626"
DNIPRO_REF = "db5c88f0-391c-11dd-90d9-001a92567626"

CARGO = "9a68df70-0267-42a8-bb5c-37f427e36ee4"
POSTAL = "841339c7-591a-42e2-8233-7a0a00f0ed6f"
POSTOMAT = "f9316480-5f2d-425d-bc2c-ac7cd29decf0"


def _city(ref: str, name: str, area: str, city_id: str) -> dict:
    return {
        "Ref": ref,
        "Description": name,
        "DescriptionRu": "",
        "AreaDescription": area,
        "SettlementTypeDescription": "місто",
        "CityID": city_id,
        "IsBranch": "0",
    }


CITY_ROWS = [
    _city(KYIV_REF, "Київ", "Київська", "4"),
    _city(LVIV_REF, "Львів", "Львівська", "8"),
    _city(ODESA_REF, "Одеса", "Одеська", "5"),
    _city(KHARKIV_REF, "Харків", "Харківська", "3"),
    _city(DNIPRO_REF, "Дніпро", "Дніпропетровська", "1"),
]
# The settlement Refs (searchSettlements' `Ref`, getWarehouses' `SettlementRef`) differ from
# the city Refs; only Kyiv's is real (§5.1).
SETTLEMENT_REFS = {
    KYIV_REF: "e718a680-4b33-11e4-ab6d-005056801329",
    LVIV_REF: _ref("settlement:lviv"),
    ODESA_REF: _ref("settlement:odesa"),
    KHARKIV_REF: _ref("settlement:kharkiv"),
    DNIPRO_REF: _ref("settlement:dnipro"),
}
_CITY_NAME = {row["Ref"]: row["Description"] for row in CITY_ROWS}


def _warehouse(city_ref: str, number: str, address: str, type_ref: str, *, ref: str = "", working=True) -> dict:
    locker = type_ref == POSTOMAT
    small = type_ref == POSTAL
    if locker:
        description = f'Поштомат "Нова Пошта" №{number}: {address}'
    elif small:
        description = f"Відділення №{number} (до 30 кг): {address}"
    else:
        description = f"Відділення №{number}: {address}"
    return {
        "Ref": ref or _ref(f"warehouse:{city_ref}:{number}"),
        "SiteKey": str(10000 + int(number) % 10000),
        "Description": description,
        "ShortAddress": f"{_CITY_NAME[city_ref]}, {address}",
        "TypeOfWarehouse": type_ref,
        "CategoryOfWarehouse": "Postomat" if locker else "Branch",
        "Number": number,
        "CityRef": city_ref,
        "CityDescription": _CITY_NAME[city_ref],
        "SettlementRef": SETTLEMENT_REFS[city_ref],
        "TotalMaxWeightAllowed": "0",
        "PlaceMaxWeightAllowed": "20" if locker else "30" if small else "1100",
        "WarehouseStatus": "Working" if working else "Closed",
        "DenyToSelect": "0",
        "CanGetMoneyTransfer": "0" if locker else "1",
        "PostMachineType": "FullDayService" if locker else "",
    }


WAREHOUSE_ROWS = [
    _warehouse(KYIV_REF, "1", "вул. Пирогівський шлях, 135", CARGO, ref="1ec09d88-e1c2-11e3-8c4a-0050568002cf"),
    _warehouse(KYIV_REF, "2", "вул. Богатирська, 11", POSTAL),
    _warehouse(KYIV_REF, "3", "вул. Слобожанська, 13", POSTAL),
    _warehouse(KYIV_REF, "5501", "вул. Хрещатик, 22 (біля входу)", POSTOMAT),
    _warehouse(LVIV_REF, "1", "вул. Городоцька, 359", CARGO),
    _warehouse(LVIV_REF, "2", "вул. Пасічна, 168", POSTAL),
    _warehouse(LVIV_REF, "3", "вул. Шевченка, 60", POSTAL),
    _warehouse(LVIV_REF, "7201", "просп. Свободи, 1 (супермаркет)", POSTOMAT),
    _warehouse(ODESA_REF, "1", "вул. Базова, 16", CARGO),
    _warehouse(ODESA_REF, "2", "вул. Дерибасівська, 1", POSTAL),
    _warehouse(KHARKIV_REF, "1", "вул. Польова, 67", CARGO),
    _warehouse(KHARKIV_REF, "2", "вул. Сумська, 10", POSTAL, working=False),
    _warehouse(DNIPRO_REF, "1", "вул. Маршала Малиновського, 114", CARGO),
    _warehouse(DNIPRO_REF, "2", "просп. Дмитра Яворницького, 50", POSTAL),
]

"""Sandbox: a built-in carrier for local runs and demos without a Nova Poshta API key.

It plays Nova Poshta's side: waybills get 14-digit TTNs (2045…), parcels move through NP's
status codes as time passes (1 created -> 4 in the sender's city -> 7 at the branch -> 9
received; cash-on-delivery parcels end 10 -> 11 as the money travels), a few demo recipients
refuse (102, with a return waybill that travels back on its own), labels are real PDFs, and
the city and branch directory is a small built-in copy. Its "carrier state" lives in the
Django cache (keys "sandbox-carrier:…"), as a real carrier's would live on its side, so a
worker that crashed after creating a waybill finds it again through `find_waybills`.

Numbers and Refs are derived from (marker, n-th waybill for that marker), so they are
stable; a flushed cache starts the count again.
"""

import hashlib
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

from shipping.carriers.base import (
    Carrier,
    CarrierError,
    City,
    ParcelEvent,
    Warehouse,
    Waybill,
    WaybillRequest,
)
from shipping.carriers.novaposhta import (
    KYIV,
    city_from_row,
    kyiv_today,
    warehouse_from_row,
)
from shipping.carriers.novaposhta.statuses import parcel_event
from shipping.carriers.sandbox.directory import CITY_ROWS, WAREHOUSE_ROWS, _ref
from shipping.carriers.sandbox.pdf import PAGE_SIZES, simple_pdf

KEY_PREFIX = "sandbox-carrier:"
STATE_TTL = 60 * 24 * 3600

NORMAL_PATH = (1, 4, 7, 9)
COD_PATH = (1, 4, 7, 10, 11)
REFUSAL_PATH = (1, 4, 7, 102)
RETURN_PATH = (5, 7, 9)  # the return waybill, from the moment the recipient refused
# Demo recipients who refuse their parcel, to show returns end to end.
REFUSING_PHONES = frozenset({"380670000102", "380500000102"})

STATUS_TEXT = {
    1: "Відправник самостійно створив цю накладну, але ще не надав до відправки",
    2: "Видалено",
    3: "Номер не знайдено",
    4: "Відправлення у місті відправника",
    5: "Відправлення прямує до міста одержувача",
    7: "Прибув на відділення",
    9: "Відправлення отримано",
    10: "Відправлення отримано. Грошовий переказ прямує до відправника",
    11: "Відправлення отримано. Грошовий переказ видано одержувачу",
    102: "Відмова одержувача (створено заявку на повернення)",
}
RECEIVED_CODES = frozenset({9, 10, 11})


# --- the carrier ------------------------------------------------------------------------------


class SandboxCarrier(Carrier):
    code = "sandbox"

    def __init__(self, *, now: Callable[[], datetime] | None = None, seconds_per_step: float = 120):
        self._now = now or timezone.now
        self.seconds_per_step = seconds_per_step

    # --- state in the cache ---

    @staticmethod
    def _key(*parts: str) -> str:
        return KEY_PREFIX + ":".join(parts)

    def _load(self, ref: str) -> dict | None:
        return cache.get(self._key("doc", ref))

    def _store(self, doc: dict) -> None:
        cache.set(self._key("doc", doc["ref"]), doc, STATE_TTL)
        cache.set(self._key("number", doc["number"]), doc["ref"], STATE_TTL)

    def _by_number(self, number: str) -> dict | None:
        ref = cache.get(self._key("number", number))
        return self._load(ref) if ref else None

    @staticmethod
    def _number(seed: str) -> str:
        return "2045" + f"{int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 10**10:010d}"

    def _timestamp(self) -> float:
        return self._now().timestamp()

    # --- how a parcel moves ---

    def _status(self, doc: dict, at: float) -> tuple[int, float | None]:
        """The status code at `at`, and when the parcel was received (if it was)."""
        if doc.get("deleted_at") is not None:
            return 2, None
        path = doc["path"]
        step = int(max(at - doc["created_at"], 0) // self.seconds_per_step)
        index = min(step, len(path) - 1)
        received_at = None
        for i, code in enumerate(path[: index + 1]):
            if code in RECEIVED_CODES:
                received_at = doc["created_at"] + i * self.seconds_per_step
                break
        return path[index], received_at

    def _return_number(self, doc: dict, at: float) -> str:
        """Create the return waybill the moment a refusing recipient refuses."""
        status, _ = self._status(doc, at)
        if status != 102:
            return ""
        number = self._number(f"return:{doc['number']}")
        if self._by_number(number) is None:
            refused_at = doc["created_at"] + doc["path"].index(102) * self.seconds_per_step
            self._store(
                {
                    "ref": _ref(f"return:{doc['ref']}"),
                    "number": number,
                    "marker": "",
                    "created_at": refused_at,
                    "send_date": datetime.fromtimestamp(refused_at, tz=KYIV).date().isoformat(),
                    "path": list(RETURN_PATH),
                    "cost": doc["cost"],
                    "estimated_delivery": None,
                    "deleted_at": None,
                    "weight_grams": doc["weight_grams"],
                    "recipient_phone": doc["sender_phone"],
                    "sender_phone": doc["recipient_phone"],
                }
            )
        return number

    # --- Carrier ---

    def create_waybill(self, request: WaybillRequest) -> Waybill:
        self._validate(request)
        now = self._now()
        today = kyiv_today(now)
        send_date = max(request.send_date or today, today)
        seq_key = self._key("marker", request.marker)
        cache.add(seq_key, 0, STATE_TTL)
        seq = cache.incr(seq_key)
        seed = f"{request.marker}#{seq}"
        if request.recipient_phone in REFUSING_PHONES:
            path = REFUSAL_PATH
        elif request.cod_amount > 0:
            path = COD_PATH
        else:
            path = NORMAL_PATH
        same_city = request.sender.city_ref == request.recipient_city_ref
        doc = {
            "ref": _ref(seed),
            "number": self._number(seed),
            "marker": request.marker,
            "created_at": now.timestamp(),
            "send_date": send_date.isoformat(),
            "path": list(path),
            "cost": self._tariff(request),
            "estimated_delivery": (send_date + timedelta(days=1 if same_city else 2)).isoformat(),
            "deleted_at": None,
            "weight_grams": request.weight_grams,
            "recipient_phone": request.recipient_phone,
            "sender_phone": request.sender.phone,
        }
        self._store(doc)
        return self._waybill(doc)

    def find_waybills(self, *, marker: str, date_from: date, date_to: date) -> list[Waybill]:
        count = cache.get(self._key("marker", marker)) or 0
        found = []
        for seq in range(1, count + 1):
            doc = self._load(_ref(f"{marker}#{seq}"))
            if doc is None or doc.get("deleted_at") is not None:
                continue
            if date_from <= date.fromisoformat(doc["send_date"]) <= date_to:
                found.append(self._waybill(doc))
        return found

    def delete_waybill(self, *, ref: str) -> None:
        doc = self._load(ref)
        if doc is None or doc.get("deleted_at") is not None:
            raise CarrierError("Sandbox: InternetDocument not found", transient=False, codes=("20000200205",))
        at = self._timestamp()
        status, _ = self._status(doc, at)
        if status != 1:
            raise CarrierError(
                f"Sandbox: waybill {doc['number']} is already on its way (status {status})",
                transient=False,
                codes=("20000200153",),
            )
        doc["deleted_at"] = at
        self._store(doc)

    def track(self, *, numbers: list[str], phone: str) -> list[ParcelEvent]:
        if len(numbers) > 100:
            raise ValueError(f"Nova Poshta tracks at most 100 waybills per call, got {len(numbers)}")
        at = self._timestamp()
        infos = []
        for number in numbers:
            doc = self._by_number(number)
            if doc is None:
                infos.append(parcel_event(number=number, code=3, text=STATUS_TEXT[3]))
                continue
            status, received_at = self._status(doc, at)
            return_number = self._return_number(doc, at)
            actual = datetime.fromtimestamp(received_at, tz=KYIV) if received_at is not None else None
            raw = {
                "Number": number,
                "StatusCode": str(status),
                "Status": STATUS_TEXT[status],
                "ClientBarcode": doc["marker"],
                "LastCreatedOnTheBasisNumber": return_number,
                "ActualDeliveryDate": actual.strftime("%Y-%m-%d %H:%M:%S") if actual else "",
            }
            infos.append(
                parcel_event(
                    number=number,
                    code=status,
                    text=STATUS_TEXT[status],
                    delivered_at=actual,
                    return_number=return_number,
                    raw=raw,
                )
            )
        return infos

    def label_pdf(self, *, refs: list[str], layout: str) -> bytes:
        if layout not in PAGE_SIZES:
            raise ValueError(f"Unknown label layout {layout!r}; use one of {', '.join(PAGE_SIZES)}")
        if not refs:
            raise ValueError("No waybills to print")
        pages = []
        for ref in refs:
            doc = self._load(ref)
            if doc is None:
                raise CarrierError("Sandbox: InternetDocument not found", transient=False, codes=("20000200205",))
            pages.append(
                [
                    "Nova Poshta - SANDBOX, not a real waybill",
                    f"TTN {doc['number']}",
                    f"Order {doc['marker']}",
                    f"Weight {doc['weight_grams'] / 1000:.3f} kg",
                    f"Send date {date.fromisoformat(doc['send_date']).strftime('%d.%m.%Y')}",
                ]
            )
        width, height = PAGE_SIZES[layout]
        return simple_pdf(pages, width=width, height=height)

    def cities(self, *, page: int, page_size: int) -> list[City]:
        return [city_from_row(row) for row in _page(CITY_ROWS, page, page_size)]

    def warehouses(self, *, page: int, page_size: int) -> list[Warehouse]:
        return [warehouse_from_row(row) for row in _page(WAREHOUSE_ROWS, page, page_size)]

    # --- helpers ---

    @staticmethod
    def _validate(request: WaybillRequest) -> None:
        """Refuse what Nova Poshta would refuse, with its error codes (§1.3)."""
        phone = request.recipient_phone
        if not (len(phone) == 12 and phone.isdigit() and phone.startswith("380")):
            raise CarrierError("Sandbox: RecipientsPhone invalid format", transient=False, codes=("20000300434",))
        if request.weight_grams <= 0:
            raise CarrierError("Sandbox: Weight is invalid", transient=False, codes=("20000200373",))
        if not request.marker or len(request.marker) > 36:
            raise CarrierError("Sandbox: InfoRegClientBarcodes is too long", transient=False, codes=("20000200189",))
        if not request.recipient_city_ref:
            raise CarrierError("Sandbox: CityRecipient not found", transient=False, codes=("20000200103",))

    @staticmethod
    def _tariff(request: WaybillRequest) -> int:
        """A made-up but plausible price in kopiyky: 70 ₴ up to 2 kg, 10 ₴ per extra kg, CoD fee."""
        extra_kg = max(0, -(-request.weight_grams // 1000) - 2)
        cost = 7000 + extra_kg * 1000
        if request.cod_amount > 0:
            cost += 2000 + request.cod_amount * 2 // 100
        return cost

    def _waybill(self, doc: dict) -> Waybill:
        status, _ = self._status(doc, self._timestamp())
        return Waybill(
            ref=doc["ref"],
            number=doc["number"],
            cost=doc["cost"],
            estimated_delivery=date.fromisoformat(doc["estimated_delivery"]) if doc["estimated_delivery"] else None,
            marker=doc["marker"],
            status_code=status,
            created_at=datetime.fromtimestamp(doc["created_at"], tz=KYIV),
        )


def _page(rows: list[dict], page: int, page_size: int) -> list[dict]:
    start = (max(page, 1) - 1) * page_size
    return rows[start : start + page_size]

"""Nova Poshta (API 2.0, JSON): a thin client and the Carrier adapter built on it.

Everything here follows docs/reference notes in /work/shared/reference/novaposhta.md (section
numbers below point there). Two rules shape the code:

* `InternetDocument.save` is not idempotent and NP has no idempotency key, so no call is ever
  retried at the HTTP layer. A timeout, 5xx, 429, dropped connection or non-JSON answer is a
  *transient* CarrierError; for a save that means "outcome unknown" and the caller reconciles
  with `find_waybills` (our order number travels in `InfoRegClientBarcodes`) before retrying.
* The API key is a bearer secret. It goes in the JSON body of API calls; the label URLs of
  my.novaposhta.ua carry it in the path, so those are built only inside `label_pdf`, fetched
  server-side, and never logged, returned or put into an exception.
"""

import logging
import math
import re
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import requests
from requests.adapters import HTTPAdapter

from shipping.carriers.base import (
    Carrier,
    CarrierError,
    City,
    TrackingInfo,
    Warehouse,
    Waybill,
    WaybillRequest,
)

logger = logging.getLogger(__name__)

KYIV = ZoneInfo("Europe/Kyiv")
API_URL = "https://api.novaposhta.ua/v2.0/json/"
PRINT_URL = "https://my.novaposhta.ua/orders/"
TRACK_BATCH_LIMIT = 100  # §4: "up to 100 shipments per call"

# §1.3: codes that mean "NP could not serve this right now"; retrying later may succeed.
TRANSIENT_CODES = frozenset({"20000100016", "20001400980", "20001701795", "20000101696"})
AUTH_FAIL_CODE = "20000200068"
# §6: NP's own spelling is "To many requests"; match the correct spelling too.
RATE_LIMIT_TEXT = re.compile(r"too? many requests", re.IGNORECASE)
TRANSIENT_HTTP_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})

# §5.3: Address.getWarehouseTypes refs (verified live by a third party).
CARGO_TYPE_REF = "9a68df70-0267-42a8-bb5c-37f427e36ee4"  # "Вантажне відділення"
POSTOMAT_TYPE_REFS = frozenset(
    {
        "f9316480-5f2d-425d-bc2c-ac7cd29decf0",  # "Поштомат"
        "95dc212d-479c-4ffb-a8ab-8c1b9073d0bc",  # "Поштомат ПриватБанку" (withdrawn)
    }
)
PRINT_FORMS = {
    # layout -> (print method, URL suffix); §3.3, legacy my.novaposhta.ua URLs
    "100x100": ("printMarking100x100", "/zebra"),
    "a4": ("printDocument", ""),
}

# §4.2: every tracking date field has its own format.
DATETIME_FORMATS = (
    "%d-%m-%Y %H:%M:%S",  # DateCreated, ScheduledDeliveryDate
    "%Y-%m-%d %H:%M:%S",  # ActualDeliveryDate, TrackingUpdateDate
    "%d.%m.%Y %H:%M:%S",  # RecipientDateTime
    "%H:%M %d.%m.%Y",  # DateScan
    "%Y-%m-%dT%H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d-%m-%Y %H:%M",
    "%Y-%m-%d %H:%M",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%Y-%m-%d",  # DateFirstDayStorage
)


# --- parsing helpers: NP sends numbers as strings, sometimes as numbers ----------------------


def parse_int(value, default: int | None = None) -> int | None:
    """An integer from "9", 9, "9.0" or 9.5 (truncated); `default` when empty or not a number."""
    if value is None or isinstance(value, bool):
        return default
    try:
        return int(Decimal(str(value).strip()))
    except (InvalidOperation, ValueError):
        return default


def parse_kopiyky(value) -> int | None:
    """Hryvnias as NP sends them ("45", 45, "45.50") -> kopiyky; None when empty."""
    if value is None or isinstance(value, bool) or str(value).strip() == "":
        return None
    try:
        return int((Decimal(str(value).strip().replace(",", ".")) * 100).to_integral_value())
    except (InvalidOperation, ValueError):
        return None


def parse_datetime(value) -> datetime | None:
    """A tracking timestamp in any of NP's formats, as a Kyiv-aware datetime; None when empty."""
    text = str(value or "").strip()
    if not text or text.startswith("0000") or text.startswith("00.00") or text.startswith("00-00"):
        return None
    for fmt in DATETIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=KYIV)
        except ValueError:
            continue
    logger.warning("Nova Poshta sent a date in an unknown format: %r", text)
    return None


def parse_date(value) -> date | None:
    parsed = parse_datetime(value)
    return parsed.date() if parsed else None


def format_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def kyiv_today(now: datetime | None = None) -> date:
    return (now or datetime.now(tz=KYIV)).astimezone(KYIV).date()


def hryvnias(kopiyky: int) -> str:
    """Kopiyky as NP's money string: 50000 -> "500", 49999 -> "499.99"."""
    whole, cents = divmod(kopiyky, 100)
    return str(whole) if cents == 0 else f"{whole}.{cents:02d}"


def weight_kg(grams: int) -> str:
    """Grams as NP's weight string in kg; NP's minimum is 0.1 kg (§2.1)."""
    return format(Decimal(max(grams, 100)) / 1000, "f")


def _join_errors(errors) -> str:
    """NP's `errors` as one line: it may be a list, a dict (keyed per field) or a string (§1.2)."""
    if not errors:
        return ""
    if isinstance(errors, str):
        return errors
    if isinstance(errors, dict):
        return "; ".join(f"{key}: {value}" for key, value in errors.items())
    if isinstance(errors, list | tuple):
        return "; ".join(_join_errors(item) for item in errors if item)
    return str(errors)


def _codes(raw) -> tuple[str, ...]:
    if not raw:
        return ()
    if isinstance(raw, dict):
        raw = list(raw.values())
    if not isinstance(raw, list | tuple):
        raw = [raw]
    return tuple(str(code) for code in raw if str(code).strip())


# --- throttling ---------------------------------------------------------------------------------


class Throttle:
    """Space calls at least `min_interval` seconds apart across every thread that shares it.

    A caller reserves the next free slot under the lock and sleeps outside it, so waiting
    threads queue up in order instead of all firing when one slot frees.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_free: float | None = None

    def wait(self, min_interval: float) -> float:
        """Block until this caller may call; return the seconds it slept."""
        with self._lock:
            now = self._clock()
            start = now if self._next_free is None else max(now, self._next_free)
            self._next_free = start + min_interval
        delay = start - now
        if delay > 0:
            self._sleep(delay)
        return max(delay, 0.0)


# One per process: NP rate-limits per key, and every client in this process shares it.
PROCESS_THROTTLE = Throttle()


class _RedactApiKeyPaths(logging.Filter):
    """urllib3 logs request paths at DEBUG; label URLs carry the key there, so mask it."""

    pattern = re.compile(r"(/apiKey/)[^/\s\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any("/apiKey/" in str(arg) for arg in record.args):
            record.args = tuple(self.pattern.sub(r"\1***", arg) if isinstance(arg, str) else arg for arg in record.args)
        if isinstance(record.msg, str) and "/apiKey/" in record.msg:
            record.msg = self.pattern.sub(r"\1***", record.msg)
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactApiKeyPaths())


# --- the client ---------------------------------------------------------------------------------


class NovaPoshtaClient:
    """POST the API 2.0 envelope and turn every failure into a CarrierError (§1)."""

    def __init__(
        self,
        api_key: str,
        base_url: str = API_URL,
        timeout: tuple[float, float] = (5, 30),
        min_interval: float = 0.2,
        *,
        print_url: str = PRINT_URL,
        throttle: Throttle | None = None,
    ):
        self._api_key = api_key
        self.base_url = base_url
        self.print_url = print_url
        self.timeout = timeout
        self.min_interval = min_interval
        self.throttle = throttle or PROCESS_THROTTLE
        self.session = requests.Session()
        # Never retry at the HTTP layer: a retried `save` is a duplicate waybill (§6).
        self.session.mount("http://", HTTPAdapter(max_retries=0))
        self.session.mount("https://", HTTPAdapter(max_retries=0))

    def __repr__(self) -> str:
        return f"NovaPoshtaClient(base_url={self.base_url!r})"  # never the key

    def call(self, model: str, method: str, properties: dict | None = None) -> list:
        """Call `model.method` and return its `data` list; raise CarrierError on any failure."""
        what = f"{model}.{method}"
        envelope = {
            "apiKey": self._api_key,
            "modelName": model,
            "calledMethod": method,
            "methodProperties": properties or {},
        }
        self.throttle.wait(self.min_interval)
        started = time.monotonic()
        try:
            response = self.session.post(self.base_url, json=envelope, timeout=self.timeout)
        except requests.Timeout:
            raise CarrierError(f"Nova Poshta did not answer {what} in time", transient=True, codes=("timeout",))
        except requests.RequestException as exc:
            raise CarrierError(
                f"Could not reach Nova Poshta for {what}: {exc.__class__.__name__}",
                transient=True,
                codes=("unreachable",),
            )
        logger.info("Nova Poshta %s: HTTP %s in %.2f s", what, response.status_code, time.monotonic() - started)
        self._raise_for_http_status(response, what)
        try:
            answer = response.json()
        except ValueError:
            raise CarrierError(
                f"Nova Poshta answered {what} with something that is not JSON", transient=True, codes=("not_json",)
            )
        # §6: an unauthenticated answer sometimes comes wrapped in an extra list.
        if isinstance(answer, list) and len(answer) == 1 and isinstance(answer[0], dict):
            answer = answer[0]
        if not isinstance(answer, dict):
            raise CarrierError(
                f"Nova Poshta answered {what} with an unexpected shape", transient=True, codes=("bad_shape",)
            )
        if answer.get("success") is not True:
            raise self._refusal(answer, what)
        data = answer.get("data")
        if data is None:
            return []
        return data if isinstance(data, list) else [data]

    def fetch_pdf(self, url: str, what: str) -> bytes:
        """GET a PDF; `url` may carry the key, so it never reaches a message or a log line."""
        self.throttle.wait(self.min_interval)
        try:
            response = self.session.get(url, timeout=self.timeout)
        except requests.Timeout:
            raise CarrierError(f"Nova Poshta did not send {what} in time", transient=True, codes=("timeout",)) from None
        except requests.RequestException as exc:
            # requests' own message quotes the URL, so neither it nor the cause is kept.
            raise CarrierError(
                f"Could not reach Nova Poshta for {what}: {exc.__class__.__name__}",
                transient=True,
                codes=("unreachable",),
            ) from None
        self._raise_for_http_status(response, what)
        body = response.content
        if not body.startswith(b"%PDF"):
            # A login page or an error page instead of the file: try again later, then alert.
            raise CarrierError(f"Nova Poshta sent {what} that is not a PDF", transient=True, codes=("not_pdf",))
        return body

    def _raise_for_http_status(self, response: requests.Response, what: str) -> None:
        status = response.status_code
        if status == 401:
            raise CarrierError(f"Nova Poshta refused the API key ({what})", transient=False, codes=(AUTH_FAIL_CODE,))
        if status in TRANSIENT_HTTP_STATUS or status >= 500:
            raise CarrierError(
                f"Nova Poshta answered {what} with HTTP {status}", transient=True, codes=(f"http_{status}",)
            )
        if status >= 400:
            raise CarrierError(
                f"Nova Poshta refused {what} with HTTP {status}", transient=False, codes=(f"http_{status}",)
            )

    def _refusal(self, answer: dict, what: str) -> CarrierError:
        """Classify `success: false` (§1.3): service trouble and rate limits are transient."""
        codes = _codes(answer.get("errorCodes"))
        text = _join_errors(answer.get("errors")) or f"no error text (codes {', '.join(codes) or 'none'})"
        transient = bool(TRANSIENT_CODES.intersection(codes)) or bool(RATE_LIMIT_TEXT.search(text))
        message = f"Nova Poshta refused {what}: {text}"
        if self._api_key:
            message = message.replace(self._api_key, "***")
        logger.warning("Nova Poshta refused %s: codes %s, transient %s", what, ",".join(codes) or "-", transient)
        return CarrierError(message, transient=transient, codes=codes)


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


# --- the carrier --------------------------------------------------------------------------------


class NovaPoshtaCarrier(Carrier):
    """Waybills warehouse-to-warehouse, paid by the recipient in cash, as parcels.

    Recipient: §2.3's "new address" mode (`NewAddress: "1"`, `RecipientType: PrivatePerson`,
    `RecipientName`, `RecipientsPhone`) needs no counterparty or contact-person Refs, so a
    waybill is one call. Instead of the city name and branch number (ambiguous: two villages
    share a name, §2.3 warning) it carries the Refs we already hold: `CityRecipient` /
    `RecipientAddress` as in §2.2, and the same Refs in `RecipientCityName` /
    `RecipientAddressName` (typed as Refs in platx/go-nova-poshta's WarehouseSaveReq).
    ⚠ Verify once against a real key; the fallback is §2.2 with a cached Counterparty.save.

    Cash on delivery: `cod_mode="backward_delivery"` (default) sends BackwardDeliveryData with
    Money paid by the recipient, which every sender can use; `"payment_control"` sends
    AfterpaymentOnGoodsCost instead, for senders with "Контроль оплати" enabled. Never both
    (§2.4, daaner).
    """

    code = "novaposhta"

    def __init__(
        self,
        client: NovaPoshtaClient,
        *,
        cod_mode: str = "backward_delivery",
        now: Callable[[], datetime] | None = None,
    ):
        if cod_mode not in ("backward_delivery", "payment_control"):
            raise ValueError(f"Unknown cod_mode {cod_mode!r}")
        self.client = client
        self.cod_mode = cod_mode
        self._now = now or (lambda: datetime.now(tz=KYIV))

    def save_properties(self, request: WaybillRequest) -> dict:
        """The methodProperties of InternetDocument.save for this request."""
        sender = request.sender
        today = kyiv_today(self._now())
        # §0: DateTime is a Kyiv date and never in the past (20000400455).
        send_date = max(request.send_date or today, today)
        properties = {
            "PayerType": "Recipient",
            "PaymentMethod": "Cash",
            "DateTime": format_date(send_date),
            "CargoType": "Parcel",
            "Weight": weight_kg(request.weight_grams),
            "ServiceType": "WarehouseWarehouse",
            "SeatsAmount": str(request.seats),
            "Description": sender.description,
            # §2.1: Cost is an integer; round up so the declared value never falls short.
            "Cost": str(math.ceil(request.declared_value / 100)),
            "CitySender": sender.city_ref,
            "Sender": sender.counterparty_ref,
            "SenderAddress": sender.warehouse_ref,
            "ContactSender": sender.contact_ref,
            "SendersPhone": sender.phone,
            "NewAddress": "1",
            "RecipientType": "PrivatePerson",
            "RecipientName": request.recipient_name,
            "RecipientsPhone": request.recipient_phone,
            "CityRecipient": request.recipient_city_ref,
            "RecipientAddress": request.recipient_warehouse_ref,
            "RecipientCityName": request.recipient_city_ref,
            "RecipientAddressName": request.recipient_warehouse_ref,
            "RecipientArea": "",
            "RecipientAreaRegions": "",
            "RecipientHouse": "",
            "RecipientFlat": "",
            "InfoRegClientBarcodes": request.marker,
            "AdditionalInformation": f"Order {request.marker}",
        }
        if request.cod_amount > 0:
            if self.cod_mode == "payment_control":
                properties["AfterpaymentOnGoodsCost"] = hryvnias(request.cod_amount)
            else:
                properties["BackwardDeliveryData"] = [
                    {"PayerType": "Recipient", "CargoType": "Money", "RedeliveryString": hryvnias(request.cod_amount)}
                ]
        return properties

    def create_waybill(self, request: WaybillRequest) -> Waybill:
        data = self.client.call("InternetDocument", "save", self.save_properties(request))
        if not data or not isinstance(data[0], dict) or not data[0].get("Ref"):
            # success without a document: we cannot tell what NP did, so reconcile.
            raise CarrierError("Nova Poshta answered save without a waybill", transient=True, codes=("no_data",))
        row = data[0]
        return Waybill(
            ref=row["Ref"],
            number=str(row.get("IntDocNumber", "")),
            cost=parse_kopiyky(row.get("CostOnSite")),
            estimated_delivery=parse_date(row.get("EstimatedDeliveryDate")),
            marker=request.marker,
        )

    def find_waybills(self, *, marker: str, date_from: date, date_to: date) -> list[Waybill]:
        """Our waybills with this marker whose send date (DateTime) falls in the window.

        §2.6: GetFullList "1" returns the whole window in one answer, so there is no paging.
        NP filters by send date, which may be later than the creation day; callers widen the
        window (today-1 .. today+1 at least, servers may sit in another time zone).
        """
        rows = self.client.call(
            "InternetDocument",
            "getDocumentList",
            {"DateTimeFrom": format_date(date_from), "DateTimeTo": format_date(date_to), "GetFullList": "1"},
        )
        found = []
        for row in rows:
            if not isinstance(row, dict) or str(row.get("InfoRegClientBarcodes", "")) != marker:
                continue
            state = parse_int(row.get("StateId"))
            if state == 2:  # deleted
                continue
            found.append(
                Waybill(
                    ref=row.get("Ref", ""),
                    number=str(row.get("IntDocNumber", "")),
                    cost=parse_kopiyky(row.get("CostOnSite")),
                    estimated_delivery=parse_date(row.get("EstimatedDeliveryDate") or row.get("ScheduledDeliveryDate")),
                    marker=marker,
                    status_code=state,
                    created_at=parse_datetime(row.get("CreateTime") or row.get("EWDateCreated")),
                )
            )
        return found

    def delete_waybill(self, *, ref: str) -> None:
        self.client.call("InternetDocument", "delete", {"DocumentRefs": ref})

    def track(self, *, numbers: list[str], phone: str) -> list[TrackingInfo]:
        if len(numbers) > TRACK_BATCH_LIMIT:
            raise ValueError(f"Nova Poshta tracks at most {TRACK_BATCH_LIMIT} waybills per call, got {len(numbers)}")
        if not numbers:
            return []
        documents = [{"DocumentNumber": re.sub(r"\D", "", number), "Phone": phone} for number in numbers]
        rows = self.client.call("TrackingDocument", "getStatusDocuments", {"Documents": documents})
        return [self._tracking_info(row) for row in rows if isinstance(row, dict)]

    @staticmethod
    def _tracking_info(row: dict) -> TrackingInfo:
        basis = str(row.get("LastCreatedOnTheBasisNumber") or "")
        return TrackingInfo(
            number=str(row.get("Number", "")),
            status_code=parse_int(row.get("StatusCode"), default=3),
            status_text=str(row.get("Status", "")),
            actual_delivery=parse_datetime(row.get("ActualDeliveryDate")),
            # §4.2: a number with "-" is a money-transfer document, not a return or redirect TTN.
            return_number="" if "-" in basis else basis,
            raw=row,
        )

    def label_pdf(self, *, refs: list[str], layout: str) -> bytes:
        if layout not in PRINT_FORMS:
            raise ValueError(f"Unknown label layout {layout!r}; use one of {', '.join(PRINT_FORMS)}")
        if not refs:
            raise ValueError("No waybills to print")
        method, suffix = PRINT_FORMS[layout]
        # §3.3: the key sits in the path. This URL lives only in this frame.
        url = (
            f"{self.client.print_url.rstrip('/')}/{method}/orders[]/{','.join(refs)}"
            f"/type/pdf/apiKey/{self.client._api_key}{suffix}"
        )
        return self.client.fetch_pdf(url, f"{layout} labels")

    def cities(self, *, page: int, page_size: int) -> list[City]:
        rows = self.client.call("Address", "getCities", {"Page": str(page), "Limit": str(page_size)})
        return [city_from_row(row) for row in rows if isinstance(row, dict) and row.get("Ref")]

    def warehouses(self, *, page: int, page_size: int) -> list[Warehouse]:
        rows = self.client.call("Address", "getWarehouses", {"Page": str(page), "Limit": str(page_size)})
        return [warehouse_from_row(row) for row in rows if isinstance(row, dict) and row.get("Ref")]

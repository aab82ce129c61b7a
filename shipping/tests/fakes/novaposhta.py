"""A fake Nova Poshta speaking API 2.0 over real HTTP on 127.0.0.1.

It checks what it receives on its own terms (reference/novaposhta.md), so an adapter bug cannot
agree with itself: the envelope and key, InternetDocument.save's fields (phone format, a Kyiv
send date not in the past, weight, cities and branches from its directory, the recipient), and
answers like NP does: HTTP 200 with `success: false`, `errors` and `errorCodes` for a logical
error, numbers as strings. It also serves the my.novaposhta.ua label URLs (GET, key in the path).

Tests drive it with `set_status(number, code)`, `fail_next(kind, times)` and read `documents`
(every waybill ever created, keyed by Ref; deleted ones stay with StateId 2), `calls` (every
decoded envelope) and `prints`.

fail_next kinds: an HTTP status int (429, 500, 502, 401, ...); "timeout" (answer only after the
client gave up); "crash_after_save" (do the work, then drop the connection without an answer:
our side never learns the waybill exists); "not_json" (an HTML page with HTTP 200);
"error_codes" (`success: false` with `codes` and `errors` given to fail_next).
"""

import itertools
import json
import re
import threading
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from shipping.carriers.novaposhta import KYIV, NovaPoshtaClient, Throttle
from shipping.carriers.sandbox import CITY_ROWS, SETTLEMENT_REFS, WAREHOUSE_ROWS, simple_pdf

API_PATH = "/v2.0/json/"
PHONE = re.compile(r"^380\d{9}$")
MARKER = re.compile(r"^[A-Za-z0-9\-_/]+$")
PRINT_PATH = re.compile(
    r"^/orders/(?P<method>\w+)/orders(?:\[\])?/(?P<refs>[^/]+)/type/(?P<type>\w+)/apiKey/(?P<key>[^/]+)"
)
PRINT_METHODS = {"printDocument", "printMarking100x100", "printMarking85x85", "printMarkings"}
STATE_NAMES = {
    1: "Відправник самостійно створив цю накладну, але ще не надав до відправки",
    2: "Видалено",
    3: "Номер не знайдено",
    4: "Відправлення у місті Київ",
    5: "Відправлення прямує до міста Львів",
    6: "Відправлення у місті Львів, орієнтовна доставка до ВІДДІЛЕННЯ",
    7: "Прибув на відділення",
    8: "Прибув на відділення (завантажено в Поштомат)",
    9: "Відправлення отримано",
    10: "Відправлення отримано. Грошовий переказ прямує до відправника",
    11: "Відправлення отримано. Грошовий переказ видано одержувачу",
    12: "Нова Пошта комплектує ваше відправлення",
    101: "На шляху до одержувача",
    102: "Відмова одержувача (створено заявку на повернення)",
    103: "Відмова одержувача",
    104: "Змінено адресу",
    105: "Припинено зберігання",
    106: "Одержано і створено ЄН зворотньої доставки",
    111: "Невдала спроба доставки",
    112: "Дата доставки перенесена Одержувачем",
}
NOT_A_PDF = b"<html><body>Nova Poshta: please sign in</body></html>"


def answer(data=None, *, errors=None, codes=(), warnings=None, info=None) -> dict:
    return {
        "success": not errors,
        "data": data if data is not None else [],
        "errors": errors or [],
        "warnings": warnings or [],
        "info": info if info is not None else [],
        "messageCodes": [],
        "errorCodes": list(codes),
        "warningCodes": [],
        "infoCodes": [],
    }


def refuse(*problems: tuple[str, str | None]) -> dict:
    """`success: false` with each (message, code); NP sends the codes in the same order."""
    return answer(errors=[message for message, _ in problems], codes=[code for _, code in problems if code])


def np_date(value) -> date | None:
    try:
        return datetime.strptime(str(value), "%d.%m.%Y").date()
    except ValueError:
        return None


def decimal_or_none(value) -> Decimal | None:
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a dozen parallel label calls would overflow it,
    # and a dropped connect waits a second or three for its retry (a "timeout" at our client).
    request_queue_size = 128
    daemon_threads = True


class FakeNovaPoshta:
    def __init__(self, *, api_key: str = "np-secret-key-7f3a9c1e5b", timeout_sleep: float = 1.5, latency: float = 0.0):
        self.api_key = api_key
        self.timeout_sleep = timeout_sleep
        self.latency = latency  # seconds every API answer takes (bench/labels.py: NP's ~200 ms)
        self.today: date | None = None  # Kyiv "today" for DateTime checks; None: the real one
        self.documents: dict[str, dict] = {}
        self.calls: list[dict] = []
        self.call_times: list[float] = []  # time.monotonic() when each request arrived
        self.prints: list[dict] = []
        self.cities = [dict(row) for row in CITY_ROWS]
        self.warehouses = [dict(row) for row in WAREHOUSE_ROWS]
        self._statuses: dict[str, dict] = {}  # number -> {code, actual_delivery, return_number}
        self._failures: list[dict] = []
        self._numbers = itertools.count(1)
        self._lock = threading.RLock()
        self.httpd = _Server(("127.0.0.1", 0), self._make_handler())
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # --- lifecycle and test controls ------------------------------------------------------------

    @property
    def root_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return self.root_url + API_PATH

    @property
    def print_url(self) -> str:
        return self.root_url + "/orders/"

    def start(self) -> "FakeNovaPoshta":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def client(self, **overrides) -> NovaPoshtaClient:
        """A client wired to this fake: short timeouts, no spacing, its own throttle."""
        kwargs = {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "timeout": (1, 1),
            "min_interval": 0,
            "print_url": self.print_url,
            "throttle": Throttle(),
        }
        kwargs.update(overrides)
        return NovaPoshtaClient(**kwargs)

    def fail_next(self, kind, times: int = 1, *, codes=("20000100016",), errors=("Service Unavailable",)) -> None:
        """Make the next `times` requests fail; `errors` goes out as given (list, dict or str)."""
        errors = list(errors) if isinstance(errors, tuple) else errors
        with self._lock:
            self._failures.extend({"kind": kind, "codes": list(codes), "errors": errors} for _ in range(times))

    def set_status(self, number: str, code: int, *, actual_delivery: datetime | None = None, return_number: str = ""):
        """What NP's network did to the parcel: tracking and the document list show `code`."""
        with self._lock:
            self._statuses[number] = {"code": code, "actual_delivery": actual_delivery, "return_number": return_number}
            doc = self.document_by_number(number)
            if doc is not None:
                doc["StateId"] = code
                doc["StateName"] = STATE_NAMES.get(code, "")

    def document_by_number(self, number: str) -> dict | None:
        return next((doc for doc in self.documents.values() if doc["IntDocNumber"] == number), None)

    def methods_called(self) -> list[str]:
        return [f"{call.get('modelName')}.{call.get('calledMethod')}" for call in self.calls]

    def kyiv_today(self) -> date:
        return self.today or datetime.now(tz=KYIV).date()

    # --- the protocol -----------------------------------------------------------------------------

    def handle_api(self, envelope: dict) -> dict:
        key = envelope.get("apiKey")
        if not key:
            return refuse(("apiKey is empty", "20000200069"))
        if key != self.api_key:
            return refuse(("API auth fail", "20000200068"))
        properties = envelope.get("methodProperties") or {}
        handler = {
            ("InternetDocument", "save"): self._save,
            ("InternetDocument", "getDocumentList"): self._document_list,
            ("InternetDocument", "delete"): self._delete,
            ("TrackingDocument", "getStatusDocuments"): self._status_documents,
            ("Address", "getCities"): self._cities,
            ("Address", "getWarehouses"): self._warehouses,
        }.get((envelope.get("modelName"), envelope.get("calledMethod")))
        if handler is None:
            return refuse(("Method not found", None))
        with self._lock:
            return handler(properties)

    def _save(self, p: dict) -> dict:
        problems = []
        required = {
            "PayerType": None,
            "PaymentMethod": None,
            "CargoType": None,
            "ServiceType": None,
            "SeatsAmount": None,
            "CitySender": None,
            "Sender": None,
            "SenderAddress": None,
            "ContactSender": None,
            "Description": "20000200150",
            "Weight": "20000400503",
            "Cost": "20000400452",
            "SendersPhone": "20000300445",
            "RecipientsPhone": "20000300435",
        }
        for field, code in required.items():
            if str(p.get(field, "")).strip() == "":
                problems.append((f"{field} is empty", code))
        send_date = np_date(p.get("DateTime"))
        if send_date is None:
            problems.append(("DateTime is invalid format", "20000400456"))
        elif send_date < self.kyiv_today():
            problems.append(("DateTime cannot be less then now", "20000400455"))
        if p.get("RecipientsPhone") and not PHONE.match(str(p["RecipientsPhone"])):
            problems.append(("RecipientsPhone invalid format", "20000300434"))
        if p.get("SendersPhone") and not PHONE.match(str(p["SendersPhone"])):
            problems.append(("SendersPhone invalid format", "20000300444"))
        weight = decimal_or_none(p.get("Weight"))
        if p.get("Weight") not in (None, "") and (weight is None or weight < Decimal("0.1")):
            problems.append(("Weight is invalid", "20000200373"))
        cost = decimal_or_none(p.get("Cost"))
        if p.get("Cost") not in (None, "") and (cost is None or cost <= 0 or cost != cost.to_integral_value()):
            problems.append(("Cost is invalid", "20000200118"))
        city_refs = {row["Ref"] for row in self.cities}
        if p.get("CitySender") and p["CitySender"] not in city_refs:
            problems.append(("CitySender not found", "20000200106"))
        if p.get("CityRecipient") not in city_refs:
            problems.append(("CityRecipient not found", "20000200103"))
        branch = next((row for row in self.warehouses if row["Ref"] == p.get("RecipientAddress")), None)
        if branch is None or branch["CityRef"] != p.get("CityRecipient"):
            problems.append(("RecipientAddress is incorrect", "20000200266"))
        elif branch["CategoryOfWarehouse"] == "Postomat" and weight is not None and weight > 20:
            problems.append(("Weight is too high for this postomat", "20000200380"))
        if str(p.get("NewAddress", "")) == "1":
            words = str(p.get("RecipientName", "")).split()
            if len(words) < 2:
                problems.append(("Recipient contact name is not full", "20000201598"))
            elif len({word.lower() for word in words}) != len(words):
                problems.append(("RecipientContactName contains repeated words", "20000201758"))
        else:
            for field in ("Recipient", "ContactRecipient"):
                if not p.get(field):
                    problems.append((f"{field} not selected", None))
        marker = str(p.get("InfoRegClientBarcodes", ""))
        if len(marker) > 36:
            problems.append(("InfoRegClientBarcodes is too long", "20000200189"))
        elif marker and not MARKER.match(marker):
            problems.append(("InfoRegClientBarcodes has invalid characters", "20000200188"))
        redelivery = Decimal(0)
        for item in p.get("BackwardDeliveryData") or []:
            if item.get("PayerType") not in ("Sender", "Recipient"):
                problems.append(("BackwardDelivery PayerType is incorrect", "20000200085"))
            amount = decimal_or_none(item.get("RedeliveryString"))
            if item.get("CargoType") == "Money":
                if amount is None or amount <= 0:
                    problems.append(("BackwardDelivery RedeliveryString is invalid", None))
                else:
                    redelivery += amount
        if problems:
            return refuse(*problems)

        ref = str(uuid.uuid4())
        number = f"2045{next(self._numbers):010d}"
        cost_on_site = 70 + int(redelivery * Decimal("0.02")) + (20 if redelivery else 0)
        estimated = send_date + timedelta(days=1)
        now = datetime.now(tz=KYIV)
        self.documents[ref] = {
            **p,
            "Ref": ref,
            "IntDocNumber": number,
            "StateId": 1,
            "StateName": STATE_NAMES[1],
            "CostOnSite": str(cost_on_site),
            "EstimatedDeliveryDate": estimated.strftime("%d.%m.%Y"),
            "CreateTime": now.strftime("%Y-%m-%d %H:%M:%S"),
        }
        return answer(
            [
                {
                    "Ref": ref,
                    "CostOnSite": str(cost_on_site),
                    "EstimatedDeliveryDate": estimated.strftime("%d.%m.%Y"),
                    "IntDocNumber": number,
                    "TypeDocument": "InternetDocument",
                }
            ]
        )

    def _document_list(self, p: dict) -> dict:
        date_from, date_to = np_date(p.get("DateTimeFrom")), np_date(p.get("DateTimeTo"))
        if date_from is None or date_to is None:
            return refuse(("DateTime is invalid format", "20000400456"))
        rows = [
            self._list_row(doc) for doc in self.documents.values() if date_from <= np_date(doc["DateTime"]) <= date_to
        ]
        total = len(rows)
        if str(p.get("GetFullList", "0")) != "1":
            page = int(p.get("Page") or 1)
            rows = rows[(page - 1) * 100 : page * 100]
        return answer(rows, info={"totalCount": total})

    @staticmethod
    def _list_row(doc: dict) -> dict:
        fields = (
            "Ref",
            "DateTime",
            "IntDocNumber",
            "InfoRegClientBarcodes",
            "AdditionalInformation",
            "Description",
            "CostOnSite",
            "Cost",
            "Weight",
            "SeatsAmount",
            "CitySender",
            "CityRecipient",
            "SenderAddress",
            "RecipientAddress",
            "RecipientsPhone",
            "SendersPhone",
            "PayerType",
            "PaymentMethod",
            "StateId",  # an int here, as in real rows (C# DTO); tracking's StatusCode is a string
            "StateName",
            "EstimatedDeliveryDate",
            "CreateTime",
        )
        row = {field: doc.get(field, "") for field in fields}
        row["AfterpaymentOnGoodsCost"] = doc.get("AfterpaymentOnGoodsCost", "0")
        return row

    def _delete(self, p: dict) -> dict:
        refs = p.get("DocumentRefs")
        refs = [refs] if isinstance(refs, str) else list(refs or [])
        if not refs:
            return refuse(("DocumentRefs is empty", None))
        for ref in refs:
            doc = self.documents.get(ref)
            if doc is None or doc["StateId"] == 2:
                return refuse(("InternetDocument not found", "20000200205"))
            if doc["StateId"] != 1:
                # NP documents no code for "already handed over"; the nearest is "Document in registry".
                return refuse(("Document can not be deleted: it is already on its way", "20000200153"))
        for ref in refs:
            self.documents[ref]["StateId"] = 2
            self.documents[ref]["StateName"] = STATE_NAMES[2]
            self._statuses.pop(self.documents[ref]["IntDocNumber"], None)
        return answer([{"Ref": ref} for ref in refs])

    def _status_documents(self, p: dict) -> dict:
        documents = p.get("Documents") or []
        if len(documents) > 100:
            return refuse(("Documents limit exceeded: 100", None))
        rows, warnings = [], []
        for item in documents:
            number = str(item.get("DocumentNumber", ""))
            doc = self.document_by_number(number)
            status = self._statuses.get(number)
            if doc is None and status is None:
                rows.append({"Number": number, "StatusCode": "3", "Status": STATE_NAMES[3]})
                continue
            code = status["code"] if status else doc["StateId"]
            row = {
                "Number": number,
                "StatusCode": str(code),
                "Status": STATE_NAMES.get(code, ""),
                "LastCreatedOnTheBasisNumber": (status or {}).get("return_number", ""),
                "ActualDeliveryDate": "",
                "RecipientDateTime": "",
            }
            actual = (status or {}).get("actual_delivery")
            if actual is not None:
                row["ActualDeliveryDate"] = actual.strftime("%Y-%m-%d %H:%M:%S")
                row["RecipientDateTime"] = actual.strftime("%d.%m.%Y %H:%M:%S")
            if doc is not None:
                branch = next((w for w in self.warehouses if w["Ref"] == doc.get("RecipientAddress")), {})
                created = datetime.strptime(doc["CreateTime"], "%Y-%m-%d %H:%M:%S")
                row |= {
                    "DateCreated": created.strftime("%d-%m-%Y %H:%M:%S"),
                    "ScheduledDeliveryDate": np_date(doc["EstimatedDeliveryDate"]).strftime("%d-%m-%Y 00:00:00"),
                    "WarehouseRecipient": branch.get("Description", ""),
                    "WarehouseRecipientRef": branch.get("Ref", ""),
                    "CategoryOfWarehouse": branch.get("CategoryOfWarehouse", ""),
                    "RefCityRecipient": doc.get("CityRecipient", ""),
                    "RefSettlementRecipient": SETTLEMENT_REFS.get(doc.get("CityRecipient"), ""),
                    "DocumentCost": doc["CostOnSite"],
                    "AnnouncedPrice": int(Decimal(str(doc.get("Cost") or 0))),
                }
                if item.get("Phone") in (doc.get("SendersPhone"), doc.get("RecipientsPhone")):
                    row |= {
                        "ClientBarcode": doc.get("InfoRegClientBarcodes", ""),
                        "AdditionalInformationEW": doc.get("AdditionalInformation", ""),
                        "PhoneRecipient": doc.get("RecipientsPhone", ""),
                        "PhoneSender": doc.get("SendersPhone", ""),
                        "RecipientFullName": doc.get("RecipientName", ""),
                    }
                else:
                    warnings.append(
                        {f"ID_{number}": "Please enter a valid phone number from the express invoice to show full info"}
                    )
            rows.append(row)
        return answer(rows, warnings=warnings)

    def _cities(self, p: dict) -> dict:
        rows = self.cities
        if p.get("Ref"):
            rows = [row for row in rows if row["Ref"] == p["Ref"]]
        if p.get("FindByString"):
            rows = [row for row in rows if str(p["FindByString"]).lower() in row["Description"].lower()]
        return self._paged(rows, p)

    def _warehouses(self, p: dict) -> dict:
        rows = self.warehouses
        if p.get("CityRef"):
            rows = [row for row in rows if row["CityRef"] == p["CityRef"]]
        return self._paged(rows, p)

    @staticmethod
    def _paged(rows: list[dict], p: dict) -> dict:
        page = int(p.get("Page") or 1)
        limit = min(int(p.get("Limit") or 500), 500)
        return answer(rows[(page - 1) * limit : page * limit], info={"totalCount": len(rows)})

    def handle_print(self, path: str) -> tuple[int, bytes, str]:
        match = PRINT_PATH.match(unquote(path))
        if not match or match["method"] not in PRINT_METHODS:
            return 404, b"Not found", "text/plain"
        with self._lock:
            self.prints.append(
                {"method": match["method"], "refs": match["refs"].split(","), "zebra": path.endswith("/zebra")}
            )
            if match["key"] != self.api_key:
                return 200, NOT_A_PDF, "text/html"
            known = {doc["Ref"] for doc in self.documents.values()} | {
                doc["IntDocNumber"] for doc in self.documents.values()
            }
            if not all(ref in known for ref in match["refs"].split(",")):
                return 200, b"<html><body>Document not found</body></html>", "text/html"
        pages = [[f"{match['method']} {ref}"] for ref in match["refs"].split(",")]
        return 200, simple_pdf(pages, width=283.46, height=283.46), "application/pdf"

    # --- HTTP plumbing ----------------------------------------------------------------------------

    def _next_failure(self) -> dict | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _make_handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                arrived = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    envelope = json.loads(body)
                except ValueError:
                    envelope = {"raw": body.decode(errors="replace")}
                with fake._lock:
                    fake.calls.append(envelope)
                    fake.call_times.append(arrived)
                failure = fake._next_failure()
                kind = failure["kind"] if failure else None
                if kind == "timeout":
                    time.sleep(fake.timeout_sleep)
                    return self._reply(504, b"", "text/plain")
                if fake.latency:
                    time.sleep(fake.latency)  # outside the fake's lock: answers overlap as NP's do
                if isinstance(kind, int):
                    return self._reply(kind, b"failure injected by the test", "text/plain")
                if kind == "not_json":
                    return self._reply(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
                if kind == "error_codes":
                    payload = answer(errors=failure["errors"], codes=failure["codes"])
                else:
                    payload = fake.handle_api(envelope if isinstance(envelope, dict) else {})
                if kind == "crash_after_save":
                    self.close_connection = True  # the work is done; the answer is lost
                    return None
                return self._reply(200, json.dumps(payload, ensure_ascii=False).encode(), "application/json")

            def do_GET(self):
                failure = fake._next_failure()
                kind = failure["kind"] if failure else None
                if kind == "timeout":
                    time.sleep(fake.timeout_sleep)
                    return self._reply(504, b"", "text/plain")
                if isinstance(kind, int):
                    return self._reply(kind, b"failure injected by the test", "text/plain")
                if kind == "crash_after_save":
                    self.close_connection = True
                    return None
                return self._reply(*fake.handle_print(self.path))

            def _reply(self, status: int, payload: bytes, content_type: str):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        return Handler

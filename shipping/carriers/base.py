"""What kramar needs from a carrier, in its own words; one adapter per carrier.

The Nova Poshta adapter (carriers/novaposhta.py) speaks the real JSON API; the Sandbox
carrier (carriers/sandbox.py) plays the carrier for local runs without an API key. Adapters
never touch the database; shipping.services owns every state change.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime


class CarrierError(Exception):
    """The carrier refused or could not be reached.

    `transient`: a timeout, 5xx, 429 or "service unavailable" (may be retried after a
    back-off; for `create_waybill` the outcome is then UNKNOWN and must be reconciled before
    any retry). Otherwise the request itself is wrong (validation, auth) and needs a person.
    """

    def __init__(self, message: str, *, transient: bool, codes: tuple[str, ...] = ()):
        super().__init__(message)
        self.transient = transient
        self.codes = codes


@dataclass(frozen=True)
class Sender:
    """Runtime settings staff edit (constance): who and where parcels are sent from."""

    counterparty_ref: str
    contact_ref: str
    phone: str  # 380XXXXXXXXX
    city_ref: str
    warehouse_ref: str
    description: str  # what is inside, e.g. "Товари для дому"


@dataclass(frozen=True)
class WaybillRequest:
    marker: str  # our order number: InfoRegClientBarcodes, used to find the waybill again
    sender: Sender
    recipient_name: str  # "Прізвище Ім'я"
    recipient_phone: str  # 380XXXXXXXXX
    recipient_city_ref: str  # the CITY Ref (not the settlement Ref)
    recipient_warehouse_ref: str
    weight_grams: int
    declared_value: int  # kopiyky
    cod_amount: int = 0  # kopiyky to collect on delivery (0: prepaid)
    seats: int = 1
    send_date: date | None = None  # Kyiv date; today when None


@dataclass(frozen=True)
class Waybill:
    ref: str
    number: str  # the TTN shoppers see, e.g. 20450000000000
    cost: int | None = None  # kopiyky
    estimated_delivery: date | None = None
    marker: str = ""
    status_code: int | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class TrackingInfo:
    number: str
    status_code: int  # Nova Poshta StatusCode (see reference/novaposhta.md §4.3)
    status_text: str = ""
    actual_delivery: datetime | None = None
    return_number: str = ""  # LastCreatedOnTheBasisNumber, when a return waybill exists
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class City:
    ref: str
    name: str
    area: str = ""
    settlement_type: str = ""


@dataclass(frozen=True)
class Warehouse:
    ref: str
    city_ref: str
    number: str
    name: str  # the full description, "Відділення №1: вул. ..."
    kind: str  # "branch", "parcel_locker", "cargo"
    max_weight_kg: int | None = None
    is_active: bool = True


class Carrier(ABC):
    code = ""

    @abstractmethod
    def create_waybill(self, request: WaybillRequest) -> Waybill:
        """Create a waybill (TTN). Not idempotent at the carrier: never call it twice blindly."""

    @abstractmethod
    def find_waybills(self, *, marker: str, date_from: date, date_to: date) -> list[Waybill]:
        """Waybills we created with this marker in the date window (for reconciliation)."""

    @abstractmethod
    def delete_waybill(self, *, ref: str) -> None:
        """Delete a waybill that was not handed over yet."""

    @abstractmethod
    def track(self, *, numbers: list[str], phone: str) -> list[TrackingInfo]:
        """Statuses of up to 100 waybills in one call."""

    @abstractmethod
    def label_pdf(self, *, refs: list[str], layout: str) -> bytes:
        """One PDF with the labels of these waybills; layout "100x100" (thermal) or "a4"."""

    @abstractmethod
    def cities(self, *, page: int, page_size: int) -> list[City]:
        """One page of the city directory (empty when past the end)."""

    @abstractmethod
    def warehouses(self, *, page: int, page_size: int) -> list[Warehouse]:
        """One page of the branch and parcel-locker directory (empty when past the end)."""

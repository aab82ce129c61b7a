"""What kramar needs from a carrier, in its own words; one adapter per carrier.

The Nova Poshta adapter (carriers/novaposhta.py) speaks the real JSON API; the Sandbox
carrier (carriers/sandbox.py) plays the carrier for local runs without an API key. Adapters
never touch the database; shipping.services owns every state change.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


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


class ParcelState(StrEnum):
    """Where a parcel is, in kramar's words; each adapter maps its carrier's codes onto these."""

    CREATED = "created"  # the waybill exists; the parcel is not handed over yet
    ACCEPTED = "accepted"  # the carrier has it, not moving yet (being packed, sorted)
    IN_TRANSIT = "in_transit"
    ARRIVED = "arrived"  # at the recipient's branch or locker
    DELIVERED = "delivered"  # the recipient took it
    REFUSED = "refused"  # the recipient refused it; it comes back
    RETURNING = "returning"  # on its way back for another reason (storage ended, ...)
    RETURNED = "returned"  # back with the sender
    DELETED = "deleted"  # the waybill was deleted at the carrier
    UNKNOWN = "unknown"  # the carrier does not know the number, or said something new

    @property
    def handed_over(self) -> bool:
        """True once the carrier has the parcel: too late to delete its waybill."""
        return self not in (ParcelState.CREATED, ParcelState.DELETED, ParcelState.UNKNOWN)


@dataclass(frozen=True)
class ParcelEvent:
    """What the carrier last said about one waybill, carrier-neutral (as payments' `Event`)."""

    number: str
    state: ParcelState
    carrier_code: int | None = None  # the carrier's own code, kept for people (NP StatusCode)
    text: str = ""  # the carrier's own words, shown to staff
    return_number: str = ""  # the return waybill, when the carrier made one
    delivered_at: datetime | None = None
    cod_collected: bool = False  # cash on delivery was taken from the recipient
    raw: dict = field(default_factory=dict)


TrackingInfo = ParcelEvent  # the old name, for importers that still use it


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
    def track(self, *, numbers: list[str], phone: str) -> list[ParcelEvent]:
        """What the carrier says about up to 100 waybills, in one call."""

    @abstractmethod
    def label_pdf(self, *, refs: list[str], layout: str) -> bytes:
        """One PDF with the labels of these waybills; layout "100x100" (thermal) or "a4"."""

    @abstractmethod
    def cities(self, *, page: int, page_size: int) -> list[City]:
        """One page of the city directory (empty when past the end)."""

    @abstractmethod
    def warehouses(self, *, page: int, page_size: int) -> list[Warehouse]:
        """One page of the branch and parcel-locker directory (empty when past the end)."""

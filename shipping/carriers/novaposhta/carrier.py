"""The Carrier adapter on top of NovaPoshtaClient: waybills, reconciliation, tracking, labels, directory."""

import math
import re
from collections.abc import Callable
from datetime import date, datetime

from shipping.carriers.base import (
    Carrier,
    CarrierError,
    City,
    ParcelEvent,
    Warehouse,
    Waybill,
    WaybillRequest,
)
from shipping.carriers.novaposhta.client import TRACK_BATCH_LIMIT, NovaPoshtaClient
from shipping.carriers.novaposhta.directory import city_from_row, warehouse_from_row
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
from shipping.carriers.novaposhta.statuses import NOT_FOUND, parcel_event

PRINT_FORMS = {
    # layout -> (print method, URL suffix); §3.3, legacy my.novaposhta.ua URLs
    "100x100": ("printMarking100x100", "/zebra"),
    "a4": ("printDocument", ""),
}


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

    def track(self, *, numbers: list[str], phone: str) -> list[ParcelEvent]:
        if len(numbers) > TRACK_BATCH_LIMIT:
            raise ValueError(f"Nova Poshta tracks at most {TRACK_BATCH_LIMIT} waybills per call, got {len(numbers)}")
        if not numbers:
            return []
        documents = [{"DocumentNumber": re.sub(r"\D", "", number), "Phone": phone} for number in numbers]
        rows = self.client.call("TrackingDocument", "getStatusDocuments", {"Documents": documents})
        return [self._tracking_info(row) for row in rows if isinstance(row, dict)]

    @staticmethod
    def _tracking_info(row: dict) -> ParcelEvent:
        basis = str(row.get("LastCreatedOnTheBasisNumber") or "")
        return parcel_event(
            number=str(row.get("Number", "")),
            code=parse_int(row.get("StatusCode"), default=NOT_FOUND),
            text=str(row.get("Status", "")),
            delivered_at=parse_datetime(row.get("ActualDeliveryDate")),
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

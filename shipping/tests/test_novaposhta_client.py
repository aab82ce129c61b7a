"""The Nova Poshta client and carrier against FakeNovaPoshta, a real local HTTP server."""

import logging
import threading
import traceback
from datetime import UTC, date, datetime, timedelta

import pytest

from shipping.carriers.base import CarrierError, City, ParcelEvent, ParcelState, Sender, WaybillRequest
from shipping.carriers.novaposhta import (
    KYIV,
    NovaPoshtaCarrier,
    NovaPoshtaClient,
    Throttle,
    hryvnias,
    parse_date,
    parse_datetime,
    parse_int,
    parse_kopiyky,
    weight_kg,
)
from shipping.carriers.novaposhta.statuses import parcel_event
from shipping.carriers.sandbox import KYIV_REF, LVIV_REF, SETTLEMENT_REFS, WAREHOUSE_ROWS
from shipping.tests.fakes.novaposhta import FakeNovaPoshta

KYIV_BRANCH_1 = "1ec09d88-e1c2-11e3-8c4a-0050568002cf"
LVIV_BRANCH_2 = next(row["Ref"] for row in WAREHOUSE_ROWS if row["CityRef"] == LVIV_REF and row["Number"] == "2")
LVIV_LOCKER = next(row["Ref"] for row in WAREHOUSE_ROWS if row["CityRef"] == LVIV_REF and row["Number"] == "7201")
SENDER = Sender(
    counterparty_ref="2dbf2545-9f9c-11e8-8b24-005056881c6b",
    contact_ref="96bbda2c-a122-11e8-8b24-005056881c6b",
    phone="380501112233",
    city_ref=KYIV_REF,
    warehouse_ref=KYIV_BRANCH_1,
    description="Товари для дому",
)


def waybill_request(**overrides) -> WaybillRequest:
    fields = {
        "marker": "K-1001",
        "sender": SENDER,
        "recipient_name": "Петренко Олена",
        "recipient_phone": "380671234567",
        "recipient_city_ref": LVIV_REF,
        "recipient_warehouse_ref": LVIV_BRANCH_2,
        "weight_grams": 1500,
        "declared_value": 49999,
        "cod_amount": 0,
    }
    fields.update(overrides)
    return WaybillRequest(**fields)


def printed(exc: BaseException) -> str:
    """What a log line with exc_info or an error tracker would show: the message and the chain."""
    return "".join(traceback.format_exception(exc))


def kyiv_window() -> dict:
    today = datetime.now(tz=KYIV).date()
    return {"date_from": today - timedelta(days=1), "date_to": today + timedelta(days=1)}


@pytest.fixture
def fake():
    server = FakeNovaPoshta().start()
    yield server
    server.stop()


@pytest.fixture
def carrier(fake):
    return NovaPoshtaCarrier(fake.client())


# --- InternetDocument.save ----------------------------------------------------------------------


def test_save_sends_the_exact_envelope_with_a_kyiv_date_and_cod(fake):
    # given 00:30 in Kyiv, which is still the previous day in UTC
    fake.today = date(2030, 3, 11)
    carrier = NovaPoshtaCarrier(fake.client(), now=lambda: datetime(2030, 3, 10, 22, 30, tzinfo=UTC))
    # when a cash-on-delivery parcel is booked
    waybill = carrier.create_waybill(waybill_request(cod_amount=49999, seats=2))
    # then NP received exactly this
    assert fake.calls == [
        {
            "apiKey": fake.api_key,
            "modelName": "InternetDocument",
            "calledMethod": "save",
            "methodProperties": {
                "PayerType": "Recipient",
                "PaymentMethod": "Cash",
                "DateTime": "11.03.2030",
                "CargoType": "Parcel",
                "Weight": "1.5",
                "ServiceType": "WarehouseWarehouse",
                "SeatsAmount": "2",
                "Description": "Товари для дому",
                "Cost": "500",
                "CitySender": KYIV_REF,
                "Sender": SENDER.counterparty_ref,
                "SenderAddress": KYIV_BRANCH_1,
                "ContactSender": SENDER.contact_ref,
                "SendersPhone": "380501112233",
                "NewAddress": "1",
                "RecipientType": "PrivatePerson",
                "RecipientName": "Петренко Олена",
                "RecipientsPhone": "380671234567",
                "CityRecipient": LVIV_REF,
                "RecipientAddress": LVIV_BRANCH_2,
                "RecipientCityName": LVIV_REF,
                "RecipientAddressName": LVIV_BRANCH_2,
                "RecipientArea": "",
                "RecipientAreaRegions": "",
                "RecipientHouse": "",
                "RecipientFlat": "",
                "InfoRegClientBarcodes": "K-1001",
                "AdditionalInformation": "Order K-1001",
                "BackwardDeliveryData": [
                    {"PayerType": "Recipient", "CargoType": "Money", "RedeliveryString": "499.99"},
                ],
            },
        }
    ]
    # and the answer's strings became our types: "99" hryvnias, "12.03.2030"
    (document,) = fake.documents.values()
    assert waybill.ref == document["Ref"]
    assert waybill.number == "20450000000001"
    assert waybill.cost == 9900
    assert waybill.estimated_delivery == date(2030, 3, 12)
    assert waybill.marker == "K-1001"


def test_payment_control_sends_afterpayment_instead_of_backward_delivery(fake):
    carrier = NovaPoshtaCarrier(fake.client(), cod_mode="payment_control")
    carrier.create_waybill(waybill_request(cod_amount=120000))
    properties = fake.calls[-1]["methodProperties"]
    assert properties["AfterpaymentOnGoodsCost"] == "1200"
    assert "BackwardDeliveryData" not in properties


def test_prepaid_parcel_sends_no_cod_fields(fake, carrier):
    carrier.create_waybill(waybill_request(cod_amount=0))
    properties = fake.calls[-1]["methodProperties"]
    assert "AfterpaymentOnGoodsCost" not in properties
    assert "BackwardDeliveryData" not in properties


def test_unknown_cod_mode_is_refused(fake):
    with pytest.raises(ValueError):
        NovaPoshtaCarrier(fake.client(), cod_mode="both")


def test_a_send_date_in_the_past_becomes_today_and_a_future_one_stays(fake):
    fake.today = date(2030, 3, 11)
    carrier = NovaPoshtaCarrier(fake.client(), now=lambda: datetime(2030, 3, 11, 9, 0, tzinfo=KYIV))
    carrier.create_waybill(waybill_request(send_date=date(2030, 3, 1)))
    carrier.create_waybill(waybill_request(send_date=date(2030, 3, 14)))
    assert [call["methodProperties"]["DateTime"] for call in fake.calls] == ["11.03.2030", "14.03.2030"]


@pytest.mark.parametrize(
    ("grams", "expected"), [(50, "0.1"), (100, "0.1"), (1000, "1"), (1234, "1.234"), (1500, "1.5"), (20000, "20")]
)
def test_weight_is_sent_in_kg_with_nps_minimum(grams, expected):
    assert weight_kg(grams) == expected


@pytest.mark.parametrize(("kopiyky", "expected"), [(50000, "500"), (49999, "499.99"), (50050, "500.50"), (5, "0.05")])
def test_money_is_sent_in_hryvnias(kopiyky, expected):
    assert hryvnias(kopiyky) == expected


def test_declared_value_is_rounded_up_to_whole_hryvnias(fake, carrier):
    carrier.create_waybill(waybill_request(declared_value=30001))
    assert fake.calls[-1]["methodProperties"]["Cost"] == "301"


@pytest.mark.parametrize(
    ("value", "expected"), [("9", 9), (9, 9), ("102", 102), ("9.0", 9), (2.5, 2), ("", None), (None, None), ("x", None)]
)
def test_numbers_are_parsed_from_strings_or_numbers(value, expected):
    assert parse_int(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [("45", 4500), (45, 4500), ("45.50", 4550), ("45,5", 4550), (2.5, 250), ("", None)]
)
def test_hryvnias_are_parsed_into_kopiyky(value, expected):
    assert parse_kopiyky(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("06-04-2023 08:20:34", datetime(2023, 4, 6, 8, 20, 34, tzinfo=KYIV)),
        ("2023-04-06 18:47:40", datetime(2023, 4, 6, 18, 47, 40, tzinfo=KYIV)),
        ("07.04.2023 13:35:58", datetime(2023, 4, 7, 13, 35, 58, tzinfo=KYIV)),
        ("15:36 07.04.2023", datetime(2023, 4, 7, 15, 36, tzinfo=KYIV)),
        ("2023-04-14", datetime(2023, 4, 14, tzinfo=KYIV)),
        ("14.04.2023", datetime(2023, 4, 14, tzinfo=KYIV)),
        ("", None),
        ("0000-00-00 00:00:00", None),
        ("tomorrow", None),
    ],
)
def test_tracking_dates_are_parsed_in_every_np_format_as_kyiv_time(value, expected):
    assert parse_datetime(value) == expected


def test_estimated_delivery_parses_as_a_date():
    assert parse_date("01.01.2019") == date(2019, 1, 1)


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_rate_limits_and_server_errors_are_transient(fake, carrier, status):
    fake.fail_next(status)
    with pytest.raises(CarrierError) as caught:
        carrier.cities(page=1, page_size=10)
    assert caught.value.transient is True
    assert caught.value.codes == (f"http_{status}",)


def test_a_timeout_is_transient(fake, carrier):
    fake.fail_next("timeout")
    with pytest.raises(CarrierError) as caught:
        carrier.cities(page=1, page_size=10)
    assert caught.value.transient is True
    assert caught.value.codes == ("timeout",)


def test_an_unreachable_api_is_transient():
    carrier = NovaPoshtaCarrier(NovaPoshtaClient("key", base_url="http://127.0.0.1:9/", timeout=(1, 1), min_interval=0))
    with pytest.raises(CarrierError) as caught:
        carrier.cities(page=1, page_size=10)
    assert caught.value.transient is True
    assert caught.value.codes == ("unreachable",)


def test_an_answer_that_is_not_json_is_transient(fake, carrier):
    fake.fail_next("not_json")
    with pytest.raises(CarrierError) as caught:
        carrier.cities(page=1, page_size=10)
    assert caught.value.transient is True
    assert caught.value.codes == ("not_json",)


def test_http_401_is_a_permanent_auth_failure(fake, carrier):
    fake.fail_next(401)
    with pytest.raises(CarrierError) as caught:
        carrier.cities(page=1, page_size=10)
    assert caught.value.transient is False
    assert caught.value.codes == ("20000200068",)


def test_a_wrong_key_is_a_permanent_auth_failure(fake):
    carrier = NovaPoshtaCarrier(fake.client(api_key="not-the-key"))
    with pytest.raises(CarrierError) as caught:
        carrier.cities(page=1, page_size=10)
    assert caught.value.transient is False
    assert caught.value.codes == ("20000200068",)
    assert "API auth fail" in str(caught.value)


@pytest.mark.parametrize("code", ["20000100016", "20001400980", "20001701795", "20000101696"])
def test_service_trouble_codes_are_transient(fake, carrier, code):
    fake.fail_next("error_codes", codes=[code], errors=["Service temporarily unavailable"])
    with pytest.raises(CarrierError) as caught:
        carrier.create_waybill(waybill_request())
    assert caught.value.transient is True
    assert caught.value.codes == (code,)
    assert fake.documents == {}


def test_to_many_requests_text_without_a_code_is_transient(fake, carrier):
    fake.fail_next("error_codes", codes=[], errors=["To many requests"])
    with pytest.raises(CarrierError) as caught:
        carrier.cities(page=1, page_size=10)
    assert caught.value.transient is True
    assert caught.value.codes == ()


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        (["Weight is invalid", "Cost is invalid"], "Weight is invalid; Cost is invalid"),
        ({"Weight": "is invalid", "Cost": "is invalid"}, "Weight: is invalid; Cost: is invalid"),
        ("Weight is invalid", "Weight is invalid"),
    ],
)
def test_a_validation_error_is_permanent_with_the_carriers_text(fake, carrier, errors, expected):
    fake.fail_next("error_codes", codes=["20000200373", "20000200118"], errors=errors)
    with pytest.raises(CarrierError) as caught:
        carrier.create_waybill(waybill_request())
    assert caught.value.transient is False
    assert caught.value.codes == ("20000200373", "20000200118")
    assert str(caught.value) == f"Nova Poshta refused InternetDocument.save: {expected}"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"recipient_phone": "0671234567"}, "20000300434"),
        ({"recipient_city_ref": "00000000-0000-0000-0000-000000000000"}, "20000200103"),
        ({"recipient_warehouse_ref": KYIV_BRANCH_1}, "20000200266"),
        ({"recipient_name": "Олена"}, "20000201598"),
        ({"marker": "K" * 40}, "20000200189"),
        ({"recipient_warehouse_ref": LVIV_LOCKER, "weight_grams": 25000}, "20000200380"),
    ],
)
def test_the_carrier_refuses_a_wrong_waybill_and_nothing_is_created(fake, carrier, overrides, code):
    with pytest.raises(CarrierError) as caught:
        carrier.create_waybill(waybill_request(**overrides))
    assert caught.value.transient is False
    assert code in caught.value.codes
    assert fake.documents == {}


def test_a_lost_save_answer_is_transient_and_reconciliation_finds_the_waybill(fake, carrier):
    # given NP creates the waybill but the answer never reaches us
    fake.fail_next("crash_after_save")
    with pytest.raises(CarrierError) as caught:
        carrier.create_waybill(waybill_request(marker="K-77"))
    assert caught.value.transient is True
    assert len(fake.documents) == 1
    # when we reconcile by marker
    found = carrier.find_waybills(marker="K-77", **kyiv_window())
    # then exactly that waybill comes back
    (document,) = fake.documents.values()
    assert [(w.ref, w.number, w.status_code, w.cost) for w in found] == [
        (document["Ref"], document["IntDocNumber"], 1, 7000)
    ]


# --- getDocumentList, delete --------------------------------------------------------------------


def test_find_waybills_filters_by_marker_and_ignores_deleted(fake, carrier):
    deleted = carrier.create_waybill(waybill_request(marker="K-5"))
    carrier.delete_waybill(ref=deleted.ref)
    live = carrier.create_waybill(waybill_request(marker="K-5"))
    carrier.create_waybill(waybill_request(marker="K-6"))
    window = kyiv_window()

    found = carrier.find_waybills(marker="K-5", **window)

    assert [w.ref for w in found] == [live.ref]
    assert found[0].marker == "K-5"
    assert found[0].created_at is not None
    assert fake.calls[-1]["methodProperties"] == {
        "DateTimeFrom": window["date_from"].strftime("%d.%m.%Y"),
        "DateTimeTo": window["date_to"].strftime("%d.%m.%Y"),
        "GetFullList": "1",
    }


def test_find_waybills_outside_the_window_finds_nothing(fake, carrier):
    carrier.create_waybill(waybill_request(marker="K-8"))
    assert carrier.find_waybills(marker="K-8", date_from=date(2020, 1, 1), date_to=date(2020, 1, 2)) == []


def test_delete_sends_the_ref_and_marks_the_waybill_deleted(fake, carrier):
    waybill = carrier.create_waybill(waybill_request())
    carrier.delete_waybill(ref=waybill.ref)
    assert fake.calls[-1]["modelName"] == "InternetDocument"
    assert fake.calls[-1]["calledMethod"] == "delete"
    assert fake.calls[-1]["methodProperties"] == {"DocumentRefs": waybill.ref}
    assert fake.documents[waybill.ref]["StateId"] == 2


def test_delete_is_refused_once_the_parcel_moved_and_changes_nothing(fake, carrier):
    waybill = carrier.create_waybill(waybill_request())
    fake.set_status(waybill.number, 4)
    with pytest.raises(CarrierError) as caught:
        carrier.delete_waybill(ref=waybill.ref)
    assert caught.value.transient is False
    assert caught.value.codes == ("20000200153",)
    assert fake.documents[waybill.ref]["StateId"] == 4


def test_deleting_twice_is_refused(fake, carrier):
    waybill = carrier.create_waybill(waybill_request())
    carrier.delete_waybill(ref=waybill.ref)
    with pytest.raises(CarrierError) as caught:
        carrier.delete_waybill(ref=waybill.ref)
    assert caught.value.codes == ("20000200205",)


# --- tracking -----------------------------------------------------------------------------------


def test_track_refuses_more_than_100_numbers_without_calling(fake, carrier):
    with pytest.raises(ValueError):
        carrier.track(numbers=[f"2045{i:010d}" for i in range(101)], phone=SENDER.phone)
    assert fake.calls == []


def test_track_of_nothing_calls_nothing(fake, carrier):
    assert carrier.track(numbers=[], phone=SENDER.phone) == []
    assert fake.calls == []


def test_track_sends_numbers_with_the_phone_and_maps_the_answer(fake, carrier):
    # given a received parcel, a refused one with a return waybill, and an unknown number
    received = carrier.create_waybill(waybill_request(marker="K-1"))
    refused = carrier.create_waybill(waybill_request(marker="K-2"))
    delivered_at = datetime(2030, 4, 6, 18, 47, 40, tzinfo=KYIV)
    fake.set_status(received.number, 9, actual_delivery=delivered_at)
    fake.set_status(refused.number, 102, return_number="20450000009999")
    # when we track all three (one with spaces, as staff paste them)
    numbers = [received.number, f"{refused.number[:4]} {refused.number[4:]}", "20459999999999"]
    infos = carrier.track(numbers=numbers, phone=SENDER.phone)
    # then the request is NP's and the answer is ours
    assert fake.calls[-1]["methodProperties"] == {
        "Documents": [
            {"DocumentNumber": received.number, "Phone": SENDER.phone},
            {"DocumentNumber": refused.number, "Phone": SENDER.phone},
            {"DocumentNumber": "20459999999999", "Phone": SENDER.phone},
        ]
    }
    assert [(i.number, i.state, i.carrier_code, i.delivered_at, i.return_number) for i in infos] == [
        (received.number, ParcelState.DELIVERED, 9, delivered_at, ""),
        (refused.number, ParcelState.REFUSED, 102, None, "20450000009999"),
        ("20459999999999", ParcelState.UNKNOWN, 3, None, ""),
    ]
    assert infos[0].text == "Відправлення отримано"
    assert infos[0].raw["ClientBarcode"] == "K-1"
    assert isinstance(infos[0], ParcelEvent)


def test_a_money_transfer_document_is_not_a_return_waybill(fake, carrier):
    waybill = carrier.create_waybill(waybill_request(cod_amount=10000))
    fake.set_status(waybill.number, 106, return_number="0300-1234-5678")
    (info,) = carrier.track(numbers=[waybill.number], phone=SENDER.phone)
    assert (info.state, info.carrier_code, info.cod_collected) == (ParcelState.DELIVERED, 106, False)
    assert info.return_number == ""


@pytest.mark.parametrize(
    ("code", "state", "handed_over", "cod_collected"),
    [
        (1, "created", False, False),
        (2, "deleted", False, False),
        (3, "unknown", False, False),
        (12, "accepted", True, False),
        (4, "in_transit", True, False),
        (7, "arrived", True, False),
        (9, "delivered", True, False),
        (10, "delivered", True, True),
        (11, "delivered", True, True),
        (102, "refused", True, False),
        (105, "returning", True, False),
        (999, "unknown", False, False),
    ],
)
def test_status_codes_become_carrier_neutral_parcel_events(code, state, handed_over, cod_collected):
    event = parcel_event(number="20450000000001", code=code, text="x")
    assert (event.state, event.state.handed_over, event.cod_collected, event.carrier_code) == (
        state,
        handed_over,
        cod_collected,
        code,
    )


# --- labels -------------------------------------------------------------------------------------


def test_a_100x100_label_is_a_pdf_from_the_zebra_url(fake, carrier):
    waybill = carrier.create_waybill(waybill_request())
    pdf = carrier.label_pdf(refs=[waybill.ref], layout="100x100")
    assert pdf.startswith(b"%PDF-1.4")
    assert fake.prints == [{"method": "printMarking100x100", "refs": [waybill.ref], "zebra": True}]
    assert fake.api_key.encode() not in pdf


def test_a4_labels_print_the_full_waybills_in_one_pdf(fake, carrier):
    first = carrier.create_waybill(waybill_request(marker="K-1"))
    second = carrier.create_waybill(waybill_request(marker="K-2"))
    pdf = carrier.label_pdf(refs=[first.ref, second.ref], layout="a4")
    assert pdf.startswith(b"%PDF")
    assert fake.prints == [{"method": "printDocument", "refs": [first.ref, second.ref], "zebra": False}]


def test_an_unknown_layout_is_refused(carrier):
    with pytest.raises(ValueError):
        carrier.label_pdf(refs=["x"], layout="85x85")


def test_a_label_that_is_not_a_pdf_is_transient_and_never_shows_the_key(fake, caplog):
    caplog.set_level(logging.DEBUG)
    carrier = NovaPoshtaCarrier(fake.client(api_key="wrong-key-4d2b8e"))
    with pytest.raises(CarrierError) as caught:
        carrier.label_pdf(refs=["0d8f2a6e-0000-4000-8000-000000000001"], layout="100x100")
    assert caught.value.transient is True
    assert caught.value.codes == ("not_pdf",)
    assert "wrong-key-4d2b8e" not in printed(caught.value)
    assert "wrong-key-4d2b8e" not in caplog.text
    assert fake.prints[0]["method"] == "printMarking100x100"


@pytest.mark.parametrize("failure", [500, "timeout", "crash_after_save"])
def test_label_download_failures_are_transient_and_never_show_the_key(fake, carrier, caplog, failure):
    caplog.set_level(logging.DEBUG)
    waybill = carrier.create_waybill(waybill_request())
    fake.fail_next(failure)
    with pytest.raises(CarrierError) as caught:
        carrier.label_pdf(refs=[waybill.ref], layout="a4")
    assert caught.value.transient is True
    assert fake.api_key not in printed(caught.value)
    assert fake.api_key not in caplog.text


def test_urllib3s_request_line_is_logged_with_the_key_masked(fake, carrier, caplog):
    caplog.set_level(logging.DEBUG)
    waybill = carrier.create_waybill(waybill_request())
    carrier.label_pdf(refs=[waybill.ref], layout="100x100")
    assert f"/{waybill.ref}/type/pdf/apiKey/***/zebra HTTP/1.1" in caplog.text
    assert fake.api_key not in caplog.text


def test_an_unreachable_label_server_never_shows_the_key(fake, caplog):
    caplog.set_level(logging.DEBUG)
    carrier = NovaPoshtaCarrier(fake.client(print_url="http://127.0.0.1:9/orders/"))
    with pytest.raises(CarrierError) as caught:
        carrier.label_pdf(refs=["ref-1"], layout="100x100")
    assert caught.value.transient is True
    assert caught.value.codes == ("unreachable",)
    assert fake.api_key not in printed(caught.value)
    assert fake.api_key not in caplog.text


def test_the_client_never_shows_its_key(fake):
    client = fake.client()
    assert fake.api_key not in repr(client)
    assert fake.api_key not in str(vars(NovaPoshtaCarrier(client)))


# --- directory ----------------------------------------------------------------------------------


def test_cities_are_paged_with_the_city_ref(fake, carrier):
    first = carrier.cities(page=1, page_size=2)
    assert first == [
        City(ref=KYIV_REF, name="Київ", area="Київська", settlement_type="місто"),
        City(ref=LVIV_REF, name="Львів", area="Львівська", settlement_type="місто"),
    ]
    assert fake.calls[-1]["methodProperties"] == {"Page": "1", "Limit": "2"}
    assert len(carrier.cities(page=3, page_size=2)) == 1
    assert carrier.cities(page=4, page_size=2) == []


def test_warehouses_carry_the_city_ref_not_the_settlement_ref(fake, carrier):
    rows = []
    page = 1
    while batch := carrier.warehouses(page=page, page_size=5):
        rows += batch
        page += 1
    assert len(rows) == len(fake.warehouses)
    kyiv = [w for w in rows if w.number in ("1", "5501") and w.city_ref == KYIV_REF]
    assert [(w.ref, w.kind, w.max_weight_kg, w.is_active) for w in kyiv] == [
        (KYIV_BRANCH_1, "cargo", 1100, True),
        (next(r["Ref"] for r in fake.warehouses if r["Number"] == "5501"), "parcel_locker", 20, True),
    ]
    assert SETTLEMENT_REFS[KYIV_REF] not in {w.city_ref for w in rows}
    assert {w.city_ref for w in rows} == {row["Ref"] for row in fake.cities}
    small = next(w for w in rows if w.city_ref == LVIV_REF and w.number == "2")
    assert (small.kind, small.max_weight_kg) == ("branch", 30)
    assert small.name == "Відділення №2 (до 30 кг): вул. Пасічна, 168"
    closed = [w.number for w in rows if not w.is_active]
    assert closed == ["2"]


# --- throttling ---------------------------------------------------------------------------------


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def test_calls_are_spaced_by_the_minimum_interval(fake):
    # given a client allowed one call per 0.2 s, and a clock that only moves when it sleeps
    clock = FakeClock()
    carrier = NovaPoshtaCarrier(fake.client(min_interval=0.2, throttle=Throttle(clock=clock, sleep=clock.sleep)))
    # when it makes three calls at once, then one after a pause
    for _ in range(3):
        carrier.cities(page=1, page_size=1)
    clock.now += 5
    carrier.cities(page=1, page_size=1)
    # then it waited before the 2nd and 3rd, and not after the pause
    assert clock.sleeps == [0.2, 0.2]
    assert len(fake.calls) == 4


def test_threads_sharing_a_throttle_queue_up(fake):
    clock = FakeClock()
    lock = threading.Lock()

    def sleep(seconds):
        with lock:
            clock.sleeps.append(round(seconds, 6))

    throttle = Throttle(clock=clock, sleep=sleep)
    threads = [threading.Thread(target=throttle.wait, args=(0.5,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # the clock stood still: each thread got the next slot, half a second after the last
    assert sorted(clock.sleeps) == [0.5, 1.0, 1.5]


def test_the_fake_sees_real_calls_spaced_apart(fake):
    carrier = NovaPoshtaCarrier(fake.client(min_interval=0.1))
    for _ in range(3):
        carrier.cities(page=1, page_size=1)
    gaps = [later - earlier for earlier, later in zip(fake.call_times, fake.call_times[1:], strict=False)]
    assert all(gap >= 0.09 for gap in gaps), gaps


def test_clients_share_one_process_wide_throttle():
    assert NovaPoshtaClient("a").throttle is NovaPoshtaClient("b").throttle

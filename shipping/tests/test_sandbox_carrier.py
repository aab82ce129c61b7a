"""The Sandbox carrier: local waybills in the cache, statuses that move with an injected clock."""

import re
from datetime import date, datetime, timedelta

import pytest
from django.core.cache import cache

from shipping.carriers.base import CarrierError, Sender, WaybillRequest
from shipping.carriers.novaposhta import KYIV
from shipping.carriers.sandbox import (
    CITY_ROWS,
    KYIV_REF,
    LVIV_REF,
    REFUSING_PHONES,
    WAREHOUSE_ROWS,
    SandboxCarrier,
)

STEP = 120
START = datetime(2030, 3, 11, 10, 0, tzinfo=KYIV)
KYIV_BRANCH_1 = "1ec09d88-e1c2-11e3-8c4a-0050568002cf"
LVIV_BRANCH_2 = next(row["Ref"] for row in WAREHOUSE_ROWS if row["CityRef"] == LVIV_REF and row["Number"] == "2")
SENDER = Sender(
    counterparty_ref="sender",
    contact_ref="contact",
    phone="380501112233",
    city_ref=KYIV_REF,
    warehouse_ref=KYIV_BRANCH_1,
    description="Товари для дому",
)


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
def carrier(clock):
    return SandboxCarrier(now=clock, seconds_per_step=STEP)


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
    }
    fields.update(overrides)
    return WaybillRequest(**fields)


WINDOW = {"date_from": date(2030, 3, 10), "date_to": date(2030, 3, 12)}


def test_a_waybill_is_created_and_found_again_by_a_fresh_process(carrier, clock):
    waybill = carrier.create_waybill(waybill_request())
    assert re.fullmatch(r"2045\d{10}", waybill.number)
    assert (waybill.cost, waybill.estimated_delivery, waybill.status_code) == (7000, date(2030, 3, 13), 1)
    # a worker that crashed after the call finds it through the carrier's own state
    found = SandboxCarrier(now=clock, seconds_per_step=STEP).find_waybills(marker="K-1001", **WINDOW)
    assert [(w.ref, w.number, w.marker) for w in found] == [(waybill.ref, waybill.number, "K-1001")]
    assert cache.get(f"sandbox-carrier:doc:{waybill.ref}")["number"] == waybill.number


def test_numbers_are_deterministic_per_marker_and_distinct_per_waybill(carrier, clock):
    first = carrier.create_waybill(waybill_request())
    second = carrier.create_waybill(waybill_request())
    other = carrier.create_waybill(waybill_request(marker="K-1002"))
    assert len({first.number, second.number, other.number}) == 3
    # the same history replays to the same numbers
    cache.delete_pattern("sandbox-carrier:*")
    again = SandboxCarrier(now=clock, seconds_per_step=STEP)
    assert again.create_waybill(waybill_request()).number == first.number
    assert again.create_waybill(waybill_request()).number == second.number


def test_find_waybills_ignores_other_markers_deleted_ones_and_other_dates(carrier):
    deleted = carrier.create_waybill(waybill_request())
    carrier.delete_waybill(ref=deleted.ref)
    live = carrier.create_waybill(waybill_request())
    carrier.create_waybill(waybill_request(marker="K-2"))
    later = carrier.create_waybill(waybill_request(send_date=date(2030, 3, 20)))
    assert [w.ref for w in carrier.find_waybills(marker="K-1001", **WINDOW)] == [live.ref]
    wide = carrier.find_waybills(marker="K-1001", date_from=date(2030, 3, 1), date_to=date(2030, 3, 31))
    assert [w.ref for w in wide] == [live.ref, later.ref]


def test_a_past_send_date_becomes_today(carrier):
    carrier.create_waybill(waybill_request(send_date=date(2030, 3, 1)))
    (found,) = carrier.find_waybills(marker="K-1001", date_from=date(2030, 3, 11), date_to=date(2030, 3, 11))
    assert found.estimated_delivery == date(2030, 3, 13)


def test_a_parcel_moves_through_the_statuses_with_time(carrier, clock):
    waybill = carrier.create_waybill(waybill_request())
    seen = []
    for _ in range(5):
        (info,) = carrier.track(numbers=[waybill.number], phone=SENDER.phone)
        seen.append((info.carrier_code, info.delivered_at))
        clock.advance(STEP)
    assert seen == [(1, None), (4, None), (7, None), (9, START + timedelta(seconds=3 * STEP)), (9, seen[3][1])]
    assert info.text == "Відправлення отримано"
    assert info.raw["StatusCode"] == "9"


def test_a_cash_on_delivery_parcel_ends_with_the_money_paid_out(carrier, clock):
    waybill = carrier.create_waybill(waybill_request(cod_amount=49999))
    codes = []
    for _ in range(5):
        codes.append(carrier.track(numbers=[waybill.number], phone=SENDER.phone)[0].carrier_code)
        clock.advance(STEP)
    assert codes == [1, 4, 7, 10, 11]
    assert waybill.cost == 7000 + 2000 + 999


def test_a_refusing_recipient_sends_the_parcel_back_on_a_return_waybill(carrier, clock):
    waybill = carrier.create_waybill(waybill_request(recipient_phone=sorted(REFUSING_PHONES)[0]))
    clock.advance(3 * STEP)
    (info,) = carrier.track(numbers=[waybill.number], phone=SENDER.phone)
    assert info.carrier_code == 102
    assert re.fullmatch(r"2045\d{10}", info.return_number)
    assert info.return_number != waybill.number
    codes = []
    for _ in range(3):
        codes.append(carrier.track(numbers=[info.return_number], phone=SENDER.phone)[0].carrier_code)
        clock.advance(STEP)
    assert codes == [5, 7, 9]


def test_an_unknown_number_is_not_found(carrier):
    (info,) = carrier.track(numbers=["20459999999999"], phone=SENDER.phone)
    assert (info.number, info.carrier_code) == ("20459999999999", 3)


def test_track_refuses_more_than_100_numbers(carrier):
    with pytest.raises(ValueError):
        carrier.track(numbers=[str(i) for i in range(101)], phone=SENDER.phone)


def test_delete_works_while_created_and_tracking_shows_deleted(carrier):
    waybill = carrier.create_waybill(waybill_request())
    carrier.delete_waybill(ref=waybill.ref)
    (info,) = carrier.track(numbers=[waybill.number], phone=SENDER.phone)
    assert info.carrier_code == 2
    with pytest.raises(CarrierError) as caught:
        carrier.delete_waybill(ref=waybill.ref)
    assert caught.value.codes == ("20000200205",)


def test_delete_is_refused_once_the_parcel_moved_and_changes_nothing(carrier, clock):
    waybill = carrier.create_waybill(waybill_request())
    clock.advance(STEP)
    with pytest.raises(CarrierError) as caught:
        carrier.delete_waybill(ref=waybill.ref)
    assert (caught.value.transient, caught.value.codes) == (False, ("20000200153",))
    assert carrier.track(numbers=[waybill.number], phone=SENDER.phone)[0].carrier_code == 4


@pytest.mark.parametrize(
    ("overrides", "code"),
    [({"recipient_phone": "0671234567"}, "20000300434"), ({"weight_grams": 0}, "20000200373")],
)
def test_a_wrong_waybill_is_refused_like_nova_poshta_and_nothing_is_stored(carrier, overrides, code):
    with pytest.raises(CarrierError) as caught:
        carrier.create_waybill(waybill_request(**overrides))
    assert (caught.value.transient, caught.value.codes) == (False, (code,))
    assert carrier.find_waybills(marker="K-1001", **WINDOW) == []


@pytest.mark.parametrize(("layout", "size"), [("100x100", b"283.46 283.46"), ("a4", b"595.28 841.89")])
def test_labels_are_valid_pdfs_with_the_ttn(carrier, layout, size):
    first = carrier.create_waybill(waybill_request())
    second = carrier.create_waybill(waybill_request(marker="K-1002"))
    pdf = carrier.label_pdf(refs=[first.ref, second.ref], layout=layout)
    assert pdf.startswith(b"%PDF-1.4\n")
    assert pdf.endswith(b"%%EOF\n")
    assert f"TTN {first.number}".encode() in pdf
    assert f"TTN {second.number}".encode() in pdf
    assert b"/Count 2" in pdf
    assert size in pdf
    # the cross-reference table points at every object
    startxref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[startxref:].startswith(b"xref\n")
    header, *entries = pdf[startxref:].split(b"trailer")[0].split(b"\n")[1:-1]
    count = int(header.split()[1])
    assert len(entries) == count
    for number, entry in enumerate(entries[1:], start=1):
        offset = int(entry.split()[0])
        assert pdf[offset:].startswith(b"%d 0 obj" % number)


def test_a_label_for_an_unknown_waybill_is_refused(carrier):
    with pytest.raises(CarrierError):
        carrier.label_pdf(refs=["no-such-ref"], layout="a4")


def test_the_directory_is_built_in_and_paged(carrier):
    cities = carrier.cities(page=1, page_size=100)
    assert [c.name for c in cities][:2] == ["Київ", "Львів"]
    assert len(cities) == len(CITY_ROWS)
    assert carrier.cities(page=2, page_size=100) == []
    warehouses = carrier.warehouses(page=1, page_size=100)
    assert len(warehouses) == len(WAREHOUSE_ROWS)
    assert {w.city_ref for w in warehouses} == {c.ref for c in cities}
    assert {"branch", "cargo", "parcel_locker"} == {w.kind for w in warehouses}
    assert [w.name for w in carrier.warehouses(page=2, page_size=3)] == [w.name for w in warehouses[3:6]]

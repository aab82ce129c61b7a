"""Nova Poshta's StatusCode (reference/novaposhta.md §4.3, §8.2) as carrier-neutral parcel events.

This table is the only place in kramar that knows what NP's numbers mean; shipping services
speak ParcelState.
"""

from datetime import datetime

from shipping.carriers.base import ParcelEvent, ParcelState

NOT_FOUND = 3
STATES = {
    1: ParcelState.CREATED,
    2: ParcelState.DELETED,
    3: ParcelState.UNKNOWN,
    12: ParcelState.ACCEPTED,
    **dict.fromkeys((4, 41, 5, 6, 101, 104, 111, 112), ParcelState.IN_TRANSIT),
    **dict.fromkeys((7, 8, 14, 107), ParcelState.ARRIVED),
    **dict.fromkeys((9, 10, 11, 106), ParcelState.DELIVERED),
    **dict.fromkeys((102, 103), ParcelState.REFUSED),
    **dict.fromkeys((105, 108), ParcelState.RETURNING),
}
COD_COLLECTED = frozenset({10, 11})  # received; the money travels to (10) or reached (11) the sender


def parcel_event(
    *,
    number: str,
    code: int,
    text: str = "",
    return_number: str = "",
    delivered_at: datetime | None = None,
    raw: dict | None = None,
) -> ParcelEvent:
    return ParcelEvent(
        number=number,
        state=STATES.get(code, ParcelState.UNKNOWN),
        carrier_code=code,
        text=text,
        return_number=return_number,
        delivered_at=delivered_at,
        cod_collected=code in COD_COLLECTED,
        raw=raw or {},
    )

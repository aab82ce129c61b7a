"""Nova Poshta's value formats: numbers as strings, hryvnias, kilograms, a dozen date formats."""

import logging
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

logger = logging.getLogger(__name__)

KYIV = ZoneInfo("Europe/Kyiv")

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

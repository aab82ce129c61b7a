"""What every shipping service shares: the shop's day, the sender, poll intervals and back-off."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from constance import config
from django.utils import timezone
from django.utils.translation import gettext_noop

from orders.services import lock_order
from shipping.carriers.base import Sender
from shipping.models import Shipment

KYIV = ZoneInfo("Europe/Kyiv")
S = Shipment.Status
MAX_ATTEMPTS = 8
RECONCILE_AFTER = timedelta(minutes=2)  # a `creating` older than this is looked up at the carrier
# Stored in English (a known message, like a code) and shown translated: see shown_error().
NO_BRANCH = gettext_noop("No Nova Poshta city or branch was chosen: fix the delivery data, then retry.")
POLL_EVERY = {
    S.LABEL_CREATED: timedelta(minutes=30),
    S.IN_TRANSIT: timedelta(hours=1),
    S.ARRIVED: timedelta(hours=2),
    S.RETURNING: timedelta(hours=3),
}


def poll_interval(shipment: Shipment) -> timedelta:
    if shipment.carrier == "sandbox":  # the sandbox moves parcels in minutes, so look often
        return timedelta(minutes=1)
    return POLL_EVERY.get(shipment.status, timedelta(hours=1))


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def kyiv_today():
    return timezone.now().astimezone(KYIV).date()


def sender_from_settings() -> Sender:
    return Sender(
        counterparty_ref=config.NP_SENDER_COUNTERPARTY_REF,
        contact_ref=config.NP_SENDER_CONTACT_REF,
        phone=config.NP_SENDER_PHONE,
        city_ref=config.NP_SENDER_CITY_REF,
        warehouse_ref=config.NP_SENDER_WAREHOUSE_REF,
        description=config.NP_PARCEL_DESCRIPTION,
    )


def lock_shipment(shipment_id: int, *, order_id: int | None = None) -> Shipment:
    """Lock the shipment's order, then the shipment (the global lock order), and return the shipment.

    Its `order` is the locked order row, so callers need no second query for it. A caller that
    already holds the shipment passes its `order_id` (it never changes) to save the look-up.
    """
    if order_id is None:
        order_id = Shipment.objects.values_list("order_id", flat=True).get(pk=shipment_id)
    order = lock_order(order_id)
    shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
    shipment.order = order
    return shipment

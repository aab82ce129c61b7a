"""Every change to shipments: planning, labels exactly once, tracking, cancelling, retrying.

Lock order, as everywhere: the order row, then the shipment row. No carrier call is made
while a row is locked: a label is claimed (`creating`, committed), then the carrier is
called, then the answer is recorded in a new transaction.

common     the shop's day, the sender, poll intervals, back-off
planning   plan_shipments
labels     reconcile_creating, label_pdf (and the claim → call → record steps of a label)
label_runs create_labels: batches until none is pending or the time slice ends, calls in parallel
tracking   track_shipments
staff      cancel_shipment, void_waybill, retry_shipment, cancel_waybills_of_cancelled_orders
"""

from shipping.services.common import KYIV, kyiv_today, sender_from_settings
from shipping.services.label_runs import create_labels
from shipping.services.labels import _adopt, label_pdf, reconcile_creating
from shipping.services.planning import plan_shipments
from shipping.services.staff import cancel_shipment, cancel_waybills_of_cancelled_orders, retry_shipment, void_waybill
from shipping.services.tracking import track_shipments

__all__ = [
    "KYIV",
    "_adopt",
    "cancel_shipment",
    "cancel_waybills_of_cancelled_orders",
    "create_labels",
    "kyiv_today",
    "label_pdf",
    "plan_shipments",
    "reconcile_creating",
    "retry_shipment",
    "sender_from_settings",
    "track_shipments",
    "void_waybill",
]

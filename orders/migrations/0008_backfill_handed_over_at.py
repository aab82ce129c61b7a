"""Backfill Order.handed_over_at from shipments whose carrier status already shows movement.

Before this field, "has the parcel left?" was read from the shipment each time: a parcel is
with the carrier once it is in transit or beyond, or once its Nova Poshta status code is past
1-3 (1: created, not handed over; 2: deleted; 3: number not found). No moment of hand-over
was stored, so the earliest recorded one stands in: the label's creation time (else the
shipment's last update). Only orders shipped or beyond get it, as record_handover does.
"""

from django.db import migrations
from django.db.models import Q

MOVED = ("in_transit", "arrived", "delivered", "returning", "returned")
HANDED_OVER_STATUSES = ("shipped", "delivered", "completed", "returned")


def backfill(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    Shipment = apps.get_model("shipping", "Shipment")
    shipments = (
        Shipment.objects.filter(Q(status__in=MOVED) | Q(carrier_status_code__gt=3))
        .filter(order__status__in=HANDED_OVER_STATUSES, order__handed_over_at__isnull=True)
        .exclude(status="cancelled")
        .order_by("order_id", "id")
        .values_list("order_id", "label_created_at", "updated_at")
    )
    first = {}
    for order_id, label_created_at, updated_at in shipments:
        first.setdefault(order_id, label_created_at or updated_at)
    for order_id, at in first.items():
        Order.objects.filter(pk=order_id).update(handed_over_at=at)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0007_order_handed_over_at"),
        ("shipping", "0002_role_permissions"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]

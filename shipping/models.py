"""Shipments and their state machine (the Nova Poshta directory lives in the directory app)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.large_lists import search_index


class Shipment(ConcurrentTransitionMixin, models.Model):
    """One parcel for one order, and its waybill (TTN) at the carrier.

    `creating` is committed *before* the carrier is called: a shipment found in `creating`
    later (a crash, a timeout) is reconciled through the carrier's document list by its
    marker before anything is tried again, so an order never gets two waybills.
    """

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("shipment status", "Waiting for a label")
        CREATING = "creating", pgettext_lazy("shipment status", "Creating the label")
        LABEL_CREATED = "label_created", pgettext_lazy("shipment status", "Label created")
        IN_TRANSIT = "in_transit", pgettext_lazy("shipment status", "In transit")
        ARRIVED = "arrived", pgettext_lazy("shipment status", "At the branch")
        DELIVERED = "delivered", pgettext_lazy("shipment status", "Delivered")
        RETURNING = "returning", pgettext_lazy("shipment status", "Returning")
        RETURNED = "returned", pgettext_lazy("shipment status", "Returned")
        CANCELLED = "cancelled", pgettext_lazy("shipment status", "Cancelled")
        NEEDS_ATTENTION = "needs_attention", pgettext_lazy("shipment status", "Needs attention")

    ACTIVE = (Status.LABEL_CREATED, Status.IN_TRANSIT, Status.ARRIVED, Status.RETURNING)  # tracked
    MOVING = (Status.LABEL_CREATED, Status.IN_TRANSIT, Status.ARRIVED)

    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="shipments", verbose_name=_("order")
    )
    carrier = models.CharField(max_length=20, verbose_name=_("carrier"))
    marker = models.CharField(
        max_length=40, unique=True, help_text=_("Sent as InfoRegClientBarcodes."), verbose_name=_("marker")
    )
    status = FSMField(
        max_length=20, choices=Status.choices, default=Status.PENDING, protected=True, verbose_name=_("status")
    )
    recipient_name = models.CharField(max_length=150, verbose_name=_("recipient name"))
    recipient_phone = models.CharField(max_length=13, verbose_name=_("recipient phone"))
    city_ref = models.CharField(max_length=36, blank=True, verbose_name=_("city ref"))
    warehouse_ref = models.CharField(max_length=36, blank=True, verbose_name=_("warehouse ref"))
    weight_grams = models.PositiveIntegerField(verbose_name=_("weight grams"))
    declared_value = models.PositiveBigIntegerField(verbose_name=_("declared value"))
    cod_amount = models.PositiveBigIntegerField(default=0, verbose_name=_("cod amount"))
    waybill_ref = models.CharField(max_length=36, blank=True, verbose_name=_("waybill ref"))
    tracking_number = models.CharField(max_length=40, blank=True, db_index=True, verbose_name=_("tracking number"))
    return_tracking_number = models.CharField(max_length=40, blank=True, verbose_name=_("return tracking number"))
    cost = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("cost"))
    estimated_delivery = models.DateField(null=True, blank=True, verbose_name=_("estimated delivery"))
    carrier_status_code = models.IntegerField(null=True, blank=True, verbose_name=_("carrier status code"))
    carrier_status_text = models.CharField(max_length=300, blank=True, verbose_name=_("carrier status text"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    # Failed look-ups of a `creating` shipment at the carrier in a row: each one pushes the
    # next look-up (next_attempt_at) further out, instead of asking again every run.
    lookups_failed = models.PositiveSmallIntegerField(default=0, verbose_name=_("lookups failed"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    creating_since = models.DateTimeField(null=True, blank=True, verbose_name=_("creating since"))
    next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next attempt at"))
    next_poll_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next poll at"))
    label_created_at = models.DateTimeField(null=True, blank=True, verbose_name=_("label created at"))
    # When tracking first said the carrier has the parcel: from then on its waybill can no
    # longer be deleted (shipping.selectors.awaiting_hand_over is the one rule reading it).
    handed_over_at = models.DateTimeField(null=True, blank=True, verbose_name=_("handed over at"))
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("delivered at"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at", "-id"]
        permissions = [("manage_shipment", _("Can cancel, retry and print shipments"))]
        constraints = [
            # One live shipment per order; a cancelled one may be followed by another.
            models.UniqueConstraint(
                fields=["order"], condition=~Q(status="cancelled"), name="shipment_one_live_per_order"
            ),
            models.UniqueConstraint(
                fields=["tracking_number"], condition=~Q(tracking_number=""), name="shipment_tracking_number_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="shipment_status_attempt"),
            models.Index(fields=["status", "next_poll_at"], name="shipment_status_poll"),
            search_index("shipment_marker_trgm", "marker"),  # the admin's search (the marker holds the order number)
        ]

    def __str__(self):
        return self.tracking_number or gettext("shipment %(marker)s") % {"marker": self.marker}

    # --- transitions: set fields only; shipping.services does everything else ------------------

    @transition(field=status, source=Status.PENDING, target=Status.CREATING)
    def claim(self):
        pass

    @transition(field=status, source=Status.CREATING, target=Status.LABEL_CREATED)
    def label(self):
        pass

    @transition(field=status, source=Status.CREATING, target=Status.PENDING)
    def release(self):
        """The carrier has no waybill for it: creating may be tried again."""

    @transition(
        field=status, source=[Status.PENDING, Status.CREATING, Status.LABEL_CREATED], target=Status.NEEDS_ATTENTION
    )
    def flag(self):
        pass

    @transition(field=status, source=Status.NEEDS_ATTENTION, target=Status.PENDING)
    def retry(self):
        pass

    @transition(
        field=status, source=[Status.LABEL_CREATED, Status.ARRIVED, Status.IN_TRANSIT], target=Status.IN_TRANSIT
    )
    def move(self):
        pass

    @transition(field=status, source=[Status.LABEL_CREATED, Status.IN_TRANSIT, Status.ARRIVED], target=Status.ARRIVED)
    def arrive(self):
        pass

    @transition(field=status, source=[Status.LABEL_CREATED, Status.IN_TRANSIT, Status.ARRIVED], target=Status.DELIVERED)
    def deliver(self):
        pass

    @transition(
        field=status,
        source=[Status.LABEL_CREATED, Status.IN_TRANSIT, Status.ARRIVED, Status.DELIVERED],
        target=Status.RETURNING,
    )
    def start_return(self):
        pass

    @transition(field=status, source=Status.RETURNING, target=Status.RETURNED)
    def finish_return(self):
        pass

    @transition(
        field=status, source=[Status.PENDING, Status.NEEDS_ATTENTION, Status.LABEL_CREATED], target=Status.CANCELLED
    )
    def cancel(self):
        pass

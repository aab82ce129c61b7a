"""Shipments and their state machine (the Nova Poshta directory lives in the directory app)."""

from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.large_lists import search_index


class Shipment(ConcurrentTransitionMixin, models.Model):
    """One parcel for one order, and its waybill (TTN) at the carrier.

    `creating` is committed *before* the carrier is called: a shipment found in `creating`
    later (a crash, a timeout) is reconciled through the carrier's document list by its
    marker before anything is tried again, so an order never gets two waybills.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a label"
        CREATING = "creating", "Creating the label"
        LABEL_CREATED = "label_created", "Label created"
        IN_TRANSIT = "in_transit", "In transit"
        ARRIVED = "arrived", "At the branch"
        DELIVERED = "delivered", "Delivered"
        RETURNING = "returning", "Returning"
        RETURNED = "returned", "Returned"
        CANCELLED = "cancelled", "Cancelled"
        NEEDS_ATTENTION = "needs_attention", "Needs attention"

    ACTIVE = (Status.LABEL_CREATED, Status.IN_TRANSIT, Status.ARRIVED, Status.RETURNING)  # tracked
    MOVING = (Status.LABEL_CREATED, Status.IN_TRANSIT, Status.ARRIVED)

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="shipments")
    carrier = models.CharField(max_length=20)
    marker = models.CharField(max_length=40, unique=True, help_text="Sent as InfoRegClientBarcodes.")
    status = FSMField(max_length=20, choices=Status.choices, default=Status.PENDING, protected=True)
    recipient_name = models.CharField(max_length=150)
    recipient_phone = models.CharField(max_length=13)
    city_ref = models.CharField(max_length=36, blank=True)
    warehouse_ref = models.CharField(max_length=36, blank=True)
    weight_grams = models.PositiveIntegerField()
    declared_value = models.PositiveBigIntegerField()
    cod_amount = models.PositiveBigIntegerField(default=0)
    waybill_ref = models.CharField(max_length=36, blank=True)
    tracking_number = models.CharField(max_length=40, blank=True, db_index=True)
    return_tracking_number = models.CharField(max_length=40, blank=True)
    cost = models.PositiveBigIntegerField(null=True, blank=True)
    estimated_delivery = models.DateField(null=True, blank=True)
    carrier_status_code = models.IntegerField(null=True, blank=True)
    carrier_status_text = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Failed look-ups of a `creating` shipment at the carrier in a row: each one pushes the
    # next look-up (next_attempt_at) further out, instead of asking again every run.
    lookups_failed = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    creating_since = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    label_created_at = models.DateTimeField(null=True, blank=True)
    # When tracking first said the carrier has the parcel: from then on its waybill can no
    # longer be deleted (shipping.selectors.awaiting_hand_over is the one rule reading it).
    handed_over_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("manage_shipment", "Can cancel, retry and print shipments")]
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
        return self.tracking_number or f"shipment {self.marker}"

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

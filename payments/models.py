"""Payments, refunds and the webhook inbox.

A Payment is one attempt to collect money through one provider, for an order or for a
store-credit top-up. Its status is a protected FSM field; payments.services owns every change.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from core.large_lists import search_index
from core.money import DEFAULT_CURRENCY


class Payment(ConcurrentTransitionMixin, models.Model):
    class Status(models.TextChoices):
        CREATED = "created", "Created"
        PENDING = "pending", "Pending (shopper at the provider)"
        CAPTURED = "captured", "Captured"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"
        DISPUTED = "disputed", _("Disputed (chargeback open; refunds frozen)")
        CHARGED_BACK = "charged_back", _("Charged back (dispute lost)")

    class DisputeOutcome(models.TextChoices):
        WON = "won", _("Won: the money stays ours")
        LOST = "lost", _("Lost: the money went back to the cardholder")

    class Purpose(models.TextChoices):
        ORDER = "order", "Order"
        TOP_UP = "top_up", "Store credit top-up"

    OPEN = (Status.CREATED, Status.PENDING)
    PAID = (Status.CAPTURED, Status.PARTIALLY_REFUNDED, Status.REFUNDED, Status.DISPUTED, Status.CHARGED_BACK)
    DISPUTABLE = (Status.CAPTURED, Status.PARTIALLY_REFUNDED)

    reference = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, help_text="Our id of this attempt; the provider's order id."
    )
    provider = models.CharField(max_length=20)
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.ORDER)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        help_text="Whose wallet a top-up credits.",
    )
    amount = models.PositiveBigIntegerField(help_text="Asked for, in kopiyky.")
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY)
    status = FSMField(max_length=20, choices=Status.choices, default=Status.CREATED, protected=True)
    captured_amount = models.PositiveBigIntegerField(default=0)
    refunded_amount = models.PositiveBigIntegerField(default=0, help_text="Confirmed by the provider.")
    refund_requested_amount = models.PositiveBigIntegerField(
        default=0, help_text="Asked of the provider and not failed (includes refunded_amount)."
    )
    fee = models.PositiveBigIntegerField(default=0)
    is_overpayment = models.BooleanField(
        default=False, help_text="Captured for an order that was already paid or could not be revived."
    )
    provider_payment_id = models.CharField(max_length=100, blank=True)
    redirect_url = models.URLField(max_length=2000, blank=True)
    form_action = models.URLField(max_length=500, blank=True)
    form_fields = models.JSONField(default=dict, blank=True)
    last_provider_status = models.CharField(max_length=50, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    needs_review = models.BooleanField(default=False)
    review_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    # A dispute (chargeback): who opened it and why, how it ended. Opened by a provider's
    # notice (disputed_by empty) or by staff; while open, refunds are frozen.
    status_before_dispute = models.CharField(max_length=20, blank=True)
    disputed_at = models.DateTimeField(null=True, blank=True)
    disputed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dispute_reason = models.CharField(max_length=500, blank=True)
    dispute_outcome = models.CharField(max_length=10, choices=DisputeOutcome.choices, blank=True)
    dispute_resolved_at = models.DateTimeField(null=True, blank=True)
    dispute_resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dispute_note = models.CharField(max_length=500, blank=True)
    charged_back_amount = models.PositiveBigIntegerField(
        default=0, help_text="Taken back by the provider after a lost dispute (kopiyky)."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("refund_payment", "Can refund payments"),
            ("reprocess_webhook", "Can re-process webhook events"),
            ("dispute_payment", "Can open and resolve payment disputes"),
        ]
        constraints = [
            # At most one open attempt per order: a new attempt supersedes the old one first.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status__in=["created", "pending"]),
                name="payment_one_open_attempt_per_order",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=F("refund_requested_amount")), name="payment_refunded_within_requested"
            ),
            models.CheckConstraint(
                condition=Q(refund_requested_amount__lte=F("captured_amount")), name="payment_never_over_refunded"
            ),
            models.CheckConstraint(
                condition=Q(purpose="order", order__isnull=False) | Q(purpose="top_up", customer__isnull=False),
                name="payment_has_a_purpose",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="payment_status_created"),
            search_index("payment_provider_id_trgm", "provider_payment_id"),  # the admin's search
        ]

    def __str__(self):
        return f"{self.provider} {self.reference} ({self.status})"

    @property
    def refundable(self) -> int:
        return self.captured_amount - self.refund_requested_amount

    # --- transitions: set fields only ---------------------------------------------------------

    @transition(field=status, source=Status.CREATED, target=Status.PENDING)
    def start(self):
        pass

    @transition(
        field=status, source=[Status.CREATED, Status.PENDING, Status.FAILED, Status.EXPIRED], target=Status.CAPTURED
    )
    def capture(self):
        """A late success overrides a failure or expiry: the money did arrive."""

    @transition(field=status, source=[Status.CREATED, Status.PENDING], target=Status.FAILED)
    def fail(self):
        pass

    @transition(field=status, source=[Status.CREATED, Status.PENDING], target=Status.EXPIRED)
    def expire(self):
        pass

    @transition(field=status, source=[Status.CAPTURED, Status.PARTIALLY_REFUNDED], target=Status.PARTIALLY_REFUNDED)
    def refund_partly(self):
        pass

    @transition(field=status, source=[Status.CAPTURED, Status.PARTIALLY_REFUNDED], target=Status.REFUNDED)
    def refund_fully(self):
        pass

    @transition(field=status, source=[Status.CAPTURED, Status.PARTIALLY_REFUNDED], target=Status.DISPUTED)
    def dispute(self):
        """A chargeback is open: refunds freeze until it is resolved."""
        self.status_before_dispute = self.status

    @transition(field=status, source=Status.DISPUTED, target=RETURN_VALUE(Status.CAPTURED, Status.PARTIALLY_REFUNDED))
    def win_dispute(self):
        """Back to where it was before the dispute."""
        return self.status_before_dispute or Payment.Status.CAPTURED

    @transition(field=status, source=Status.DISPUTED, target=Status.CHARGED_BACK)
    def lose_dispute(self):
        pass


class Refund(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested (not yet sent)"
        PENDING = "pending", "In progress at the provider"
        SUCCEEDED = "succeeded", "Refunded"
        FAILED = "failed", "Failed"

    class Kind(models.TextChoices):
        STAFF = "staff", _("Asked for by staff in the admin")
        API = "api", _("Asked for through the API")
        OVERPAYMENT = "overpayment", _("Overpayment returned automatically")
        ORDER_CLOSED = "order_closed", _("Order cancelled or expired")
        EXTERNAL = "external", _("Made at the provider, outside kramar")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.STAFF)
    amount = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=500)
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    automatic = models.BooleanField(default=False, help_text="Made by the system (overpayment), not by staff.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    provider_refund_id = models.CharField(max_length=100, blank=True)
    provider_message = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]
        indexes = [models.Index(fields=["status", "created_at"], name="refund_status_created")]

    def __str__(self):
        return f"refund {self.amount} of {self.payment_id} ({self.status})"


class WebhookEvent(models.Model):
    """Every callback we received, verified or not, with what we did about it (the inbox)."""

    class Result(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Acknowledged, nothing to do"
        REVIEW = "review", "Needs review"
        REJECTED = "rejected", "Rejected (bad signature)"
        FAILED = "failed", "Failed (will be retried)"

    provider = models.CharField(max_length=20)
    dedupe_key = models.CharField(
        max_length=300, null=True, blank=True, help_text="Empty for rejected callbacks; unique per provider otherwise."
    )
    source = models.CharField(max_length=10, default="webhook", help_text="webhook, or poll (reconciliation).")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="webhook_events")
    raw_body = models.TextField(blank=True)
    content_type = models.CharField(max_length=200, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    remote_ip = models.GenericIPAddressField(null=True, blank=True)
    signature_valid = models.BooleanField()
    event = models.CharField(max_length=20, blank=True)
    provider_status = models.CharField(max_length=50, blank=True)
    update = models.JSONField(default=dict, blank=True, help_text="The verified, provider-neutral update.")
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.RECEIVED)
    result_detail = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["provider", "dedupe_key"], name="webhook_event_dedupe")]
        indexes = [search_index("webhook_dedupe_key_trgm", "dedupe_key")]  # the admin's search

    def __str__(self):
        return f"{self.provider} {self.provider_status or '?'} ({self.result})"

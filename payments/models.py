"""Payments, refunds and the webhook inbox.

A Payment is one attempt to collect money through one provider, for an order or for a
store-credit top-up. Its status is a protected FSM field; payments.services owns every change.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from core.large_lists import search_index
from core.money import DEFAULT_CURRENCY


class Payment(ConcurrentTransitionMixin, models.Model):
    class Status(models.TextChoices):
        CREATED = "created", pgettext_lazy("payment status", "Created")
        PENDING = "pending", pgettext_lazy("payment status", "Pending (shopper at the provider)")
        CAPTURED = "captured", pgettext_lazy("payment status", "Captured")
        PARTIALLY_REFUNDED = "partially_refunded", pgettext_lazy("payment status", "Partially refunded")
        REFUNDED = "refunded", pgettext_lazy("payment status", "Refunded")
        FAILED = "failed", pgettext_lazy("payment status", "Failed")
        EXPIRED = "expired", pgettext_lazy("payment status", "Expired")
        DISPUTED = "disputed", _("Disputed (chargeback open; refunds frozen)")
        CHARGED_BACK = "charged_back", _("Charged back (dispute lost)")

    class DisputeOutcome(models.TextChoices):
        WON = "won", _("Won: the money stays ours")
        LOST = "lost", _("Lost: the money went back to the cardholder")

    class Purpose(models.TextChoices):
        ORDER = "order", pgettext_lazy("payment purpose", "Order")
        TOP_UP = "top_up", pgettext_lazy("payment purpose", "Store credit top-up")

    OPEN = (Status.CREATED, Status.PENDING)
    PAID = (Status.CAPTURED, Status.PARTIALLY_REFUNDED, Status.REFUNDED, Status.DISPUTED, Status.CHARGED_BACK)
    DISPUTABLE = (Status.CAPTURED, Status.PARTIALLY_REFUNDED)

    reference = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_("Our id of this attempt; the provider's order id."),
        verbose_name=_("reference"),
    )
    provider = models.CharField(max_length=20, verbose_name=_("provider"))
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.ORDER, verbose_name=_("purpose"))
    order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("order"),
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        help_text=_("Whose wallet a top-up credits."),
        verbose_name=_("customer"),
    )
    amount = models.PositiveBigIntegerField(help_text=_("Asked for, in kopiyky."), verbose_name=_("amount"))
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY, verbose_name=_("currency"))
    status = FSMField(
        max_length=20, choices=Status.choices, default=Status.CREATED, protected=True, verbose_name=_("status")
    )
    captured_amount = models.PositiveBigIntegerField(default=0, verbose_name=_("captured amount"))
    refunded_amount = models.PositiveBigIntegerField(
        default=0, help_text=_("Confirmed by the provider."), verbose_name=_("refunded amount")
    )
    refund_requested_amount = models.PositiveBigIntegerField(
        default=0,
        help_text=_("Asked of the provider and not failed (includes refunded_amount)."),
        verbose_name=_("refund requested amount"),
    )
    fee = models.PositiveBigIntegerField(default=0, verbose_name=_("fee"))
    is_overpayment = models.BooleanField(
        default=False,
        help_text=_("Captured for an order that was already paid or could not be revived."),
        verbose_name=_("is overpayment"),
    )
    provider_payment_id = models.CharField(max_length=100, blank=True, verbose_name=_("provider payment id"))
    redirect_url = models.URLField(max_length=2000, blank=True, verbose_name=_("redirect url"))
    form_action = models.URLField(max_length=500, blank=True, verbose_name=_("form action"))
    form_fields = models.JSONField(default=dict, blank=True, verbose_name=_("form fields"))
    last_provider_status = models.CharField(max_length=50, blank=True, verbose_name=_("last provider status"))
    failure_reason = models.CharField(max_length=500, blank=True, verbose_name=_("failure reason"))
    needs_review = models.BooleanField(default=False, verbose_name=_("needs review"))
    review_reason = models.CharField(max_length=500, blank=True, verbose_name=_("review reason"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    captured_at = models.DateTimeField(null=True, blank=True, verbose_name=_("captured at"))
    last_checked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last checked at"))
    # A dispute (chargeback): who opened it and why, how it ended. Opened by a provider's
    # notice (disputed_by empty) or by staff; while open, refunds are frozen.
    status_before_dispute = models.CharField(max_length=20, blank=True, verbose_name=_("status before dispute"))
    disputed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("disputed at"))
    disputed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("disputed by"),
    )
    dispute_reason = models.CharField(max_length=500, blank=True, verbose_name=_("dispute reason"))
    dispute_outcome = models.CharField(
        max_length=10, choices=DisputeOutcome.choices, blank=True, verbose_name=_("dispute outcome")
    )
    dispute_resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("dispute resolved at"))
    dispute_resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("dispute resolved by"),
    )
    dispute_note = models.CharField(max_length=500, blank=True, verbose_name=_("dispute note"))
    charged_back_amount = models.PositiveBigIntegerField(
        default=0,
        help_text=_("Taken back by the provider after a lost dispute (kopiyky)."),
        verbose_name=_("charged back amount"),
    )

    class Meta:
        verbose_name = pgettext_lazy("payment object", "payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("refund_payment", _("Can refund payments")),
            ("reprocess_webhook", _("Can re-process webhook events")),
            ("dispute_payment", _("Can open and resolve payment disputes")),
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
        return f"{self.provider} {self.reference} ({self.get_status_display().lower()})"

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
        REQUESTED = "requested", pgettext_lazy("refund status", "Requested (not yet sent)")
        PENDING = "pending", pgettext_lazy("refund status", "In progress at the provider")
        SUCCEEDED = "succeeded", pgettext_lazy("refund status", "Refunded")
        FAILED = "failed", pgettext_lazy("refund status", "Failed")

    class Kind(models.TextChoices):
        STAFF = "staff", _("Asked for by staff in the admin")
        API = "api", _("Asked for through the API")
        OVERPAYMENT = "overpayment", _("Overpayment returned automatically")
        ORDER_CLOSED = "order_closed", _("Order cancelled or expired")
        EXTERNAL = "external", _("Made at the provider, outside kramar")

    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        related_name="refunds",
        verbose_name=pgettext_lazy("payment object", "payment"),
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.STAFF, verbose_name=_("kind"))
    amount = models.PositiveBigIntegerField(verbose_name=_("amount"))
    reason = models.CharField(max_length=500, verbose_name=_("reason"))
    idempotency_key = models.CharField(max_length=200, unique=True, verbose_name=_("idempotency key"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED, verbose_name=_("status"))
    automatic = models.BooleanField(
        default=False, help_text=_("Made by the system (overpayment), not by staff."), verbose_name=_("automatic")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    provider_refund_id = models.CharField(max_length=100, blank=True, verbose_name=_("provider refund id"))
    provider_message = models.CharField(max_length=500, blank=True, verbose_name=_("provider message"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]
        indexes = [models.Index(fields=["status", "created_at"], name="refund_status_created")]

    def __str__(self):
        return gettext("refund #%(id)s (%(status)s)") % {"id": self.pk, "status": self.get_status_display().lower()}


class WebhookEvent(models.Model):
    """Every callback we received, verified or not, with what we did about it (the inbox)."""

    class Result(models.TextChoices):
        RECEIVED = "received", pgettext_lazy("webhookevent result", "Received")
        PROCESSED = "processed", pgettext_lazy("webhookevent result", "Processed")
        IGNORED = "ignored", pgettext_lazy("webhookevent result", "Acknowledged, nothing to do")
        REVIEW = "review", pgettext_lazy("webhookevent result", "Needs review")
        REJECTED = "rejected", pgettext_lazy("webhookevent result", "Rejected (bad signature)")
        FAILED = "failed", pgettext_lazy("webhookevent result", "Failed (will be retried)")

    provider = models.CharField(max_length=20, verbose_name=_("provider"))
    dedupe_key = models.CharField(
        max_length=300,
        null=True,
        blank=True,
        help_text=_("Empty for rejected callbacks; unique per provider otherwise."),
        verbose_name=_("dedupe key"),
    )
    source = models.CharField(
        max_length=10, default="webhook", help_text=_("webhook, or poll (reconciliation)."), verbose_name=_("source")
    )
    payment = models.ForeignKey(
        Payment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="webhook_events",
        verbose_name=pgettext_lazy("payment object", "payment"),
    )
    raw_body = models.TextField(blank=True, verbose_name=_("raw body"))
    content_type = models.CharField(max_length=200, blank=True, verbose_name=_("content type"))
    headers = models.JSONField(default=dict, blank=True, verbose_name=_("headers"))
    remote_ip = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("remote ip"))
    signature_valid = models.BooleanField(verbose_name=_("signature valid"))
    event = models.CharField(max_length=20, blank=True, verbose_name=_("event"))
    provider_status = models.CharField(max_length=50, blank=True, verbose_name=_("provider status"))
    update = models.JSONField(
        default=dict, blank=True, help_text=_("The verified, provider-neutral update."), verbose_name=_("update")
    )
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.RECEIVED, verbose_name=_("result"))
    result_detail = models.TextField(blank=True, verbose_name=_("result detail"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    received_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("received at"))
    processed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("processed at"))

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["provider", "dedupe_key"], name="webhook_event_dedupe")]
        indexes = [search_index("webhook_dedupe_key_trgm", "dedupe_key")]  # the admin's search

    def __str__(self):
        return f"{self.provider} {self.provider_status or '?'} ({self.get_result_display().lower()})"

"""Anti-abuse: the staff's block list and each order's screening (where it came from, its review).

Rows beside orders.Order, not fields on it: the order's table and admin stay as they are, and
an order that was never screened (placed before the rules existed) simply has no screening row.
The tables were the `fraud` app's until orders took them over (orders migrations 0009, 0010).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class BlockedContact(models.Model):
    """A phone or e-mail staff do not sell to online (checkout refuses it)."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    value = models.CharField(
        _("value"), max_length=254, help_text=_("A Ukrainian phone (any spelling) or an e-mail; stored normalised.")
    )
    reason = models.TextField(_("reason"), help_text=_("Why: kept for the next person who looks."))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("blocked phone or e-mail")
        verbose_name_plural = _("blocked phones and e-mails")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="blocked_contact_once")]

    def __str__(self):
        return self.value


class OrderScreening(models.Model):
    """What checkout's anti-abuse rules saw and decided for one order; the review queue's row."""

    class Review(models.TextChoices):
        NOT_NEEDED = "not_needed", _("Not needed")
        PENDING = "pending", _("Needs review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    order = models.OneToOneField(
        "orders.Order", on_delete=models.CASCADE, related_name="screening", verbose_name=_("order")
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    review = models.CharField(_("review"), max_length=16, choices=Review.choices, default=Review.NOT_NEEDED)
    rule = models.CharField(_("rule"), max_length=64, blank=True, help_text=_("The rule that sent it to review."))
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    paid_at = models.DateTimeField(
        _("paid while held"),
        null=True,
        blank=True,
        help_text=_("When its online payment was captured while it waited for review: approval confirms it."),
    )
    created_at = models.DateTimeField(_("screened at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("order screening")
        verbose_name_plural = _("order reviews")
        ordering = ["-created_at", "-id"]
        permissions = [("review_order", _("Can approve or reject orders held for review"))]
        indexes = [
            models.Index(fields=["ip", "created_at"], name="screening_ip_recent"),
            models.Index(fields=["created_at"], condition=models.Q(review="pending"), name="screening_needs_review"),
        ]

    def __str__(self):
        return gettext("screening of order %(id)s") % {"id": self.order_id}

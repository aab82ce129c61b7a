"""The record of what was done with a customer's personal data, and the permissions for it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class PrivacyAction(models.Model):
    """One export or anonymisation of a customer's personal data: who, whom, when."""

    class Kind(models.TextChoices):
        EXPORT = "export", pgettext_lazy("privacy action", "Export")
        ANONYMISE = "anonymise", pgettext_lazy("privacy action", "Anonymisation")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("Empty when run as a management command."),
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("privacy action")
        verbose_name_plural = _("privacy actions")
        ordering = ["-id"]
        permissions = [
            ("export_customer_data", _("Can export everything kept about a customer")),
            ("anonymise_customer", _("Can anonymise a customer's personal data")),
        ]

    def __str__(self):
        return gettext("%(kind)s of customer %(id)s") % {"kind": self.get_kind_display(), "id": self.customer_id}

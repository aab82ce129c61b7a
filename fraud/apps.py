from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FraudConfig(AppConfig):
    """Migrations only (see the package's docstring)."""

    name = "fraud"
    verbose_name = _("Anti-abuse (migrations only)")

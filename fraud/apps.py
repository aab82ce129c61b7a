from django.apps import AppConfig


class FraudConfig(AppConfig):
    """Migrations only (see the package's docstring)."""

    name = "fraud"
    verbose_name = "Anti-abuse (migrations only)"

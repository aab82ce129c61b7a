from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo shop (`manage.py seed_demo`): on top of every app, so nothing below depends on it."""

    name = "demo"
    verbose_name = _("Demo data")

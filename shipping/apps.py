from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShippingConfig(AppConfig):
    name = "shipping"
    verbose_name = _("Shipping")

    def ready(self):
        # core.outbox sends tasks by name (orders kicks the label run): register them in every process.
        from shipping import tasks  # noqa: F401

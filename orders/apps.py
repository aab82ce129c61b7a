from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        # core.outbox sends tasks by name: register them in every process, not only in workers.
        from orders import tasks  # noqa: F401

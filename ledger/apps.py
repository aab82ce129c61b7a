from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = _("Ledger")

    def ready(self):
        # Services name their tasks as strings (core.outbox.enqueue), so nothing imports
        # ledger.tasks any more; register them in every process, web included, here.
        from ledger import tasks  # noqa: F401

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self):
        # core.outbox sends tasks by name: register them in every process, not only in workers.
        from orders import tasks  # noqa: F401

from celery import shared_task

from core.outbox import retry_if_transient
from orders.notifications import send_order_email
from orders.services import expire_unpaid_orders


# Idempotent (at most one e-mail per order and kind, see orders.notifications), as everything
# sent through core.outbox must be; retried on any transient error for about an hour and a half.
@shared_task(bind=True, max_retries=20)
def send_order_email_task(self, *, order_id: int, kind: str):
    try:
        send_order_email(order_id=order_id, kind=kind)
    except Exception as exc:
        raise retry_if_transient(self, exc)


@shared_task
def expire_unpaid_orders_task():
    return expire_unpaid_orders()

from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_order_email_task(*, order_id: int, kind: str):
    from orders.notifications import send_order_email

    send_order_email(order_id=order_id, kind=kind)


@shared_task
def expire_unpaid_orders_task():
    from orders.services import expire_unpaid_orders

    return expire_unpaid_orders()

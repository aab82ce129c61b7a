"""Payments' Celery tasks: each loads ids and calls one service."""

from celery import shared_task

from core.outbox import retry_if_transient
from payments.providers.sandbox import deliver_callback
from payments.services import (
    recognize_revenue_of_delivered_orders,
    reconcile_payments,
    refund_money_of_closed_orders,
    send_refund,
    send_stuck_refunds,
)


# Idempotent: send_refund asks the provider only for a refund still `requested`, marking it
# pending (committed) first, and passes the refund's own idempotency key to the provider; so a
# second delivery (the outbox relay, a redelivery) asks nothing. Provider errors are handled in
# send_refund; a transient error around it (the database restarting) is retried here.
@shared_task(bind=True, max_retries=8)
def send_refund_task(self, *, refund_id: int):
    try:
        send_refund(refund_id=refund_id)
    except Exception as exc:
        raise retry_if_transient(self, exc)


@shared_task
def reconcile_payments_task():
    return reconcile_payments()


@shared_task
def refund_money_of_closed_orders_task():
    return refund_money_of_closed_orders()


@shared_task(autoretry_for=(OSError,), retry_backoff=2, retry_backoff_max=300, max_retries=10)
def deliver_sandbox_callback_task(*, callback_url: str, body: str, signature: str):
    """The Sandbox gateway posting its signed callback, retrying like a real provider."""
    deliver_callback(callback_url=callback_url, body=body, signature=signature)


@shared_task
def recognize_revenue_of_delivered_orders_task():
    return recognize_revenue_of_delivered_orders()


@shared_task
def send_stuck_refunds_task():
    return send_stuck_refunds()

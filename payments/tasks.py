"""Payments' Celery tasks: each loads ids and calls one service."""

from celery import shared_task

from payments.providers.sandbox import deliver_callback
from payments.services import (
    recognize_revenue_of_delivered_orders,
    reconcile_payments,
    refund_money_of_closed_orders,
    send_refund,
    send_stuck_refunds,
)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def send_refund_task(*, refund_id: int):
    send_refund(refund_id=refund_id)


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

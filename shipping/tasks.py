"""Beat and on-demand tasks of shipping: each loads nothing but calls one service.

The task names (shipping.tasks.<name>) are part of the contract: Beat's schedule and other
apps enqueue them by name.
"""

from celery import shared_task

from shipping.directory import sync_directory
from shipping.services import cancel_waybills_of_cancelled_orders, create_labels, plan_shipments, track_shipments


@shared_task
def plan_shipments_task():
    return plan_shipments()


@shared_task
def create_labels_task():
    return create_labels()


@shared_task
def track_shipments_task():
    return track_shipments()


@shared_task
def cancel_waybills_of_cancelled_orders_task():
    return cancel_waybills_of_cancelled_orders()


@shared_task
def sync_directory_task():
    return sync_directory()

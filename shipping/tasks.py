from celery import shared_task


@shared_task
def plan_shipments_task():
    from shipping.services import plan_shipments

    return plan_shipments()


@shared_task
def create_labels_task():
    from shipping.services import create_labels

    return create_labels()


@shared_task
def track_shipments_task():
    from shipping.services import track_shipments

    return track_shipments()


@shared_task
def cancel_waybills_of_cancelled_orders_task():
    from shipping.services import cancel_waybills_of_cancelled_orders

    return cancel_waybills_of_cancelled_orders()


@shared_task
def sync_directory_task():
    from shipping.directory import sync_directory

    return sync_directory()

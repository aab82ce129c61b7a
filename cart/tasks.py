from celery import shared_task

from cart.services import purge_stale_guest_carts


@shared_task
def purge_stale_guest_carts_task():
    return purge_stale_guest_carts()

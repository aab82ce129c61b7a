from celery import shared_task


@shared_task
def purge_stale_guest_carts_task():
    from cart.services import purge_stale_guest_carts

    return purge_stale_guest_carts()

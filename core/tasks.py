from celery import shared_task


@shared_task
def purge_idempotency_keys_task():
    from core.idempotency import purge_expired_idempotency_keys

    return purge_expired_idempotency_keys()

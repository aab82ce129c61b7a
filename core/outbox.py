"""Side effects that must happen (e-mails, kicks, sends to providers) leave through here.

Call `enqueue("orders.tasks.send_order_email_task", order_id=..., kind=...)` inside the
transaction that makes the change; the message leaves once that transaction commits.

This is the one door for every side effect, so the delivery guarantee can be changed in one
place: the transactional outbox table and its relay replace the body of `enqueue` (a row
written in the caller's transaction, sent by a worker and a Beat sweep with retries).
"""

from django.db import transaction


def enqueue(task: str, /, **kwargs) -> None:
    """Send the Celery task named `task` with `kwargs` once the current transaction commits."""
    from config.celery import app  # config sits above every app; imported late to keep core at the bottom

    transaction.on_commit(lambda: app.tasks[task].delay(**kwargs))

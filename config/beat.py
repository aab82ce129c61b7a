"""The Beat schedule: the one place the periodic jobs are defined (imported by config/settings.py)."""

from datetime import timedelta

from celery.schedules import crontab

# The one place the periodic schedule is defined. django-celery-beat's DatabaseScheduler copies
# it into the database at start, where staff can see it (and pause a job) in the admin.
CELERY_BEAT_SCHEDULE = {
    "expire-unpaid-orders": {
        "task": "orders.tasks.expire_unpaid_orders_task",
        "schedule": timedelta(minutes=1),
    },
    "reconcile-payments": {
        "task": "payments.tasks.reconcile_payments_task",
        "schedule": timedelta(minutes=2),
    },
    "send-stuck-refunds": {
        "task": "payments.tasks.send_stuck_refunds_task",
        "schedule": timedelta(minutes=5),
    },
    "refund-closed-orders": {
        "task": "payments.tasks.refund_money_of_closed_orders_task",
        "schedule": timedelta(minutes=5),
    },
    "recognize-delivered-revenue": {
        "task": "payments.tasks.recognize_revenue_of_delivered_orders_task",
        "schedule": timedelta(minutes=5),
    },
    "plan-shipments": {
        "task": "shipping.tasks.plan_shipments_task",
        "schedule": timedelta(seconds=30),
    },
    # A run claims batches for up to 18 s (shipping/services/label_runs.py TIME_SLICE) with
    # several calls in flight: 650-800 labels a minute against a 200 ms Nova Poshta on a busy
    # 2-core machine (bench/labels.py). A run queued behind a busy worker is dropped (the
    # next comes in 20 s), never stacked.
    "create-labels": {
        "task": "shipping.tasks.create_labels_task",
        "schedule": timedelta(seconds=20),
        "options": {"expire_seconds": 20},
    },
    "track-parcels": {
        "task": "shipping.tasks.track_shipments_task",
        "schedule": timedelta(minutes=1),
    },
    "cancel-waybills-of-cancelled-orders": {
        "task": "shipping.tasks.cancel_waybills_of_cancelled_orders_task",
        "schedule": timedelta(minutes=1),
    },
    "sync-novaposhta-directory": {
        "task": "shipping.tasks.sync_directory_task",
        "schedule": crontab(hour=4, minute=10),
    },
    "expire-ledger-holds": {
        "task": "ledger.tasks.expire_holds_task",
        "schedule": timedelta(minutes=1),
    },
    "verify-ledger-nightly": {
        "task": "ledger.tasks.verify_ledger_task",
        "schedule": crontab(hour=3, minute=30),
    },
    "purge-idempotency-keys": {
        "task": "core.tasks.purge_idempotency_keys_task",
        "schedule": crontab(minute=17),
    },
    # The outbox (core/outbox.py): publish what the after-commit send missed (broker down),
    # and drop sent messages after OUTBOX_PURGE_AFTER.
    "relay-outbox": {
        "task": "core.tasks.relay_outbox_task",
        "schedule": timedelta(seconds=5),
        "options": {"expire_seconds": 10},  # a sweep queued behind an outage is useless; the next one comes
    },
    "purge-outbox": {
        "task": "core.tasks.purge_outbox_task",
        "schedule": crontab(minute=41),
    },
}
# Carts: guest carts nobody touched for 30 days are deleted (customers' carts stay).
CELERY_BEAT_SCHEDULE["purge-stale-guest-carts"] = {
    "task": "cart.tasks.purge_stale_guest_carts_task",
    "schedule": crontab(hour=4, minute=40),
}

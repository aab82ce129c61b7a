"""Celery's delivery guarantees, as the running app sees them (set once, in config/celery.py)."""

from config.celery import app as celery_app


def test_a_killed_worker_leaves_its_task_to_be_redelivered_not_lost():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1


def test_redis_redelivers_only_after_the_longest_a_task_may_run():
    conf = celery_app.conf
    assert conf.task_time_limit == 10 * 60
    assert conf.broker_transport_options["visibility_timeout"] == 15 * 60
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit

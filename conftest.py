import os
import re
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import translation

from config.celery import app as celery_app

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def pytest_sessionstart(session):
    """Compile a catalogue whose .mo is missing or older than its .po (make test compiles them
    too; this keeps a bare `pytest` from running on stale or no translations), and drop the test
    databases of earlier runs whose process is gone (a killed run, or one whose teardown found a
    connection still open), so they do not pile up on the server."""
    for po in LOCALE_DIR.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True)
    _drop_orphaned_test_databases()


def _drop_orphaned_test_databases() -> None:
    """test_kramar_<pid> databases (config/settings_test.py) of processes no longer running."""
    server = {**settings.DATABASES["default"], "NAME": "postgres"}
    try:
        with psycopg.connect(
            host=server["HOST"], port=server["PORT"] or 5432, user=server["USER"], password=server["PASSWORD"] or None,
            dbname="postgres", autocommit=True, connect_timeout=2,
        ) as conn:  # fmt: skip
            names = [
                row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'test_kramar_%'")
            ]
            for name in names:
                match = re.fullmatch(r"test_kramar_(\d+)", name)
                if match and not _process_alive(int(match.group(1))):
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error:
        return  # the suite itself reports an unreachable server


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the shop's default language (Ukrainian). A test request leaves its
    language active in the thread, so an /en/ page would otherwise turn a later test's
    reverse() into /en/ URLs."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _isolated_redis_and_celery(settings):
    """Start every test with an empty (test-only) Redis database and eager Celery tasks."""
    cache.delete_pattern("*")  # only this process's keys (its own prefix)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    return


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@pytest.fixture
def run_concurrently(transactional_db, django_db_serialized_rollback) -> Callable[..., list[Outcome]]:
    """Run `fn` in `n` threads released at the same instant; return each one's outcome.

    The data migrations' rows (roles, chart of accounts) are restored for the test
    (serialized rollback), since a transactional test starts from a flushed database.

    Each thread has its own database connection, like separate web workers, and closes it.
    """

    def run(n: int, fn: Callable[[int], Any]) -> list[Outcome]:
        barrier = threading.Barrier(n)
        outcomes = [Outcome() for _ in range(n)]

        def worker(i: int) -> None:
            try:
                barrier.wait(timeout=30)
                outcomes[i].value = fn(i)
            except BaseException as exc:  # the test decides which errors are expected
                outcomes[i].error = exc
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads), "a worker thread hung"
        return outcomes

    return run

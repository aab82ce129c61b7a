#!/usr/bin/env python
"""Nova Poshta labels by the thousand: labels a minute, carrier calls and SQL per label, duplicates.

1. Its own database, `kramar_bench_labels` (made and migrated once, kept; `--fresh` makes it
   again). Each size N starts from an empty shipping queue: N confirmed cash-on-delivery
   orders, each with one line, its reserved unit and a real Nova Poshta city and branch,
   written set-based (INSERT ... SELECT generate_series), then planned by the real
   `plan_shipments` (its queries per shipment are printed too).
2. The fake Nova Poshta of the tests (shipping/tests/fakes/novaposhta.py, the real JSON
   protocol over HTTP on 127.0.0.1) answers every call after `--latency` (0.2 s). The bench
   talks to it through the production path: `NOVA_POSHTA_API_KEY` / `NOVA_POSHTA_API_URL`
   point get_carrier() at it, so the real client, its process-wide throttle
   (`NOVA_POSHTA_MIN_INTERVAL`) and `SHIPPING_LABEL_CALLS_IN_PARALLEL` apply as in production.
3. Two ways of running the label task over the same N:
   - **beat**: the real schedule. Every `create-labels` interval of config/beat.py a run of
     `create_labels_task` starts, as Beat would start one; a tick while `--workers` (2, a
     2-CPU worker's default) runs are busy is dropped, as the task's `expire_seconds` does.
     The runs share this process's throttle (a prefork worker's two processes would have
     one each, so this is the cautious case);
   - **back to back**: one run after another with no wait, the ceiling of the code.
4. Checks through the fake and the database: every shipment labelled and every order
   shipped, exactly one InternetDocument.save per label (calls per label 1.00) and one live
   waybill per marker (duplicates 0). Exits 1 otherwise.

Sizes: `--quick` N = 100; default 100 and 1,000; `--full` adds 10,000 (about 12 minutes a
mode at 800+ labels a minute). SQL statements are counted in every thread (each has its own
connection) by wrapping Django's cursor.

Usage: .venv/bin/python bench/labels.py [--quick | --full] [--latency 0.2] [--modes beat,back-to-back]
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._pg import SERVER, ensure_database  # noqa: E402

DATABASE = "kramar_bench_labels"
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
API_KEY = "np-bench-key-labels"


def configure(fresh: bool, api_url: str) -> None:
    os.environ.update(
        {
            "DATABASE_URL": f"{SERVER}/{DATABASE}",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": "bench-only",
            "LOG_LEVEL": "WARNING",
            "REDIS_URL": REDIS,  # after-commit kicks go to Redis db 12, emptied at the end
            "CELERY_BROKER_URL": REDIS,
            "NOVA_POSHTA_API_KEY": API_KEY,
            "NOVA_POSHTA_API_URL": api_url,
            "ALLOW_SANDBOX_IN_PRODUCTION": "true",
        }
    )
    ensure_database(DATABASE, fresh=fresh)
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"], env=os.environ, text=True, capture_output=True
    )
    if result.returncode:
        raise SystemExit(f"migrate failed:\n{result.stderr}")


# --- counting SQL in every thread -----------------------------------------------------------------

STATEMENTS = Counter()
_count_lock = threading.Lock()


def count_statements() -> None:
    from django.db.backends import utils

    original_execute, original_many = utils.CursorWrapper._execute, utils.CursorWrapper._executemany

    def _execute(self, *args, **kwargs):
        with _count_lock:
            STATEMENTS["n"] += 1
        return original_execute(self, *args, **kwargs)

    def _executemany(self, *args, **kwargs):
        with _count_lock:
            STATEMENTS["n"] += 1
        return original_many(self, *args, **kwargs)

    utils.CursorWrapper._execute, utils.CursorWrapper._executemany = _execute, _executemany


# --- the queue ------------------------------------------------------------------------------------


def fill_queue(n: int, run_id: str) -> dict:
    """N confirmed COD orders with their reservations, set-based; then plan_shipments plans them."""
    from constance import config
    from django.db import connection

    from shipping.carriers.sandbox import KYIV_REF, LVIV_REF, WAREHOUSE_ROWS
    from shipping.services import plan_shipments
    from shipping.tests.conftest import ensure_sandbox_directory
    from tests.factories import ProductFactory

    ensure_sandbox_directory()
    lviv_branch = next(row["Ref"] for row in WAREHOUSE_ROWS if row["CityRef"] == LVIV_REF)
    kyiv_branch = next(row["Ref"] for row in WAREHOUSE_ROWS if row["CityRef"] == KYIV_REF)
    config.NP_SENDER_COUNTERPARTY_REF, config.NP_SENDER_CONTACT_REF = "sender-counterparty", "sender-contact"
    config.NP_SENDER_PHONE, config.NP_SENDER_CITY_REF, config.NP_SENDER_WAREHOUSE_REF = (
        "380501112233",
        KYIV_REF,
        kyiv_branch,
    )
    products = [
        ProductFactory(
            sku=f"{run_id}-{i}",
            name=f"{run_id} {i}",
            slug=f"{run_id.lower()}-{i}",
            stock=0,
            price=49900,
            weight_grams=700,
        ).pk
        for i in range(20)
    ]  # a database kept between runs: this run's own SKUs
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO orders_order (
                number, public_token, checkout_token, full_name, phone, email, delivery_city, delivery_branch,
                comment, payment_method, currency, subtotal, delivery_fee, total, status, version, placed_via,
                language, created_at, updated_at, confirmed_at, store_credit, delivery_city_ref, delivery_warehouse_ref,
                tracking_number)
            SELECT %(run)s || '-' || g, md5(%(run)s || 'p' || g), md5(%(run)s || 'c' || g), 'Олена Шевченко',
                   '+38067' || lpad(g::text, 7, '0'), 'olena' || g || '@example.com', 'Львів', 'Відділення №1',
                   '', 'cod', 'UAH', 49900, 0, 49900, 'confirmed', 2, 'web', 'uk', now(), now(), now(), 0,
                   %(city)s, %(branch)s, ''
            FROM generate_series(1, %(n)s) AS g
            """,
            {"run": run_id, "n": n, "city": LVIV_REF, "branch": lviv_branch},
        )
        cursor.execute(
            """
            INSERT INTO orders_orderline (order_id, product_id, sku, name, unit_price, quantity, line_total)
            SELECT o.id, p.id, p.sku, p.name, 49900, 1, 49900
            FROM orders_order o JOIN catalog_product p ON p.id = (%(products)s::bigint[])[1 + o.id %% 20]
            WHERE o.number LIKE %(run)s || '-%%'
            """,
            {"run": run_id, "products": products},
        )
        cursor.execute(
            """
            INSERT INTO catalog_reservation (reference, quantity, status, created_at, product_id)
            SELECT 'order:' || l.order_id, 1, 'active', now(), l.product_id
            FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id WHERE o.number LIKE %(run)s || '-%%'
            """,
            {"run": run_id},
        )
        cursor.execute(
            "UPDATE catalog_stock s SET on_hand = on_hand + r.n, reserved = reserved + r.n FROM ("
            " SELECT product_id, count(*) AS n FROM catalog_reservation"
            " WHERE reference IN (SELECT 'order:' || id FROM orders_order WHERE number LIKE %(run)s || '-%%')"
            " GROUP BY product_id) r WHERE s.product_id = r.product_id",
            {"run": run_id},
        )
    started, before = time.monotonic(), STATEMENTS["n"]
    planned = 0
    while True:
        batch = plan_shipments()
        if not batch:
            break
        planned += batch
    return {"planned": planned, "plan_seconds": time.monotonic() - started, "plan_sql": STATEMENTS["n"] - before}


# --- the two ways of running it -------------------------------------------------------------------


def pending() -> int:
    from shipping.models import Shipment

    return Shipment.objects.filter(status__in=["pending", "creating"]).count()


def back_to_back() -> None:
    from shipping.tasks import create_labels_task

    while pending():
        create_labels_task()


def on_the_beat_schedule(workers: int) -> int:
    """Start a run every Beat interval on a free worker slot (a busy tick is dropped); return runs."""
    from django.db import connection

    from config.beat import CELERY_BEAT_SCHEDULE
    from shipping.tasks import create_labels_task

    interval = CELERY_BEAT_SCHEDULE["create-labels"]["schedule"].total_seconds()
    busy = threading.Semaphore(workers)
    runs = []

    errors = []

    def run():
        try:
            create_labels_task()
        except BaseException as exc:  # a failed run fails the bench, after the others end
            errors.append(exc)
        finally:
            connection.close()
            busy.release()

    next_tick = time.monotonic()
    while pending() and not errors:
        if busy.acquire(blocking=False):
            thread = threading.Thread(target=run)
            thread.start()
            runs.append(thread)
        next_tick += interval
        while time.monotonic() < next_tick:
            time.sleep(0.05)
            if not pending() and not any(t.is_alive() for t in runs):
                break
    for thread in runs:
        thread.join()
    if errors:
        raise errors[0]
    return len(runs)


def measure(n: int, mode: str, fake, workers: int) -> dict:
    from orders.models import Order
    from shipping.models import Shipment

    run_id = f"LB{int(time.time() * 1000) % 10**9}"
    queued = fill_queue(n, run_id)
    saves_before = fake.methods_called().count("InternetDocument.save")
    statements_before = STATEMENTS["n"]
    started = time.monotonic()
    runs = on_the_beat_schedule(workers) if mode == "beat" else back_to_back()
    seconds = time.monotonic() - started
    ours = Shipment.objects.filter(marker__startswith=f"{run_id}-")
    labelled = ours.filter(status="label_created").count()
    saves = fake.methods_called().count("InternetDocument.save") - saves_before
    live = Counter(
        d["InfoRegClientBarcodes"]
        for d in list(fake.documents.values())
        if d["InfoRegClientBarcodes"].startswith(f"{run_id}-") and int(d["StateId"]) != 2
    )
    return {
        "n": n,
        "mode": mode,
        "seconds": seconds,
        "labels": labelled,
        "per_minute": labelled / seconds * 60 if seconds else 0,
        "calls_per_label": saves / labelled if labelled else 0,
        "duplicates": sum(count - 1 for count in live.values() if count > 1),
        "sql_per_label": (STATEMENTS["n"] - statements_before) / labelled if labelled else 0,
        "plan_sql_per_shipment": queued["plan_sql"] / queued["planned"] if queued["planned"] else 0,
        "orders_shipped": Order.objects.filter(number__startswith=f"{run_id}-", status="shipped").count(),
        "runs": runs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="N = 100 only")
    size.add_argument("--full", action="store_true", help="N = 100, 1,000 and 10,000 (long)")
    parser.add_argument("--sizes", help="comma-separated N, instead of the above")
    parser.add_argument("--modes", default="beat,back-to-back")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds each fake Nova Poshta answer takes")
    parser.add_argument("--workers", type=int, default=2, help="label runs at once on the Beat schedule")
    parser.add_argument("--fresh", action="store_true", help="drop and make the bench database again")
    args = parser.parse_args()
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else [100]
        if args.quick
        else [100, 1000, 10000]
        if args.full
        else [100, 1000]
    )

    from shipping.tests.fakes.novaposhta import FakeNovaPoshta

    fake = FakeNovaPoshta(api_key=API_KEY, latency=args.latency).start()
    configure(args.fresh, fake.base_url)
    import django

    django.setup()
    count_statements()
    from django.db import connection

    with connection.cursor() as cursor:  # held by this session until the bench ends
        cursor.execute("SELECT pg_try_advisory_lock(hashtext('kramar bench/labels.py'))")
        if not cursor.fetchone()[0]:
            raise SystemExit("another bench/labels.py is using kramar_bench_labels: wait for it to end")
        # The fake numbers its waybills from 1 in every run: the last run's parcels go first.
        cursor.execute(
            "TRUNCATE shipping_shipment, orders_orderline, orders_order, catalog_reservation, "
            "django_fsm_log_statelog, core_outboxmessage CASCADE"
        )
    from django.conf import settings

    load = lambda: "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())  # noqa: E731
    print(
        f"kramar labels bench: fake Nova Poshta with {args.latency * 1000:.0f} ms latency, "
        f"{settings.SHIPPING_LABEL_CALLS_IN_PARALLEL} calls in parallel, throttle "
        f"{settings.NOVA_POSHTA_MIN_INTERVAL * 1000:.0f} ms, {os.cpu_count()} CPUs; {load()}"
    )
    results = []
    for mode in args.modes.split(","):
        for n in sizes:
            result = measure(n, mode, fake, args.workers)
            result["load"] = os.getloadavg()[0]
            results.append(result)
            print(
                f"  {mode:12} N={n:>6,}: {result['seconds']:7.1f} s, {result['per_minute']:6.0f} labels/min; {load()}",
                flush=True,
            )
    header = f"{'mode':12} {'N':>7} {'seconds':>8} {'labels/min':>10} {'calls/label':>11} {'dupl.':>5}"
    header += f" {'SQL/label':>9} {'plan SQL/shipment':>17} {'growth':>7}"
    print(header)
    print("-" * len(header))
    failed = False
    for result in results:
        first = next(r for r in results if r["mode"] == result["mode"])
        growth = (result["seconds"] / first["seconds"]) / (result["n"] / first["n"]) if first["seconds"] else 0
        print(
            f"{result['mode']:12} {result['n']:>7,} {result['seconds']:8.1f} {result['per_minute']:10.0f} "
            f"{result['calls_per_label']:11.2f} {result['duplicates']:>5} {result['sql_per_label']:9.1f} "
            f"{result['plan_sql_per_shipment']:17.2f} {growth:7.2f}"
        )
        if (
            result["duplicates"]
            or result["labels"] != result["n"]
            or result["orders_shipped"] != result["n"]
            or f"{result['calls_per_label']:.2f}" != "1.00"
        ):
            print(f"  !! {result['mode']} N={result['n']}: {result}")
            failed = True
    print("growth = (seconds / N) relative to the smallest N of the same mode: 1.00 is linear")
    print("json:", json.dumps(results))
    print(load())
    fake.stop()
    import redis

    redis.Redis.from_url(REDIS).flushdb()  # the after-commit e-mail kicks nobody consumes here
    print("duplicates:", sum(r["duplicates"] for r in results))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

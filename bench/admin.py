#!/usr/bin/env python
"""The order admin at 1,000 and at 1,000,000 orders: times, queries and the ratio between them.

1. Two databases on the server of BENCH_PG_SERVER, kept between runs (made once, then only
   migrated and checked): `kramar_bench_admin_1k` with 1,000 orders and `kramar_bench_admin`
   with 1,000,000, written by one set-based `INSERT ... SELECT generate_series` each (a few
   minutes for the million), then VACUUM ANALYZE. `--fresh` makes them again.
2. For each database, a Django process (DEBUG=false, the real settings and middleware) logs a
   Support staff member in and opens the order changelist through Django's test Client:
   the default list, a search for common Ukrainian surnames, and the status filter. Each page
   is opened twice to warm up, then timed `--repeat` times (the median is printed), and once
   more under CaptureQueriesContext for its query count.
3. Prints every page's median at both sizes, the ratio 1M / 1k, the query counts (they must
   not grow with the table) and whether the issue's targets are met; with `--explain`, the
   plan of the surname search. Exits 1 if a page answered anything but 200 or a search found
   nothing.

Usage: .venv/bin/python bench/admin.py [--repeat 3] [--fresh] [--explain] [--sizes 1000,1000000]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._pg import SERVER, ensure_database, psql  # noqa: E402

SURNAMES = [
    ("Шевченко", "shevchenko"), ("Коваленко", "kovalenko"), ("Бондаренко", "bondarenko"),
    ("Ткаченко", "tkachenko"), ("Кравченко", "kravchenko"), ("Олійник", "oliynyk"),
    ("Шевчук", "shevchuk"), ("Коваль", "koval"), ("Поліщук", "polishchuk"), ("Бойко", "boyko"),
    ("Ткачук", "tkachuk"), ("Мельник", "melnyk"), ("Лисенко", "lysenko"), ("Марченко", "marchenko"),
    ("Руденко", "rudenko"), ("Савченко", "savchenko"), ("Петренко", "petrenko"), ("Клименко", "klymenko"),
    ("Павленко", "pavlenko"), ("Кузьменко", "kuzmenko"), ("Левченко", "levchenko"), ("Гончаренко", "honcharenko"),
    ("Мороз", "moroz"), ("Романенко", "romanenko"), ("Карпенко", "karpenko"), ("Мазур", "mazur"),
    ("Литвиненко", "lytvynenko"), ("Кравчук", "kravchuk"), ("Савчук", "savchuk"), ("Козак", "kozak"),
    ("Ковальчук", "kovalchuk"), ("Бондар", "bondar"), ("Гаврилюк", "havryliuk"), ("Ярошенко", "yaroshenko"),
    ("Онищенко", "onyshchenko"), ("Хоменко", "khomenko"), ("Кушнір", "kushnir"), ("Остапенко", "ostapenko"),
    ("Демченко", "demchenko"), ("Тарасенко", "tarasenko"),
]  # fmt: skip
FIRST_NAMES = ["Олена", "Тарас", "Ірина", "Андрій", "Оксана", "Дмитро", "Наталія", "Олександр", "Марія", "Богдан"]
# 50 % completed, 15 % delivered, 10 % shipped, 5 % each of the rest.
STATUSES = ["completed"] * 10 + ["delivered"] * 3 + ["shipped"] * 2 + [
    "confirmed", "placed", "cancelled", "expired", "returned",
]  # fmt: skip
PAGES = [
    ("default list", ""),
    ("search Шевченко", "?q=Шевченко"),
    ("search Коваленко", "?q=Коваленко"),
    ("status filter (delivered)", "?status__exact=delivered"),
]
TARGETS = {  # the targets: (ratio to 1k at most, or milliseconds at 1M at most)
    "default list": ("ratio", 2.0),
    "search Шевченко": ("ms", 300.0),
    "search Коваленко": ("ms", 300.0),
    "status filter (delivered)": ("ratio", 2.0),
}


def database_for(size: int) -> str:
    return "kramar_bench_admin" if size == 1_000_000 else f"kramar_bench_admin_{size // 1000}k"


def django_env(database: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"{SERVER}/{database}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only",
        "LOG_LEVEL": "WARNING",
        "ALLOW_SANDBOX_IN_PRODUCTION": "true",  # the production checks refuse the sandbox carrier otherwise
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"),
    }


def sql_array(values) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def generate_orders(database: str, size: int) -> None:
    """All the orders in one INSERT ... SELECT generate_series: set-based, no Python per row."""
    started = time.monotonic()
    print(f"  writing {size:,} orders into {database} ...", flush=True)
    psql(database, "TRUNCATE orders_order CASCADE")
    psql(
        database,
        f"""
        INSERT INTO orders_order (
            number, public_token, checkout_token, full_name, phone, email, delivery_city, delivery_branch,
            comment, payment_method, currency, subtotal, delivery_fee, total, status, version, placed_via,
            language, created_at, updated_at, store_credit, delivery_city_ref, delivery_warehouse_ref,
            tracking_number)
        SELECT
            'BA-' || g, md5('public' || g), md5('checkout' || g),
            n.first[1 + g % 10] || ' ' || n.last[1 + (g / 10) % {len(SURNAMES)}],
            '+38067' || lpad((g % 10000000)::text, 7, '0'),
            n.latin[1 + (g / 10) % {len(SURNAMES)}] || '.' || g || '@example.com',
            'Київ', 'Відділення №' || (1 + g % 300), '', 'cod', 'UAH',
            10000 + g % 500000, 0, 10000 + g % 500000,
            n.status[1 + g % {len(STATUSES)}], 1, 'web', 'uk',
            now() - ({size} - g) * interval '1 minute', now() - ({size} - g) * interval '1 minute', 0, '', '',
            CASE WHEN n.status[1 + g % {len(STATUSES)}] IN ('shipped', 'delivered', 'completed', 'returned')
                 THEN '2045' || lpad(g::text, 10, '0') ELSE '' END
        FROM generate_series(1, {size}) AS g,
             (SELECT {sql_array(FIRST_NAMES)} AS first, {sql_array(s for s, _ in SURNAMES)} AS last,
                     {sql_array(latin for _, latin in SURNAMES)} AS latin, {sql_array(STATUSES)} AS status) AS n
        """,
    )
    psql(database, "VACUUM ANALYZE orders_order")
    print(f"  done in {time.monotonic() - started:.0f} s", flush=True)


def prepare(size: int, fresh: bool) -> str:
    """Make (once) and migrate the database for `size` orders; write the orders if they are not there."""
    database = database_for(size)
    ensure_database(database, fresh=fresh)
    migrate = [sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"]
    result = subprocess.run(migrate, env=django_env(database), text=True, capture_output=True)
    if result.returncode:
        raise SystemExit(f"migrate {database} failed:\n{result.stderr}")
    have = int(psql(database, "SELECT count(*) FROM orders_order WHERE number LIKE 'BA-%'"))
    total = int(psql(database, "SELECT count(*) FROM orders_order"))
    if have == total == size:
        print(f"  {database}: {size:,} orders already there, reused", flush=True)
    else:
        generate_orders(database, size)
    return database


def measure(repeat: int, explain: bool) -> dict:
    """In the child process: open every page through the test Client as a Support staff member."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.admin import site
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client, RequestFactory
    from django.test.utils import CaptureQueriesContext, override_settings

    from accounts.models import User
    from core.large_lists import trigram_search
    from orders.models import ORDER_SEARCH_FIELDS, Order

    # Production serves static files from collectstatic's manifest; this process has none,
    # and the URL of a stylesheet is no part of what is measured.
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    plain_static = {**settings.STORAGES, "staticfiles": plain}
    override_settings(STORAGES=plain_static).enable()
    user, _ = User.objects.get_or_create(email="bench-admin@kramar.local", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="Support"))
    client = Client()
    client.force_login(user)
    results = {}
    for name, query in PAGES:
        url = "/admin/orders/order/" + query
        for _ in range(2):  # warm up: caches, the plan, the buffers
            response = client.get(url, secure=True)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url, secure=True)
            times.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, secure=True)
        # What the page listed, from the admin's own changelist for the same request (the
        # test Client's response.context needs the test runner's template instrumentation,
        # which would slow every page it times).
        request = RequestFactory().get(url, secure=True)
        request.user = user
        changelist = site._registry[Order].get_changelist_instance(request)
        results[name] = {
            "status": response.status_code,
            "ms": statistics.median(times),
            "times": times,
            "queries": len(ctx.captured_queries),
            "shown": len(changelist.result_list),
            "count": changelist.result_count,
        }
    if explain:
        queryset = trigram_search(Order.objects.all(), ORDER_SEARCH_FIELDS, "Шевченко").order_by("-created_at", "-id")
        counted = queryset.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN ANALYZE SELECT COUNT(*) FROM ({counted[0]}) AS found", counted[1])
            count_plan = "\n".join(row[0] for row in cursor.fetchall())
        results["explain"] = "the page:\n" + queryset[:100].explain(analyze=True) + "\nits count:\n" + count_plan
    return results


def run_child(database: str, repeat: int, explain: bool) -> dict:
    command = [sys.executable, __file__, "--child", "--repeat", str(repeat)] + (["--explain"] if explain else [])
    result = subprocess.run(command, env=django_env(database), text=True, capture_output=True)
    if result.returncode:
        raise SystemExit(f"measuring {database} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="timed requests per page (the median is shown)")
    parser.add_argument("--sizes", default="1000,1000000", help="order counts: the first is the baseline")
    parser.add_argument("--fresh", action="store_true", help="drop and write the bench databases again")
    parser.add_argument("--explain", action="store_true", help="print the surname search's plan (EXPLAIN ANALYZE)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.repeat, args.explain), ensure_ascii=False))
        return 0

    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"kramar admin bench: order changelist, {os.cpu_count()} CPUs, median of {args.repeat}; {load()}")
    runs = {}
    for size in sizes:
        database = prepare(size, args.fresh)
        runs[size] = run_child(database, args.repeat, args.explain and size == sizes[-1])
        print(f"  measured {size:,} orders; {load()}", flush=True)
    base, big = sizes[0], sizes[-1]
    header = f"{'page':26} {'ms ' + f'{base:,}':>11} {'ms ' + f'{big:,}':>13} {'ratio':>6} {'queries':>9}"
    header += f" {'found':>9}  target"
    print(header)
    print("-" * len(header))
    failed = False
    for name, _ in PAGES:
        a, b = runs[base][name], runs[big][name]
        ratio = b["ms"] / a["ms"] if a["ms"] else float("inf")
        kind, limit = TARGETS[name]
        met = ratio <= limit if kind == "ratio" else b["ms"] <= limit
        bound = f"≤ {limit:g} ms" if kind == "ms" else f"ratio ≤ {limit:g}"
        target = f"{bound}: {'met' if met else 'MISSED'}"
        print(
            f"{name:26} {a['ms']:11.1f} {b['ms']:13.1f} {ratio:6.2f} {a['queries']:>4}/{b['queries']:<4} "
            f"{b['count']:>9,}  {target}"
        )
        if a["status"] != 200 or b["status"] != 200 or (name.startswith("search") and not b["count"]):
            print(f"  !! {name}: HTTP {a['status']}/{b['status']}, {b['count']} found")
            failed = True
    if "explain" in runs[big]:
        print("\nplan of the surname search at", f"{big:,}:\n" + runs[big]["explain"])
    print("json:", json.dumps({size: {k: v for k, v in run.items() if k != "explain"} for size, run in runs.items()}))
    print(load())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Checkout benchmark: concurrent POST /api/v1/orders/ against gunicorn, as a ratio to a baseline.

Run by `make bench` (see bench/README.md). Uses its own database (kramar_bench by default),
never the development one, and never runs as part of the tests.

    phase 0  baseline: GET /health/live/ (a trivial view) on the same server, same client;
             half before A, half after B, so a machine that got busier in between shows up
    phase A  one product with little stock, many buyers at once: it must sell out exactly
    phase B  many products with plenty of stock, random carts of 1-3 items

Exits 1 when the database shows an oversold product or an order lost or duplicated, or when
the server answered something it should not have (5xx, 400, no answer).
"""

import argparse
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._http import PhaseResult, Request, run_load  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kramar"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# The bench's own Redis database: the orders it places queue e-mail tasks nobody consumes,
# and they must not land in the development worker's queue. Cleaned up at the end.
BENCH_REDIS_DB = 13
BENCH_CACHE_PREFIX = "kramar-bench"
ORDERS_PATH = "/api/v1/orders/"
BASELINE_PATH = "/health/live/"
# What the TLS-terminating proxy in front of production adds: without it DEBUG=false redirects
# every page but /health/ to https (SECURE_SSL_REDIRECT). The client address is per shopper.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=16, help="client threads (default 16)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
    parser.add_argument(
        "--worker-class", choices=["sync", "gthread"], default="sync", help="gunicorn worker class (default sync)"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--baseline-requests", type=int, default=4000, help="GETs in phase 0 (default 4000)")
    parser.add_argument("--stock", type=int, default=50, help="units of the one product in phase A (default 50)")
    parser.add_argument("--attempts", type=int, default=400, help="one-unit checkouts in phase A (default 400)")
    parser.add_argument("--products", type=int, default=200, help="products in phase B (default 200)")
    parser.add_argument("--orders", type=int, default=1000, help="checkouts in phase B (default 1000)")
    parser.add_argument("--buyers", type=int, default=200, help="distinct API users (default 200)")
    parser.add_argument("--database", default="kramar_bench", help="bench database name (default kramar_bench)")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the bench database first")
    parser.add_argument("--seed", type=int, default=1, help="random seed for phase B's carts (default 1)")
    parser.add_argument("--quick", action="store_true", help="a small run (~10 s of load) to check it works")
    args = parser.parse_args(argv)
    if args.quick:
        args.baseline_requests, args.stock, args.attempts = 800, 20, 100
        args.products, args.orders, args.buyers = 50, 200, 50
    return args


# --- environment -----------------------------------------------------------------------------


def bench_environment(args) -> dict[str, str]:
    """The environment of the bench process and its server: production-like, isolated."""
    # Read .env like the settings do, so a DATABASE_URL set there points the bench at that server.
    import environ

    environ.Env.read_env(ROOT / ".env", overwrite=False)
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    bench_database_url = database_url.rsplit("/", 1)[0] + "/" + args.database
    bench_redis_url = redis_url.rsplit("/", 1)[0] + f"/{BENCH_REDIS_DB}"
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": bench_database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": bench_redis_url,
        "CACHE_URL": bench_redis_url,
        "CACHE_KEY_PREFIX": BENCH_CACHE_PREFIX,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        # Throttling would measure the limit, not the checkout (the per-IP rate limits of the
        # pages and webhooks are runtime settings: set_runtime_limits below).
        "API_THROTTLE_USER": "1000000/min",
        "API_THROTTLE_ANON": "1000000/min",
        # Production mode refuses to start on the sandbox carrier (and the webhook bench's
        # sandbox gateway): core/checks.py. The bench is a staging site in that sense.
        "ALLOW_SANDBOX_IN_PRODUCTION": "true",
        # As behind nginx: the client's address is the last X-Forwarded-For entry. Every bench
        # order says it comes from an address of its own (client_address), as shoppers do;
        # from the one address 127.0.0.1 the anti-abuse rules would serialise every checkout
        # on one per-IP lock, hold orders for review from the 5th and refuse them from the 10th.
        "TRUSTED_PROXY_COUNT": "1",
    }


# Runtime settings (django-constance, in the bench database) put out of reach, like the API
# throttle: the bench measures the path, not the limit. The anti-abuse caps stay as shipped:
# every bench order has its own phone, e-mail and address, so they are checked and never trip.
# (The API's checkout is limited by the API throttle above; the webhook endpoint by this one.)
BENCH_RUNTIME_SETTINGS = {
    "RATE_LIMIT_WEBHOOK": "1000000/m",
}


def set_runtime_limits() -> None:
    """Write BENCH_RUNTIME_SETTINGS into the bench database (constance drops its cached copy)."""
    from constance import config

    for name, value in BENCH_RUNTIME_SETTINGS.items():
        setattr(config, name, value)


def client_address(n: int, run_salt: int) -> str:
    """The n-th shopper's address in 10.0.0.0/8, offset by the run so runs do not share them."""
    value = (run_salt + n) % (1 << 24)
    return f"10.{value >> 16}.{(value >> 8) & 255}.{value & 255}"


def prepare_database(args, env: dict[str, str]) -> None:
    """Create (or recreate) the bench database, point Django at it, and migrate it."""
    from scripts.ensure_database import _connect_kwargs, ensure_database

    if args.fresh:
        import psycopg
        from psycopg import sql

        name, kwargs = _connect_kwargs(env["DATABASE_URL"])
        with psycopg.connect(dbname="postgres", autocommit=True, **kwargs) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    ensure_database(env["DATABASE_URL"])
    os.environ.update(env)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    set_runtime_limits()


# --- data ------------------------------------------------------------------------------------


def create_buyers(run: str, count: int) -> list[str]:
    """Make `count` customers with API tokens, directly in the database; return the tokens."""
    from django.contrib.auth.hashers import make_password
    from rest_framework.authtoken.models import Token

    from accounts.models import User

    unusable = make_password(None)  # token-only accounts: no password hashing to wait for
    users = User.objects.bulk_create(
        [
            User(email=f"buyer{i}.{run}@bench.kramar.local", full_name=f"Bench Buyer {i}", password=unusable)
            for i in range(count)
        ]
    )
    tokens = Token.objects.bulk_create([Token(key=Token.generate_key(), user=user) for user in users])
    return [token.key for token in tokens]


def create_products(run: str, prefix: str, count: int, on_hand: int) -> list[int]:
    from catalog.services import create_product

    return [
        create_product(
            sku=f"BENCH-{run}-{prefix}{i}",
            name=f"Bench {prefix} product {i}",
            slug=f"bench-{run}-{prefix.lower()}{i}",
            price=10000 + 100 * i,
            on_hand=on_hand,
        ).pk
        for i in range(count)
    ]


def order_request(token: str, shopper: int, items: dict[int, int], run: str, run_salt: int) -> tuple[Request, str]:
    """One checkout by shopper number `shopper`: a phone, e-mail and address of its own in this run.

    Run-unique, because the orders stay placed (cash on delivery, never confirmed) and the
    anti-abuse caps count open orders per phone, e-mail and IP across runs.
    """
    checkout_token = uuid.uuid4().hex
    payload = {
        "items": [{"product_id": pid, "quantity": qty} for pid, qty in items.items()],
        "full_name": f"Bench Buyer {shopper}",
        "phone": f"+38067{(run_salt + shopper) % 10_000_000:07d}",
        "email": f"shopper{shopper}.{run}@bench.kramar.local",
        "delivery_city": "Kyiv",
        "delivery_branch": "Branch No 1: Pymonenka St, 13",
        "payment_method": "cod",
        "checkout_token": checkout_token,
    }
    headers = {
        "Authorization": f"Token {token}",
        "X-Forwarded-For": client_address(shopper, run_salt),
        **PROXY_HEADERS,
    }
    return Request.json("POST", ORDERS_PATH, payload, headers), checkout_token


# --- server ----------------------------------------------------------------------------------


# The benches' ports on a shared machine (BENCH_PORTS="first-last" to change them).
BENCH_PORTS = os.environ.get("BENCH_PORTS", "8180-8189")


def free_port() -> int:
    first, last = (int(p) for p in BENCH_PORTS.split("-"))
    for port in range(first, last + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port in {BENCH_PORTS} (BENCH_PORTS)")


def start_server(args, env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={args.workers}",
        f"--worker-class={args.worker_class}",
        "--log-level=warning",
        "--timeout=60",
    ]
    if args.worker_class == "gthread":
        command.append(f"--threads={args.threads}")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w")
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120  # a busy machine starts four workers slowly
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{BASELINE_PATH}", timeout=2):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer within 120 s; see {log_path}")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def clean_bench_redis(env: dict[str, str]) -> None:
    """Drop the e-mail tasks the bench queued and its cache keys; touch nothing else."""
    import redis

    client = redis.Redis.from_url(env["CELERY_BROKER_URL"])
    keys = ["celery", *client.scan_iter("_kombu.binding*"), *client.scan_iter(f"{BENCH_CACHE_PREFIX}:*")]
    client.delete(*keys)


# --- checks ----------------------------------------------------------------------------------


def verify(*, a_product: int, a_stock: int, a_demand: int, b_products: list[int], tokens: dict[str, list[str]]):
    """Check through the database that nothing was oversold, lost or duplicated.

    Returns (problems, facts): problems is a list of sentences, empty when all is well.
    """
    from django.db.models import F, Sum

    from catalog.models import Stock
    from orders.models import Order, OrderLine

    problems = []
    oversold = Stock.objects.filter(reserved__gt=F("on_hand")).count()
    if oversold:
        problems.append(f"{oversold} stock rows have more units reserved than on hand")

    a = Stock.objects.get(pk=a_product)
    a_sold = OrderLine.objects.filter(product_id=a_product).aggregate(n=Sum("quantity"))["n"] or 0
    expected = min(a_stock, a_demand)
    if a_sold != expected:
        problems.append(f"A: {a_sold} units ordered, expected exactly {expected}")
    if a.reserved != a_sold:
        problems.append(f"A: {a.reserved} units reserved but {a_sold} ordered")

    ordered = dict(
        OrderLine.objects.filter(product_id__in=b_products)
        .values_list("product_id")
        .annotate(n=Sum("quantity"))
        .values_list("product_id", "n")
    )
    mismatched = [
        pid
        for pid, reserved in Stock.objects.filter(pk__in=b_products).values_list("pk", "reserved")
        if reserved != ordered.get(pid, 0)
    ]
    if mismatched:
        problems.append(f"B: reserved differs from units ordered on {len(mismatched)} products")

    facts = {"oversold": oversold, "a_sold": a_sold, "a_reserved": a.reserved, "a_expected": expected}
    for phase, sent in tokens.items():
        facts[f"{phase}_orders"] = Order.objects.filter(checkout_token__in=sent).count()
    return problems, facts


# --- report ----------------------------------------------------------------------------------


def print_table_head(name: str, args, pg_version: str) -> None:
    """The title line (server, clients, machine) and the column header of a bench's table."""
    workers = f"{args.workers} {args.worker_class} workers" + (
        f" x {args.threads} threads" if args.worker_class == "gthread" else ""
    )
    print()
    print(
        f"kramar {name} bench: gunicorn {workers}, {args.concurrency} client threads, "
        f"{os.cpu_count()} CPUs, PostgreSQL {pg_version}"
    )
    header = (
        f"{'phase':<34} {'reqs':>6} {'ok':>6} {'req/s':>8} {'ok/s':>8} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'ratio':>6}  other answers"
    )
    print(header)
    print("-" * len(header))


def row(label: str, result: PhaseResult, baseline_rps: float, *, ok_status: int) -> str:
    ok = result.count(ok_status)
    others = {k: v for k, v in result.by_status().items() if k != str(ok_status)}
    other_text = ", ".join(f"{v}x{k}" for k, v in sorted(others.items())) or "-"
    ratio = result.per_second() / baseline_rps if baseline_rps else 0.0
    return (
        f"{label:<34} {result.requests:>6} {ok:>6} {result.per_second():>8.1f} {result.per_second(ok_status):>8.1f} "
        f"{result.percentile_ms(50):>7.1f} {result.percentile_ms(99):>7.1f} {ratio:>6.3f}  {other_text}"
    )


def main(argv=None) -> int:
    args = parse_args(argv)
    env = bench_environment(args)
    print(f"Preparing {env['DATABASE_URL'].rsplit('/', 1)[1]} (migrate, seed)...", flush=True)
    prepare_database(args, env)

    from django.db import connection

    run = time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(2)
    rng = random.Random(args.seed)
    buyers = create_buyers(run, args.buyers)
    (a_product,) = create_products(run, "A", 1, args.stock)
    b_products = create_products(run, "B", args.products, on_hand=100_000)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0].split()[0]
    connection.close()

    run_salt = secrets.randbelow(10_000_000)
    a_requests, a_tokens = zip(
        *(order_request(buyers[i % len(buyers)], i, {a_product: 1}, run, run_salt) for i in range(args.attempts)),
        strict=True,
    )
    b_requests, b_tokens = zip(
        *(
            order_request(
                buyers[i % len(buyers)],
                args.attempts + i,
                {pid: rng.randint(1, 3) for pid in rng.sample(b_products, rng.randint(1, 3))},
                run,
                run_salt,
            )
            for i in range(args.orders)
        ),
        strict=True,
    )
    baseline_requests = [Request("GET", BASELINE_PATH)] * (args.baseline_requests // 2)

    port = free_port()
    log_path = ROOT / "var" / "log" / "bench-gunicorn.log"
    server = start_server(args, env, port, log_path)
    load = {"host": "127.0.0.1", "port": port, "concurrency": args.concurrency}
    try:
        # Warm every worker up (imports, database connections) before anything is timed.
        auth = {"Authorization": f"Token {buyers[0]}", "Accept": "application/json", **PROXY_HEADERS}
        run_load(requests=[Request("GET", BASELINE_PATH)] * (args.concurrency * 20), **load)
        run_load(requests=[Request("GET", ORDERS_PATH, headers=auth)] * (args.concurrency * 4), **load)

        print(f"Phase 0: {len(baseline_requests)} x GET {BASELINE_PATH}", flush=True)
        baseline_before = run_load(requests=baseline_requests, **load)
        print(f"Phase A: {args.attempts} buyers, 1 unit each, of one product with {args.stock} in stock", flush=True)
        phase_a = run_load(requests=list(a_requests), **load)
        print(f"Phase B: {args.orders} carts of 1-3 items over {args.products} products", flush=True)
        phase_b = run_load(requests=list(b_requests), **load)
        print(f"Phase 0 again: {len(baseline_requests)} x GET {BASELINE_PATH}", flush=True)
        baseline_after = run_load(requests=baseline_requests, **load)
    finally:
        stop_server(server)
        clean_bench_redis(env)

    baseline = PhaseResult(
        baseline_before.outcomes + baseline_after.outcomes, baseline_before.seconds + baseline_after.seconds
    )
    drift = abs(baseline_after.per_second() / baseline_before.per_second() - 1)

    problems, facts = verify(
        a_product=a_product,
        a_stock=args.stock,
        a_demand=args.attempts,
        b_products=b_products,
        tokens={"a": list(a_tokens), "b": list(b_tokens)},
    )
    # Every 201 is one order in the database and every order in the database was a 201.
    if facts["a_orders"] != phase_a.count(201):
        problems.append(f"A: {phase_a.count(201)} answers were 201 but {facts['a_orders']} orders exist")
    if facts["b_orders"] != phase_b.count(201):
        problems.append(f"B: {phase_b.count(201)} answers were 201 but {facts['b_orders']} orders exist")
    unexpected = {
        "0": [o for o in baseline.outcomes if o.status != 200],
        "A": [o for o in phase_a.outcomes if not (o.status == 201 or (o.status == 409 and o.code == "out_of_stock"))],
        "B": [o for o in phase_b.outcomes if o.status != 201],
    }
    for phase, outcomes in unexpected.items():
        if outcomes:
            first = outcomes[0]
            problems.append(
                f"phase {phase}: {len(outcomes)} unexpected answers, e.g. {first.status} {first.body[:200]!r}"
            )

    base_rps = baseline.per_second()
    print_table_head("checkout", args, pg_version)
    print(row(f"0 baseline GET {BASELINE_PATH}", baseline, base_rps, ok_status=200))
    print(row(f"A 1 product, {args.stock} in stock", phase_a, base_rps, ok_status=201))
    print(row(f"B {args.products} products, carts of 1-3", phase_b, base_rps, ok_status=201))
    print()
    print("ratio = the phase's req/s / baseline req/s (in B every answer is an order: ratio = orders/s / baseline)")
    print(
        f"A: {facts['a_sold']} units ordered of {args.stock} in stock by {args.attempts} buyers "
        f"(expected {facts['a_expected']}), {facts['a_reserved']} reserved, {facts['a_orders']} orders. "
        f"B: {facts['b_orders']} orders for {phase_b.count(201)} answers 201."
    )
    print(
        f"baseline before A: {baseline_before.per_second():.1f} req/s, after B: {baseline_after.per_second():.1f} req/s"
        + (
            f"  WARNING: {drift:.0%} apart: something else used the CPU; the ratios are unreliable"
            if drift > 0.2
            else ""
        )
    )
    print(f"oversold: {facts['oversold']}")
    summary = {
        "baseline_rps": round(base_rps, 1),
        "baseline_drift": round(drift, 3),
        "a_rps": round(phase_a.per_second(), 1),
        "a_orders": facts["a_orders"],
        "b_orders_per_s": round(phase_b.per_second(201), 1),
        "b_ratio": round(phase_b.per_second(201) / base_rps, 4) if base_rps else None,
        "oversold": facts["oversold"],
    }
    print("json:", json.dumps(summary))
    if problems:
        print("\nFAILED:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print(f"  server log: {log_path}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

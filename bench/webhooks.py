#!/usr/bin/env python3
"""Webhook benchmark: signed payment callbacks against gunicorn, as a ratio to a baseline.

Run by `make bench` after checkout.py (see bench/README.md). Uses its own database
(kramar_bench_webhooks by default), never the development one, and never runs in the tests.

The bench process places online orders and opens a Sandbox payment for each through the
services, as the shop does when a shopper clicks "Pay"; the Sandbox provider then plays the
gateway and signs one "paid" callback per payment (X-Sandbox-Signature over the raw body).

    phase 0  baseline: GET /health/live/ (a trivial view) on the same server, same client;
             half before phase 1, half after phase 3
    phase 1  first delivery: one "paid" callback per order, concurrently, shuffled
    phase 2  duplicate storm: every phase-1 callback again, --repeat times, shuffled
    phase 3  racing duplicates: fresh orders whose callback arrives --repeat + 1 times at
             once (copies back to back, so concurrent clients take them together)

Exits 1 when the database shows a payment not captured exactly once, an order not confirmed,
a capture booked twice, an inbox event too many or too few, a ledger integrity failure, or
when the server answered anything but 200.
"""

import argparse
import json
import random
import secrets
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._http import PhaseResult, Request, run_load  # noqa: E402
from bench.checkout import (  # noqa: E402
    BASELINE_PATH,
    PROXY_HEADERS,
    bench_environment,
    clean_bench_redis,
    free_port,
    prepare_database,
    print_table_head,
    row,
    start_server,
    stop_server,
)

CALLBACK_PATH = "/payments/callback/sandbox/"
SANDBOX_SECRET = "kramar-bench-sandbox-secret"  # the bench process and its server sign alike
PRICES = [4900 + 1000 * i for i in range(20)]  # 49.00 .. 239.00: fees of 1.5 % that round


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000, help="orders paid in phases 1-2 (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="duplicates of every callback (default 3)")
    parser.add_argument("--race-orders", type=int, default=250, help="orders paid in phase 3; 0 skips it (250)")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads (default 16)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
    parser.add_argument(
        "--worker-class", choices=["sync", "gthread"], default="sync", help="gunicorn worker class (default sync)"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--baseline-requests", type=int, default=4000, help="GETs in phase 0 (default 4000)")
    parser.add_argument(
        "--database", default="kramar_bench_webhooks", help="bench database name (default kramar_bench_webhooks)"
    )
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the bench database first")
    parser.add_argument("--seed", type=int, default=1, help="random seed for the shuffles (default 1)")
    parser.add_argument("--quick", action="store_true", help="a small run (a few seconds of load) to check it works")
    args = parser.parse_args(argv)
    if args.quick:
        args.orders, args.race_orders, args.baseline_requests, args.repeat = 200, 50, 800, 2
    if args.orders < 1 or args.repeat < 1 or args.race_orders < 0:
        parser.error("--orders and --repeat must be at least 1, --race-orders at least 0")
    return args


def webhook_environment(args, port: int) -> dict[str, str]:
    """checkout.py's production-like environment, with the Sandbox gateway switched on."""
    return {
        **bench_environment(args),
        "PAYMENTS_SANDBOX": "true",
        "PAYMENTS_SANDBOX_SECRET": SANDBOX_SECRET,
        # Payments opened in the bench process get callback URLs on the bench server.
        "SITE_URL": f"http://127.0.0.1:{port}",
    }


# --- data ------------------------------------------------------------------------------------


def create_products(run: str) -> list[int]:
    from catalog.services import create_product

    return [
        create_product(
            sku=f"WEBHOOK-{run}-{i}",
            name=f"Webhook bench product {i}",
            slug=f"webhook-bench-{run}-{i}",
            price=price,
            on_hand=1_000_000,
        ).pk
        for i, price in enumerate(PRICES)
    ]


def open_payments(products: list[int], count: int, *, run: str, run_salt: int) -> list:
    """Place `count` online orders and open a pending Sandbox payment for each."""
    from orders.models import Order, Source
    from orders.services import place_order
    from payments.services import start_order_payment
    from payments.views import callback_url_for, return_url_for

    payments = []
    for i in range(count):
        order, _ = place_order(
            customer=None,
            full_name=f"Bench Shopper {i}",
            # Run-unique: the anti-abuse caps count a phone's and an e-mail's open orders.
            phone=f"+38067{(run_salt + i) % 10_000_000:07d}",
            email=f"shopper{i}.{run}@bench.kramar.local",
            delivery_city="Kyiv",
            delivery_branch="Branch No 1: Pymonenka St, 13",
            payment_method=Order.PaymentMethod.ONLINE,
            items={products[i % len(products)]: 1},
            checkout_token=uuid.uuid4().hex,
            source=Source.WEB,
        )
        payments.append(
            start_order_payment(
                order_id=order.pk,
                provider_code="sandbox",
                return_url_for=return_url_for,
                callback_url_for=callback_url_for,
            )
        )
    return payments


def paid_callback(payment) -> Request:
    """The signed "paid" callback the Sandbox gateway would post for this payment."""
    from payments.providers import get_provider
    from payments.providers.sandbox import SIGNATURE_HEADER

    sandbox = get_provider("sandbox")
    state = sandbox.set_outcome(
        ref=str(payment.reference), amount=payment.amount, currency=payment.currency, status="paid"
    )
    body, signature = sandbox.callback_body(state)
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature, **PROXY_HEADERS}
    return Request("POST", CALLBACK_PATH, body.encode(), headers)


def ledger_totals() -> tuple[int, int, int]:
    from ledger.selectors import balance_of

    return (balance_of(code="psp:sandbox"), balance_of(code="psp_fees"), balance_of(code="customer_prepayments"))


# --- checks ----------------------------------------------------------------------------------


def verify(*, payments: list, since, books_before: tuple[int, int, int]) -> tuple[list[str], dict]:
    """Check through the database that every callback was applied exactly once.

    Returns (problems, facts): problems is a list of sentences, empty when all is well.
    """
    from django.db.models import Count

    from ledger.integrity import verify_ledger
    from ledger.models import JournalEntry
    from orders.models import Order
    from payments.models import Payment, WebhookEvent
    from payments.providers.sandbox import FEE_PER_MILLE

    problems = []
    ids = [p.pk for p in payments]
    refs = [str(p.reference) for p in payments]
    expected = len(payments)
    rows = Payment.objects.filter(pk__in=ids)
    captured = rows.filter(status="captured").count()
    exact = rows.filter(status="captured", is_overpayment=False, needs_review=False).count()
    wrong_amount = sum(1 for amount, got in rows.values_list("amount", "captured_amount") if amount != got)
    confirmed = Order.objects.filter(payments__pk__in=ids, status="confirmed").distinct().count()
    entries = JournalEntry.objects.filter(reference_type="payment", reference_id__in=refs)
    captures = entries.filter(kind="capture").count()
    per_payment = entries.filter(kind="capture").values("reference_id").annotate(n=Count("id"))
    duplicate_captures = sum(row["n"] - 1 for row in per_payment if row["n"] > 1)
    other_entries = entries.exclude(kind="capture").count()  # overpayments, refunds: none expected
    events = WebhookEvent.objects.filter(received_at__gte=since)
    event_count = events.count()
    event_results = dict(events.values_list("result").annotate(n=Count("id")).values_list("result", "n"))
    integrity = verify_ledger()

    amounts = list(rows.values_list("amount", flat=True))
    fees = sum(amount * FEE_PER_MILLE // 1000 for amount in amounts)
    expected_books = (
        books_before[0] + sum(amounts) - fees,
        books_before[1] + fees,
        books_before[2] + sum(amounts),
    )
    books_after = ledger_totals()

    if captured != expected or exact != expected:
        problems.append(f"{captured} of {expected} payments captured ({exact} cleanly, without review/overpayment)")
    if wrong_amount:
        problems.append(f"{wrong_amount} payments captured a different amount than asked")
    if confirmed != expected:
        problems.append(f"{confirmed} of {expected} orders confirmed")
    if captures != expected:
        problems.append(f"{captures} capture entries for {expected} payments")
    if duplicate_captures:
        problems.append(f"{duplicate_captures} duplicate capture entries")
    if other_entries:
        problems.append(f"{other_entries} unexpected journal entries (overpayment or refund) for these payments")
    if event_count != expected or event_results != {"processed": expected}:
        problems.append(f"{event_count} inbox events for {expected} payments: {event_results}")
    if books_after != expected_books:
        problems.append(
            f"ledger (psp:sandbox, psp_fees, customer_prepayments) {books_after}, expected {expected_books}"
        )
    if not integrity.ok:
        problems.append("ledger integrity check failed:\n" + integrity.as_text())

    facts = {
        "captured": captured,
        "confirmed": confirmed,
        "captures": captures,
        "duplicate_captures": duplicate_captures,
        "events": event_count,
        "integrity_ok": integrity.ok,
        "entries_checked": integrity.entries,
        "books_delta": tuple(after - before for after, before in zip(books_after, books_before, strict=True)),
    }
    return problems, facts


def unexpected_answers(phase: str, result: PhaseResult) -> list[str]:
    bad = [o for o in result.outcomes if o.status != 200]
    if not bad:
        return []
    first = bad[0]
    return [f"phase {phase}: {len(bad)} answers other than 200, e.g. {first.status} {first.body[:200]!r}"]


# --- run -------------------------------------------------------------------------------------


def main(argv=None) -> int:
    args = parse_args(argv)
    port = free_port()
    env = webhook_environment(args, port)
    print(f"Preparing {env['DATABASE_URL'].rsplit('/', 1)[1]} (migrate, seed)...", flush=True)
    prepare_database(args, env)

    from django.db import connection
    from django.utils import timezone

    run = time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(2)
    rng = random.Random(args.seed)
    products = create_products(run)
    total = args.orders + args.race_orders
    warm_up = args.concurrency * 2
    print(f"Opening {total} Sandbox payments for online orders (+{warm_up} to warm up)...", flush=True)
    started_seeding = time.perf_counter()
    run_salt = secrets.randbelow(10_000_000)
    payments = open_payments(products, total, run=run, run_salt=run_salt)
    seed_seconds = time.perf_counter() - started_seeding
    warm_up_requests = [
        paid_callback(p) for p in open_payments(products, warm_up, run=f"{run}w", run_salt=run_salt + total)
    ]
    first, racing = payments[: args.orders], payments[args.orders :]
    first_requests = [paid_callback(p) for p in first]
    rng.shuffle(first_requests)
    storm_requests = first_requests * args.repeat
    rng.shuffle(storm_requests)
    racing_callbacks = [paid_callback(p) for p in racing]
    rng.shuffle(racing_callbacks)
    race_requests = [request for request in racing_callbacks for _ in range(args.repeat + 1)]
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0].split()[0]
    connection.close()

    baseline_requests = [Request("GET", BASELINE_PATH)] * (args.baseline_requests // 2)
    log_path = ROOT / "var" / "log" / "bench-webhooks-gunicorn.log"
    server = start_server(args, env, port, log_path)
    load = {"host": "127.0.0.1", "port": port, "concurrency": args.concurrency}
    try:
        # Warm every worker up (imports, database connections, the callback path) before
        # anything is timed; the warm-up payments are left out of the checks.
        run_load(requests=[Request("GET", BASELINE_PATH)] * (args.concurrency * 20), **load)
        warm = run_load(requests=warm_up_requests, **load)
        if warm.count(200) != len(warm_up_requests):
            raise SystemExit(f"warm-up callbacks were not accepted: {dict(warm.by_status())}; see {log_path}")
        books_before = ledger_totals()
        since = timezone.now()
        connection.close()

        print(f"Phase 0: {len(baseline_requests)} x GET {BASELINE_PATH}", flush=True)
        baseline_before = run_load(requests=baseline_requests, **load)
        print(f"Phase 1: {len(first_requests)} first deliveries of a 'paid' callback", flush=True)
        phase_1 = run_load(requests=first_requests, **load)
        print(f"Phase 2: {len(storm_requests)} duplicates ({args.repeat} of each)", flush=True)
        phase_2 = run_load(requests=storm_requests, **load)
        phase_3 = PhaseResult([], 0.0)
        if race_requests:
            print(f"Phase 3: {len(racing)} callbacks arriving {args.repeat + 1} times at once", flush=True)
            phase_3 = run_load(requests=race_requests, **load)
        print(f"Phase 0 again: {len(baseline_requests)} x GET {BASELINE_PATH}", flush=True)
        baseline_after = run_load(requests=baseline_requests, **load)
    finally:
        stop_server(server)
        clean_bench_redis(env)

    baseline = PhaseResult(
        baseline_before.outcomes + baseline_after.outcomes, baseline_before.seconds + baseline_after.seconds
    )
    drift = abs(baseline_after.per_second() / baseline_before.per_second() - 1)
    problems, facts = verify(payments=payments, since=since, books_before=books_before)
    for phase, result in [("0", baseline), ("1", phase_1), ("2", phase_2), ("3", phase_3)]:
        problems.extend(unexpected_answers(phase, result))

    base_rps = baseline.per_second()
    print_table_head("webhook", args, pg_version)
    print(row(f"0 baseline GET {BASELINE_PATH}", baseline, base_rps, ok_status=200))
    print(row("1 first 'paid' callbacks", phase_1, base_rps, ok_status=200))
    print(row(f"2 duplicate storm (x{args.repeat})", phase_2, base_rps, ok_status=200))
    if race_requests:
        print(row(f"3 racing duplicates (x{args.repeat + 1} at once)", phase_3, base_rps, ok_status=200))
    print()
    print("ratio = the phase's callbacks/s / baseline req/s; every callback answer must be 200")
    print(
        f"opened {total} payments in the bench process in {seed_seconds:.1f} s; "
        f"payments captured: {facts['captured']}/{total}, orders confirmed: {facts['confirmed']}/{total}, "
        f"capture entries: {facts['captures']}, inbox events: {facts['events']}"
    )
    print(
        "ledger moved (psp:sandbox, psp_fees, customer_prepayments): "
        f"{facts['books_delta']}; integrity check over {facts['entries_checked']} entries: "
        + ("ok" if facts["integrity_ok"] else "FAILED")
    )
    print(
        f"baseline before: {baseline_before.per_second():.1f} req/s, after: {baseline_after.per_second():.1f} req/s"
        + (
            f"  WARNING: {drift:.0%} apart: something else used the CPU; the ratios are unreliable"
            if drift > 0.2
            else ""
        )
    )
    print(f"duplicate captures: {facts['duplicate_captures']}")
    summary = {
        "baseline_rps": round(base_rps, 1),
        "baseline_drift": round(drift, 3),
        "first_per_s": round(phase_1.per_second(200), 1),
        "first_ratio": round(phase_1.per_second(200) / base_rps, 4) if base_rps else None,
        "first_p99_ms": round(phase_1.percentile_ms(99), 1),
        "duplicates_per_s": round(phase_2.per_second(200), 1),
        "duplicates_ratio": round(phase_2.per_second(200) / base_rps, 4) if base_rps else None,
        "duplicates_p99_ms": round(phase_2.percentile_ms(99), 1),
        "racing_per_s": round(phase_3.per_second(200), 1) if race_requests else None,
        "duplicate_captures": facts["duplicate_captures"],
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

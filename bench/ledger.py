#!/usr/bin/env python
"""Ledger throughput against PostgreSQL's own tpcb-like, on the same server, in the same run.

1. pgbench's built-in tpcb-like (3 balance UPDATEs + 1 history INSERT per transaction,
   prepared statements) on its own database: the physical limit of "update balances and
   append history" on this machine.
2. The ledger's payment-capture posting (record_capture: psp:<provider> + psp_fees +
   customer_prepayments, two hot accounts) through ledger.services, from N worker
   processes, each a Django process with one connection, on a freshly migrated database.
3. Prints both rates, the ratio, and the integrity check result.

Usage: .venv/bin/python bench/ledger.py [--connections 4] [--seconds 15] [--single-shard]
--single-shard makes every posting use shard 0 of the hot accounts, to show what sharding buys.
"""

import argparse
import multiprocessing as mp
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
LEDGER_DB = "kramar_bench_ledger"
PGBENCH_DB = "kramar_bench_pgbench"


def sh(*args, env=None, capture=True) -> str:
    result = subprocess.run(args, env=env, text=True, capture_output=capture)
    if result.returncode:
        # Say why (a refused system check, a missing pgbench), not just the exit status.
        raise SystemExit(f"{' '.join(map(str, args))} exited with {result.returncode}:\n{result.stderr or ''}")
    return result.stdout if capture else ""


def recreate_database(name: str) -> None:
    sh("psql", f"{SERVER}/postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    sh("psql", f"{SERVER}/postgres", "-q", "-c", f"CREATE DATABASE {name}")


def run_pgbench(connections: int, seconds: int) -> float:
    recreate_database(PGBENCH_DB)
    sh("pgbench", "-i", "-q", "-s", "10", f"{SERVER}/{PGBENCH_DB}")
    out = sh(
        "pgbench",
        "-n",
        "-M",
        "prepared",
        "-c",
        str(connections),
        "-j",
        str(min(connections, 2)),
        "-T",
        str(seconds),
        f"{SERVER}/{PGBENCH_DB}",
    )
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    if not match:
        raise SystemExit(f"could not read pgbench's tps from:\n{out}")
    return float(match.group(1))


def django_env() -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"{SERVER}/{LEDGER_DB}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only",
        # Production mode refuses to start on the sandbox carrier (core/checks.py); the
        # ledger bench posts no waybills and takes no payments, so it waives the check.
        "ALLOW_SANDBOX_IN_PRODUCTION": "true",
    }


def ledger_worker(index: int, seconds: float, warmup: float, single_shard: bool, start_at: float, queue) -> None:
    os.environ.update(django_env())
    import django

    django.setup()
    from ledger.postings import record_capture
    from ledger.services import shards

    if single_shard:
        shards.HOT_SHARDS = 1  # every posting takes lane 0: shard 0 of each hot account
    prefix = f"bench:{uuid.uuid4().hex}:{index}"
    while time.time() < start_at:
        time.sleep(0.001)
    n = 0
    counted = 0
    began = time.time()
    measure_from = began + warmup
    stop = measure_from + seconds
    while True:
        now = time.time()
        if now >= stop:
            break
        record_capture(
            provider="fondy", amount=10000 + n % 977, fee=100 + n % 13, payment_id=n, idempotency_key=f"{prefix}:{n}"
        )
        n += 1
        if now >= measure_from:
            counted += 1
    queue.put(counted)


def run_ledger(connections: int, seconds: int, single_shard: bool) -> float:
    recreate_database(LEDGER_DB)
    sh(sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0", env=django_env())
    queue = mp.get_context("spawn").Queue()
    ctx = mp.get_context("spawn")
    start_at = time.time() + 3  # let every process finish django.setup() first
    warmup = 2.0
    procs = [
        ctx.Process(target=ledger_worker, args=(i, seconds, warmup, single_shard, start_at, queue))
        for i in range(connections)
    ]
    for p in procs:
        p.start()
    counts = [queue.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    return sum(counts) / seconds


def verify() -> str:
    os.environ.update(django_env())
    import django

    django.setup()
    from ledger import integrity

    # The bench posts captures with no Payment rows behind them, so the payments app's
    # provider-totals comparison does not apply here; every ledger check does.
    integrity.EXTRA_CHECKS.clear()
    return integrity.verify_ledger().as_text()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--single-shard", action="store_true", help="use only shard 0 of hot accounts")
    args = parser.parse_args()

    print(f"pgbench tpcb-like, scale 10, -M prepared, {args.connections} connections, {args.seconds} s ...")
    tpcb = run_pgbench(args.connections, args.seconds)
    shards = "shard 0 only" if args.single_shard else "hot accounts sharded x8"
    print(f"ledger capture posting (3 legs, 2 hot accounts, {shards}), {args.connections} processes ...")
    ledger = run_ledger(args.connections, args.seconds, args.single_shard)
    report = verify()
    print()
    print(f"  pgbench tpcb-like        {tpcb:9.0f} tps")
    print(f"  ledger capture postings  {ledger:9.0f} postings/s")
    print(f"  ratio ledger / tpcb-like {ledger / tpcb:9.2f}   (goal >= 0.40 at 4 connections)")
    print(f"  integrity check          {report.splitlines()[0]}")
    if "FAILED" in report:
        print(report)
        raise SystemExit(1)


if __name__ == "__main__":
    main()

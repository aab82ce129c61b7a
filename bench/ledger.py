#!/usr/bin/env python
"""Ledger throughput against PostgreSQL's own tpcb-like and django-hordak, same server, same run.

0. pg_test_fsync's fdatasync rate (one 8 kB write then fdatasync, ops/s) on the filesystem
   of PostgreSQL's data: how many commit flushes a second the disk allows.
1. pgbench's built-in tpcb-like (3 balance UPDATEs + 1 history INSERT per transaction,
   prepared statements) on its own database: the physical limit of "update balances and
   append history" on this machine.
2. The ledger's payment-capture posting (record_capture: psp:<provider> + psp_fees +
   customer_prepayments, two hot accounts) through ledger.services, from N worker
   processes, each a Django process with one connection, on a freshly migrated database.
3. django-hordak (the library a Django team would pick) posting the same 3-leg capture from
   N processes, in a virtualenv of its own that this script makes (bench/.hordak-venv, from
   bench/hordak/requirements.txt: the same Django and psycopg) on a database of its own
   (kramar_bench_hordak); see bench/hordak/run.py.
4. Prints the rates, both ratios (kramar / hordak, goal >= 3; kramar / tpcb-like, goal >= 0.40),
   both integrity checks, and for each phase the CPU use and which limit bound it: the CPUs
   (busy >= 90 %) or the commit flush (the CPUs wait on fdatasync). Exits 1 on an integrity failure.

Usage: .venv/bin/python bench/ledger.py [--connections 4] [--seconds 15] [--single-shard] [--no-hordak]
--single-shard makes every posting use shard 0 of the hot accounts, to show what sharding buys.
"""

import argparse
import glob
import hashlib
import json
import multiprocessing as mp
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
LEDGER_DB = "kramar_bench_ledger"
PGBENCH_DB = "kramar_bench_pgbench"
HORDAK_DB = "kramar_bench_hordak"
HORDAK_DIR = ROOT / "bench" / "hordak"
HORDAK_VENV = ROOT / "bench" / ".hordak-venv"


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


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of every CPU since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def measured(run):
    """Run `run()`; return (its result, the CPUs' busy fraction meanwhile)."""
    busy0, total0 = cpu_times()
    result = run()
    busy1, total1 = cpu_times()
    return result, (busy1 - busy0) / max(1, total1 - total0)


def fdatasync_rate() -> tuple[float | None, str]:
    """pg_test_fsync's fdatasync ops/s (one 8 kB write each), on PostgreSQL's data filesystem."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_test_fsync"))
    if not found:
        return None, "pg_test_fsync not found under /usr/lib/postgresql/*/bin/"
    data_dir = sh("psql", f"{SERVER}/postgres", "-Atc", "SHOW data_directory").strip()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            same = os.stat(tmp).st_dev == os.stat(data_dir).st_dev
        except OSError:
            same = False
        where = "the filesystem of PostgreSQL's data" if same else f"{tmp}, not PostgreSQL's filesystem"
        out = sh(found[-1], "-s", "1", "-f", str(Path(tmp) / "pg_test_fsync.out"))
    for line in out.splitlines():
        match = re.match(r"\s*fdatasync\s+([\d.]+) ops/sec", line)
        if match:
            return float(match.group(1)), where
    return None, "no fdatasync line in pg_test_fsync's output"


def bound(busy: float, rate: float, fsyncs: float | None) -> str:
    if busy >= 0.90:
        return f"CPU (busy {busy:.0%})"
    flushes = f"; {rate / fsyncs:.1f} commits per fdatasync" if fsyncs else ""
    return f"commit flush (CPU busy {busy:.0%}{flushes})"


def ensure_hordak_venv() -> Path:
    """bench/.hordak-venv with bench/hordak/requirements.txt installed (remade when it changes)."""
    requirements = HORDAK_DIR / "requirements.txt"
    stamp = HORDAK_VENV / "requirements.sha256"
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    python = HORDAK_VENV / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    print(f"making {HORDAK_VENV.relative_to(ROOT)} for django-hordak (once) ...", flush=True)
    sh(sys.executable, "-m", "venv", "--clear", str(HORDAK_VENV))
    sh(str(python), "-m", "pip", "install", "-q", "-r", str(requirements))
    stamp.write_text(wanted)
    return python


def run_hordak(connections: int, seconds: int) -> dict:
    python = ensure_hordak_venv()
    recreate_database(HORDAK_DB)
    env = {**os.environ, "HORDAK_DB": HORDAK_DB, "DJANGO_SETTINGS_MODULE": "settings"}
    run = [str(python), str(HORDAK_DIR / "run.py"), "--connections", str(connections), "--seconds", str(seconds)]
    out = sh(*run, env=env)
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--single-shard", action="store_true", help="use only shard 0 of hot accounts")
    parser.add_argument("--no-hordak", action="store_true", help="skip the django-hordak phase")
    args = parser.parse_args()

    print("pg_test_fsync (fdatasync of one 8 kB write) ...", flush=True)
    fsyncs, fsync_where = fdatasync_rate()
    print(f"pgbench tpcb-like, scale 10, -M prepared, {args.connections} connections, {args.seconds} s ...", flush=True)
    tpcb, tpcb_busy = measured(lambda: run_pgbench(args.connections, args.seconds))
    shards = "shard 0 only" if args.single_shard else "hot accounts sharded x8"
    print(f"ledger capture posting (3 legs, 2 hot accounts, {shards}), {args.connections} processes ...", flush=True)
    ledger, ledger_busy = measured(lambda: run_ledger(args.connections, args.seconds, args.single_shard))
    report = verify()
    hordak = None
    if not args.no_hordak:
        print(f"django-hordak posting the same 3-leg capture, {args.connections} processes ...", flush=True)
        hordak, hordak_busy = measured(lambda: run_hordak(args.connections, args.seconds))
    load = os.getloadavg()
    print()
    print(f"  fdatasync (pg_test_fsync)  {fsyncs or 0:9.0f} ops/s   ({fsync_where})")
    print(f"  pgbench tpcb-like          {tpcb:9.0f} tps          bound: {bound(tpcb_busy, tpcb, fsyncs)}")
    print(f"  kramar capture postings    {ledger:9.0f} postings/s   bound: {bound(ledger_busy, ledger, fsyncs)}")
    if hordak:
        rate = hordak["postings_per_s"]
        print(f"  hordak capture postings    {rate:9.0f} postings/s   bound: {bound(hordak_busy, rate, fsyncs)}")
    print(f"  ratio kramar / tpcb-like   {ledger / tpcb:9.2f}   (goal >= 0.40 at 4 connections)")
    if hordak:
        print(f"  ratio kramar / hordak      {ledger / max(hordak['postings_per_s'], 1e-9):9.2f}   (goal >= 3)")
    print(f"  kramar integrity check     {report.splitlines()[0]}")
    if hordak:
        print(f"  hordak integrity check     {hordak['integrity']}")
    print(f"  load average               {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} CPUs)")
    summary = {
        "fdatasync_ops": fsyncs,
        "tpcb_tps": tpcb,
        "kramar_postings": ledger,
        "hordak_postings": hordak and hordak["postings_per_s"],
        "kramar_vs_tpcb": ledger / tpcb,
        "kramar_vs_hordak": hordak and ledger / max(hordak["postings_per_s"], 1e-9),
        "load1": load[0],
    }
    print("json:", json.dumps(summary))
    failed = "FAILED" in report or (hordak is not None and hordak["integrity"] != "ok")
    if failed:
        print(report)
        raise SystemExit(1)


if __name__ == "__main__":
    main()

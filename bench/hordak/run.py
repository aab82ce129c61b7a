"""django-hordak posting the same 3-leg capture as kramar's bench, from N processes.

Run by bench/ledger.py with the hordak virtualenv's Python:
    python bench/hordak/run.py --connections 4 --seconds 15 --warmup 2
Migrates its database (HORDAK_DB), makes the three accounts, posts for `seconds` after a
warm-up, then checks every transaction balances and every account's legs add up; prints one
JSON line: {"postings_per_s": ..., "postings": ..., "integrity": "ok" | "FAILED: ..."}.

The posting is hordak's documented way to write a transaction of more than two legs: one
Transaction and its Legs created in one atomic block (hordak's deferred trigger checks the
balance at commit). hordak keeps no balance on the account row (a balance is a sum over its
legs), so its posting updates no hot row: it pays in statements and ORM work instead.
"""

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

ACCOUNTS = {"psp": ("PSP fondy", "1", "AS"), "fees": ("PSP fees", "2", "EX"), "prepay": ("Prepayments", "3", "LI")}


def setup_accounts() -> None:
    from django.core.management import call_command
    from hordak.models import Account

    call_command("migrate", verbosity=0)
    for name, code, kind in ACCOUNTS.values():
        Account.objects.get_or_create(code=code, defaults={"name": name, "type": kind, "currencies": ["UAH"]})


def worker(index: int, seconds: float, warmup: float, start_at: float, queue) -> None:
    import django

    django.setup()
    from django.db import transaction
    from djmoney.money import Money
    from hordak.models import Account, Leg, Transaction

    accounts = {key: Account.objects.get(code=code) for key, (_name, code, _kind) in ACCOUNTS.items()}
    prefix = f"bench:{uuid.uuid4().hex}:{index}"
    while time.time() < start_at:
        time.sleep(0.001)
    n = counted = 0
    measure_from = time.time() + warmup
    stop = measure_from + seconds
    while True:
        now = time.time()
        if now >= stop:
            break
        amount, fee = 10000 + n % 977, 100 + n % 13
        with transaction.atomic():
            tx = Transaction.objects.create(description=f"fondy payment {prefix}:{n}")
            Leg.objects.create(transaction=tx, account=accounts["psp"], debit=Money(amount - fee, "UAH") / 100)
            Leg.objects.create(transaction=tx, account=accounts["fees"], debit=Money(fee, "UAH") / 100)
            Leg.objects.create(transaction=tx, account=accounts["prepay"], credit=Money(amount, "UAH") / 100)
        n += 1
        if now >= measure_from:
            counted += 1
    queue.put(counted)


def verify() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT transaction_id FROM hordak_leg GROUP BY transaction_id"
            " HAVING sum(coalesce(debit, 0)) <> sum(coalesce(credit, 0))) unbalanced"
        )
        (unbalanced,) = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM hordak_transaction t"
            " WHERE NOT EXISTS (SELECT 1 FROM hordak_leg l WHERE l.transaction_id = t.id)"
        )
        (empty,) = cursor.fetchone()
        cursor.execute("SELECT coalesce(sum(debit), 0) - coalesce(sum(credit), 0) FROM hordak_leg")
        (total,) = cursor.fetchone()
    if unbalanced or empty or total:
        return f"FAILED: {unbalanced} unbalanced transactions, {empty} without legs, legs sum to {total}"
    return "ok"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    import django

    django.setup()
    setup_accounts()
    from django.db import connection

    connection.close()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    start_at = time.time() + 3
    procs = [
        ctx.Process(target=worker, args=(i, args.seconds, args.warmup, start_at, queue))
        for i in range(args.connections)
    ]
    for p in procs:
        p.start()
    counts = [queue.get(timeout=args.seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    print(json.dumps({"postings_per_s": sum(counts) / args.seconds, "postings": sum(counts), "integrity": verify()}))


if __name__ == "__main__":
    main()

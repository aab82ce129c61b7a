"""The integrity check: proves the books are whole, or says loudly where they are not.

Run by `manage.py ledger_verify`, nightly by Beat, and from the admin. Each check is one
SQL query over the whole ledger; each names the first offenders it finds.
"""

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

logger = logging.getLogger(__name__)
SAMPLE = 10


@dataclass
class Check:
    name: str
    description: str
    failures: int = 0
    examples: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failures == 0


@dataclass
class IntegrityReport:
    checks: list[Check]
    entries: int
    postings: int
    accounts: int

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def summary(self) -> str:
        failed = [c.name for c in self.checks if not c.ok]
        head = f"{self.entries} entries, {self.postings} postings, {self.accounts} accounts"
        return f"{head}: all {len(self.checks)} checks passed" if not failed else f"{head}: FAILED {', '.join(failed)}"

    def as_text(self) -> str:
        lines = [self.summary()]
        for c in self.checks:
            lines.append(f"  [{'ok' if c.ok else 'FAIL'}] {c.description}" + ("" if c.ok else f": {c.failures}"))
            lines.extend(f"        {example}" for example in c.examples)
        return "\n".join(lines)


CHECKS = [
    (
        "balanced",
        "every journal entry sums to zero per currency and has two or more postings",
        """
        SELECT e.id, coalesce(string_agg(DISTINCT p.currency, ','), '-') AS currencies, count(p.id) AS legs
          FROM ledger_journalentry e LEFT JOIN ledger_posting p ON p.entry_id = e.id
         GROUP BY e.id
        HAVING count(p.id) < 2 OR EXISTS (
            SELECT 1 FROM ledger_posting q WHERE q.entry_id = e.id GROUP BY q.currency HAVING sum(q.amount) <> 0)
        """,
    ),
    (
        "stored_balances",
        "every stored balance equals the sum of its account's postings",
        """
        SELECT a.id, a.code, a.balance, a.normal_sign * coalesce(sum(p.amount), 0) AS from_postings
          FROM ledger_account a LEFT JOIN ledger_posting p ON p.account_id = a.id
         GROUP BY a.id
        HAVING a.balance <> a.normal_sign * coalesce(sum(p.amount), 0)
        """,
    ),
    (
        "versions",
        "account versions are gap-free: 1..n for n postings, n = the account's version",
        """
        SELECT a.id, a.code, a.version, count(p.id) AS postings, min(p.account_version), max(p.account_version)
          FROM ledger_account a LEFT JOIN ledger_posting p ON p.account_id = a.id
         GROUP BY a.id
        HAVING a.version <> count(p.id)
            OR (count(p.id) > 0 AND (min(p.account_version) <> 1 OR max(p.account_version) <> a.version))
        """,
    ),
    (
        "running_balances",
        "each posting's balance_after is the running sum of its account",
        """
        SELECT id, account_id, balance_after, running FROM (
            SELECT p.id, p.account_id, p.balance_after,
                   a.normal_sign * sum(p.amount) OVER (PARTITION BY p.account_id ORDER BY p.account_version)
                       AS running
              FROM ledger_posting p JOIN ledger_account a ON a.id = p.account_id
        ) chain WHERE balance_after <> running
        """,
    ),
    (
        "holds",
        "each account's held amount equals its active holds",
        """
        SELECT a.id, a.code, a.held, coalesce(sum(h.amount) FILTER (WHERE h.status = 'active'), 0) AS active
          FROM ledger_account a LEFT JOIN ledger_hold h ON h.account_id = a.id
         GROUP BY a.id
        HAVING a.held <> coalesce(sum(h.amount) FILTER (WHERE h.status = 'active'), 0)
        """,
    ),
    (
        "limits",
        "no limited account is below zero",
        "SELECT id, code, balance, held FROM ledger_account WHERE NOT allow_negative AND balance - held < 0",
    ),
    (
        "reversals",
        "each reversal is the exact opposite of the entry it reverses",
        """
        SELECT r.id, r.reverses_id FROM ledger_journalentry r
         WHERE r.reverses_id IS NOT NULL AND EXISTS (
            (SELECT account_id, amount FROM ledger_posting WHERE entry_id = r.reverses_id
             EXCEPT SELECT account_id, -amount FROM ledger_posting WHERE entry_id = r.id)
            UNION ALL
            (SELECT account_id, -amount FROM ledger_posting WHERE entry_id = r.id
             EXCEPT SELECT account_id, amount FROM ledger_posting WHERE entry_id = r.reverses_id))
        """,
    ),
    (
        "trial_balance",
        "the trial balance is zero in every currency (debit-normal = credit-normal balances)",
        """
        SELECT currency, sum(normal_sign * balance) AS difference FROM ledger_account
         GROUP BY currency HAVING sum(normal_sign * balance) <> 0
        """,
    ),
]

# Other apps (payments) register reconciliation checks here: (name, description, sql).
EXTRA_CHECKS: list[tuple[str, str, str]] = []


def _plain(value):
    # PostgreSQL's sum() of bigints is numeric; show 0, not Decimal('0'), to whoever reads the report.
    return int(value) if isinstance(value, Decimal) and value == value.to_integral_value() else value


def verify_ledger() -> IntegrityReport:
    """Run every check; never raises for a failed check, the report says it."""
    checks = []
    with connection.cursor() as cursor:
        for name, description, sql in [*CHECKS, *EXTRA_CHECKS]:
            cursor.execute(f"SELECT count(*) OVER (), * FROM ({sql}) offenders LIMIT {SAMPLE}")
            rows = cursor.fetchall()
            check = Check(name=name, description=description)
            if rows:
                check.failures = rows[0][0]
                check.examples = [tuple(_plain(v) for v in r[1:]) for r in rows]
            checks.append(check)
        cursor.execute(
            "SELECT (SELECT count(*) FROM ledger_journalentry), (SELECT count(*) FROM ledger_posting),"
            " (SELECT count(*) FROM ledger_account)"
        )
        entries, postings, accounts = cursor.fetchone()
    report = IntegrityReport(checks=checks, entries=entries, postings=postings, accounts=accounts)
    if not report.ok:
        logger.error("ledger integrity check failed:\n%s", report.as_text())
    return report

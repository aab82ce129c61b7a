"""PostgreSQL helpers the benches share: psql on the bench server, and a bench database made once."""

import os
import subprocess

SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")


def psql(database: str, sql: str) -> str:
    """Run `sql` on `database` of the bench server; its output, or exit with psql's error."""
    result = subprocess.run(
        ["psql", f"{SERVER}/{database}", "-v", "ON_ERROR_STOP=1", "-qAtc", sql], text=True, capture_output=True
    )
    if result.returncode:
        raise SystemExit(f"psql on {database} failed:\n{result.stderr}")
    return result.stdout.strip()


def ensure_database(database: str, *, fresh: bool) -> None:
    """Create `database` if it is missing (drop it first with `fresh`); never touches another."""
    exists = psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{database}'")
    if fresh and exists:
        psql("postgres", f"DROP DATABASE {database} WITH (FORCE)")
        exists = ""
    if not exists:
        psql("postgres", f"CREATE DATABASE {database}")

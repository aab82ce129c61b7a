#!/usr/bin/env python3
"""Create the PostgreSQL database named in DATABASE_URL when it does not exist yet.

Usage: scripts/ensure_database.py [--url postgres://user:pass@host:port/name]

Reads DATABASE_URL (and .env, like the settings do), defaulting to the same local database
as config/settings.py. Exits non-zero with a sentence saying what to do when the server
cannot be reached or refuses.
"""

import argparse
import sys
from pathlib import Path

import environ
import psycopg
from psycopg import sql

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kramar"


class DatabaseUnavailable(Exception):
    """The server cannot be reached, or refused to let us in or to create the database."""


def database_url_from_environment() -> str:
    env = environ.Env()
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
    return env("DATABASE_URL", default=DEFAULT_DATABASE_URL)


def _connect_kwargs(url: str) -> tuple[str, dict]:
    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        raise DatabaseUnavailable(f"DATABASE_URL must point to PostgreSQL, not {config['ENGINE']}.")
    kwargs = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "connect_timeout": 5,
    }
    kwargs.update(config.get("OPTIONS") or {})
    return config["NAME"], {k: v for k, v in kwargs.items() if v is not None}


def _where(kwargs: dict) -> str:
    return f"{kwargs.get('user', '?')}@{kwargs.get('host', 'localhost')}:{kwargs.get('port', 5432)}"


def ensure_database(url: str) -> bool:
    """Create the database `url` names unless it exists; return True when it was created."""
    name, kwargs = _connect_kwargs(url)
    try:
        with psycopg.connect(dbname=name, **kwargs):
            return False
    except psycopg.OperationalError as exc:
        if f'database "{name}" does not exist' not in str(exc):
            raise DatabaseUnavailable(f"cannot connect to PostgreSQL at {_where(kwargs)}: {str(exc).strip()}")

    # The database is missing: ask the server's maintenance database to create it.
    try:
        with psycopg.connect(dbname="postgres", autocommit=True, **kwargs) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.errors.DuplicateDatabase:
        return False  # someone else created it in the meantime: just as good
    except psycopg.errors.InsufficientPrivilege:
        raise DatabaseUnavailable(
            f"database {name!r} does not exist and {kwargs.get('user')!r} may not create it: "
            f"ask the server's administrator to run CREATE DATABASE {name} OWNER {kwargs.get('user')}."
        )
    except psycopg.Error as exc:
        raise DatabaseUnavailable(f"cannot create database {name!r} at {_where(kwargs)}: {str(exc).strip()}")
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: $DATABASE_URL, then the local default)")
    parser.add_argument("--quiet", action="store_true", help="say nothing when the database already exists")
    args = parser.parse_args(argv)
    url = args.url or database_url_from_environment()
    try:
        created = ensure_database(url)
    except DatabaseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    name = environ.Env.db_url_config(url)["NAME"]
    if created:
        print(f"Created database {name}")
    elif not args.quiet:
        print(f"Database {name} exists")
    return 0


if __name__ == "__main__":
    sys.exit(main())

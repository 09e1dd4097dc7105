"""Fixtures of the store tests: a throwaway PostgreSQL server, store URLs.

The server (``initdb`` + ``pg_ctl``, run as the ``postgres`` user when the
tests run as root) starts once per test process and only if a test asks for
it; every test gets its own fresh database.  PostgreSQL tests are marked
``postgres`` and grouped onto one xdist worker.  Without server binaries they
are skipped with the reason, except under CI (``CI=true``), where that is a
failure: CI must run them.
"""
import itertools
import os

import pytest

_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server():
    from sasnets.stores._pgtemp import PostgresUnavailable, TemporaryPostgres

    try:
        server = TemporaryPostgres()
        server.start()
    except PostgresUnavailable as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"PostgreSQL tests cannot run under CI: {exc}")
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server):
    """URL of a fresh, empty database on the throwaway server."""
    import psycopg2

    name = f"t{os.getpid()}_{next(_counter)}"
    conn = psycopg2.connect(host="127.0.0.1", port=pg_server.port, user=pg_server.user, dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return f"postgresql://{pg_server.user}@127.0.0.1:{pg_server.port}/{name}"


"""PostgreSQL for the tests: the server ``.ci/run`` starts, a fresh database per test.

``WORKSHOP_TEST_PG_URL`` names the server. Without it the PostgreSQL tests skip on a
developer's machine and FAIL when ``$CI`` is set: CI starts a server, so a missing one is a
broken CI, not a reason to pass (the browser tests treat a missing Chromium the same way).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_ENV = "WORKSHOP_TEST_PG_URL"
PG_SKIP_REASON = f"PostgreSQL store tests need a server: set {PG_ENV} (.ci/run starts one)"


def pg_server_or_skip() -> str:
    """The test server's URL; skip without one, fail without one under ``$CI``."""
    server = os.environ.get(PG_ENV)
    if server:
        return server
    if os.environ.get("CI"):
        pytest.fail(f"${PG_ENV} is not set and $CI is: .ci/run starts a PostgreSQL for these tests")
    pytest.skip(PG_SKIP_REASON)


def fresh_pg_database(server_url: str) -> Iterator[str]:
    """Create an empty database on the server, yield its URL, drop it afterwards."""
    name = f"ws_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


class DatabaseSwitch:
    """Cut a test database off and bring it back, from the server's side.

    ``cut()`` refuses new connections to the database (``ALLOW_CONNECTIONS false``) and
    terminates the ones open, as a server restart or a lost network does to a console;
    ``restore()`` lets connections in again. Only this test's database is affected, so
    other tests on the same server go on.
    """

    def __init__(self, server_url: str, database_url: str) -> None:
        self.name = sa.make_url(database_url).database
        self.admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")

    def cut(self) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": self.name})

    def restore(self) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')

    def close(self) -> None:
        self.admin.dispose()


ENGINES = [pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)]
"""``params`` of a fixture that gives a store on each engine (see :func:`engine_url`)."""


def engine_url(engine: str, folder: Path) -> Iterator[str]:
    """An empty store's URL on ``engine``: a SQLite file in ``folder``, or a fresh PostgreSQL
    database (dropped when the generator is closed)."""
    if engine == "sqlite":
        yield f"sqlite:///{folder / 'store.db'}"
        return
    yield from fresh_pg_database(pg_server_or_skip())

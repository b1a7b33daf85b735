"""Fixtures for the compare/stats/store tests: a store on each engine, a no-delay workbench.

Store tests run on SQLite always and on PostgreSQL when ``WORKSHOP_TEST_PG_URL`` names a
server (``.ci/run`` starts one on loopback); each PostgreSQL test gets a fresh database.
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


def _fresh_pg_database(server_url: str) -> Iterator[str]:
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


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty store, once per engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    server = os.environ.get(PG_ENV)
    if not server:
        pytest.skip(PG_SKIP_REASON)
    yield from _fresh_pg_database(server)


@pytest.fixture
def store(store_url: str) -> Iterator[object]:
    from workshop.store import Store

    s = Store.open(store_url)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(scope="module")
def workbench() -> Iterator[object]:
    """A workbench on its own sandbox, no simulated delay (module-scoped: clients reused)."""
    from workshop.workbench import Workbench

    wb = Workbench.open(no_delay=True, pool_size=16)
    try:
        yield wb
    finally:
        wb.close()

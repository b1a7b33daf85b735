"""Fixtures for the compare/stats/store tests: a store on each engine, a no-delay workbench.

Store tests run on SQLite always and on PostgreSQL when ``WORKSHOP_TEST_PG_URL`` names a
server (``.ci/run`` starts one on loopback; under ``$CI`` a missing one fails, see tests/pg.py);
each PostgreSQL test gets a fresh database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import ENGINES, engine_url


@pytest.fixture(params=ENGINES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty store, once per engine."""
    yield from engine_url(request.param, tmp_path)


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

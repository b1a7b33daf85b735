"""The room's database goes away mid-run: what was reported as stored stays stored, samples
measured meanwhile are written when it is back, and a gap that could not be closed is
labelled on the run — never silent.

The database is cut off from the server's side (tests/pg.py: new connections refused, open
ones terminated), as a restart or a lost network does it; other tests' databases go on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.pg import DatabaseSwitch
from tests.room.conftest import MODEL, sample
from workshop.compare import ComparisonJob, RunSettings
from workshop.errors import StoreError
from workshop.store import Store

pytestmark = pytest.mark.postgres


@pytest.fixture
def switch(pg_server: str, pg_url: str) -> Iterator[DatabaseSwitch]:
    cut = DatabaseSwitch(pg_server, pg_url)
    try:
        yield cut
    finally:
        cut.restore()
        cut.close()


def wait_for(condition, timeout: float = 60.0) -> None:
    """Poll ``condition`` until it holds (a deadline, not a sleep standing in for an event)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def stored_seqs(url: str, run_id: str) -> list[int]:
    with Store.open(url) as reader, reader.engine.connect() as conn:
        return conn.execute(sa.text("SELECT seq FROM samples WHERE run_id = :r ORDER BY seq"), {"r": run_id}).scalars().all()


def test_a_run_rides_out_a_lost_database_and_stores_every_sample(pg_url: str, switch: DatabaseSwitch,
                                                                  sandbox_workbench) -> None:
    store = Store.open(pg_url)
    store.outage_s = 120.0
    reported: list[int] = []
    halfway = threading.Event()

    def on_sample(s) -> None:
        reported.append(s.seq)
        if len(reported) >= 40:
            halfway.set()

    from workshop.workbench import Workbench

    bench = Workbench(sandbox_workbench.config, sandbox=sandbox_workbench.sandbox, owns_sandbox=False, store=store)
    settings = RunSettings(paths=("nat", "vpce"), model_id=MODEL, samples=60, warmup=1, concurrency=2, pause_ms=5)
    job = ComparisonJob(settings, bench, store, on_sample=on_sample, participant="Ana", sandbox=True).start()
    try:
        assert halfway.wait(60)
        switch.cut()
        wait_for(lambda: store.unreachable_since is not None)  # writes are waiting for the database
        during = len(reported)
        switch.restore()
        assert job.wait(120)
    finally:
        bench.close()
        store.close()
    assert job.status == "complete", job.error
    assert len(reported) > during  # samples measured while it was away were written once it was back
    seqs = stored_seqs(pg_url, job.run_id)
    assert seqs == sorted(reported) == list(range(settings.total + settings.warmup_total))  # no gap, no twin
    with Store.open(pg_url) as reader:
        assert reader.get_run(job.run_id).status == "complete"
        assert reader.count_invocations("Ana") == settings.total + settings.warmup_total  # every call logged once


def test_a_run_whose_database_does_not_come_back_loses_nothing_it_reported(pg_url: str, switch: DatabaseSwitch) -> None:
    store = Store.open(pg_url)
    store.outage_s = 0.5
    reported: list[int] = []
    cut_done = threading.Event()
    counter = iter(range(10**6))

    def invoke(path: str, model_id: str, body: dict, api: str):
        i = next(counter)
        if i == 30:  # the database goes away mid-run, between two calls
            switch.cut()
            cut_done.set()
        return sample(path, 5.0 + i % 3, datetime.now(UTC))

    settings = RunSettings(paths=("nat", "vpce"), model_id=MODEL, samples=100, warmup=0, concurrency=1)
    job = ComparisonJob(settings, None, store, invoke_fn=invoke, on_sample=lambda s: reported.append(s.seq),
                        participant="Ana", sandbox=True).start()
    try:
        assert job.wait(120)
    finally:
        store.close()
    assert cut_done.is_set()
    assert isinstance(job.error, StoreError) and "unreachable" in str(job.error)
    assert 0 < len(reported) < settings.total
    switch.restore()
    assert stored_seqs(pg_url, job.run_id) == sorted(reported)  # exactly what was reported: nothing lost


def test_a_gap_the_store_could_not_close_is_written_on_the_run(pg_url: str, switch: DatabaseSwitch) -> None:
    store = Store.open(pg_url)
    try:
        run_id = store.create_run({}, paths=["nat"], model_id=MODEL, api="invoke", sandbox=True, participant="Ana")
        t = datetime(2026, 3, 2, 9, 15, 0, tzinfo=UTC)
        store.add_samples(run_id, [(sample("nat", 5.0, t), 0, False, False)])
        store.outage_s = 0.3
        switch.cut()
        with pytest.raises(StoreError) as err:
            store.add_samples(run_id, [(sample("nat", 6.0, t), 1, False, False), (sample("nat", 7.0, t), 2, False, False)])
        assert "cannot write 2 sample(s)" in str(err.value) and err.value.field == "StoreURL"
        assert store.unstored(run_id) == 2
        switch.restore()
        store.outage_s = 60.0
        store.finish_run(run_id, "failed", notes="stopped by an error")
        info = store.get_run(run_id)
    finally:
        store.close()
    assert info.status == "incomplete"
    assert "2 measured sample(s) were not stored: the database was unreachable (measured 09:15:00–09:15:00 UTC)" in info.notes
    assert info.sample_count == 1


def test_a_run_left_running_by_a_runner_that_could_not_close_it_is_labelled_later(pg_url: str) -> None:
    with Store.open(pg_url) as store:
        run_id = store.create_run({}, paths=["nat"], model_id=MODEL, api="invoke", sandbox=True, participant="Ana")
        with store.engine.begin() as conn:  # its process died on another host, long ago
            conn.execute(sa.text("UPDATE runs SET owner = 'elsewhere:1', started_at = '2020-01-01' WHERE id = :r"),
                         {"r": run_id})
        assert store.mark_stale_runs() == [run_id]
        info = store.get_run(run_id)
    assert info.status == "incomplete" and "stopped without closing it" in info.notes

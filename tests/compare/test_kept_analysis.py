"""A run's analysis is computed once and kept in the store: on finish, reused, recomputed
when the samples or the analysis code change, upgraded into older databases."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from workshop import charts, compare, stats
from workshop.compare import (
    ANALYSIS_VERSION,
    ComparisonJob,
    RunAnalysis,
    RunSettings,
    analyse_run,
    run_analysis,
)
from workshop.results import InvocationResult
from workshop.store import MIGRATIONS, SAMPLE_COLUMNS, Store, _sample_row

PATHS = ("nat", "vpce", "cross-account")
MODEL = "amazon.nova-micro-v1:0"
OVERHEAD = {"nat": 12.0, "vpce": 6.0, "cross-account": 9.0}
START = datetime(2025, 5, 1, 12, tzinfo=UTC)


def result(path: str, i: int, **kw: object) -> InvocationResult:
    server = 200.0 + (i % 7) * 10
    overhead = OVERHEAD[path] + (i % 5) * 0.2
    fields: dict[str, object] = {
        "path": path, "model_id": MODEL, "api": "invoke", "started_at": START + timedelta(milliseconds=50 * i),
        "client_ms": server + overhead, "server_ms": server, "overhead_ms": overhead, "credentials_ms": 0.0,
        "http_status": 200, "output_tokens": 40,
    }
    fields.update(kw)
    return InvocationResult(**fields)  # type: ignore[arg-type]


def stored_run(store: Store, *, n: int = 20, seed: int = 3, sandbox: bool = True,
               columns: tuple[str, ...] | None = None) -> str:
    """A finished run: one cold warm-up call and ``n`` measured samples per path.

    ``columns`` writes only those sample columns, as a store of an older schema would."""
    run_id = store.create_run({"seed": seed}, paths=PATHS, model_id=MODEL, api="invoke", sandbox=sandbox)
    seq = itertools.count()
    items = []
    for i in range(-1, n):
        for path in PATHS:
            k = next(seq)
            items.append((result(path, k), k, i < 0, i < 0))
    if columns is None:
        store.add_samples(run_id, items)
    else:
        rows = [{c: v for c, v in _sample_row(run_id, r, k, w, c0, False).items() if c in columns}
                for r, k, w, c0 in items]
        table = sa.table("samples", *(sa.column(c) for c in columns))
        with store.engine.begin() as conn:
            conn.execute(table.insert(), [{c: (row[c].replace(tzinfo=None) if c == "started_at" else row[c])
                                           for c in columns} for row in rows])
    store.finish_run(run_id, "complete")
    return run_id


# The sample columns as migration m003 left them (before first byte, bytes, modelled network).
M003_SAMPLE_COLUMNS: tuple[str, ...] = tuple(
    c for c in SAMPLE_COLUMNS if c not in ("ttfb_ms", "request_bytes", "response_bytes", "modelled_network_ms",
                                           "gateway_ms", "upstream_ms", "init_ms")
)


def assert_same_analysis(a: stats.Analysis, b: stats.Analysis) -> None:
    for name in ("summary", "ecdf", "box", "drift", "decomposition"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert [p.to_dict() for ps in a.pairs.values() for p in ps] == [p.to_dict() for ps in b.pairs.values() for p in ps]


def test_the_analysis_round_trips_through_json_unchanged(store: Store) -> None:
    run_id = stored_run(store)
    fresh = stats.analyse(store.samples(run_id, include_warmup=True), seed=3)
    back = stats.Analysis.from_dict(json.loads(json.dumps(fresh.to_dict(), allow_nan=False)))
    assert_same_analysis(fresh, back)
    assert back.summary["count"].tolist() == [20, 20, 20]
    assert back.drift["bucket_start"].dtype == fresh.drift["bucket_start"].dtype
    assert back.verdicts("overhead_ms") == fresh.verdicts("overhead_ms")


def test_a_finished_job_keeps_its_analysis_with_the_run(store: Store) -> None:
    settings = RunSettings(paths=PATHS, model_id=MODEL, body={}, samples=12, warmup=1, seed=7)
    counter = itertools.count()
    job = ComparisonJob(settings, None, store, invoke_fn=lambda p, m, b, a: result(p, next(counter)), sandbox=True)
    job.start()
    assert job.wait(60)
    assert job.status == "complete" and job.analysis_s is not None
    text = store.load_analysis(job.run_id, version=ANALYSIS_VERSION)
    assert text is not None
    kept = RunAnalysis.from_json(job.run_id, text)
    assert kept.sample_count == 3 * (12 + 1)
    # Exactly what analysing the stored samples with the run's seed gives.
    assert_same_analysis(kept.analysis, stats.analyse(store.samples(job.run_id, include_warmup=True), seed=7))
    assert kept.analysis.summary["count"].tolist() == [12, 12, 12]
    assert sorted(kept.charts) == sorted(charts.CHART_NAMES)
    for spec in kept.charts.values():
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite")
        assert charts.SANDBOX_SUBTITLE in json.dumps(spec["title"] if "title" in spec else spec["layer"][0]["title"])
        assert 0 < sum(len(rows) for rows in spec["datasets"].values()) <= 3000


def test_the_kept_analysis_is_reused_without_reading_the_samples(store: Store, monkeypatch) -> None:
    run_id = stored_run(store)
    computed = analyse_run(store, run_id)

    def no_samples(*args: object, **kw: object) -> pd.DataFrame:
        raise AssertionError("the kept analysis should have been used")

    monkeypatch.setattr(store, "samples", no_samples)
    again = run_analysis(store, run_id)
    assert again.sample_count == computed.sample_count == 63
    assert_same_analysis(again.analysis, computed.analysis)
    assert again.charts == computed.charts
    assert "PrivateLink overhead is" in again.analysis.verdicts("overhead_ms")[0]


def test_a_changed_sample_count_makes_the_kept_analysis_stale(store: Store) -> None:
    run_id = stored_run(store, n=20)
    analyse_run(store, run_id)
    assert store.load_analysis(run_id, version=ANALYSIS_VERSION) is not None
    store.add_sample(run_id, result("nat", 999), seq=999)  # e.g. a run another console is still taking
    assert store.load_analysis(run_id, version=ANALYSIS_VERSION) is None
    updated = run_analysis(store, run_id)
    assert updated.sample_count == 64
    assert updated.analysis.summary.loc["nat", "count"] == 21
    kept = store.load_analysis(run_id, version=ANALYSIS_VERSION)
    assert kept is not None and RunAnalysis.from_json(run_id, kept).sample_count == 64


def test_an_analysis_kept_by_another_version_is_computed_again(store: Store, monkeypatch) -> None:
    run_id = stored_run(store)
    analyse_run(store, run_id)
    monkeypatch.setattr(compare, "analysis_version", lambda: "stats999.charts999")
    assert store.load_analysis(run_id, version="stats999.charts999") is None
    calls = []
    real = store.samples
    monkeypatch.setattr(store, "samples", lambda *a, **kw: calls.append(a) or real(*a, **kw))
    assert run_analysis(store, run_id).analysis.summary["count"].tolist() == [20, 20, 20]
    assert len(calls) == 1
    assert store.load_analysis(run_id, version="stats999.charts999") is not None


def test_a_damaged_kept_analysis_is_computed_again(store: Store) -> None:
    run_id = stored_run(store)
    store.save_analysis(run_id, '{"sample_count": 63, "analysis": {"format": 0}}', version=ANALYSIS_VERSION,
                        sample_count=63)
    assert run_analysis(store, run_id).analysis.summary["count"].tolist() == [20, 20, 20]
    assert RunAnalysis.from_json(run_id, store.load_analysis(run_id, version=ANALYSIS_VERSION)).sample_count == 63


def test_the_seed_and_sandbox_label_come_from_the_run(store: Store) -> None:
    aws = stored_run(store, seed=11, sandbox=False)
    lazily = run_analysis(store, aws)
    assert_same_analysis(lazily.analysis, stats.analyse(store.samples(aws, include_warmup=True), seed=11))
    assert charts.SANDBOX_SUBTITLE not in json.dumps(lazily.charts)


def test_deleting_a_run_removes_its_kept_analysis(store: Store) -> None:
    run_id = stored_run(store, n=5)
    analyse_run(store, run_id)
    store.delete_run(run_id)
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM run_analyses")).scalar_one() == 0


def test_an_analysis_that_cannot_be_kept_is_still_returned(store: Store, monkeypatch, caplog) -> None:
    from workshop.errors import StoreError

    run_id = stored_run(store, n=5)

    def read_only(*args: object, **kw: object) -> None:
        raise StoreError("cannot keep the analysis (read-only)")

    monkeypatch.setattr(store, "save_analysis", read_only)
    got = run_analysis(store, run_id)
    assert got.analysis.summary["count"].tolist() == [5, 5, 5]
    assert "is not kept" in caplog.text
    assert store.load_analysis(run_id, version=ANALYSIS_VERSION) is None


def test_saving_for_a_deleted_run_is_a_store_error(store: Store) -> None:
    from workshop.errors import StoreError

    run_id = stored_run(store, n=5)
    text = analyse_run(store, run_id).to_json()
    store.delete_run(run_id)
    with pytest.raises(StoreError):
        store.save_analysis(run_id, text, version=ANALYSIS_VERSION, sample_count=18)


def test_an_older_database_gets_the_table_and_its_runs_are_analysed_when_viewed(store_url: str) -> None:
    old = Store.open(store_url, migrate=False)
    assert old.migrate(upto="m003_run_notes_owner_error_hint") == [name for name, _ in MIGRATIONS[:3]]
    run_id = stored_run(old, n=10, columns=M003_SAMPLE_COLUMNS)
    with old.engine.connect() as conn:
        assert "run_analyses" not in sa.inspect(conn).get_table_names()
    old.close()
    with Store.open(store_url) as upgraded:
        assert upgraded.applied_migrations() == [name for name, _ in MIGRATIONS]
        assert "m004_run_analyses" in upgraded.applied_migrations()
        assert upgraded.load_analysis(run_id, version=ANALYSIS_VERSION) is None
        first = run_analysis(upgraded, run_id)  # the first view computes and keeps it
        assert first.analysis.summary["count"].tolist() == [10, 10, 10]
        assert upgraded.load_analysis(run_id, version=ANALYSIS_VERSION) is not None


def test_samples_keep_their_types_with_missing_values(store: Store) -> None:
    run_id = store.create_run({}, paths=["nat"], model_id=MODEL, api="invoke", sandbox=True)
    store.add_sample(run_id, result("nat", 0, http_status=None, output_tokens=None, client_ms=None), seq=0)
    store.add_sample(run_id, result("nat", 1, error_code="ThrottlingException", retries=2), seq=1)
    df = store.samples(run_id)
    assert df["run_id"].tolist() == [run_id, run_id]
    assert str(df["http_status"].dtype) == "Int64" and df["http_status"].isna().tolist() == [True, False]
    assert str(df["output_tokens"].dtype) == "Int64" and df["output_tokens"].tolist()[1] == 40
    assert df["client_ms"].dtype == "float64" and pd.isna(df["client_ms"].iloc[0])
    assert df["retries"].tolist() == [0, 2] and df["error_code"].tolist()[1] == "ThrottlingException"
    assert df["started_at"].tolist() == [pd.Timestamp(START), pd.Timestamp(START + timedelta(milliseconds=50))]
    empty = store.samples(store.create_run({}, paths=["nat"], model_id=MODEL, api="invoke", sandbox=True))
    assert empty.empty and str(empty["retries"].dtype) == "Int64" and empty["warmup"].dtype == bool

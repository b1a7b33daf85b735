"""History page (AppTest): runs made through the store are listed, opened, compared, deleted, exported."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from workshop.results import InvocationResult
from workshop.store import Store

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/7_History.py"
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
# Modelled overhead per path (ms): far enough apart that 30 samples give a clear verdict.
OVERHEAD = {"nat": 12.0, "vpce": 6.0, "cross-account": 9.0}


def make_run(store: Store, *, n: int = 30, paths: tuple[str, ...] = ("nat", "vpce", "cross-account"),
             status: str = "complete", label: str | None = None) -> str:
    """A run with ``n`` measured samples per path (plus one cold warm-up each), written via the store."""
    run_id = store.create_run({"n": n, "seed": 0}, paths=paths, model_id=MODEL, api="invoke", sandbox=True,
                              label=label)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    seq = 0
    for i in range(-1, n):
        for path in paths:
            overhead = OVERHEAD[path] + (i % 5) * 0.2
            server = 200.0 + (i % 7) * 10
            result = InvocationResult(
                path=path, model_id=MODEL, api="invoke", started_at=start + timedelta(milliseconds=300 * seq),
                client_ms=server + overhead, server_ms=server, overhead_ms=overhead, credentials_ms=0.0,
                http_status=200, input_tokens=12, output_tokens=40, request_id=f"req-{seq}",
            )
            store.add_sample(run_id, result, seq=seq, warmup=i < 0, cold=i < 0)
            seq += 1
    store.finish_run(run_id, status)
    return run_id


@pytest.fixture()
def store() -> Store:
    # The autouse fixture points WORKSHOP_DATA_DIR at a temporary folder: the page opens this same file.
    with Store.open() as opened:
        yield opened


def open_history() -> AppTest:
    """A fresh session on Home, then History (AppTest's switch_page needs one run first)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    parts += [e.value for e in at.info] + [e.value for e in at.success] + [e.value for e in at.warning]
    return "\n".join(str(p) for p in parts)


def summary_frame(at: AppTest):
    """The per-path table of the opened run (the runs list and the cost table come first)."""
    return next(d.value for d in at.dataframe if "measured" in d.value.columns)


def verdict_lines(at: AppTest) -> list[str]:
    """Every pairwise verdict sentence shown (inside "Every interval" and the side-by-side view)."""
    return [line[2:] for m in at.markdown for line in m.value.splitlines() if line.startswith("- ")]



def test_empty_history_renders_with_the_frame_and_points_to_compare(store: Store) -> None:
    at = open_history()
    assert at.title[0].value.endswith("7. History")
    assert "Bedrock access-path workshop" in " ".join(m.value for m in at.sidebar.markdown)
    assert "No comparison runs stored yet" in texts(at)


def test_lists_a_run_with_its_status_and_opens_it_with_summary_verdict_and_charts(store: Store) -> None:
    run_id = make_run(store, n=30)
    at = open_history()
    table = at.dataframe[0].value
    assert table["run"].tolist() == [run_id[:8]]
    assert "complete" in table["status"].iloc[0]
    assert int(table["samples"].iloc[0]) == 90
    body = texts(at)
    assert f"Results — run {run_id[:8]} (complete)" in body
    # The verdict finds the modelled overhead difference (PrivateLink 6 ms vs NAT 12 ms).
    assert any("PrivateLink overhead is" in v and "lower than NAT" in v for v in verdict_lines(at))
    assert "PrivateLink adds the least overhead: 6.0 ms less than NAT" in body  # the headline, first
    summary = summary_frame(at)
    assert summary["path"].tolist() == ["NAT", "PrivateLink", "Cross-account"]
    charts = at.get("vega_lite_chart")
    assert len(charts) == 4
    specs = [json.loads(c.proto.spec) for c in charts]
    assert all(spec.get("$schema", "").startswith("https://vega.github.io/schema/vega-lite") for spec in specs)
    assert "modelled, not measured on AWS" in body


def test_cancelled_and_incomplete_runs_are_labelled(store: Store) -> None:
    make_run(store, n=5, status="cancelled")
    make_run(store, n=5, status="incomplete")
    at = open_history()
    statuses = " ".join(at.dataframe[0].value["status"])
    assert "cancelled" in statuses and "incomplete" in statuses


def test_compares_two_runs_side_by_side(store: Store) -> None:
    first = make_run(store, n=30, label="before")
    second = make_run(store, n=30, paths=("nat", "vpce"), label="after")
    at = open_history()
    subheaders = [s.value for s in at.subheader]
    assert "Compare two runs side by side" in subheaders
    run_a = at.selectbox(key="w:history.left_run")
    run_b = at.selectbox(key="w:history.right_run")
    assert run_a.value == first and run_b.value == second
    captions = " ".join(c.value for c in at.caption)
    assert first[:8] in captions and second[:8] in captions
    verdicts = verdict_lines(at)
    # Run B has two paths: one pair per metric; run A three paths: three pairs per metric.
    assert sum("PrivateLink overhead is" in v for v in verdicts) >= 2


def test_delete_needs_confirmation_then_removes_the_run(store: Store) -> None:
    keep = make_run(store, n=5, label="keep")
    doomed = make_run(store, n=5, label="doomed")
    at = open_history()
    assert at.selectbox(key="w:history.open_run").value == doomed  # newest first
    at.button(key=f"delete-{doomed}").click().run()
    assert any("cannot be undone" in w.value for w in at.warning)
    assert {r.id for r in store.list_runs()} == {keep, doomed}  # nothing deleted yet
    at.button(key="cancel-delete").click().run()
    assert {r.id for r in store.list_runs()} == {keep, doomed}
    at.button(key=f"delete-{doomed}").click().run()
    at.button(key="confirm-delete").click().run()
    assert not at.exception
    assert [r.id for r in store.list_runs()] == [keep]
    assert any(f"Deleted run {doomed[:8]}" in s.value for s in at.success)
    assert at.dataframe[0].value["run"].tolist() == [keep[:8]]


def test_export_buttons_offer_csv_and_jsonl_of_the_run(store: Store) -> None:
    from workshop.ui.history_view import export_text

    run_id = make_run(store, n=3, paths=("nat", "vpce"))
    at = open_history()
    labels = {b.label for b in at.get("download_button")}
    assert {"Export CSV", "Export JSONL"} <= labels
    csv_text = export_text(store, run_id, "csv")
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("run_id,seq,path") and len(lines) == 1 + 8  # header + (3 + 1 warm-up) x 2
    records = [json.loads(line) for line in export_text(store, run_id, "jsonl").splitlines()]
    assert records[0]["record"] == "run" and records[0]["id"] == run_id
    assert [r["path"] for r in records[1:3]] == ["nat", "vpce"]


def test_invocation_log_is_listed_filtered_and_exported(store: Store) -> None:
    from workshop.ui.history_view import log_jsonl

    for i, (path, participant) in enumerate((("nat", "alice"), ("vpce", "bob"), ("nat", "bob"))):
        store.add_invocation_log({
            "schemaType": "ModelInvocationLog", "schemaVersion": "1.0",
            "timestamp": f"2026-01-01T00:00:0{i}Z", "accountId": "111122223333",
            "identity": {"arn": "arn:aws:iam::111122223333:user/workshop-participant"},
            "region": "us-east-1", "requestId": f"req-{i}", "operation": "InvokeModel", "modelId": MODEL,
            "input": {"inputContentType": "application/json", "inputTokenCount": 10},
            "output": {"outputContentType": "application/json", "outputTokenCount": 20},
        }, participant=participant, path=path)
    at = open_history()
    log_table = at.dataframe[-1].value
    assert len(log_table) == 3
    at.selectbox(key="w:log.path").set_value("nat").run()
    assert len(at.dataframe[-1].value) == 2
    at.selectbox(key="w:log.participant").set_value("bob").run()
    filtered = at.dataframe[-1].value
    assert filtered["request id"].tolist() == ["req-2"]
    assert "Export log as JSONL" in {b.label for b in at.get("download_button")}
    lines = log_jsonl(store.invocation_log(path="nat")).splitlines()
    assert [json.loads(line)["requestId"] for line in lines] == ["req-0", "req-2"]  # oldest first


def test_a_run_is_drawn_from_its_kept_analysis_without_reading_its_samples(store: Store, monkeypatch) -> None:
    from workshop.compare import ANALYSIS_VERSION, analyse_run
    from workshop.workbench import Workbench

    run_id = make_run(store, n=30)
    kept = analyse_run(store, run_id)  # what the engine does when a run finishes
    assert store.load_analysis(run_id, version=ANALYSIS_VERSION) is not None

    def refuse(*args: object, **kw: object) -> object:
        raise AssertionError("viewing a stored run must not need this")

    monkeypatch.setattr(Store, "samples", refuse)
    monkeypatch.setattr(Workbench, "open", refuse)
    at = open_history()
    assert f"Results — run {run_id[:8]} (complete)" in texts(at)
    summary = summary_frame(at)
    assert summary["measured"].tolist() == [30, 30, 30]
    assert summary["client p50"].tolist() == pytest.approx(kept.analysis.summary["client_ms_p50"].tolist())
    assert any("PrivateLink overhead is" in v and "lower than NAT" in v for v in verdict_lines(at))
    assert len(at.get("vega_lite_chart")) == 4


def test_a_run_whose_samples_changed_is_analysed_again(store: Store) -> None:
    from workshop.compare import analyse_run

    run_id = make_run(store, n=10)
    analyse_run(store, run_id)
    extra = InvocationResult(path="nat", model_id=MODEL, api="invoke", started_at=datetime(2026, 1, 2, tzinfo=UTC),
                             client_ms=230.0, server_ms=200.0, overhead_ms=30.0, http_status=200)
    store.add_sample(run_id, extra, seq=10_000)
    at = open_history()
    assert summary_frame(at)["measured"].tolist() == [11, 10, 10]

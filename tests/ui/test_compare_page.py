"""Compare paths page (AppTest): settings, a small sandbox run in a worker, results, cancel, bad input."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/5_Compare_paths.py"


def fast_sandbox_config():
    """The built-in sandbox without simulated delay (the frame's Workbench reads [sandbox] NoDelay)."""
    from workshop.config import default_config

    return replace(default_config(), sandbox_settings={"NoDelay": "true"})


def open_compare(**state: object) -> AppTest:
    """Home first (AppTest's switch_page needs one run), then Compare with ``state`` preset."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.session_state["config"] = fast_sandbox_config()
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def arrow_rows(payload: bytes) -> int:
    """Rows of one chart dataset (Streamlit ships chart data as Arrow IPC)."""
    import pyarrow as pa

    return pa.ipc.open_stream(payload).read_all().num_rows


def start_and_wait(at: AppTest, timeout: float = 120) -> object:
    at.button(key="compare-start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    job = at.session_state["compare.job"]
    assert job is not None
    assert job.wait(timeout), "comparison did not finish"
    at.run()  # run_every never ticks in AppTest: rerun to draw the finished run
    assert not at.exception, [e.value for e in at.exception]
    return job


def summary_frame(at: AppTest):
    """The per-path table (the cost table comes before it)."""
    return next(d.value for d in at.dataframe if "measured" in d.value.columns)


def headline(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("#### "))[5:]


def test_defaults_the_direct_paths_the_model_chosen_on_step_3_and_an_adaptive_short_run() -> None:
    from workshop.compare import DEFAULT_CONCURRENCY

    at = open_compare(model_id="amazon.nova-micro-v1:0")
    assert at.title[0].value.endswith("5. Compare paths")
    # The sandbox has five paths; the gateway paths join when chosen (their own question).
    paths = at.multiselect(key="w:compare.paths")
    assert paths.value == ["nat", "vpce", "cross-account"]
    assert {"api-gateway", "llm-gateway"} <= set(paths.options)
    assert at.selectbox(key="w:compare.model").value == "amazon.nova-micro-v1:0"
    body = json.loads(at.text_area(key="w:compare.body").value)
    assert "messages" in body  # the Nova template, since step 3 left no body for that family
    # The default run: until every interval is within ±0.5 ms, or 60 s; short answers.
    assert at.radio(key="w:compare.mode").value == "precision"
    assert at.number_input(key="w:compare.precision").value == 0.5
    assert at.number_input(key="w:compare.max_time").value == 60
    assert at.checkbox(key="w:compare.short").value is True
    assert at.number_input(key="w:compare.concurrency").value == DEFAULT_CONCURRENCY


def test_body_typed_on_model_and_prompt_is_reused() -> None:
    mine = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 7,
                       "messages": [{"role": "user", "content": "ping"}]}, indent=2)
    at = open_compare(model_id="anthropic.claude-3-haiku-20240307-v1:0", body_text=mine,
                      body_family="claude-messages", api="invoke")
    assert at.text_area(key="w:compare.body").value == mine


def test_small_run_shows_the_answer_cost_summary_and_four_charts() -> None:
    at = open_compare()
    at.radio(key="w:compare.mode").set_value("fixed").run()
    at.number_input(key="w:compare.n").set_value(8).run()
    at.number_input(key="w:compare.warmup").set_value(1).run()
    at.number_input(key="w:compare.concurrency").set_value(2).run()
    job = start_and_wait(at)
    snap = job.snapshot()
    assert snap.status == "complete" and snap.done == 24  # the three direct paths x 8
    assert at.session_state["compared"] is True
    subheaders = [s.value for s in at.subheader]
    assert any(s.startswith(f"Results — run {job.run_id[:8]}") for s in subheaders)
    # The answer comes first: a headline sentence about overhead, then the cost per path.
    text = headline(at)
    assert "overhead" in text or "No clear answer" in text, text
    cost = next(d.value for d in at.dataframe if "network / month" in d.value.columns)
    assert cost["path"].tolist() == ["NAT", "PrivateLink", "Cross-account"]
    assert all(v.startswith("$") for v in cost["network / month"])
    summary = summary_frame(at)
    assert summary["path"].tolist() == ["NAT", "PrivateLink", "Cross-account"]
    assert summary["measured"].tolist() == [8, 8, 8]
    assert "modelled network p50" in summary.columns  # planned beside measured on the sandbox
    assert len(summary.columns) <= 8  # fits a 1280x720 projector; the rest is one toggle away
    captions = " ".join(c.value for c in at.caption)
    assert "p90 from 8 samples is rough" in captions
    assert "modelled, not measured on AWS" in captions
    assert "intervals hold for all 3 pairs together" in captions
    lines = [line for m in at.markdown for line in m.value.splitlines() if line.startswith("- ")]
    assert len(lines) == 6  # 3 pairs x (overhead, client latency), in "Every interval"
    assert all("95% CI" in line or "too few samples" in line for line in lines)
    charts = at.get("vega_lite_chart")
    assert len(charts) == 4
    titles = []
    for chart in charts:
        spec = json.loads(chart.proto.spec)
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite")
        titles.append(json.dumps(spec.get("title") or spec.get("layer", [{}])[0].get("title")))
        rows = sum(arrow_rows(d.data.data) for d in chart.proto.datasets)
        assert 0 < rows <= 5000  # aggregates, never raw samples by the thousand
    assert all("modelled, not measured on AWS" in t for t in titles), titles
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("CSV") == 4 and labels.count("SVG") == 4 and labels.count("PNG") == 4
    assert "Stakeholder report (HTML)" in labels


def test_the_default_adaptive_run_stops_once_the_answer_is_clear() -> None:
    at = open_compare()
    at.number_input(key="w:compare.precision").set_value(40.0).run()  # wide: the fast sandbox gets there quickly
    job = start_and_wait(at)
    assert job.status == "complete", job.error
    assert "stopped when every interval was within ±40 ms" in job.note
    from workshop.store import Store

    with Store.open() as store:
        run = store.get_run(job.run_id)
    assert run.settings["precision_ms"] == 40.0 and run.settings["max_tokens"] == 16
    assert "stay valid however early the run stopped" in " ".join(c.value for c in at.caption)


def test_cancel_stops_the_run_and_keeps_what_was_taken() -> None:
    at = open_compare()
    at.radio(key="w:compare.mode").set_value("fixed").run()
    at.number_input(key="w:compare.n").set_value(100_000).run()
    at.button(key="compare-start").click().run()
    job = at.session_state["compare.job"]
    assert not job.finished
    at.button(key="compare-cancel").click().run()
    assert job.wait(60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    snap = job.snapshot()
    assert snap.status == "cancelled" and snap.done < 300_000
    assert any("(cancelled)" in s.value for s in at.subheader)
    assert any("cancelled" in w.value for w in at.warning)
    assert at.session_state["compared"] is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda at: at.multiselect(key="w:compare.paths").set_value([]), "Paths"),
        (lambda at: at.radio(key="w:compare.mode").set_value("fixed").run()
         .number_input(key="w:compare.n").set_value(0), "Samples per path (N)"),
        (lambda at: at.text_area(key="w:compare.body").set_value('{"messages": [}'), "body"),
    ],
)
def test_bad_settings_get_one_message_naming_the_field(change, field: str) -> None:
    at = open_compare()
    change(at).run()
    at.button(key="compare-start").click().run()
    assert not at.exception
    assert at.session_state["compare.job"] is None  # nothing started
    assert len(at.error) == 1 and field in at.error[0].value


# ---------------------------------------------------------------- a stored run, drawn from its kept analysis

STORED_OVERHEAD = {"nat": 12.0, "vpce": 6.0, "cross-account": 9.0}


def stored_run(store, n: int = 30) -> str:
    """A finished three-path run written through the store (one cold warm-up call per path)."""
    from datetime import UTC, datetime, timedelta

    from workshop.results import InvocationResult

    run_id = store.create_run({"seed": 0}, paths=tuple(STORED_OVERHEAD), model_id="amazon.nova-micro-v1:0",
                              api="invoke", sandbox=True)
    items, seq = [], 0
    for i in range(-1, n):
        for path, overhead in STORED_OVERHEAD.items():
            over = overhead + (i % 5) * 0.2
            server = 200.0 + (i % 7) * 10
            result = InvocationResult(
                path=path, model_id="amazon.nova-micro-v1:0", api="invoke",
                started_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(milliseconds=300 * seq),
                client_ms=server + over, server_ms=server, overhead_ms=over, credentials_ms=0.0, http_status=200,
                output_tokens=40,
            )
            items.append((result, seq, i < 0, i < 0))
            seq += 1
    store.add_samples(run_id, items)
    store.finish_run(run_id, "complete")
    return run_id


def open_linked(run_id: str) -> AppTest:
    """Compare opened from a shared link ``?run=<id>`` in a fresh session."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(PAGE)
    at.query_params["run"] = run_id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_linked_run_is_drawn_from_its_kept_analysis_without_samples_or_workbench(monkeypatch) -> None:
    from workshop.compare import analyse_run
    from workshop.store import Store
    from workshop.workbench import Workbench

    with Store.open() as store:  # the autouse fixture's data folder: the page opens this same file
        run_id = stored_run(store, n=30)
        kept = analyse_run(store, run_id)  # what the engine does when a run finishes

    def refuse(*args: object, **kw: object) -> object:
        raise AssertionError("viewing a stored run must not need this")

    monkeypatch.setattr(Store, "samples", refuse)  # only the kept analysis may be read
    monkeypatch.setattr(Workbench, "open", refuse)  # nor start the workbench / sandbox
    at = open_linked(run_id)
    assert any(s.value == f"Results — run {run_id[:8]} (complete)" for s in at.subheader)
    summary = summary_frame(at)
    assert summary["path"].tolist() == ["NAT", "PrivateLink", "Cross-account"]
    assert summary["measured"].tolist() == [30, 30, 30]
    expected_p50 = kept.analysis.summary["overhead_ms_p50"].tolist()
    assert summary["overhead p50"].tolist() == pytest.approx(expected_p50)
    assert headline(at).startswith("PrivateLink adds the least overhead: ")
    assert "6.0 ms less than NAT" in headline(at) and "3.0 ms less than Cross-account" in headline(at)
    assert any("PrivateLink overhead is" in line and "lower than NAT" in line
               for m in at.markdown for line in m.value.splitlines())
    charts = at.get("vega_lite_chart")
    assert len(charts) == 4
    for chart, name in zip(charts, ("ecdf", "overhead_box", "decomposition", "drift"), strict=True):
        spec = json.loads(chart.proto.spec)
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite")
        rows = sum(arrow_rows(d.data.data) for d in chart.proto.datasets)
        assert rows == sum(len(v) for v in kept.charts[name]["datasets"].values())
    assert [b.label for b in at.get("download_button")].count("CSV") == 4


def test_a_run_without_a_kept_analysis_is_analysed_on_first_view_and_kept() -> None:
    from workshop.compare import ANALYSIS_VERSION, RunAnalysis
    from workshop.store import Store

    with Store.open() as store:
        run_id = stored_run(store, n=12)
        assert store.load_analysis(run_id, version=ANALYSIS_VERSION) is None  # e.g. a run from before
    at = open_linked(run_id)
    assert summary_frame(at)["measured"].tolist() == [12, 12, 12]
    assert len(at.get("vega_lite_chart")) == 4
    with Store.open() as store:
        text = store.load_analysis(run_id, version=ANALYSIS_VERSION)
    assert text is not None and RunAnalysis.from_json(run_id, text).sample_count == 3 * 13


def test_chart_exports_are_built_from_the_kept_spec() -> None:
    from workshop import charts
    from workshop.compare import analyse_run
    from workshop.store import Store
    from workshop.ui.compare_view import _saver

    with Store.open() as store:
        run_id = stored_run(store, n=6)
        spec = analyse_run(store, run_id).charts["ecdf"]
    assert json.loads(_saver(spec, "json")()) == spec
    html = _saver(spec, "html")()
    assert "vega" in html and charts.SANDBOX_SUBTITLE in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?https?:""", html)  # Vega bundled in: draws offline
    svg = _saver(spec, "svg")()
    assert svg.lstrip().startswith("<svg") and charts.SANDBOX_SUBTITLE in svg
    assert _saver(spec, "png")()[:8] == b"\x89PNG\r\n\x1a\n"

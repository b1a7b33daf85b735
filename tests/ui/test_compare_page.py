"""Compare paths page (AppTest): settings, a small sandbox run in a worker, results, cancel, bad input."""

from __future__ import annotations

import json
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


def test_defaults_all_three_paths_and_the_model_chosen_on_step_3() -> None:
    at = open_compare(model_id="amazon.nova-micro-v1:0")
    assert at.title[0].value.endswith("5. Compare paths")
    assert at.multiselect(key="w:compare.paths").value == ["nat", "vpce", "cross-account"]
    assert at.selectbox(key="w:compare.model").value == "amazon.nova-micro-v1:0"
    body = json.loads(at.text_area(key="w:compare.body").value)
    assert "messages" in body  # the Nova template, since step 3 left no body for that family


def test_body_typed_on_model_and_prompt_is_reused() -> None:
    mine = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 7,
                       "messages": [{"role": "user", "content": "ping"}]}, indent=2)
    at = open_compare(model_id="anthropic.claude-3-haiku-20240307-v1:0", body_text=mine,
                      body_family="claude-messages", api="invoke")
    assert at.text_area(key="w:compare.body").value == mine


def test_small_run_shows_summary_verdict_and_four_charts() -> None:
    at = open_compare()
    at.number_input(key="w:compare.n").set_value(8).run()
    at.number_input(key="w:compare.warmup").set_value(1).run()
    at.number_input(key="w:compare.concurrency").set_value(2).run()
    job = start_and_wait(at)
    snap = job.snapshot()
    assert snap.status == "complete" and snap.done == 24
    assert at.session_state["compared"] is True
    subheaders = [s.value for s in at.subheader]
    assert any(s.startswith(f"Results — run {job.run_id[:8]}") for s in subheaders)
    summary = at.dataframe[0].value
    assert summary["path"].tolist() == ["NAT", "PrivateLink", "Cross-account"]
    assert summary["measured"].tolist() == [8, 8, 8]
    captions = " ".join(c.value for c in at.caption)
    assert "p90 from 8 samples is rough" in captions
    assert "modelled, not measured on AWS" in captions
    significant = [s.value for s in at.success]
    quiet = [line for m in at.markdown for line in m.value.splitlines() if "no difference detectable" in line
             or "too few samples" in line]
    assert len(significant) + len(quiet) == 6  # 3 pairs x (overhead, client latency)
    assert all("95% CI" in v for v in significant)
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
    assert labels.count("CSV") == 4


def test_cancel_stops_the_run_and_keeps_what_was_taken() -> None:
    at = open_compare()
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
        (lambda at: at.number_input(key="w:compare.n").set_value(0), "Samples per path (N)"),
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

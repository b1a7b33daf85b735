"""Invoke (step 4): each API and each path against the sandbox, streamed text, timings, errors."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.conftest import (
    INVOKE,
    MODEL_PROMPT,
    fast_sandbox,
    finish_job,
    goto,
    open_app,
    pick_model,
    texts,
)
from workshop import APIS
from workshop.ui.frame import DONE_MARK

TITAN = "amazon.titan-text-express-v1"


def invoke_page(config: object = None) -> AppTest:
    """Walk Home -> Model & prompt (default model, template) -> Invoke."""
    at = open_app(config if config is not None else fast_sandbox())
    goto(at, MODEL_PROMPT)
    return goto(at, INVOKE)


def click_invoke(at: AppTest) -> AppTest:
    [button] = [b for b in at.button if b.label == "Invoke"]
    assert not button.disabled
    button.click().run()
    assert not at.exception, at.exception
    return finish_job(at)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("api", APIS)
def test_each_api_answers_with_text_and_a_timing_breakdown(api: str) -> None:
    at = invoke_page()
    at.radio(key="w:api").set_value(api).run()
    click_invoke(at)
    result = at.session_state["last_result"]
    assert result.ok and result.api == api and result.output_text
    assert result.output_text in texts(at)
    figures = metrics(at)
    for label in ("Credentials", "First byte", "First token", "Server time", "Network overhead", "Total"):
        assert label in figures
    assert figures["Total"].endswith("ms")
    # First token is a streaming figure only; first byte exists wherever botocore exposes it.
    assert (figures["First token"] != "—") == api.endswith("stream")
    assert (figures["First byte"] != "—") == (api != "converse")
    assert "modelled, not measured on AWS" in texts(at)
    assert figures["Retries"] == "0"
    assert "Request id: `" in texts(at)
    assert len(at.get("vega_lite_chart")) == 1  # the stacked timing bar
    assert f"{DONE_MARK} Invoked" in at.sidebar.markdown[-1].value


@pytest.mark.parametrize("path", ["nat", "vpce", "cross-account"])
def test_each_path_streams_an_answer(path: str) -> None:
    at = invoke_page()
    at.selectbox(key="w:path").set_value(path).run()
    at.radio(key="w:api").set_value("invoke-stream").run()
    click_invoke(at)
    result = at.session_state["last_result"]
    assert result.ok and result.path == path and result.ttft_ms is not None


def test_the_stream_is_drawn_while_it_arrives() -> None:
    # with the modelled delay on, the first run after the click sees the job still running
    at = invoke_page(fast_sandbox(NoDelay="false"))
    at.radio(key="w:api").set_value("invoke-stream").run()
    [button] = [b for b in at.button if b.label == "Invoke"]
    button.click().run()
    assert "(streaming…)" in texts(at)
    assert [b.label for b in at.button if b.label == "Cancel"] == ["Cancel"]
    finish_job(at)
    assert "(streaming…)" not in texts(at)
    assert at.session_state["last_result"].ok


def test_an_error_is_shown_with_its_remediation_hint() -> None:
    at = open_app(fast_sandbox(NotEnabled=TITAN))
    goto(at, MODEL_PROMPT)
    pick_model(at, TITAN, "Amazon")
    goto(at, INVOKE)
    click_invoke(at)
    result = at.session_state["last_result"]
    assert not result.ok and result.error_hint
    errors = "\n".join(e.value for e in at.error)
    assert result.error_code in errors
    assert "How to fix:" in "\n".join(i.value for i in at.info)
    assert "Traceback" not in texts(at)


def test_the_raw_response_is_in_an_expander() -> None:
    at = invoke_page()
    at.radio(key="w:api").set_value("invoke").run()
    click_invoke(at)
    [expander] = [e for e in at.expander if e.label == "Raw response JSON"]
    raw = "\n".join(c.value for c in expander.code)
    assert '"content"' in raw or '"output"' in raw


def test_invoke_waits_for_a_valid_body() -> None:
    at = open_app(fast_sandbox())
    goto(at, MODEL_PROMPT)
    at.text_area(key="w:body_text").input("{ not json").run()
    goto(at, INVOKE)
    [button] = [b for b in at.button if b.label == "Invoke"]
    assert button.disabled
    assert "valid first" in texts(at)


def test_a_quota_error_is_shown_clearly() -> None:
    from workshop.errors import QuotaError
    from workshop.ui.runner import Job

    def refused(job: Job) -> None:
        raise QuotaError("you have used all 3 invocations", field="[quota] MaxInvocations",
                         fix="ask the facilitator for more")

    at = invoke_page()
    at.session_state["invoke_job"] = Job(refused).start()
    finish_job(at)
    errors = "\n".join(e.value for e in at.error)
    assert errors.startswith("Quota:") and "MaxInvocations" in errors
    assert "Nothing was sent to Bedrock" in texts(at)


def bar_rows(at: AppTest) -> list[dict]:
    """Every row of the timing bar's datasets (Streamlit ships chart data as Arrow IPC)."""
    import pyarrow as pa

    [chart] = at.get("vega_lite_chart")
    return [row for d in chart.proto.datasets for row in pa.ipc.open_stream(d.data.data).read_all().to_pylist()]


@pytest.mark.parametrize("api", APIS)
def test_the_timing_bars_parts_add_up_to_total(api: str) -> None:
    at = invoke_page()
    at.radio(key="w:api").set_value(api).run()
    click_invoke(at)
    result = at.session_state["last_result"]
    rows = bar_rows(at)
    parts = [row for row in rows if "part" in row]
    assert [p["part"] for p in parts] == ["network + SDK overhead", "server (model) time"]
    assert sum(p["ms"] for p in parts) == pytest.approx(result.client_ms)
    assert all(p["part"] != "credentials" for p in parts)  # obtained before the clock: never a part of Total
    moments = [row["moment"] for row in rows if "moment" in row]
    expected = (["first byte"] if api != "converse" else []) + (["first token"] if api.endswith("stream") else [])
    assert moments == expected


def test_credentials_show_only_on_the_call_that_obtained_them() -> None:
    from workshop.ui.frame import _open_workbench

    _open_workbench.clear()  # a fresh workbench: no path has its client (and credentials) yet
    at = invoke_page(fast_sandbox(Seed="14"))
    at.selectbox(key="w:path").set_value("cross-account").run()
    click_invoke(at)
    first = metrics(at)["Credentials"]
    assert first.endswith("ms")
    click_invoke(at)
    assert metrics(at)["Credentials"] == "cached"


def test_a_sandbox_answer_is_labelled_and_answers_the_template_question() -> None:
    at = invoke_page()
    at.radio(key="w:api").set_value("invoke").run()
    click_invoke(at)
    assert "**Answer** :orange-badge[sandbox answer]" in texts(at)
    assert "The square root of 16 is 4." in texts(at)


def test_the_call_is_measured_outside_the_consoles_process(monkeypatch) -> None:
    # The page's redraws would otherwise land in the call's overhead (24-430 ms against 13 ms
    # from the CLI on the sandbox): Streamlit's process must never run the call itself.
    from workshop.workbench import Workbench

    def refuse(*args: object, **kw: object) -> object:
        raise AssertionError("a call was measured in the console's own process")

    monkeypatch.setattr(Workbench, "invoke", refuse)
    at = invoke_page()
    at.radio(key="w:api").set_value("invoke-stream").run()
    click_invoke(at)
    result = at.session_state["last_result"]
    assert result.ok and result.output_text and result.ttft_ms is not None

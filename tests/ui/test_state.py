"""What a participant typed or chose survives page switches and reruns; state keys; the Job runner."""

from __future__ import annotations

import threading

import pytest

from tests.ui.conftest import INVOKE, MODEL_PROMPT, SETUP, fast_sandbox, goto, open_app, pick_model
from workshop.errors import InputError
from workshop.ui import state
from workshop.ui.runner import CANCELLED, DONE, FAILED, Job

TITAN = "amazon.titan-text-express-v1"


def test_model_body_path_and_api_survive_switching_pages() -> None:
    at = open_app(fast_sandbox())
    goto(at, MODEL_PROMPT)
    pick_model(at, TITAN, "Amazon")
    at.selectbox(key="w:path").set_value("vpce").run()
    at.selectbox(key="w:api").set_value("converse").run()
    edited = at.text_area(key="w:body_text").value.replace("square root of 16", "cube root of 27")
    at.text_area(key="w:body_text").input(edited).run()
    for page in (INVOKE, "app.py", SETUP, MODEL_PROMPT):
        goto(at, page)
    assert at.radio(key="w:model_id").value == TITAN
    assert at.selectbox(key="w:path").value == "vpce"
    assert at.selectbox(key="w:api").value == "converse"
    assert at.text_area(key="w:body_text").value == edited
    goto(at, INVOKE)  # the same choices show on step 4 (a radio there, a selectbox on step 3)
    assert at.radio(key="w:api").value == "converse"
    assert at.selectbox(key="w:path").value == "vpce"


def test_setup_fields_survive_switching_pages_without_applying() -> None:
    at = goto(open_app(fast_sandbox()), SETUP)
    at.radio(key="w:setup_path").set_value("cross-account").run()
    at.text_input(key="w:setup:cross-account:session_name").input("half-typed")
    at.text_input(key="w:save_file").input("/tmp/not-saved-yet.properties").run()
    goto(at, "app.py")
    goto(at, SETUP)
    assert at.radio(key="w:setup_path").value == "cross-account"  # the path shown stays too
    assert at.text_input(key="w:setup:cross-account:session_name").value == "half-typed"
    assert at.text_input(key="w:save_file").value == "/tmp/not-saved-yet.properties"


def test_a_deep_link_shows_the_whole_frame() -> None:
    # pages run without app.py on a fresh server: the frame must come from the page itself
    from streamlit.testing.v1 import AppTest

    from tests.ui.conftest import ROOT, TIMEOUT

    for page in (SETUP, MODEL_PROMPT, INVOKE):
        at = AppTest.from_file(str(ROOT / page), default_timeout=TIMEOUT)
        at.session_state["config"] = fast_sandbox()
        at.run()
        assert not at.exception, (page, at.exception)
        sidebar = "\n".join(m.value for m in at.sidebar.markdown)
        assert "SANDBOX" in sidebar and "Progress" in sidebar


def test_state_keys_are_declared_once_and_typos_are_caught() -> None:
    session: dict = {}
    state.init(session)
    assert set(state.KEYS) <= set(session)
    assert session[state.PATH] == "nat" and session[state.CONFIG] is None
    with pytest.raises(KeyError, match="unknown console state key"):
        state.put("modle_id", "x")


def test_job_collects_streamed_text_and_the_result() -> None:
    release = threading.Event()

    def work(job: Job) -> str:
        job.append_text("Hello, ")
        release.wait(5)
        job.append_text("world")
        return "result"

    job = Job(work).start()
    assert job.snapshot().running
    release.set()
    assert job.wait(5)
    snap = job.snapshot()
    assert (snap.status, snap.text, snap.result) == (DONE, "Hello, world", "result")


def test_job_turns_a_workshop_error_into_its_one_line_message() -> None:
    def work(job: Job) -> None:
        raise InputError("bad value", field="api", fix="use invoke")

    job = Job(work).start()
    job.wait(5)
    snap = job.snapshot()
    assert snap.status == FAILED and snap.error == "api: bad value — use invoke" and snap.error_kind == "input"


def test_job_reports_a_bug_without_its_message() -> None:
    def work(job: Job) -> None:
        raise RuntimeError("secret-looking detail AKIAIOSFODNN7EXAMPLE")

    job = Job(work).start()
    job.wait(5)
    snap = job.snapshot()
    assert snap.status == FAILED and "RuntimeError" in snap.error and "AKIA" not in snap.error


def test_job_cancel_is_seen_by_the_worker() -> None:
    def work(job: Job) -> int:
        loops = 0
        while not job.cancelled and loops < 500:
            loops += 1
            job.set_progress(loops)
            threading.Event().wait(0.01)
        return loops

    job = Job(work).start()
    job.cancel()
    assert job.wait(5)
    assert job.snapshot().status == CANCELLED

"""AppTest harness for the console pages.

Facts this leans on (Streamlit 1.67, see DESIGN.md): paths come from ``Path(__file__)``;
the 3 s default timeout is raised (the first run imports boto3 and starts a sandbox);
``switch_page`` needs one run first; ``run_every`` never ticks in AppTest, so a test waits
on the worker-thread job itself and then runs the script again.

The sandbox workbench lives in ``st.cache_resource``, which is per process: every test
with the same config shares one running sandbox, as sessions do on a real server.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
DATA = ROOT / "tests" / "data"
TIMEOUT = 60.0

SETUP = "pages/2_Setup.py"
MODEL_PROMPT = "pages/3_Model_and_prompt.py"
INVOKE = "pages/4_Invoke.py"
MY_PAGES = ("app.py", SETUP, MODEL_PROMPT, INVOKE)


def fast_sandbox(**settings: str) -> Any:
    """The built-in sandbox config with no simulated delay (and optional faults)."""
    from workshop.config import default_config

    return replace(default_config(), sandbox_settings={"NoDelay": "true", **settings},
                   source="fast sandbox (tests)")


def open_app(config: Any = None, label: str = "fast sandbox (tests)") -> AppTest:
    """Home page, run once; ``config`` (if given) is put in the session as Setup would."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if config is not None:
        at.session_state["config"] = config
        at.session_state["config_label"] = label
    at.run()
    assert not at.exception, at.exception
    return at


def goto(at: AppTest, page: str) -> AppTest:
    """Switch page like a sidebar link would, and render it."""
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def finish_job(at: AppTest, key: str = "invoke_job", timeout: float = 30.0) -> AppTest:
    """Wait for the worker-thread job, then rerun (the fragment's ticking does this live)."""
    job = at.session_state[key]
    assert job is not None, "no job was started"
    assert job.wait(timeout), f"job {key} did not finish in {timeout} s"
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    """Every visible text value of the page (markdown, captions, alerts, code), joined."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "code", "title", "subheader"):
        parts += [str(el.value) for el in getattr(at, kind)]
    return "\n".join(parts)


@pytest.fixture
def app() -> AppTest:
    """Home page of a fresh session on the fast sandbox."""
    return open_app(fast_sandbox())


def pick_model(at: AppTest, model_id: str, provider: str) -> AppTest:
    """Choose ``model_id`` on step 3 as a participant does: provider, model, then how to invoke it."""
    from workshop.catalog import base_model_id

    at.selectbox(key="w:model_provider").set_value(provider).run()
    at.selectbox(key="w:model_group").set_value(base_model_id(model_id)).run()
    at.radio(key="w:model_id").set_value(model_id).run()
    assert not at.exception, at.exception
    return at

"""`make run CONFIG=...` / the lab's instances: the console starts every session on that config."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def home() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_config_named_in_the_environment_is_the_session_config(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "team.properties"
    config.write_text("[workshop]\nSandbox = true\nDefaultPath = vpce\n[path vpce]\nKind = vpce\n"
                      "CredentialMode = instance\n[path nat]\nKind = nat\nCredentialMode = instance\n",
                      encoding="utf-8")
    monkeypatch.setenv("WORKSHOP_CONFIG", str(config))
    at = home()
    chosen = at.session_state["config"]
    assert list(chosen.paths) == ["vpce", "nat"]
    assert at.session_state["config_label"] == "team.properties ($WORKSHOP_CONFIG)"
    assert at.session_state["path"] == "vpce"
    assert "team.properties ($WORKSHOP_CONFIG)" in " ".join(m.value for m in at.sidebar.markdown)


@pytest.mark.parametrize("text", [None, "[workshop]\nRegion = moon-1\n[path nat]\nKind = nat\nEndpointURL = ftp://x\n"])
def test_a_missing_or_broken_config_is_one_message_and_the_sandbox_meanwhile(tmp_path: Path, monkeypatch,
                                                                             text: str | None) -> None:
    config = tmp_path / "broken.properties"
    if text is not None:
        config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("WORKSHOP_CONFIG", str(config))
    at = home()
    if text is None:
        assert at.session_state["config"] is None  # the sandbox
        assert len(at.error) == 1 and "$WORKSHOP_CONFIG" in at.error[0].value
    else:  # it loads, with its problems kept for Setup to show
        assert at.session_state["config"] is not None
        assert at.session_state["config_problems"]

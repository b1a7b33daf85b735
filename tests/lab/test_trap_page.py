"""The Diagnostics page shows the private-DNS trap: the nat path's name resolving to the
endpoint, and nat and vpce reported as one endpoint (AppTest, against the sandbox).

On AWS, private DNS makes the public name resolve to the interface endpoint; here an
AWS-mode config points the nat path at the vpce path's sandbox listener, whose loopback
address the DNS check classifies as private — the same two symptoms, nothing faked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/6_Diagnostics.py"


def trap_config(sandbox: Any) -> Any:
    from workshop.config import parse_config

    url = sandbox.endpoints["vpce"]
    common = f"STSEndpointURL = {sandbox.sts_endpoint}\nControlEndpointURL = {sandbox.control_endpoint}\n"
    return parse_config(
        f"[workshop]\nRegion = {sandbox.region}\n\n"
        f"[path nat]\nKind = nat\nEndpointURL = {url}\n{common}\n"
        f"[path vpce]\nKind = vpce\nEndpointURL = {url}\n{common}\n"
        "[models]\nClaude-3-Haiku = anthropic.claude-3-haiku-20240307-v1:0\n",
        source="trap.properties",
    )


def test_diagnostics_page_shows_the_trap_and_the_shared_endpoint(sandbox: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.session_state["config"] = trap_config(sandbox)
    at.switch_page(PAGE)
    at.run()
    at.button(key="diag-run").click().run()
    job = at.session_state["diag.job"]
    assert job.wait(60), "diagnostics did not finish"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("**Same endpoint: nat = vpce.**") for w in warnings), warnings
    assert [t.label for t in at.tabs] == ["FAIL · nat", "pass · vpce"]  # words, not emoji (see the glyph e2e check)
    table = next(df.value for df in at.dataframe if "check" in df.value.columns)
    summary = table.set_index("check").loc["DNS resolution", "result"]
    assert "this path goes through PrivateLink: private DNS is on for this VPC's endpoint" in summary

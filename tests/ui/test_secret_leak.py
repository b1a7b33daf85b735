"""No clear secret in the console: not in any rendered element, the logs, or the saved file.

The participant types AWS's documented example keys into Setup with ``Debug = true`` (the
botocore wire log on), applies them, tests the path (signed requests to the sandbox's STS)
and saves the config encrypted. Then every element the page rendered, everything logged
and the file on disk are searched for the clear values.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.conftest import SETUP, fast_sandbox, goto, open_app
from workshop.sandbox.principals import WORKSHOP_ROLE_ARN

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example pair
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
CLEAR = (ACCESS_KEY, SECRET_KEY)


def rendered(at: AppTest) -> str:
    """Every element's full protobuf text (values, labels, placeholders, help, code...)."""
    parts: list[str] = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for attr in ("value", "placeholder", "label", "help"):
            try:
                parts.append(str(getattr(node, attr)))
            except Exception:  # not every element has every attribute
                pass
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def test_setup_never_shows_logs_or_saves_a_clear_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    at = goto(open_app(replace(fast_sandbox(), debug=True)), SETUP)

    at.selectbox(key="w:setup:nat:mode").set_value("access-keys").run()
    at.text_input(key="w:setup:nat:role_arn").input(WORKSHOP_ROLE_ARN)
    at.text_input(key="w:setup:nat:access_key").input(ACCESS_KEY)
    at.text_input(key="w:setup:nat:secret_key").input(SECRET_KEY).run()
    at.button(key="test:nat").click().run()
    assert not at.exception, at.exception
    # the path really worked with those keys: signed STS calls went over the wire
    assert "Identity: signed in as arn:aws:sts::111122223333:assumed-role/BedrockWorkshopRole" in \
        "\n".join(s.value for s in at.success)
    [apply] = [b for b in at.button if b.label == "Apply changes"]  # Test applied nothing; now apply
    apply.click().run()
    assert at.session_state["config"].paths["nat"].credentials.secret_key == SECRET_KEY
    assert any(r.name.startswith("botocore") and r.levelno == logging.DEBUG for r in caplog.records), \
        "debug mode should have logged the wire"

    target = tmp_path / "saved.properties"
    at.text_input(key="w:key_file").input(str(tmp_path / "keys" / "k.key"))
    at.text_input(key="w:save_file").input(str(target)).run()
    [save] = [b for b in at.button if b.label == "Save encrypted"]
    save.click().run()
    assert target.exists(), [e.value for e in at.error]

    page = rendered(at)
    assert "AKIA…MPLE" in page  # the masked form is what the participant sees
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    out, err = capfd.readouterr()
    saved = target.read_text()
    assert "SecretKey = enc:" in saved and "AccessKey = enc:" in saved
    for secret in CLEAR:
        assert secret not in page, f"{secret[:4]}… rendered in the page"
        assert secret not in logged, f"{secret[:4]}… in the captured log"
        assert secret not in out + err, f"{secret[:4]}… on stdout/stderr"
        assert secret not in saved, f"{secret[:4]}… in the saved file"

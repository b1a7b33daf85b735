"""Every error and warning box of the console goes through the redaction: a secret typed into
the wrong field comes back masked in the message that says the field is wrong."""

from __future__ import annotations

import re
from pathlib import Path

from tests.ui.conftest import SETUP, fast_sandbox, goto, open_app

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # AWS's documented example secret


def test_views_show_errors_and_warnings_only_through_the_redacting_helpers() -> None:
    direct = re.compile(r"\b(?:st|target|col|container|box)\.(?:error|warning)\b(?!\s*=)")
    offenders = [f"{path.relative_to(ROOT)}:{n}" for path in [*(ROOT / "workshop" / "ui").glob("*.py"),
                                                            *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]
                 if path.name != "alerts.py"
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if direct.search(line)]
    assert offenders == [], "use workshop.ui.alerts.error / .warning: " + ", ".join(offenders)


def test_a_secret_typed_as_the_role_arn_is_masked_in_the_error() -> None:
    at = goto(open_app(fast_sandbox()), SETUP)
    at.selectbox(key="w:setup:nat:mode").set_value("assume-role").run()
    at.text_input(key="w:setup:nat:role_arn").input(SECRET_KEY).run()
    [apply] = [b for b in at.button if b.label == "Apply changes"]
    apply.click().run()
    assert not at.exception, at.exception
    boxes = [e.value for e in at.error] + [w.value for w in at.warning]
    about_role = [b for b in boxes if "RoleARN" in b or "role ARN" in b or "Role ARN" in b]
    assert about_role, boxes
    for box in boxes:
        assert SECRET_KEY not in box
    assert any("[REDACTED]" in b for b in about_role), about_role

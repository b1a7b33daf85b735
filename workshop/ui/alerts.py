"""Every error and warning box the console shows, with anything secret-shaped masked.

A secret pasted into the wrong field (a secret key as RoleARN, a password in an endpoint
URL) comes back in the message that says the field is wrong; these helpers pass every such
line through ``workshop.secrets.redact`` first, as the CLI does with its ``error:`` line.
Views call ``alerts.error`` / ``alerts.warning`` instead of ``st.error`` / ``st.warning``
(tests/ui/test_alerts.py keeps it so).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from workshop.secrets.redaction import redact


def error(text: Any, *, icon: str | None = None, target: Any = None) -> None:
    """``st.error`` of ``text`` with secrets masked (``target``: a container, default the page)."""
    (target or st).error(redact(str(text)), icon=icon)


def warning(text: Any, *, icon: str | None = None, target: Any = None) -> None:
    """``st.warning`` of ``text`` with secrets masked."""
    (target or st).warning(redact(str(text)), icon=icon)

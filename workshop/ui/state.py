"""The console's session state: every key, its default, in one place.

Pages never invent ``st.session_state`` keys of their own: they use the names here, so
what a participant typed or chose survives page switches and reruns, and a test can set
or read any of it by name. Widgets are bound to these keys through
:func:`workshop.ui.widgets.bind`, which re-seeds the widget from the canonical value on
every run (Streamlit drops a widget's own state when its page is not shown).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

import streamlit as st

# --- what the participant configured (step 2) --------------------------------------
CONFIG = "config"
"""The active ``WorkshopConfig``; ``None`` means the built-in sandbox (nothing configured)."""
CONFIG_LABEL = "config_label"
"""Where the active config came from, for the sidebar ("built-in sandbox", a file name)."""
CONFIG_FILE = "config_file"
"""Path typed into Setup's "load from disk" field."""
SAVE_FILE = "save_file"
"""Path typed into Setup's "save encrypted" field."""
KEY_FILE = "key_file"
"""Key file for encrypted configs (empty: $WORKSHOP_CONFIG_KEY or the default key file)."""
CONFIG_PROBLEMS = "config_problems"
"""``config.problems`` of the last load, shown as warnings on Setup."""
SETUP_DONE = "setup_done"
"""Set once a config is loaded/applied or a path test passed (checklist step)."""
PATH_TESTS = "path_tests"
"""path name -> last "test this path" outcome (``workshop.diagnostics.PathTest``)."""
SETUP_PATH = "setup_path"
"""The path whose settings Setup shows (stays put across Test, Apply and reruns)."""
FIELD_PROBLEMS = "field_problems"
"""path name -> what is wrong with its fields, in the form's own labels, from the last Test or
Apply of the form (absent: the config in use's own problems are shown)."""
IDENTITY = "identity"
"""path name -> (account, arn) seen by the last successful test; the sidebar shows the account."""
FORM_PREFIX = "setup:"
"""Setup's form fields live under ``setup:<path>:<field>`` (see :func:`form_key`)."""

# --- what the participant chose (steps 3-4) ----------------------------------------
PATH = "path"
"""The access path the participant works with (``nat``, ``vpce``, ``cross-account``)."""
MODEL_ID = "model_id"
MODEL_CHOSEN = "model_chosen"
"""True once the participant picked a model on step 3 (not just the default)."""
API = "api"
BODY_TEXT = "body_text"
"""The request body JSON as typed in the editor (text, so a half-typed edit is not lost)."""
BODY_FAMILY = "body_family"
"""Model family ``BODY_TEXT`` was templated for; a family change reloads the template."""
BODY_VALID = "body_valid"
"""Whether ``BODY_TEXT`` validated for the chosen model family on the last run."""
BODY_ERROR = "body_error"
"""The ``TemplateError`` of the last validation (None when the body is valid)."""

# --- results (step 4 onwards) -----------------------------------------------------------
INVOKE_JOB = "invoke_job"
"""The running or last ``workshop.ui.runner.Job`` of step 4."""
LAST_RESULT = "last_result"
"""The last ``InvocationResult`` of step 4."""
INVOKED = "invoked"
"""True once an invocation returned an answer (checklist step)."""
COMPARED = "compared"
"""True once a comparison run finished (set by the Compare page; checklist step)."""

FLASH = "flash"
"""Messages set by widget callbacks, shown once under the page title: (level, text) pairs."""

_DEFAULTS: dict[str, Callable[[], Any]] = {
    CONFIG: lambda: None,
    CONFIG_LABEL: lambda: "built-in sandbox",
    CONFIG_FILE: lambda: "",
    SAVE_FILE: lambda: "",
    KEY_FILE: lambda: "",
    CONFIG_PROBLEMS: list,
    SETUP_DONE: lambda: False,
    PATH_TESTS: dict,
    SETUP_PATH: lambda: None,
    FIELD_PROBLEMS: dict,
    IDENTITY: dict,
    FLASH: list,
    PATH: lambda: "nat",
    MODEL_ID: lambda: None,
    MODEL_CHOSEN: lambda: False,
    API: lambda: "invoke-stream",
    BODY_TEXT: lambda: None,
    BODY_FAMILY: lambda: None,
    BODY_VALID: lambda: False,
    BODY_ERROR: lambda: None,
    INVOKE_JOB: lambda: None,
    LAST_RESULT: lambda: None,
    INVOKED: lambda: False,
    COMPARED: lambda: False,
}

KEYS: tuple[str, ...] = tuple(_DEFAULTS)
"""Every canonical key, for tests and for the frame's defaults."""


def register(key: str, default: Callable[[], Any]) -> str:
    """Declare a page-specific key (e.g. the Compare page's run settings); returns ``key``.

    Other pages own their keys but declare them through here, so ``get``/``put`` still
    catch typos and ``init`` still seeds them.
    """
    if key not in _DEFAULTS:
        _DEFAULTS[key] = default
    return key


def init(session: MutableMapping[str, Any] | None = None) -> None:
    """Put every missing key in the session with its default (existing values untouched)."""
    session = st.session_state if session is None else session
    for key, factory in _DEFAULTS.items():
        if key not in session:
            session[key] = factory()


def get(key: str) -> Any:
    """The current value of a canonical key (its default if the frame has not run yet)."""
    if key not in _DEFAULTS:
        raise KeyError(f"unknown console state key {key!r}; add it to workshop/ui/state.py")
    if key not in st.session_state:
        st.session_state[key] = _DEFAULTS[key]()
    return st.session_state[key]


def put(key: str, value: Any) -> None:
    """Set a canonical key (typo-checked, so a page cannot write a key nobody reads)."""
    if key not in _DEFAULTS:
        raise KeyError(f"unknown console state key {key!r}; add it to workshop/ui/state.py")
    st.session_state[key] = value


def form_key(path: str | None, name: str) -> str:
    """The session key of one Setup form field (``path`` None for config-wide fields)."""
    return f"{FORM_PREFIX}{path}:{name}" if path else f"{FORM_PREFIX}{name}"


def flash(level: str, text: str) -> None:
    """Queue a message for the next render (callbacks run before the page draws)."""
    get(FLASH).append((level, text))


def take_flash() -> list[tuple[str, str]]:
    """The queued messages, emptied (each is shown once)."""
    messages = list(get(FLASH))
    put(FLASH, [])
    return messages


def reset_results() -> None:
    """Forget step-4 results, e.g. after the config changed under them."""
    put(LAST_RESULT, None)
    put(INVOKE_JOB, None)

"""Small widgets shared by the pages: state-bound inputs, the sandbox label, timings.

Binding: Streamlit forgets a widget's value when the widget is not rendered (another
page is shown), so every input keeps its value in a canonical ``st.session_state`` key
(see ``state.py``) and the widget itself uses a shadow key ``w:<key>`` that is re-seeded
from the canonical value before the widget is created, and copied back by ``on_change``.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from workshop.ui import state
from workshop.ui.frame import SANDBOX_LABEL, sandbox_label  # noqa: F401  (re-exported)

log = logging.getLogger(__name__)

WIDGET_PREFIX = "w:"


def widget_key(key: str) -> str:
    """The widget's own key for canonical ``key`` (tests address widgets by it)."""
    return WIDGET_PREFIX + key


def _copy_back(key: str, then: Callable[[], None] | None) -> None:
    st.session_state[key] = st.session_state[widget_key(key)]
    if then is not None:
        then()


def bind(key: str, *, on_change: Callable[[], None] | None = None) -> dict[str, Any]:
    """Keyword arguments that bind a widget to canonical state ``key``.

    Use as ``st.text_input("Region", **bind("setup.region"))``: never pass ``value=``
    as well (the seeded session value is the value).
    """
    shadow = widget_key(key)
    value = st.session_state.get(key)
    # Always re-seed, even when the shadow key still holds the same value: after a page
    # switch the stale shadow may belong to another page's widget (same key, other widget
    # id) and would be ignored, leaving the new widget on its default.
    st.session_state[shadow] = value
    return {"key": shadow, "on_change": _copy_back, "args": (key, on_change)}


def bound_selectbox(
    label: str,
    options: Sequence[Any],
    key: str,
    *,
    format_func: Callable[[Any], str] = str,
    help: str | None = None,
    on_change: Callable[[], None] | None = None,
    container: Any = None,
) -> Any:
    """A selectbox bound to ``key``; a stale value (option gone) falls back to the first."""
    target = container if container is not None else st
    options = list(options)
    if not options:
        target.info(f"{label}: nothing to choose from yet.")
        return None
    if st.session_state.get(key) not in options:
        st.session_state[key] = options[0]
    return target.selectbox(label, options, format_func=format_func, help=help, **bind(key, on_change=on_change))


def show_sandbox_label(is_sandbox: bool, figure: str = "") -> None:
    """Put the "modelled, not measured on AWS" caption under a sandbox figure."""
    if is_sandbox:
        st.caption(f":orange[{sandbox_label(figure)}]")


def fmt_ms(value: float | None) -> str:
    """Milliseconds for a metric tile ("—" when the figure does not exist for this API)."""
    if value is None:
        return "—"
    return f"{value:,.0f} ms" if value >= 100 else f"{value:,.1f} ms"


# --- the request body (steps 3 and 4) ------------------------------------------------------


def request_for(api: str) -> dict:
    """The validated body for ``api``: the family's own for invoke, Converse's for converse.

    Raises TemplateError (the editor shows where) when the body is not valid.
    """
    from workshop.prompts import parse_body, to_converse

    family = state.get(state.BODY_FAMILY)
    body = parse_body(state.get(state.BODY_TEXT) or "", family, "invoke")
    return to_converse(body, family) if api.startswith("converse") else body


_WARMED: weakref.WeakSet[Any] = weakref.WeakSet()


def warm_store(workbench: Any) -> None:
    """Open the workbench's results store in the background, once, while the participant reads.

    Every call is recorded in the invocation log after the answer; opening the store the
    first time (importing SQLAlchemy, migrating) takes a second or more, which would
    otherwise keep a finished answer waiting behind a spinner (and, importing while an answer
    streams, starve the redraws of the live text). Steps 3 and 4 call it.
    """
    if workbench in _WARMED:
        return
    _WARMED.add(workbench)

    def open_store() -> None:
        try:
            workbench.store  # noqa: B018 - the property opens it
        except Exception as err:  # reported when the first call is recorded; never here
            log.debug("store not opened ahead of the first call: %s", err)

    threading.Thread(target=open_store, name="warm-store", daemon=True).start()

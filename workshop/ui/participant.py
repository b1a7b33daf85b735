"""The participant's name in the console: one field, shown in the sidebar and on the Room page.

The name is kept under one session key (:data:`NAME`); each place that shows the field has
its own widget bound to it, so typing in either updates both. Where the lab set
``$WORKSHOP_PARTICIPANT`` the field shows that name read-only: a participant cannot pass
for someone else and open their runs (see workshop/participants.py).

Calls made from this session are attributed to :func:`current` (the name) or, without one,
to the unnamed ``console:<session>`` id (:func:`current_or_unnamed`).
"""

from __future__ import annotations

import os

import streamlit as st

from workshop import participants
from workshop.errors import InputError
from workshop.ui import alerts, state


def _default() -> str:
    try:
        return participants.from_environment() or ""
    except InputError:
        return ""  # a malformed $WORKSHOP_PARTICIPANT is reported by the field, not at start-up


NAME = state.register("participant.name", _default)
"""What the participant typed (or the lab's name)."""

HELP = ("Your name in the room: stored with every run, sample and invocation you make, shown on the "
        "facilitator's board (never your prompts), and what the quota counts. " + participants.NAME_RULE + ".")


def _copy_back(shadow: str) -> None:
    state.put(NAME, st.session_state.get(shadow, ""))


def problem() -> str | None:
    """Why the name cannot be used (one line naming the field and the fix), or None."""
    if participants.fixed_by_environment():
        try:
            participants.from_environment()
        except InputError as err:
            return str(err)
        return None
    typed = str(state.get(NAME) or "").strip()
    if not typed:
        return None
    try:
        participants.validate_name(typed, field="Your name")
    except InputError as err:
        return str(err)
    return None


def current() -> str | None:
    """The participant's name: the lab's when it set one, else a valid typed name, else None."""
    if participants.fixed_by_environment():
        try:
            return participants.from_environment()
        except InputError:
            return None
    typed = str(state.get(NAME) or "").strip()
    if not typed:
        return None
    try:
        return participants.validate_name(typed, field="Your name")
    except InputError:
        return None


def current_or_unnamed() -> str:
    """:func:`current`, else this browser session's unnamed id (as quotas attribute it)."""
    name = current()
    if name:
        return name
    from workshop.quotas import participant_id

    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        run_ctx = get_script_run_ctx()
        if run_ctx is not None and run_ctx.session_id:
            return participant_id("console", run_ctx.session_id)
    except Exception:  # no script context (a test calling in directly)
        pass
    return participant_id("cli")


def participant_field(*, where: str = "sidebar", container: object = None) -> str | None:
    """Draw the name field (``where`` keeps the widget keys of two places apart); returns
    :func:`current`. A bad name shows one line under the field and is not used."""
    target = container if container is not None else st
    shadow = f"w:participant.{where}"
    fixed = participants.fixed_by_environment()
    st.session_state[shadow] = os.environ.get(participants.PARTICIPANT_ENV, "").strip() if fixed else state.get(NAME)
    target.text_input(
        "Your name", key=shadow, on_change=_copy_back, args=(shadow,), disabled=fixed, max_chars=participants.MAX_LENGTH,
        placeholder="e.g. participant-7", help=HELP + (" Set by the lab ($WORKSHOP_PARTICIPANT)." if fixed else ""),
    )
    issue = problem()
    if issue:
        alerts.error(issue, icon=":material/badge:", target=target)
    return current()

"""Step 7 — History: stored runs (open, compare two, delete, export) and the invocation log.

Everything here reads the store; nothing runs a comparison. A run's charts are drawn by the
same code as the Compare page (:func:`workshop.ui.compare_view.show_run`), so a run looks
the same wherever it is opened.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from workshop import PATH_LABELS
from workshop.errors import WorkshopError
from workshop.ui import alerts, state
from workshop.ui.compare_view import open_store, run_label, show_run, show_run_brief

if TYPE_CHECKING:
    from workshop.store import RunInfo, Store
    from workshop.ui.frame import Context

# Page-local keys, declared through state.register so typos are caught and defaults seeded.
OPEN_RUN = state.register("history.open_run", lambda: None)
"""Run id shown in "Open a run"."""
LEFT_RUN = state.register("history.left_run", lambda: None)
RIGHT_RUN = state.register("history.right_run", lambda: None)
PENDING_DELETE = state.register("history.pending_delete", lambda: None)
"""Run id whose deletion awaits confirmation (two clicks, so a slip deletes nothing)."""
DELETED_NOTE = state.register("history.deleted_note", lambda: None)
LOG_FILTERS = state.register("history.log_filters", dict)
"""Invocation-log filters: field -> chosen value ("any" when unset)."""

ANY = "any"
STATUS_MARKS = {"complete": "✓", "cancelled": "■", "incomplete": "!", "running": "…", "failed": "✗"}
"""Plain text marks for the runs table (a dataframe cell cannot show a Material icon; emoji
render as empty boxes in a browser without an emoji font)."""
LOG_FILTER_FIELDS: tuple[tuple[str, str], ...] = (
    ("path", "Path"),
    ("model_id", "Model"),
    ("operation", "Operation"),
    ("participant", "Participant"),
)


def history_page(ctx: Context) -> None:
    """The History page body (the page file has already called the frame)."""
    from workshop.ui.participant import current_or_unnamed

    me = current_or_unnamed()  # a room's store holds everyone's runs: each participant sees their own
    try:
        store = open_store(ctx)
        # A run left "running" by a console that died is incomplete: say so instead of lying.
        store.mark_stale_runs()
        runs = store.list_runs(visible_to=me)
    except WorkshopError as err:
        alerts.error(str(err), icon=":material/warning:")
        return

    note = state.get(DELETED_NOTE)
    if note:
        st.success(note, icon=":material/delete:")
        state.put(DELETED_NOTE, None)

    tab_runs, tab_two, tab_log = st.tabs(["Runs", "Compare two runs", "Invocation log"])
    with tab_runs:
        _runs_section(ctx, store, runs)
    with tab_two:
        _compare_two_section(ctx, store, runs)
    with tab_log:
        _invocation_log_section(store, me)


# ------------------------------------------------------------------------------ runs


def runs_table(runs: list[RunInfo]) -> pd.DataFrame:
    """One row per run, in the words the page uses (status with an icon, paths by label)."""
    return pd.DataFrame(
        [
            {
                "run": run.id[:8],
                "created (UTC)": run.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                "status": f"{STATUS_MARKS.get(run.status, '')} {run.status}",
                "paths": ", ".join(run.paths),
                "model": run.model_id,
                "api": run.api,
                "samples": run.sample_count,
                "errors": run.error_count,
                "source": "sandbox (modelled)" if run.sandbox else "AWS",
                "label": run.label or "",
                "participant": _who(run.participant),
            }
            for run in runs
        ],
        columns=["run", "created (UTC)", "status", "paths", "model", "api", "samples", "errors", "source", "label",
                 "participant"],
    )


def _who(participant: str | None) -> str:
    from workshop.participants import display

    return display(participant)


def _runs_section(ctx: Context, store: Store, runs: list[RunInfo]) -> None:
    st.subheader("Past runs")
    if not runs:
        st.info("No comparison runs stored yet. Start one on **Compare paths**.", icon=":material/info:")
        ctx.link("pages/5_Compare_paths.py", label="Go to Compare paths →", icon=":material/monitoring:")
        return
    st.dataframe(runs_table(runs), hide_index=True)
    st.caption(f"{len(runs)} run(s) in `{store.url}`. Incomplete = the console stopped mid-run; "
               "every sample taken before that is kept. Your runs only: the Room page shows the room's.")

    by_id = {run.id: run for run in runs}
    linked = st.query_params.get("run")  # ?run=<id>: a shareable link to one run
    if linked in by_id and st.session_state.get("history.linked") != linked:
        st.session_state["history.linked"] = linked
        state.put(OPEN_RUN, linked)
        st.session_state.pop("w:history.open_run", None)
    if state.get(OPEN_RUN) not in by_id:
        state.put(OPEN_RUN, runs[0].id)
    chosen_id = st.selectbox(
        "Open a run", list(by_id), format_func=lambda rid: run_label(by_id[rid]),
        index=list(by_id).index(state.get(OPEN_RUN)), key="w:history.open_run",
    )
    state.put(OPEN_RUN, chosen_id)
    run = by_id[chosen_id]

    _run_actions(store, run)
    show_run(ctx, store, run, key=f"history-{run.id[:8]}")


def export_text(store: Store, run_id: str, fmt: str) -> str:
    """A run as CSV or JSONL (the store's export: every sample, warm-up flagged, no secrets)."""
    return store.export_run(run_id, fmt)


def _run_actions(store: Store, run: RunInfo) -> None:
    """Export (CSV, JSONL) and delete, with a confirmation step for delete."""
    cols = st.columns([1, 1, 1, 3])
    stem = f"run-{run.id[:8]}"
    # Deferred data (a callable): a 100k-sample export is built only when clicked.
    cols[0].download_button("Export CSV", data=lambda: export_text(store, run.id, "csv"), file_name=f"{stem}.csv",
                            mime="text/csv", key=f"export-csv-{run.id}", on_click="ignore", icon=":material/download:")
    cols[1].download_button("Export JSONL", data=lambda: export_text(store, run.id, "jsonl"),
                            file_name=f"{stem}.jsonl", mime="application/x-ndjson",
                            key=f"export-jsonl-{run.id}", on_click="ignore", icon=":material/download:")
    cols[2].button("Delete run…", key=f"delete-{run.id}", on_click=state.put, args=(PENDING_DELETE, run.id),
                   icon=":material/delete:")
    if state.get(PENDING_DELETE) == run.id:
        alerts.warning(f"Delete run {run.id[:8]} and its {run.sample_count} samples? This cannot be undone.",
                   icon=":material/warning:")
        yes, no, _ = st.columns([1, 1, 4])
        yes.button("Yes, delete it", key="confirm-delete", type="primary", on_click=_delete, args=(store, run))
        no.button("Keep it", key="cancel-delete", on_click=state.put, args=(PENDING_DELETE, None))


def _delete(store: Store, run: RunInfo) -> None:
    """on_click: delete the run, forget it everywhere on this page, leave a note."""
    store.delete_run(run.id)
    for key in (OPEN_RUN, LEFT_RUN, RIGHT_RUN, PENDING_DELETE):
        if state.get(key) == run.id:
            state.put(key, None)
    st.session_state.pop("w:history.open_run", None)  # its value is a run that no longer exists
    state.put(DELETED_NOTE, f"Deleted run {run.id[:8]} ({run.sample_count} samples).")


# ------------------------------------------------------------------------------ two runs


def _compare_two_section(ctx: Context, store: Store, runs: list[RunInfo]) -> None:
    st.subheader("Compare two runs side by side")
    if len(runs) < 2:
        st.info("Two stored runs are needed to compare them side by side.", icon=":material/info:")
        return
    by_id = {run.id: run for run in runs}
    ids = list(by_id)
    if state.get(LEFT_RUN) not in by_id:
        state.put(LEFT_RUN, ids[1])  # the previous run on the left, the newest on the right
    if state.get(RIGHT_RUN) not in by_id:
        state.put(RIGHT_RUN, ids[0])
    left, right = st.columns(2)
    for column, key, title in ((left, LEFT_RUN, "Run A"), (right, RIGHT_RUN, "Run B")):
        with column:
            chosen = st.selectbox(title, ids, index=ids.index(state.get(key)),
                                  format_func=lambda rid: run_label(by_id[rid]), key=f"w:{key}")
            state.put(key, chosen)
            show_run_brief(ctx, store, by_id[chosen], key=f"two-{title[-1]}")
    if state.get(LEFT_RUN) == state.get(RIGHT_RUN):
        st.caption("Both sides show the same run: pick another one on either side.")


# ------------------------------------------------------------------------------ invocation log


def log_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The invocation log as a table: who called what, through which path, with how many tokens."""
    rows = []
    for rec in records:
        body = rec.get("record") or {}
        rows.append({
            "timestamp (UTC)": rec["timestamp"].strftime("%Y-%m-%d %H:%M:%S") if rec.get("timestamp") else "",
            "participant": rec.get("participant"),
            "path": rec.get("path"),
            "operation": rec.get("operation"),
            "model": rec.get("model_id"),
            "identity": (body.get("identity") or {}).get("arn"),
            "input tokens": body.get("inputTokenCount"),
            "output tokens": body.get("outputTokenCount"),
            "request id": rec.get("request_id"),
        })
    return pd.DataFrame(rows, columns=["timestamp (UTC)", "participant", "path", "operation", "model", "identity",
                                       "input tokens", "output tokens", "request id"])


def log_jsonl(records: list[dict[str, Any]]) -> str:
    """JSONL in Bedrock's ModelInvocationLog shape (one record per line, oldest first)."""
    payload = [rec.get("record") or {} for rec in reversed(records)]
    try:
        from workshop.invocation_log import to_jsonl
    except ImportError:  # the governance module lands separately; the records are already shaped
        return "".join(json.dumps(rec, sort_keys=True) + "\n" for rec in payload)
    return to_jsonl(payload)


def _invocation_log_section(store: Store, me: str) -> None:
    from workshop.participants import display

    st.subheader("Invocation log")
    st.caption("Every invocation you made from the console or CLI, in Bedrock's ModelInvocationLog shape "
               f"(secrets redacted; bodies only when the config's LogBodies is on). Yours only ({display(me)}): "
               "the log holds prompts.")
    everything = store.invocation_log(limit=5000, visible_to=me)
    filters: dict[str, str] = dict(state.get(LOG_FILTERS))
    cols = st.columns(len(LOG_FILTER_FIELDS))
    for column, (name, label) in zip(cols, LOG_FILTER_FIELDS, strict=True):
        values = sorted({str(rec.get(name)) for rec in everything if rec.get(name)})
        options = [ANY, *values]
        current = filters.get(name, ANY)
        if current not in options:
            current = ANY
        filters[name] = column.selectbox(label, options, index=options.index(current), key=f"w:log.{name}",
                                         format_func=lambda v: PATH_LABELS.get(v, v) if v != ANY else "any")
    state.put(LOG_FILTERS, filters)
    chosen = {name: value for name, value in filters.items() if value != ANY}
    records = store.invocation_log(limit=5000, visible_to=me, **chosen) if chosen else everything
    if not records:
        st.info("No logged invocations match." if everything else
                "No invocations logged yet: invoke a model on step 4.", icon=":material/info:")
        return
    st.dataframe(log_table(records), hide_index=True)
    st.caption(f"{len(records)} record(s) shown" + (" (filtered)." if chosen else "."))
    st.download_button("Export log as JSONL", data=log_jsonl(records), file_name="model-invocation-log.jsonl",
                       mime="application/x-ndjson", key="export-log", on_click="ignore", icon=":material/download:")
    with st.expander("Newest record as Bedrock logs it"):
        st.json(records[0].get("record") or {})

"""Small widgets shared by the pages: state-bound inputs, the sandbox label, timings.

Binding: Streamlit forgets a widget's value when the widget is not rendered (another
page is shown), so every input keeps its value in a canonical ``st.session_state`` key
(see ``state.py``) and the widget itself uses a shadow key ``w:<key>`` that is re-seeded
from the canonical value before the widget is created, and copied back by ``on_change``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from workshop.ui import state
from workshop.ui.frame import SANDBOX_LABEL, sandbox_label  # noqa: F401  (re-exported)

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


# --- step 4: invoke and its result ------------------------------------------------------------


def _participant() -> str:
    """Who the facilitator's quota and invocation log attribute this browser session's calls to."""
    from workshop.quotas import participant_id

    try:  # the session id is not public API; fall back to the OS user like the CLI does
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        run_ctx = get_script_run_ctx()
        if run_ctx is not None and run_ctx.session_id:
            return participant_id("console", run_ctx.session_id)
    except Exception:
        pass
    return participant_id("cli")


def start_invoke(ctx: Any) -> None:
    """Invoke button callback: start the call in a worker thread (the page stays live)."""
    from workshop.errors import WorkshopError
    from workshop.ui.runner import Job

    path, model_id, api = state.get(state.PATH), state.get(state.MODEL_ID), state.get(state.API)
    try:
        body = request_for(api)
        workbench = ctx.workbench()
    except WorkshopError as err:
        state.flash("error", str(err))
        return
    participant = _participant()

    def work(job: Job) -> Any:
        # Worker thread: no st.* here; streamed text goes to the job under its lock.
        return workbench.invoke(path, model_id, body, api, on_text=job.append_text, participant=participant)

    state.put(state.LAST_RESULT, None)
    state.put(state.INVOKE_JOB, Job(work, name=f"invoke-{path}").start())


def cancel_invoke() -> None:
    """Stop waiting for the answer (the call itself ends on its own read timeout)."""
    job = state.get(state.INVOKE_JOB)
    if job is not None:
        job.cancel()


def timing_chart(result: Any) -> Any:
    """A stacked bar: credentials + network overhead + server time = what the participant waited.

    A dashed mark shows when the first token arrived (streaming APIs).
    """
    import altair as alt
    import pandas as pd

    parts = [("credentials", result.credentials_ms), ("network + SDK overhead", result.overhead_ms),
             ("server (model) time", result.server_ms)]
    if result.server_ms is None:  # no server figure (an error): show the whole client time
        parts = [("credentials", result.credentials_ms), ("client total", result.client_ms)]
    names = [p for p, _ in parts]
    data = pd.DataFrame([{"call": "this call", "part": p, "ms": float(v or 0.0), "order": i}
                         for i, (p, v) in enumerate(parts)])
    y = alt.Y("call:N", title=None, axis=None)
    bar = alt.Chart(data).mark_bar(size=28).encode(
        x=alt.X("sum(ms):Q", title="milliseconds", stack="zero"),
        y=y,
        color=alt.Color("part:N", sort=names, title=None, legend=alt.Legend(orient="right"),
                        scale=alt.Scale(domain=names, range=["#9e9e9e", "#ef6c00", "#1565c0"][: len(names)])),
        order=alt.Order("order:Q"),
        tooltip=["part", alt.Tooltip("ms:Q", format=",.1f")],
    )
    layers = [bar]
    if result.ttft_ms is not None:
        offset = float(result.credentials_ms or 0.0) + float(result.ttft_ms)
        marker = pd.DataFrame([{"call": "this call", "ms": offset, "label": "first token"}])
        tick = alt.Chart(marker).mark_tick(color="#2e7d32", thickness=3, size=44).encode(
            x="ms:Q", y=y, tooltip=["label", alt.Tooltip("ms:Q", format=",.1f")])
        text = alt.Chart(marker).mark_text(dy=-19, color="#2e7d32", fontSize=11).encode(
            x="ms:Q", y=y, text="label:N")
        layers += [tick, text]
    return alt.layer(*layers).properties(height=90)


def show_result(result: Any, *, sandbox: bool) -> None:
    """Answer, timing breakdown, tokens, retries, request id, error hint and raw response."""
    import json

    from workshop.secrets import redact

    if result.ok:
        st.markdown("**Answer**")
        st.markdown(result.output_text or "_(empty answer)_")
    else:
        st.error(f"{result.error_code}: {result.error_message}", icon=":material/error:")
        if result.error_hint:
            st.info(f"**How to fix:** {result.error_hint}", icon=":material/build:")
    st.markdown("**Timing breakdown**")
    cols = st.columns(5)
    figures = [
        ("Credentials", result.credentials_ms, "Time to obtain this path's credentials (0 once cached)."),
        ("Time to first token", result.ttft_ms, "Streaming APIs only: when the first text arrived."),
        ("Server time", result.server_ms, "Bedrock's own figure (invocation latency)."),
        ("Network overhead", result.overhead_ms, "Total minus server time: network, TLS, auth, SDK."),
        ("Total", result.client_ms, "Around the call, including reading the whole body or stream."),
    ]
    for col, (label, value, tip) in zip(cols, figures, strict=True):
        col.metric(label, fmt_ms(value), help=tip)
    st.altair_chart(timing_chart(result), width="stretch")
    show_sandbox_label(sandbox, "Timings")
    details = st.columns(5)
    details[0].metric("Input tokens", "—" if result.input_tokens is None else result.input_tokens)
    details[1].metric("Output tokens", "—" if result.output_tokens is None else result.output_tokens)
    details[2].metric("Retries", result.retries, help="Retried by botocore (standard mode); not folded into latency.")
    details[3].metric("HTTP status", result.http_status or "—")
    details[4].metric("Stop reason", result.stop_reason or "—")
    st.caption(f"Request id: `{result.request_id or '—'}` · path `{result.path}` · API `{result.api}` · "
               f"model `{result.model_id}`")
    with st.expander("Raw response JSON"):
        raw = result.response_body if result.response_body is not None else result.to_dict()
        st.code(redact(json.dumps(raw, indent=2, default=str, ensure_ascii=False)), language="json")


def draw_invoke(job: Any, *, sandbox: bool) -> None:
    """The fragment body of step 4: live text while streaming, then the full result."""
    if job is None:
        return
    snap = job.snapshot()
    if snap.running:
        st.markdown("**Answer** (streaming…)")
        st.markdown((snap.text or "") + " ▌")
        st.caption(f"{snap.elapsed_s:,.1f} s elapsed")
        st.button("Cancel", on_click=cancel_invoke, icon=":material/stop:", key="cancel_invoke")
        return
    if snap.error:
        if snap.error_kind == "quota":
            st.error(f"Quota: {snap.error}", icon=":material/block:")
            st.info("Nothing was sent to Bedrock. Wait for the per-minute window, or ask the facilitator.")
        else:
            st.error(snap.error, icon=":material/error:")
        return
    if snap.status == "cancelled":
        st.warning("Cancelled: the answer so far is shown below.")
        st.markdown(snap.text)
        return
    if snap.result is not None:
        show_result(snap.result, sandbox=sandbox)

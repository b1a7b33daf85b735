"""Step 4 — Invoke: call the model through the chosen path and API, watch the answer arrive.

The call runs in a worker thread (``runner.Job``) so the page stays live: streamed text is
drawn as the chunks arrive, then the result with a timing breakdown whose parts add up to
the Total (network + SDK overhead + server time). Credentials are obtained before the clock
starts, so they are never a part of Total: they are shown apart, and only on the call that
obtained them.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from workshop import APIS, PATH_LABELS
from workshop.ui import alerts, state
from workshop.ui.runner import follow
from workshop.ui.widgets import bind, bound_selectbox, fmt_ms, request_for, show_sandbox_label, warm_store

OBTAINED_CREDENTIALS = state.register("invoke.obtained_credentials", lambda: False)
"""Whether the current step-4 call had to obtain its path's credentials (first call on the path)."""

STREAM_INTERVAL_S = 0.1
"""How often the live answer is redrawn while it streams (several visible steps per second)."""

CONSOLE_COST_NOTE = (
    "Measured in the console's measuring process, not in the page: redrawing the live answer costs the "
    "figures nothing. The first call on a path also opens its connection (and, for an assumed role, its "
    "credentials); later calls reuse both, as an application does.")
"""Where step 4 measures. The page redrew the live answer in the same process as the call, and that
landed in its overhead (on the sandbox, quiet machine: 24-430 ms with the redraws, 10-23 ms without,
13 ms from the CLI); since the call moved to runner.InvokeWorker the page and the CLI agree."""

SANDBOX_ANSWER_NOTE = ("The sandbox runs no model: a question the workshop asks gets a short hand-written answer, "
                       "anything else a labelled placeholder of the modelled length.")

# Streamlit's own named colours, so the caption's coloured words match the bar exactly.
PART_COLOURS = {"network + SDK overhead": ("orange", "#ff8700"), "server (model) time": ("blue", "#1c83e1"),
                "client total": ("gray", "#808495"), "gateway hop": ("red", "#ff2b2b"),
                "gateway → Bedrock": ("orange", "#ff8700"), "cold start": ("violet", "#803df5")}
MARK_COLOURS = {"first byte": ("violet", "#803df5"), "first token": ("green", "#21c354")}


# --------------------------------------------------------------------------- starting a call


def _participant() -> str:
    """Who the facilitator's quota and invocation log attribute this browser session's calls to:
    the participant's name (typed, or the lab's), else this session's unnamed id."""
    from workshop.ui.participant import current_or_unnamed

    return current_or_unnamed()


def _has_client(invoker: Any, path: str) -> bool:
    """Whether the measuring process already holds this path's client (and its credentials)."""
    has = getattr(invoker, "has_client", None)
    if callable(has):
        return bool(has(path))
    return path in getattr(invoker, "_clients", {})  # a Workbench keeps one client per path


def start_invoke(ctx: Any) -> None:
    """Invoke button callback: the call is measured in the console's measuring process
    (``ctx.invoker()``); a thread here only waits for its streamed text and result, so the page's
    redraws never land in the figures."""
    from workshop.errors import WorkshopError
    from workshop.ui.runner import Job

    path, model_id, api = state.get(state.PATH), state.get(state.MODEL_ID), state.get(state.API)
    try:
        body = request_for(api)
        invoker = ctx.invoker()
    except WorkshopError as err:
        state.flash("error", str(err))
        return
    participant = _participant()
    state.put(OBTAINED_CREDENTIALS, not _has_client(invoker, path))

    def work(job: Job) -> Any:
        # Waiting thread: no st.* here; streamed text goes to the job under its lock. A usage
        # plan's 429 (api-gateway) comes back with its figures, read once in the measuring process.
        return invoker.invoke(path, model_id, body, api, on_text=job.append_text, participant=participant,
                              on_quota=lambda quota: setattr(job, "quota", quota))

    state.put(state.LAST_RESULT, None)
    state.put(state.INVOKE_JOB, Job(work, name=f"invoke-{path}").start())


def cancel_invoke() -> None:
    """Stop waiting for the answer (the call itself ends on its own read timeout)."""
    job = state.get(state.INVOKE_JOB)
    if job is not None:
        job.cancel()


# --------------------------------------------------------------------------- timings


def timing_parts(result: Any) -> list[tuple[str, float]]:
    """The parts of Total, in order; they add up to ``client_ms`` (Total) exactly.

    Overhead + server time when Bedrock reported its time; else Total alone (an error
    before the model ran has no server figure).
    """
    total = float(result.client_ms)
    if result.server_ms is not None and 0 <= result.server_ms <= total:
        server = float(result.server_ms)
        upstream = getattr(result, "upstream_ms", None)
        hop = getattr(result, "gateway_ms", None)
        if hop is not None and upstream is not None and upstream >= server:
            # Through a gateway: its hop, its wait beyond Bedrock's time, a cold start apart.
            init = float(getattr(result, "init_ms", None) or 0.0)
            parts = [("gateway hop", float(hop)), ("gateway → Bedrock", float(upstream) - server)]
            if init:
                parts.append(("cold start", init))
            return [*parts, ("server (model) time", server)]
        return [("network + SDK overhead", total - server), ("server (model) time", server)]
    return [("client total", total)]


def timing_marks(result: Any) -> list[tuple[str, float]]:
    """Moments inside Total: first byte (invoke and streams), first token (streams only)."""
    marks = [("first byte", result.ttfb_ms), ("first token", result.ttft_ms)]
    return [(label, float(ms)) for label, ms in marks if ms is not None]


def timing_chart(result: Any) -> Any:
    """One stacked bar whose parts add up to Total, with the first byte / first token moments."""
    import altair as alt
    import pandas as pd

    parts = timing_parts(result)
    names = [p for p, _ in parts]
    data = pd.DataFrame([{"call": "this call", "part": p, "ms": v, "order": i} for i, (p, v) in enumerate(parts)])
    x_scale = alt.Scale(domain=[0, max(float(result.client_ms), 1.0)])
    y = alt.Y("call:N", title=None, axis=None)
    bar = alt.Chart(data).mark_bar(size=28).encode(
        x=alt.X("sum(ms):Q", title=None, stack="zero", scale=x_scale, axis=alt.Axis(format=",d")),
        y=y,
        # No legend: the caption under the chart names the colours (a legend is cut off at some widths).
        color=alt.Color("part:N", sort=names, legend=None,
                        scale=alt.Scale(domain=names, range=[PART_COLOURS[n][1] for n in names])),
        order=alt.Order("order:Q"),
        tooltip=["part", alt.Tooltip("ms:Q", format=",.1f")],
    )
    layers = [bar]
    marks = timing_marks(result)
    if marks:
        labels = [m for m, _ in marks]
        moments = pd.DataFrame([{"call": "this call", "moment": m, "ms": v} for m, v in marks])
        layers.append(alt.Chart(moments).mark_tick(thickness=3, size=44).encode(
            x=alt.X("ms:Q", scale=x_scale), y=y,
            color=alt.Color("moment:N", legend=None,
                            scale=alt.Scale(domain=labels, range=[MARK_COLOURS[m][1] for m in labels])),
            tooltip=["moment", alt.Tooltip("ms:Q", format=",.1f")]))
    return alt.layer(*layers).resolve_scale(color="independent").properties(height=70)


def timing_caption(result: Any, *, obtained_credentials: bool) -> str:
    """What the bar's colours are, with the figures, so the chart needs no legend."""
    parts = " + ".join(f":{PART_COLOURS[name][0]}[■ {name} {fmt_ms(ms)}]" for name, ms in timing_parts(result))
    text = f"The bar is Total ({fmt_ms(result.client_ms)}) = {parts}."
    marks = timing_marks(result)
    if marks:
        text += " Marks: " + ", ".join(f":{MARK_COLOURS[name][0]}[▮ {name} at {fmt_ms(ms)}]" for name, ms in marks) + "."
    text += (" Credentials were obtained before the clock started." if obtained_credentials
             else " Credentials were cached (0 ms).")
    return text


def _first_byte_help(api: str) -> str:
    if api == "invoke":
        return "When the response headers arrived; InvokeModel's whole answer follows in that response."
    if api.endswith("-stream"):
        return "When the stream's headers arrived, before the first text."
    return "Converse returns only once the whole answer is read: there is no separate first byte."


def show_timings(result: Any, *, obtained_credentials: bool, sandbox: bool) -> None:
    """The figures and the bar: overhead + server time = Total; credentials apart."""
    streaming = result.api.endswith("-stream")
    if obtained_credentials:
        credentials = (fmt_ms(result.credentials_ms),
                       "This call obtained the path's credentials first (AssumeRole included). That happens "
                       "before the clock starts: it is not part of Total.")
    else:
        credentials = ("cached", "Obtained by an earlier call on this path and reused: this call spent 0 ms on them.")
    # Two rows of three, so no figure is cut at 1280 px: first what adds up to Total, then the
    # moments inside it and the credentials outside it.
    rows = [
        [("Network overhead", fmt_ms(result.overhead_ms),
          "Total minus server time: network, TLS, signing and the SDK; part of Total. Measured in the "
          "console's measuring process, so the page's own redrawing is not in it."),
         ("Server time", fmt_ms(result.server_ms), "Bedrock's own figure (invocation latency); part of Total."),
         ("Total", fmt_ms(result.client_ms),
          "From sending the request to the last byte of the answer. Network overhead + server time = Total; "
          "first byte and first token are moments inside it; credentials are not in it.")],
        [("First byte", fmt_ms(result.ttfb_ms), _first_byte_help(result.api)),
         ("First token", fmt_ms(result.ttft_ms) if streaming else "—",
          "Streaming APIs only: when the first text arrived. A non-streaming answer arrives whole."),
         ("Credentials", *credentials)],
    ]
    if getattr(result, "gateway_ms", None) is not None:
        upstream, server = result.upstream_ms, result.server_ms
        rows.append([
            ("Gateway hop", fmt_ms(result.gateway_ms),
             "Client -> gateway and back, and the gateway's own work (API Gateway, the Lambda invoke, the proxy's "
             "logging): Total minus what the gateway waited for Bedrock, minus a cold start."),
            ("Gateway → Bedrock", fmt_ms(upstream - server) if upstream is not None and server is not None else "—",
             "What the gateway waited for Bedrock beyond Bedrock's own time: its network to Bedrock."),
            ("Cold start", fmt_ms(result.init_ms) if result.init_ms is not None else "warm",
             "The Lambda's init on the first call of an execution environment (apart: later calls reuse it)."),
        ])
    for row in rows:
        for col, (label, value, tip) in zip(st.columns(len(row)), row, strict=True):
            col.metric(label, value, help=tip)
    st.altair_chart(timing_chart(result), width="stretch")
    st.caption(timing_caption(result, obtained_credentials=obtained_credentials))
    st.caption(CONSOLE_COST_NOTE)
    show_sandbox_label(sandbox, "Timings")


# --------------------------------------------------------------------------- drawing


def _answer_heading(sandbox: bool, streaming: bool = False) -> None:
    heading = "**Answer**" + (" (streaming…)" if streaming else "")
    if sandbox:
        heading += " :orange-badge[sandbox answer]"
    st.markdown(heading, help=SANDBOX_ANSWER_NOTE if sandbox else None)


def show_quota(quota: Any) -> None:
    """A usage plan's 429: which limit, the remaining quota and when it resets."""
    title = "Usage-plan quota used up" if quota.limit == "quota" else "Usage-plan throttle"
    with st.container(border=True, key="quota_figures"):
        st.markdown(f"**{title}** — API Gateway answered 429 "
                    f"*{'Limit Exceeded' if quota.limit == 'quota' else 'Too Many Requests'}*")
        cols = st.columns(3)
        if quota.quota_limit is not None:
            cols[0].metric("Remaining quota", "—" if quota.remaining is None else f"{quota.remaining:,}",
                           help=f"Of {quota.quota_limit:,} per {str(quota.period).lower()} for this API key.")
        if quota.resets_at is not None:
            cols[1].metric("Quota resets", f"{quota.resets_at:%Y-%m-%d %H:%M} UTC",
                           help="The start of the usage plan's next quota period.")
        if quota.rate_limit is not None:
            cols[2].metric("Throttle", f"{quota.rate_limit:g}/s, burst {quota.burst_limit}",
                           help="The usage plan's token bucket: steady rate and burst.")
        st.caption("The quota does not clear by retrying: wait for the reset, or ask the platform team for more."
                   if quota.limit == "quota" else "The throttle clears within a second: slow down and try again.")
        if quota.note:
            st.caption(quota.note)


def show_result(result: Any, *, sandbox: bool, obtained_credentials: bool = False, quota: Any = None) -> None:
    """Answer, timing breakdown, tokens, retries, request id, error hint and raw response."""
    import json

    from workshop.secrets import redact

    if result.ok:
        _answer_heading(sandbox)
        st.markdown(result.output_text or "_(empty answer)_")
    else:
        alerts.error(f"{result.error_code}: {result.error_message}", icon=":material/error:")
        if result.error_hint:
            st.info(f"**How to fix:** {result.error_hint}", icon=":material/build:")
        if quota is not None:
            show_quota(quota)
    st.markdown("**Timing breakdown**")
    show_timings(result, obtained_credentials=obtained_credentials, sandbox=sandbox)
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
        _answer_heading(sandbox, streaming=True)
        with st.container(key="live_answer"):  # the browser test watches this element grow
            st.markdown(snap.text or "_waiting for the first token…_")
        st.caption(f"{snap.elapsed_s:,.1f} s elapsed")
        st.button("Cancel", on_click=cancel_invoke, icon=":material/stop:", key="cancel_invoke")
        return
    if snap.error:
        if snap.error_kind == "quota":
            alerts.error(f"Quota: {snap.error}", icon=":material/block:")
            st.info("Nothing was sent to Bedrock. Wait for the per-minute window, or ask the facilitator.",
                    icon=":material/info:")
        else:
            alerts.error(snap.error, icon=":material/error:")
        return
    if snap.status == "cancelled":
        alerts.warning("Cancelled: the answer so far is shown below.", icon=":material/stop:")
        st.markdown(snap.text)
        return
    if snap.result is not None:
        show_result(snap.result, sandbox=sandbox, obtained_credentials=bool(state.get(OBTAINED_CREDENTIALS)),
                    quota=getattr(job, "quota", None))


def invoke_page(ctx: Any) -> None:
    """Draw step 4."""
    model_id = state.get(state.MODEL_ID)
    ready = bool(model_id and state.get(state.BODY_VALID))
    if not ready:
        st.info("Choose a model and make its request body valid first.", icon=":material/tune:")
        ctx.link("pages/3_Model_and_prompt.py", label="Go to step 3: Model & prompt", icon=":material/tune:")

    left, mid, right = st.columns([2, 3, 2])
    with left:
        bound_selectbox("Access path", ctx.path_names(), state.PATH, format_func=lambda n: PATH_LABELS.get(n, n))
    with mid:
        st.radio("API", APIS, horizontal=True, help="InvokeModel, its streaming twin, Converse, ConverseStream.",
                 **bind(state.API))
    with right:
        st.markdown(f"Model  \n`{model_id or 'not chosen'}`")

    carried = True
    path = ctx.config.paths.get(state.get(state.PATH))
    if path is not None and path.is_gateway:
        from workshop.gateway import carries

        carried = carries(path, state.get(state.API))
        if path.kind == "api-gateway":
            st.caption("Through a private API Gateway and a Lambda proxy: the proxy's JSON contract carries invoke "
                       "and converse (a Lambda proxy integration answers whole). The timings split the gateway's "
                       "hop from its wait for Bedrock, and a Lambda cold start apart.")
        else:
            st.caption("Through an LLM gateway: signed for bedrock-runtime exactly as on the NAT path, sent to the "
                       "gateway, which forwards it unchanged (the signature covers the Host header).")
        if not carried:
            alerts.warning(f"The {path.name} path carries invoke and converse, not {state.get(state.API)}: choose one "
                       "of those.", icon=":material/block:")
    if ready:
        with ctx.guard():
            warm_store(ctx.workbench())
    job = state.get(state.INVOKE_JOB)
    busy = job is not None and job.running
    st.button("Invoke", type="primary", icon=":material/bolt:", disabled=not ready or busy or not carried,
              on_click=start_invoke, args=(ctx,))
    follow(state.INVOKE_JOB, lambda job: draw_invoke(job, sandbox=ctx.is_sandbox), interval=STREAM_INTERVAL_S)
    ctx.refresh()

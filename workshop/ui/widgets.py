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


# --- step 3: model, request body, "view as code" --------------------------------------------


def model_label(info: Any) -> str:
    """A catalog entry for the picker: label, family and the inference-profile hint."""
    text = f"{info.label} · {info.family}"
    if info.needs_profile and info.profile_id:
        text += f" · via inference profile {info.profile_id}"
    elif info.profile_id and info.profile_id == info.model_id:
        text += " · inference profile"
    return text


def revalidate_body() -> None:
    """Validate the editor's text for the chosen family; store valid/err for the checklist."""
    from workshop.errors import TemplateError
    from workshop.prompts import parse_body

    text, family = state.get(state.BODY_TEXT), state.get(state.BODY_FAMILY)
    if not text or not family:
        state.put(state.BODY_VALID, False)
        state.put(state.BODY_ERROR, None)
        return
    try:
        parse_body(text, family, "invoke")
    except TemplateError as err:
        state.put(state.BODY_VALID, False)
        state.put(state.BODY_ERROR, err)
    else:
        state.put(state.BODY_VALID, True)
        state.put(state.BODY_ERROR, None)


def sync_template(models: Sequence[Any]) -> None:
    """Load the chosen model family's template when the family changed (edits kept otherwise)."""
    from workshop.catalog import family_of
    from workshop.prompts import template_text

    model_id = state.get(state.MODEL_ID)
    if not model_id:
        return
    family = family_of(model_id, models)
    if family != state.get(state.BODY_FAMILY) or not state.get(state.BODY_TEXT):
        previous = state.get(state.BODY_FAMILY)
        state.put(state.BODY_TEXT, template_text(family))
        state.put(state.BODY_FAMILY, family)
        if previous:
            state.flash("info", f"Loaded the {family} template (the {previous} body does not fit this model).")
    revalidate_body()


def choose_model(models: Sequence[Any]) -> None:
    """Model picker callback: the participant chose; reload the template if needed."""
    state.put(state.MODEL_CHOSEN, True)
    sync_template(models)


def reset_body() -> None:
    """Back to the family's template."""
    from workshop.prompts import template_text

    family = state.get(state.BODY_FAMILY)
    if family:
        state.put(state.BODY_TEXT, template_text(family))
        revalidate_body()


def show_body_status() -> None:
    """Valid, or the error with line/column and the offending line under a caret."""
    err = state.get(state.BODY_ERROR)
    if state.get(state.BODY_VALID):
        st.success(f"Valid {state.get(state.BODY_FAMILY)} request body.", icon=":material/check_circle:")
        return
    if err is None:
        return
    st.error(str(err), icon=":material/error:")
    line, column = getattr(err, "line", None), getattr(err, "column", None)
    text = state.get(state.BODY_TEXT) or ""
    if line:
        lines = text.splitlines() or [""]
        shown = lines[min(line, len(lines)) - 1]
        st.code(f"{line:>4} | {shown}\n     | {' ' * max((column or 1) - 1, 0)}^", language=None)
    for problem in getattr(err, "problems", None) or []:
        st.markdown(f"- {problem}")


def request_for(api: str) -> dict:
    """The validated body for ``api``: the family's own for invoke, Converse's for converse.

    Raises TemplateError (the editor shows where) when the body is not valid.
    """
    from workshop.prompts import parse_body, to_converse

    family = state.get(state.BODY_FAMILY)
    body = parse_body(state.get(state.BODY_TEXT) or "", family, "invoke")
    return to_converse(body, family) if api.startswith("converse") else body


_CALLS = {
    "invoke": ("invoke_model", "invoke-model"),
    "invoke-stream": ("invoke_model_with_response_stream", "invoke-model-with-response-stream"),
    "converse": ("converse", "converse"),
    "converse-stream": ("converse_stream", "converse-stream"),
}


def _session_lines(path: Any, sandbox: bool) -> list[str]:
    """How the snippet gets credentials for the path's mode; no secret is ever written out."""
    creds = path.credentials
    lines: list[str] = []
    if sandbox:
        lines.append("# Sandbox: export AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY = AWS's documented example")
        lines.append("# pair (docs/console.md); the sandbox accepts only those keys.")
    if creds.kind == "profile":
        lines.append(f'session = boto3.Session(profile_name="{creds.profile or "<profile>"}")')
    elif creds.kind == "access-keys":
        lines.append("# Long-lived keys come from the environment, never from code (discouraged mode).")
        lines.append("session = boto3.Session()  # AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY")
    else:
        lines.append("session = boto3.Session()  # default chain: instance role, env, ~/.aws")
    if creds.kind in ("assume-role", "access-keys"):
        sts_args = f'"sts", region_name="{path.region}"'
        if creds.sts_endpoint:
            sts_args += f', endpoint_url="{creds.sts_endpoint}"'
        ext = ', ExternalId=os.environ["WORKSHOP_EXTERNAL_ID"]' if creds.external_id else ""
        lines += [
            f"sts = session.client({sts_args})",
            "creds = sts.assume_role(",
            f'    RoleArn="{creds.role_arn or "<role ARN>"}", RoleSessionName="{creds.session_name}"{ext},',
            ')["Credentials"]',
            "session = boto3.Session(",
            '    aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],',
            '    aws_session_token=creds["SessionToken"],',
            ")",
        ]
    return lines


def boto3_snippet(path: Any, model_id: str, body: dict, api: str, *, sandbox: bool) -> str:
    """The equivalent boto3 program for ``path`` (endpoint, region, model, body; no secrets)."""
    import json

    method = _CALLS[api][0]
    endpoint = path.endpoint_url
    client_args = f'"bedrock-runtime", region_name="{path.region}"'
    if endpoint:
        client_args += f', endpoint_url="{endpoint}"'
    lines = ["import json", *(["import os"] if path.credentials.external_id else []), "", "import boto3", ""]
    lines += _session_lines(path, sandbox)
    lines += [f"client = session.client({client_args})", ""]
    lines.append("body = " + json.dumps(body, indent=4, ensure_ascii=False))
    if api == "invoke":
        lines += [f'response = client.{method}(modelId="{model_id}", body=json.dumps(body))',
                  'print(json.loads(response["body"].read()))']
    elif api == "invoke-stream":
        lines += [f'response = client.{method}(modelId="{model_id}", body=json.dumps(body))',
                  'for event in response["body"]:',
                  '    print(json.loads(event["chunk"]["bytes"]))']
    elif api == "converse":
        lines += [f'response = client.{method}(modelId="{model_id}", **body)',
                  'print(response["output"]["message"]["content"][0]["text"])']
    else:
        lines += [f'response = client.{method}(modelId="{model_id}", **body)',
                  'for event in response["stream"]:',
                  '    if "contentBlockDelta" in event:',
                  '        print(event["contentBlockDelta"]["delta"].get("text", ""), end="", flush=True)']
    return "\n".join(lines) + "\n"


def cli_command(path: Any, model_id: str, body: dict, api: str, *, sandbox: bool) -> str:
    """The equivalent AWS CLI commands (a body file, then the call); no secrets."""
    import json

    creds = path.credentials
    lines: list[str] = []
    if sandbox:
        lines.append("# Sandbox: export AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY = AWS's documented example pair")
    if api.endswith("-stream"):
        lines.append("# The AWS CLI does not print event streams: this is the non-streaming equivalent.")
    common = f"--region {path.region}"
    if creds.kind == "profile":
        common += f" --profile {creds.profile or '<profile>'}"
    if creds.kind in ("assume-role", "access-keys"):
        sts = f" --endpoint-url {creds.sts_endpoint}" if creds.sts_endpoint else ""
        ext = ' --external-id "$WORKSHOP_EXTERNAL_ID"' if creds.external_id else ""
        lines += [
            "# Temporary credentials for the role (read into the environment, never written to a file):",
            f"read AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN < <(aws sts assume-role{sts} "
            f"--region {path.region} \\",
            f"    --role-arn {creds.role_arn or '<role ARN>'} --role-session-name {creds.session_name}{ext} \\",
            "    --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)",
            "export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN",
        ]
    endpoint = f" \\\n    --endpoint-url {path.endpoint_url}" if path.endpoint_url else ""
    if api.startswith("converse"):
        request = {"modelId": model_id, **body}
        lines += ["cat > request.json <<'EOF'", json.dumps(request, indent=2, ensure_ascii=False), "EOF",
                  f"aws bedrock-runtime converse {common}{endpoint} \\\n    --cli-input-json file://request.json"]
    else:
        lines += ["cat > body.json <<'EOF'", json.dumps(body, indent=2, ensure_ascii=False), "EOF",
                  f"aws bedrock-runtime invoke-model {common}{endpoint} \\\n    --model-id {model_id} "
                  "--body fileb://body.json response.json",
                  "cat response.json"]
    return "\n".join(lines) + "\n"


def code_path(ctx: Any, name: str) -> Any:
    """The path as the code should show it: the sandbox's bound listener, else the config's."""
    return (ctx.workbench().config if ctx.is_sandbox else ctx.config).path(name)


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

"""Step 6 — Diagnostics: prove each path, then generate the IAM policies the setup needs.

Diagnostics run in a worker thread (``runner.Job``): on AWS a DNS lookup or a TLS handshake
to an unreachable endpoint can take seconds per path, and a click must never abort them.
The policy generator is instant and runs in the script: fields are prefilled from the
active config and every document comes from ``workshop.policies`` (which validates the
inputs and names the field when one is wrong).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from workshop import PATH_LABELS
from workshop.errors import WorkshopError
from workshop.ui import alerts, state
from workshop.ui.runner import Job, follow
from workshop.ui.widgets import bind, show_sandbox_label

if TYPE_CHECKING:
    from workshop.ui.frame import Context

DIAG_PATHS = state.register("diag.paths", lambda: None)
DIAG_JOB = state.register("diag.job", lambda: None)
"""The running or last diagnostics ``runner.Job`` (result: path name -> diagnosis)."""
POLICY_KIND = state.register("policy.kind", lambda: "invoke")
POLICY_FIELDS = state.register("policy.fields", lambda: None)
"""Policy form values; None until prefilled from the config (then kept as typed)."""

POLICY_KINDS: dict[str, str] = {
    "invoke": "Identity policy: invoke exactly these models",
    "vpce": "VPC endpoint policy: only these principals",
    "deny-outside-vpce": "Deny Bedrock unless through the VPC endpoint (identity policy / SCP)",
    "trust": "Cross-account role trust policy (in account B)",
    "logging": "Model invocation logging: role trust, role permissions, bucket policy",
}

DEFAULT_LOG_GROUP = "/aws/bedrock/modelinvocations"


# ==================================================================================== page


def diagnostics_page(ctx: Context) -> None:
    """The Diagnostics page body (the page file has already called the frame)."""
    st.markdown(
        "Prove that each path goes where it claims: **DNS** (a VPC endpoint resolves to private "
        "addresses), **TCP/TLS** timings, the **caller identity** each path's credentials give "
        "(the cross-account path runs as account B), and **model access**."
    )
    paths = ctx.path_names()
    if paths:
        _diagnostics_section(ctx, paths)
    st.divider()
    _policy_section(ctx)


# ==================================================================================== diagnostics


def checks_table(diagnosis: Any) -> pd.DataFrame:
    """One row per check: status, what was found, how long it took (for a compact overview)."""
    # Plain words, not emoji: Debian's Chromium may have no emoji font and would draw boxes.
    icons = {"pass": "pass", "fail": "FAIL", "skip": "skipped"}
    return pd.DataFrame(
        [{"check": c.name, "status": icons[c.status], "result": c.summary, "time (ms)": _time(c)}
         for c in diagnosis.checks],
        columns=["check", "status", "result", "time (ms)"],
    )


def _time(check: Any) -> str:
    """A check's time, or why there is none (the sandbox speaks plain HTTP: no TLS handshake to time)."""
    if check.elapsed_ms is not None:
        return f"{check.elapsed_ms:,.1f}"
    if check.status == "skip" and "plain http" in check.summary.lower():
        return "no TLS (plain HTTP on loopback)"
    return "not timed"


def addresses_table(diagnosis: Any) -> pd.DataFrame:
    """The resolved addresses with their classification (the PrivateLink proof)."""
    return pd.DataFrame(
        [{"address": a.address, "IPv": a.version, "kind": a.kind, "range": a.range or "public internet"}
         for a in diagnosis.addresses],
        columns=["address", "IPv", "kind", "range"],
    )


class DiagnosisResults(dict):
    """Path name -> diagnosis (or the WorkshopError that stopped it), in run order, plus
    ``shared``: the groups of those paths that reach one endpoint (``diagnostics.shared_endpoints``)."""

    shared: tuple[Any, ...] = ()


def run_diagnostics(workbench: Any, paths: Sequence[str], model_id: str | None
                    ) -> Callable[[Job[dict[str, Any]]], dict[str, Any]]:
    """The worker's target: diagnose each path in turn, reporting progress, honouring cancel;
    then group the paths that resolve to one endpoint."""
    from workshop.diagnostics import diagnose_path, shared_endpoints

    def target(job: Job[dict[str, Any]]) -> dict[str, Any]:
        out = DiagnosisResults()
        for i, name in enumerate(paths):
            if job.cancelled:
                break
            job.set_progress(i, len(paths), f"diagnosing {name}…")
            try:
                out[name] = diagnose_path(workbench, name, model_id=model_id)
            except WorkshopError as err:  # one path's config error must not hide the others
                out[name] = err
            job.set_progress(i + 1, len(paths), "")
        usable = [name for name, found in out.items() if not isinstance(found, WorkshopError)]
        if len(usable) > 1 and not job.cancelled:
            out.shared = tuple(shared_endpoints(workbench, usable))
        return out

    return target


def _start(ctx: Context) -> None:
    """on_click of "Run diagnostics": the probes run in a worker thread."""
    job = state.get(DIAG_JOB)
    if job is not None and job.running:
        return
    paths = list(state.get(DIAG_PATHS) or ())
    if not paths:
        st.session_state["diag.problem"] = "Paths: choose at least one path to diagnose."
        return
    st.session_state["diag.problem"] = None
    try:
        workbench = ctx.workbench()
    except WorkshopError as err:
        st.session_state["diag.problem"] = str(err)
        return
    state.put(DIAG_JOB, Job(run_diagnostics(workbench, paths, state.get(state.MODEL_ID)), name="diagnostics").start())


def _diagnostics_section(ctx: Context, paths: list[str]) -> None:
    st.subheader("Prove the path")
    if state.get(DIAG_PATHS) is None:
        state.put(DIAG_PATHS, list(paths))
    state.put(DIAG_PATHS, [p for p in state.get(DIAG_PATHS) if p in paths])
    job = state.get(DIAG_JOB)
    running = job is not None and job.running
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    left.multiselect("Paths", paths, disabled=running, **bind(DIAG_PATHS),
                     help="; ".join(f"{p}: {PATH_LABELS.get(p, p)}" for p in paths))
    right.button("Run diagnostics", type="primary", icon=":material/troubleshoot:", key="diag-run", disabled=running,
                 on_click=_start, args=(ctx,))
    problem = st.session_state.get("diag.problem")
    if problem:
        alerts.error(problem, icon=":material/warning:")
    if job is not None:
        follow(DIAG_JOB, lambda j: _draw(ctx, j), interval=0.3)


def _draw(ctx: Context, job: Job[dict[str, Any]] | None) -> None:
    if job is None:
        return
    snap = job.snapshot()
    if snap.running:
        total = snap.total or 1
        st.progress(snap.done / total, text=snap.note or "starting…")
        return
    if snap.error:
        alerts.error(snap.error, icon=":material/warning:")
        return
    results = snap.result or {}
    if not results:
        st.info("Diagnostics were cancelled before any path finished.", icon=":material/info:")
        return
    for group in getattr(results, "shared", ()):
        alerts.warning(f"**Same endpoint: {' = '.join(group.paths)}.** {group.reason}.", icon=":material/content_copy:")
    tabs = st.tabs([f"{_badge(results[name])} {name}" for name in results])
    for tab, (name, diagnosis) in zip(tabs, results.items(), strict=True):
        with tab:
            _draw_path(ctx, name, diagnosis)


def _badge(diagnosis: Any) -> str:
    if isinstance(diagnosis, WorkshopError):
        return "FAIL ·"
    return "pass ·" if diagnosis.ok else "FAIL ·"


def _draw_path(ctx: Context, name: str, diagnosis: Any) -> None:
    if isinstance(diagnosis, WorkshopError):
        st.markdown(f"**{PATH_LABELS.get(name, name)}**")
        alerts.error(str(diagnosis), icon=":material/warning:")
        return
    st.markdown(f"**{PATH_LABELS.get(name, name)}** — endpoint `{diagnosis.endpoint}`"
                + (f" · model `{diagnosis.model_id}`" if diagnosis.model_id else ""))
    if diagnosis.identity is not None:
        a, b = st.columns([1, 3])
        a.metric("Account", diagnosis.identity.account)
        # An ARN is too long for a metric tile (it would be cut): plain code text wraps.
        b.markdown(f"**Caller ARN**  \n`{diagnosis.identity.arn}`")
    st.dataframe(checks_table(diagnosis), hide_index=True)
    for check in diagnosis.checks:
        is_dns = check.name.startswith("DNS") and bool(diagnosis.addresses)
        if not (check.detail or check.fix or is_dns):
            continue  # the table already says all there is
        icon = {"pass": ":material/check_circle:", "fail": ":material/cancel:", "skip": ":material/skip_next:"}
        with st.expander(f"{check.name}: details" + (" and fix" if check.failed and check.fix else ""),
                         expanded=check.failed, icon=icon[check.status]):
            if check.failed:
                st.markdown(f"**{check.summary}**")  # the table cuts long summaries
            if check.detail:
                st.markdown(check.detail)
            if check.failed and check.fix:
                st.markdown(f"**Fix:** {check.fix}")
            if is_dns:
                st.dataframe(addresses_table(diagnosis), hide_index=True)
    show_sandbox_label(ctx.is_sandbox or diagnosis.sandbox, "Timings, addresses and identities")


# ==================================================================================== policies


def policy_defaults(ctx: Context) -> dict[str, str]:
    """Form values prefilled from the active config and what the participant chose."""
    config = ctx.config
    models: list[str] = []
    for candidate in (state.get(state.MODEL_ID), *getattr(config, "models", {}).values()):
        if candidate and candidate not in models:
            models.append(candidate)
    region = getattr(config, "region", "us-east-1")
    role_arn, external_id, vpce_id, principals = "", "", "", []
    for path in getattr(config, "paths", {}).values():
        creds = path.credentials
        if path.kind == "cross-account" and creds.role_arn:
            role_arn = role_arn or creds.role_arn
            external_id = external_id or (creds.external_id or "")
        elif creds.role_arn and creds.role_arn not in principals:
            principals.append(creds.role_arn)
        if path.kind == "vpce" and path.endpoint_url and not vpce_id:
            try:
                from workshop.policies import vpce_id_from_url

                vpce_id = vpce_id_from_url(path.endpoint_url)
            except WorkshopError:
                pass  # private DNS or the sandbox: the id has to be typed
    identities = state.get(state.IDENTITY) or {}
    account_a = next((acct for name, (acct, _arn) in identities.items() if name != "cross-account"), "")
    for name, (_acct, arn) in identities.items():
        if name != "cross-account" and arn and arn not in principals:
            principals.append(arn)
    if ctx.is_sandbox:
        from workshop.sandbox import principals as sandbox_principals

        account_a = account_a or sandbox_principals.ACCOUNT_A
        if not principals:
            principals.append(sandbox_principals.WORKSHOP_ROLE_ARN)
    return {
        "region": region,
        "models": "\n".join(models[:3]),
        "principals": "\n".join(principals),
        "vpce_ids": vpce_id,
        "trusted": account_a,
        "role_arn": role_arn,
        "external_id": external_id,
        "account_id": account_a,
        "log_group": DEFAULT_LOG_GROUP,
        "bucket": "",
        "prefix": "bedrock-logs",
    }


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").replace(",", "\n").splitlines() if line.strip()]


def build_policy(kind: str, fields: Mapping[str, str]) -> dict[str, Any]:
    """The policy document(s) of ``kind`` from the form fields (InputError names the field)."""
    from workshop import policies

    if kind == "invoke":
        return policies.invoke_policy(policies.validate_region(fields["region"]), _lines(fields["models"]))
    if kind == "vpce":
        return policies.vpce_policy(_lines(fields["principals"]), _lines(fields["models"]) or None,
                                    region=fields["region"] or None)
    if kind == "deny-outside-vpce":
        return policies.deny_outside_vpce(_lines(fields["vpce_ids"]))
    if kind == "trust":
        return policies.trust_policy(fields["trusted"], fields["external_id"] or None)
    if kind == "logging":
        return policies.logging_policies(fields["account_id"], fields["region"], fields["log_group"],
                                         fields["bucket"], fields["prefix"] or None)
    raise ValueError(f"unknown policy kind {kind!r}")  # a bug: the selectbox offers only known kinds


# Which form fields each kind uses: (field, label, help, widget)
_FIELDS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "invoke": (("region", "Region", "Where the models are invoked.", "text"),
               ("models", "Model ids (one per line)", "Foundation-model ids, profile ids or ARNs.", "area")),
    "vpce": (("principals", "Principal ARNs (one per line)", "Roles/users allowed through the endpoint.", "area"),
             ("models", "Model ids (optional, one per line)", "Narrow the endpoint to these models.", "area"),
             ("region", "Region", "Region of the endpoint (model ARNs).", "text")),
    "deny-outside-vpce": (("vpce_ids", "VPC endpoint ids (one per line)", "e.g. vpce-0123456789abcdef0", "area"),),
    "trust": (("trusted", "Trusted account (A) id or principal ARN", "Who may assume account B's role.", "text"),
              ("external_id", "ExternalId (optional)", "Must match what account A passes.", "secret"),
              ("role_arn", "Role in account B (for reference)", "The role this trust policy goes on.", "text")),
    "logging": (("account_id", "Account id", "The account whose Bedrock writes the logs.", "text"),
                ("region", "Region", "", "text"),
                ("log_group", "CloudWatch log group", "", "text"),
                ("bucket", "S3 bucket", "3-63 lower-case letters, digits, dots, hyphens.", "text"),
                ("prefix", "S3 key prefix (optional)", "", "text")),
}


def _keep_field(name: str) -> None:
    fields = dict(state.get(POLICY_FIELDS))
    fields[name] = st.session_state[f"w:policy.{name}"]
    state.put(POLICY_FIELDS, fields)


def _policy_section(ctx: Context) -> None:
    st.subheader("Generate the policies your setup needs")
    if state.get(POLICY_FIELDS) is None:
        state.put(POLICY_FIELDS, policy_defaults(ctx))
    fields: dict[str, str] = state.get(POLICY_FIELDS)
    st.selectbox("Policy", list(POLICY_KINDS), format_func=lambda k: f"{k} — {POLICY_KINDS[k]}", **bind(POLICY_KIND))
    kind = state.get(POLICY_KIND)
    cols = st.columns(2)
    for i, (name, label, help_text, widget) in enumerate(_FIELDS[kind]):
        key = f"w:policy.{name}"
        # Re-seed the widget from the kept value so switching kinds or pages loses nothing.
        st.session_state[key] = fields.get(name, "")
        with cols[i % 2]:
            if widget == "area":
                st.text_area(label, key=key, help=help_text or None, height=90, on_change=_keep_field, args=(name,))
            else:
                st.text_input(label, key=key, help=help_text or None, type="password" if widget == "secret" else "default",
                              on_change=_keep_field, args=(name,))
    st.button("Reset fields from the config", key="policy-reset", icon=":material/undo:",
              on_click=lambda: state.put(POLICY_FIELDS, policy_defaults(ctx)))
    try:
        document = build_policy(kind, fields)
    except WorkshopError as err:
        alerts.error(str(err), icon=":material/warning:")
        return
    text = json.dumps(document, indent=2)
    st.code(text, language="json")
    st.download_button("Download JSON", data=text, file_name=f"{kind}-policy.json", mime="application/json",
                       key="policy-download", on_click="ignore", icon=":material/download:")
    if kind == "trust" and fields.get("external_id"):
        st.caption("The ExternalId is not a secret to AWS, but it is masked in the form above; it must appear "
                   "in the trust policy for the condition to work.")

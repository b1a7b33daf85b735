"""Step 2 — Setup: where the config comes from, each path's settings, test, apply, save.

The form is a draft: typing changes nothing until "Apply changes". "Test" checks the
draft of one path (its fields, then its endpoint and, when the fields are complete, who
its credentials are) on a throwaway client, so a half-finished edit never becomes the
config in use; "Discard changes" puts the config in use back into the form. Every problem
is said once, under the path it concerns, in the form's own labels ("Access key ID", not
``AccessKey``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import streamlit as st

from workshop import CREDENTIAL_MODES, PATH_LABELS
from workshop.errors import WorkshopError
from workshop.ui import alerts, state
from workshop.ui.widgets import bind, fmt_ms, show_sandbox_label, widget_key

SECRET_FIELDS: tuple[str, ...] = ("access_key", "secret_key", "external_id")
"""Write-only fields: the widget starts empty (a masked hint shows what is stored) so the
clear value is never sent back to the browser; an empty field keeps the stored value."""

GATEWAY_FIELDS: tuple[str, ...] = ("auth", "api_key", "api_id", "upstream_url", "usage_plan_id", "api_key_id")
"""The gateway paths' fields (issue 12); ``api_key`` is write-only like the credential secrets."""

PATH_FIELDS: tuple[str, ...] = (
    "kind", "endpoint_url", "mode", "role_arn", "external_id", "session_name", "profile",
    "access_key", "secret_key", "sts_endpoint", *GATEWAY_FIELDS,
)
WRITE_ONLY: tuple[str, ...] = (*SECRET_FIELDS, "api_key")

PATH_KINDS: tuple[str, ...] = ("nat", "vpce", "cross-account", "proxy", "api-gateway", "llm-gateway")
KIND_LABELS: dict[str, str] = {
    "nat": "nat: public endpoint via NAT",
    "vpce": "vpce: VPC endpoint (PrivateLink)",
    "cross-account": "cross-account: another account's Bedrock",
    "proxy": "proxy: through a proxy or gateway",
    "api-gateway": "api-gateway: private API + Lambda proxy",
    "llm-gateway": "llm-gateway: forwarding LLM gateway",
}
AUTH_LABELS: dict[str, str] = {"api-key": "api-key: x-api-key header", "iam": "iam: SigV4 for execute-api",
                               "none": "none"}
MODE_LABELS: dict[str, str] = {
    "instance": "instance: default chain",
    "assume-role": "assume-role: STS AssumeRole",
    "access-keys": "access-keys: static keys",
    "profile": "profile: named profile / SSO",
}
"""Short enough for the picker at 1280 px; the full meaning is the caption under it."""

FIELD_LABELS: dict[str, str] = {
    "Kind": "Path kind", "Region": "Region", "EndpointURL": "Endpoint URL", "VPCEndpointURL": "Endpoint URL",
    "CredentialMode": "Credential mode", "GetCredentialsFrom": "Credential mode", "RoleARN": "Role ARN",
    "AssumeRoleARN": "Role ARN", "ExternalId": "External ID", "SessionName": "Session name", "Profile": "Profile",
    "AccessKey": "Access key ID", "SecretKey": "Secret access key", "STSEndpointURL": "STS endpoint override",
    "Auth": "Gateway auth", "ApiKey": "API key", "ApiId": "API id", "UpstreamURL": "Upstream URL",
    "UsagePlanId": "Usage plan id", "ApiKeyId": "API key id", "ApiGatewayControlURL": "API Gateway control URL",
}
"""Config-file key -> the label of the form field that sets it."""

_CHOOSE = {"Kind": "path kind", "CredentialMode": "credential mode", "GetCredentialsFrom": "credential mode"}


# --------------------------------------------------------------------------- form <-> config


def _form(path: str | None, name: str) -> Any:
    return st.session_state.get(state.form_key(path, name))


def _invalid_choice(config: Any, name: str, key: str) -> bool:
    """The file gave ``key`` of path ``name`` a value that is not one of the choices."""
    return any(p.key == key and p.message.endswith("is not valid") for p in config.problems_for(name))


def seed_values(config: Any) -> dict[str, Any]:
    """The form's values for ``config``: what "Discard changes" and a fresh load show.

    A kind or credential mode the file spelled wrongly is seeded empty (the picker asks
    for one) instead of the default the loader fell back to.
    """
    values: dict[str, Any] = {state.form_key(None, "region"): config.region}
    for name, path in config.paths.items():
        creds = path.credentials
        fields = {
            "kind": None if _invalid_choice(config, name, "Kind") else path.kind,
            "endpoint_url": path.endpoint_url or "",
            "mode": None if (_invalid_choice(config, name, "CredentialMode")
                             or _invalid_choice(config, name, "GetCredentialsFrom")) else creds.kind,
            "role_arn": creds.role_arn or "",
            "session_name": creds.session_name or "",
            "profile": creds.profile or "",
            "sts_endpoint": creds.sts_endpoint or "",
            "auth": path.gateway.auth,
            "api_id": path.gateway.api_id or "",
            "upstream_url": path.gateway.upstream_url or "",
            "usage_plan_id": path.gateway.usage_plan_id or "",
            "api_key_id": path.gateway.api_key_id or "",
        }
        for field_name in PATH_FIELDS:
            values[state.form_key(name, field_name)] = "" if field_name in WRITE_ONLY else fields[field_name]
    return values


def seed_form(config: Any) -> None:
    """Copy ``config`` into the Setup form's state (overwriting what was there)."""
    for key, value in seed_values(config).items():
        st.session_state[key] = value


def form_dirty(config: Any) -> bool:
    """True when the form holds edits that are not in ``config`` yet."""
    seeded = seed_values(config)
    for key, value in seeded.items():
        now = st.session_state.get(key)
        if isinstance(now, str):
            now = now.strip()
        if now != value:
            return True
    return False


def config_from_form(config: Any) -> Any:
    """A new config: ``config`` with the Setup form's values, checked like a loaded file.

    The result goes through the same parser as a file on disk, so a bad field gives the
    same problem (shown here in the form's labels). A kind or credential mode left unchosen
    is a problem of its own rather than a silent default.
    """
    from workshop.config import ConfigProblem, dump_config, parse_config

    def form(path: str | None, name: str) -> str:
        return str(_form(path, name) or "").strip()

    region = form(None, "region") or config.region
    paths = {}
    unchosen: list[ConfigProblem] = []
    for name, path in config.paths.items():
        creds = path.credentials
        secrets = {f: form(name, f) or getattr(creds, f) for f in SECRET_FIELDS}
        for field_name, key in (("kind", "Kind"), ("mode", "CredentialMode")):
            if not form(name, field_name):
                unchosen.append(ConfigProblem("Setup form", f"path {name}", key, f"no {_CHOOSE[key]} chosen",
                                              f"choose one in the {FIELD_LABELS[key]} picker", name))
        new_creds = replace(
            creds,
            kind=form(name, "mode") or creds.kind,
            role_arn=form(name, "role_arn") or None,
            session_name=form(name, "session_name") or creds.session_name,
            profile=form(name, "profile") or None,
            sts_endpoint=form(name, "sts_endpoint") or None,
            **secrets,
        )
        gateway = replace(
            path.gateway,
            auth=form(name, "auth") or path.gateway.auth,
            api_key=form(name, "api_key") or path.gateway.api_key,
            api_id=form(name, "api_id") or None,
            upstream_url=form(name, "upstream_url") or None,
            usage_plan_id=form(name, "usage_plan_id") or None,
            api_key_id=form(name, "api_key_id") or None,
        )
        paths[name] = replace(
            path,
            kind=form(name, "kind") or path.kind,
            region=region if path.region == config.region else path.region,
            endpoint_url=form(name, "endpoint_url") or None,
            credentials=new_creds,
            gateway=gateway,
        )
    edited = replace(config, paths=paths, region=region)
    if config.sandbox:
        # The sandbox binds endpoints itself when it starts; keep them unbound here.
        edited = replace(edited, paths={n: replace(p, endpoint_url=None, control_endpoint_url=None)
                                        for n, p in edited.paths.items()})
    text = dump_config(edited, encrypt=False)  # in memory only: parsed straight back
    checked = parse_config(text, source="Setup form")
    return replace(checked, source=config.source if config.source else "Setup form",
                   problems=checked.problems + tuple(unchosen))


def field_message(problem: Any) -> str:
    """One problem in the form's own terms: the field's label, what is wrong, the fix."""
    label = FIELD_LABELS.get(problem.key, problem.key or f"[{problem.section}]")
    if problem.key in _CHOOSE and problem.message.endswith("is not valid"):
        given = problem.message.removesuffix(" is not valid")
        return f"{label}: the file says {given}, which is not a {_CHOOSE[problem.key]} — choose one above"
    return f"{label}: {problem.message}" + (f" — {problem.fix}" if problem.fix else "")


def _errors(config: Any, name: str | None = None) -> set[str]:
    return {str(p) for p in config.problems if p.severity == "error" and (name is None or p.path == name)}


# --------------------------------------------------------------------------- actions (callbacks)


def _key_file() -> str | None:
    return str(state.get(state.KEY_FILE) or "").strip() or None


def _set_field_problems(config: Any, names: Any) -> None:
    found = dict(state.get(state.FIELD_PROBLEMS))
    for name in names:
        found[name] = [(p.severity, field_message(p)) for p in config.problems_for(name)]
    state.put(state.FIELD_PROBLEMS, found)


def adopt_config(config: Any, label: str) -> None:
    """Make ``config`` the session's config and reset what depended on the old one."""
    state.put(state.CONFIG, config)
    state.put(state.CONFIG_LABEL, label)
    state.put(state.CONFIG_PROBLEMS, [str(p) for p in config.problems if p.path is None])
    state.put(state.PATH_TESTS, {})
    state.put(state.FIELD_PROBLEMS, {})
    state.put(state.IDENTITY, {})
    state.put(state.SETUP_DONE, True)
    if state.get(state.PATH) not in config.paths:
        state.put(state.PATH, config.default_path if config.default_path in config.paths else next(iter(config.paths)))
    broken = [n for n in config.paths if _errors(config, n)]
    if broken:  # show the first path that needs fixing, with its fields marked
        state.put(state.SETUP_PATH, broken[0])
    elif state.get(state.SETUP_PATH) not in config.paths:
        state.put(state.SETUP_PATH, state.get(state.PATH))
    if config.default_model and not state.get(state.MODEL_CHOSEN):
        state.put(state.MODEL_ID, config.default_model)
    state.reset_results()
    seed_form(config)


def _announce_load(config: Any, label: str) -> None:
    """Loaded: green only when every path is usable; otherwise say which are not, and where."""
    mode = "sandbox" if config.sandbox else f"AWS, region {config.region}"
    text = f"Loaded {label}: {mode}, paths {', '.join(config.paths)}, {len(config.models)} models."
    broken = [n for n in config.paths if _errors(config, n)]
    if broken:
        state.flash("warning", f"{text} Not usable yet: {', '.join(broken)} — the fields to fix are marked "
                    "under each path below.")
    elif config.problems:
        state.flash("success", f"{text} {len(config.problems)} note(s) shown with the fields they concern.")
    else:
        state.flash("success", text)


def load_from_disk() -> None:
    """Load the config file named in Setup (new or original format, encrypted or plain)."""
    from pathlib import Path

    from workshop.config import load_config

    typed = str(state.get(state.CONFIG_FILE) or "").strip()
    if not typed:
        state.flash("error", "Config file on this machine: enter the path of a config file — or upload one")
        return
    path = Path(typed).expanduser()
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        state.flash("error", f"Config file on this machine: {typed} {what} — check the path, or upload the file")
        return
    try:
        config = load_config(path, key_file=_key_file())
    except WorkshopError as err:
        state.flash("error", f"Config file on this machine: {err.message}" + (f" — {err.fix}" if err.fix else ""))
        return
    adopt_config(config, path.name)
    _announce_load(config, path.name)


def load_upload() -> None:
    """Load the uploaded config (same parser as a file on disk)."""
    from workshop.config import parse_config

    uploaded = st.session_state.get(widget_key("config_upload"))
    if uploaded is None:
        return
    try:
        text = uploaded.getvalue().decode("utf-8-sig")
    except UnicodeDecodeError:
        state.flash("error", f"{uploaded.name}: not a text file — upload the .properties / .ini config itself")
        return
    try:
        config = parse_config(text, source=uploaded.name, key_file=_key_file())
    except WorkshopError as err:
        state.flash("error", str(err))
        return
    adopt_config(config, uploaded.name)
    _announce_load(config, uploaded.name)


def use_sandbox() -> None:
    """Back to the built-in sandbox (nothing configured)."""
    from workshop.config import default_config

    adopt_config(default_config(), "built-in sandbox")
    state.put(state.CONFIG, None)  # None is "the built-in sandbox": shares the cached workbench
    state.flash("success", "Using the built-in sandbox.")


def discard_form(ctx: Any) -> None:
    """Put the config in use back into the form (the edits are dropped, nothing else changes)."""
    seed_form(ctx.config)
    state.put(state.FIELD_PROBLEMS, {})
    state.put(state.PATH_TESTS, {})
    state.flash("info", "Discarded your edits: the form shows the config in use again.")


def apply_form(ctx: Any, *, quiet: bool = False) -> bool:
    """Make the form the session's config; refused (False) while a field it changed is wrong."""
    current = ctx.config
    if not form_dirty(current):
        state.put(state.SETUP_DONE, True)
        if not quiet:
            state.flash("success", "Nothing to apply: the form shows the config in use.")
        return True
    try:
        edited = config_from_form(current)
    except WorkshopError as err:
        state.flash("error", str(err))
        return False
    # Problems the config in use already had (a seed file's placeholders) do not block an
    # edit elsewhere; a problem the edit brings in does.
    new = [n for n in edited.paths if _errors(edited, n) - _errors(current, n)]
    if new:
        _set_field_problems(edited, new)
        state.put(state.SETUP_PATH, new[0])
        state.flash("error", f"Not applied: fix the marked fields of {', '.join(new)} first — or Discard changes. "
                    "The config in use is unchanged.")
        return False
    # Write-only fields are emptied once applied: the clear value must not stay in the
    # widget (and travel back to the browser) on every rerun.
    for name in edited.paths:
        for field_name in WRITE_ONLY:
            st.session_state[state.form_key(name, field_name)] = ""
    label = state.get(state.CONFIG_LABEL)
    adopt_config(edited, label if label.endswith("(edited)") else f"{label} (edited)")
    if not quiet:
        state.flash("success", "Applied: the other steps now use these settings.")
    return True


@contextlib.contextmanager
def _draft_workbench(ctx: Any, draft: Any) -> Iterator[Any]:
    """A workbench for the form's draft that is never the session's: closed after the test.

    Unchanged form: the session's own workbench (its clients stay cached). In the sandbox
    the draft is bound to the already running sandbox instead of starting another one.
    """
    from workshop.config import bind_sandbox
    from workshop.workbench import Workbench

    if not form_dirty(ctx.config):
        yield ctx.workbench()
        return
    if draft.sandbox:
        server = ctx.workbench().sandbox
        workbench = Workbench(bind_sandbox(draft, server), sandbox=server, owns_sandbox=False)
    else:
        workbench = Workbench(draft)
    try:
        yield workbench
    finally:
        workbench.close()


def test_path_action(ctx: Any, name: str) -> None:
    """Check path ``name`` as the form has it, without applying anything."""
    from workshop.diagnostics import check_path

    state.put(state.SETUP_PATH, name)
    try:
        draft = config_from_form(ctx.config)
    except WorkshopError as err:
        state.flash("error", str(err))
        return
    _set_field_problems(draft, [name])
    complete = not _errors(draft, name)
    try:
        with _draft_workbench(ctx, draft) as workbench:
            result = check_path(workbench, name, identity=complete)
    except WorkshopError as err:  # the sandbox or a client could not be set up at all
        state.flash("error", str(err))
        return
    tests = dict(state.get(state.PATH_TESTS))
    tests[name] = result
    state.put(state.PATH_TESTS, tests)
    if result.ok and not form_dirty(ctx.config):
        identity = dict(state.get(state.IDENTITY))
        identity[name] = (result.account, result.arn)
        state.put(state.IDENTITY, identity)
        state.put(state.SETUP_DONE, True)


def save_action(ctx: Any) -> None:
    """Apply the form (if edited) and save the config with every secret encrypted."""
    from pathlib import Path

    from workshop.config import save_config
    from workshop.secrets import load_keyring

    target = str(state.get(state.SAVE_FILE) or "").strip()
    if not target:
        state.flash("error", "Save to: enter a file path for the encrypted config")
        return
    if not apply_form(ctx, quiet=True):
        return
    try:
        written = save_config(ctx.config, Path(target).expanduser(), encrypt=True, key_file=_key_file())
        source = load_keyring(_key_file()).source
    except WorkshopError as err:
        state.flash("error", f"Save to: {err.message}" + (f" — {err.fix}" if err.fix else ""))
        return
    except OSError as err:
        state.flash("error", f"Save to: cannot write {target} ({err.strerror}) — choose a writable folder")
        return
    state.flash("success", f"Saved {written} with its secrets encrypted (key: {source}).")


# --------------------------------------------------------------------------- drawing


def stored_hint(config: Any, path: str, field_name: str) -> str:
    """What is stored for a write-only field, masked (``AKIA…MPLE``), for its placeholder."""
    from workshop.secrets import mask

    try:
        found = config.paths[path]
        value = found.gateway.api_key if field_name == "api_key" else getattr(found.credentials, field_name)
    except (KeyError, AttributeError):
        value = None
    return f"stored: {mask(value)} — type to replace" if value else "not set"


def bound_endpoint(ctx: Any, name: str) -> str:
    """The URL a path's runtime client calls (the sandbox listener in sandbox mode)."""
    try:
        if ctx.is_sandbox:
            return ctx.workbench().config.paths[name].runtime_endpoint
        return ctx.config.paths[name].runtime_endpoint
    except (WorkshopError, KeyError):
        return "https://bedrock-runtime.<region>.amazonaws.com"


def _choice(label: str, options: tuple[str, ...], key: str, labels: dict[str, str], placeholder: str,
            help: str | None = None) -> Any:
    """A picker bound to ``key`` that may be empty (a file's unknown value is not replaced by a default)."""
    if st.session_state.get(key) not in (*options, None):
        st.session_state[key] = None
    return st.selectbox(label, options, index=None, placeholder=placeholder, help=help,
                        format_func=lambda v: labels.get(v, v), **bind(key))


def show_path_test(result: Any, *, sandbox: bool) -> None:
    """Identity and reachability of one "Test" (field problems are shown once, above it)."""
    if result is None:
        return
    if result.reach_error:
        alerts.error(f"Reachability: {result.reach_error}", icon=":material/wifi_off:")
    else:
        st.success(f"Reachability: {result.endpoint} accepted a connection in {fmt_ms(result.connect_ms)}",
                   icon=":material/lan:")
    if not result.identity_checked:
        st.info("Identity: not checked yet — fill in the marked fields, then Test again.", icon=":material/badge:")
    elif result.identity_error:
        alerts.error(f"Identity: {result.identity_error}", icon=":material/badge:")
    else:
        st.success(f"Identity: signed in as {result.arn} (account {result.account})", icon=":material/badge:")
    if result.ok:
        st.caption(f"{result.path}: ready — signed in and reached.")
    show_sandbox_label(sandbox and not result.reach_error, "Connect time (a loopback connection)")


def _gateway_fields(ctx: Any, name: str, kind: str, key: Any) -> None:
    """The gateway path's own fields (issue 12): auth and API key, or the upstream."""
    sandbox = ctx.is_sandbox
    if kind == "llm-gateway":
        st.text_input("Upstream URL", disabled=sandbox, placeholder="https://bedrock-runtime.<region>.amazonaws.com",
                      help="The bedrock-runtime endpoint the gateway forwards to: the client signs for its host "
                      "(empty: the public one)." + (" Sandbox: the nat listener." if sandbox else ""),
                      **bind(key("upstream_url")))
        return
    auth = _choice("Gateway auth", ("api-key", "iam", "none"), key("auth"), AUTH_LABELS, "choose how to authenticate",
                   help="api-key: the usage plan's key in x-api-key; iam: SigV4 for execute-api with the "
                   "credential mode below.")
    if auth == "api-key":
        st.text_input("API key", type="password", placeholder=stored_hint(ctx.config, name, "api_key"),
                      help="The key's value (not its id); encrypted when the config is saved."
                      + (" Sandbox: empty uses its own key; type another to see API Gateway's 403." if sandbox else ""),
                      **bind(key("api_key")))
    st.text_input("API id", disabled=sandbox, placeholder="a1b2c3d4e5",
                  help="Needed with the execute-api endpoint's own DNS name (sent as x-apigw-api-id).",
                  **bind(key("api_id")))
    plan, key_id = st.columns(2)
    plan.text_input("Usage plan id", disabled=sandbox, help="Optional: for the quota figures after a 429.",
                    **bind(key("usage_plan_id")))
    key_id.text_input("API key id", disabled=sandbox, help="Optional: the key's id (not its value), for the quota.",
                      **bind(key("api_key_id")))


def add_gateway_path(ctx: Any, kind: str) -> None:
    """Add an ``api-gateway`` or ``llm-gateway`` path to the config in use (to be filled in)."""
    from workshop.config import AccessPath, CredentialMode, dump_config, parse_config

    config = ctx.config
    name = kind if kind not in config.paths else f"{kind}-{len(config.paths) + 1}"
    new = AccessPath(name, kind, config.region, None, CredentialMode("instance"))
    edited = replace(config, paths={**config.paths, name: new})
    checked = parse_config(dump_config(edited, encrypt=False), source=config.source or "Setup form")
    label = state.get(state.CONFIG_LABEL)
    adopt_config(replace(checked, source=config.source), label if label.endswith("(edited)") else f"{label} (edited)")
    state.put(state.SETUP_PATH, name)
    state.flash("info", f"Added the {name} path: fill in its marked fields, then Test and Apply.")


def _path_form(ctx: Any, name: str) -> None:
    config = ctx.config
    sandbox = ctx.is_sandbox

    def key(field_name: str) -> str:
        return state.form_key(name, field_name)

    left, right = st.columns(2)
    with left:
        kind = _choice("Path kind", PATH_KINDS, key("kind"), KIND_LABELS, "choose the kind of path",
                       help="Which route this path takes; in the sandbox it picks the listener.")
        endpoint_help = "Empty: the public endpoint bedrock-runtime.<region>.amazonaws.com"
        if kind == "api-gateway":
            endpoint_help = "The API's stage URL, e.g. https://<api-id>.execute-api.<region>.amazonaws.com/prod"
        elif kind == "llm-gateway":
            endpoint_help = "The gateway's URL; the client signs for bedrock-runtime and sends there"
        if sandbox:
            endpoint_help = f"Sandbox listener: {bound_endpoint(ctx, name)}"
        st.text_input("Stage URL" if kind == "api-gateway" else "Endpoint URL", disabled=sandbox, help=endpoint_help,
                      placeholder=bound_endpoint(ctx, name), **bind(key("endpoint_url")))
        if kind in ("api-gateway", "llm-gateway"):
            _gateway_fields(ctx, name, kind, key)
        mode = _choice("Credential mode", CREDENTIAL_MODES, key("mode"), MODE_LABELS, "choose a credential mode")
        if mode:
            from workshop.config import CREDENTIAL_MODE_LABELS

            st.caption(CREDENTIAL_MODE_LABELS.get(mode, mode))
        st.text_input("STS endpoint override", disabled=sandbox,
                      placeholder="https://sts.<region>.amazonaws.com", **bind(key("sts_endpoint")))
    with right:
        if mode in ("assume-role", "access-keys"):
            st.text_input("Role ARN", placeholder="arn:aws:iam::<account>:role/<name>", **bind(key("role_arn")))
            st.text_input("External ID", type="password", placeholder=stored_hint(config, name, "external_id"),
                          **bind(key("external_id")))
            st.text_input("Session name", **bind(key("session_name")))
        if mode == "profile":
            st.text_input("Profile", placeholder="a profile in ~/.aws/config (SSO works)", **bind(key("profile")))
        if mode == "access-keys":
            alerts.warning("Long-lived keys in a config file are discouraged: prefer an instance role or SSO.",
                       icon=":material/warning:")
            st.text_input("Access key ID", type="password", placeholder=stored_hint(config, name, "access_key"),
                          **bind(key("access_key")))
            st.text_input("Secret access key", type="password",
                          placeholder=stored_hint(config, name, "secret_key"), **bind(key("secret_key")))
        if mode == "instance":
            st.caption("Uses the default chain: the instance role, environment, or ~/.aws."
                       + (" In the sandbox this is the participant's example keys." if sandbox else ""))
    checked = state.get(state.FIELD_PROBLEMS)
    problems = checked[name] if name in checked else [
        (p.severity, field_message(p)) for p in config.problems_for(name)]
    for severity, message in problems:
        (alerts.error if severity == "error" else alerts.warning)(message, icon=":material/edit_note:")


def setup_page(ctx: Any) -> None:
    """Draw step 2."""
    config = ctx.config
    if state.form_key(None, "region") not in st.session_state:
        seed_form(config)
    builtin = state.get(state.CONFIG) is None

    # --- 0. who is working here (stored with every run and call; the room's board shows it) ----
    from workshop.ui.participant import participant_field

    participant_field(where="setup")

    # --- 1. where the config comes from --------------------------------------------------------
    if ctx.is_sandbox:
        which = "The built-in sandbox is selected." if builtin else f"The sandbox is selected ({state.get(state.CONFIG_LABEL)})."
        st.success(
            f"**{which}** Every path points at a local emulator on 127.0.0.1 that speaks "
            "Bedrock's wire protocol, so you can go straight to step 3. Load your facilitator's config below "
            "to use AWS instead.", icon=":material/science:")
    else:
        st.info(f"Using **{state.get(state.CONFIG_LABEL)}** (region {config.region}).", icon=":material/cloud:")
    # Problems of the whole file here; a path's problems show under its fields below.
    for problem in dict.fromkeys(str(p) for p in config.problems if p.path is None):
        alerts.warning(problem, icon=":material/warning:")

    st.subheader("Load a config")
    st.caption("New format or the original workshop's `[default]` file; encrypted values (`enc:`) are "
               "decrypted with the key file below, or `$WORKSHOP_CONFIG_KEY` when the field is empty.")
    st.text_input("Key file (for encrypted configs)", placeholder="$WORKSHOP_CONFIG_KEY, else the default key file",
                  **bind(state.KEY_FILE))
    disk, upload = st.columns(2)
    with disk:
        st.text_input("Config file on this machine", placeholder="/path/to/workshop.properties",
                      **bind(state.CONFIG_FILE))
        st.button("Load from disk", on_click=load_from_disk, icon=":material/folder_open:")
    with upload:
        st.file_uploader("…or upload one", type=["properties", "ini", "cfg", "conf", "txt"],
                         key=widget_key("config_upload"), on_change=load_upload)
    st.button("Use the built-in sandbox", on_click=use_sandbox, disabled=builtin, icon=":material/science:",
              help="Back to the emulator with its own settings (nothing of a loaded file is kept).")

    # --- 2. region and paths -----------------------------------------------------------------------
    st.subheader("Paths and credentials")
    if ctx.is_sandbox:
        st.caption("In the sandbox the endpoints and region are fixed (the emulator binds them when it "
                   "starts); credential settings still apply, so you can watch a wrong ExternalId fail.")
    st.text_input("Region", disabled=ctx.is_sandbox, help="e.g. us-east-1; applies to every path of this config",
                  **bind(state.form_key(None, "region")))
    names = ctx.path_names()
    if not names:
        return
    if state.get(state.SETUP_PATH) not in names:
        state.put(state.SETUP_PATH, state.get(state.PATH) if state.get(state.PATH) in names else names[0])
    name = st.radio("Path", names, horizontal=True, format_func=lambda n: PATH_LABELS.get(n, n),
                    help="The path whose settings you see; Test checks this one.", **bind(state.SETUP_PATH))
    kinds = {p.kind for p in config.paths.values()}
    missing = [k for k in ("api-gateway", "llm-gateway") if k not in kinds]
    if missing and not ctx.is_sandbox:
        add = st.columns(len(missing) + 2)
        for col, kind in zip(add, missing, strict=False):
            col.button(f"Add {kind} path", key=f"add:{kind}", on_click=add_gateway_path, args=(ctx, kind),
                       icon=":material/add_road:",
                       help="A gateway in front of Bedrock (seeds 001/004: private API + Lambda; 002: LLM gateway).")
    with st.container(border=True):
        _path_form(ctx, name)
        dirty = form_dirty(config)
        test, apply, discard, _ = st.columns(4)  # side by side, not spread over the width
        test.button(f"Test {name}", key=f"test:{name}", on_click=test_path_action, args=(ctx, name),
                    icon=":material/network_check:",
                    help="Checks this path as the form has it (endpoint, then identity); applies nothing.")
        apply.button("Apply changes", type="primary", on_click=apply_form, args=(ctx,), disabled=not dirty,
                     icon=":material/check_circle:", help="Make the form the config the other steps use.")
        discard.button("Discard changes", on_click=discard_form, args=(ctx,), disabled=not dirty,
                       icon=":material/undo:", help="Put the config in use back into the form.")
        if dirty:
            st.caption(":orange[The form has edits that are not applied yet.]")
        show_path_test(state.get(state.PATH_TESTS).get(name), sandbox=ctx.is_sandbox)

    # --- 3. save ---------------------------------------------------------------------------------------
    st.subheader("Save it encrypted")
    st.caption("Secrets (keys, role ARN, ExternalId, VPC endpoint URL) are written as `enc:` values; the key "
               "stays in the key file above (created with mode 600 if missing), never in the config.")
    st.text_input("Save to", placeholder="/path/to/workshop.properties", **bind(state.SAVE_FILE))
    st.button("Save encrypted", on_click=save_action, args=(ctx,), icon=":material/save:")

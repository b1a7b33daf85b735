"""Step 2 — Setup: region, endpoint and credentials per path; load, test and save the config."""

import streamlit as st

from workshop import CREDENTIAL_MODES, PATH_LABELS
from workshop.ui import state
from workshop.ui import widgets as w
from workshop.ui.frame import page
from workshop.ui.widgets import bind, bound_selectbox, show_path_test, stored_hint

ctx = page("Setup", step=2, icon=":material/settings:")
config = ctx.config
w.ensure_form(config)

# --- 1. where the config comes from --------------------------------------------------------
if ctx.is_sandbox:
    st.success(
        "**The built-in sandbox is selected.** Every path points at a local emulator on 127.0.0.1 "
        "that speaks Bedrock's wire protocol, so you can go straight to step 3. Load your "
        "facilitator's config below to use AWS instead.", icon=":material/science:")
else:
    st.info(f"Using **{state.get(state.CONFIG_LABEL)}** (region {config.region}).", icon=":material/cloud:")

for problem in state.get(state.CONFIG_PROBLEMS):
    st.warning(problem)

st.subheader("Load a config")
st.caption("New format or the original workshop's `[default]` file; encrypted values (`enc:`) are "
           "decrypted with the key file below, or `$WORKSHOP_CONFIG_KEY` when the field is empty.")
st.text_input("Key file (for encrypted configs)", placeholder="$WORKSHOP_CONFIG_KEY, else the default key file",
              **bind(state.KEY_FILE))
disk, upload = st.columns(2)
with disk:
    st.text_input("Config file on this machine", placeholder="/path/to/workshop.properties",
                  **bind(state.CONFIG_FILE))
    st.button("Load from disk", on_click=w.load_from_disk, icon=":material/folder_open:")
with upload:
    st.file_uploader("…or upload one", type=["properties", "ini", "cfg", "conf", "txt"],
                     key="w:config_upload", on_change=w.load_upload)
st.button("Use the built-in sandbox", on_click=w.use_sandbox, disabled=ctx.is_sandbox, icon=":material/science:")

# --- 2. region and paths -------------------------------------------------------------------
st.subheader("Paths and credentials")
if ctx.is_sandbox:
    st.caption("In the sandbox the endpoints and region are fixed (the emulator binds them when it "
               "starts); credential settings still apply, so you can watch a wrong ExternalId fail.")
st.text_input("Region", disabled=ctx.is_sandbox, help="e.g. us-east-1; applies to every path of this config",
              **bind(state.form_key(None, "region")))

names = ctx.path_names()
for tab, name in zip(st.tabs([PATH_LABELS.get(n, n) for n in names]), names, strict=True):
    with tab:
        key = lambda field, n=name: state.form_key(n, field)  # noqa: E731 - short local alias
        left, right = st.columns(2)
        with left:
            endpoint_help = "Empty: the public endpoint bedrock-runtime.<region>.amazonaws.com"
            if ctx.is_sandbox:
                endpoint_help = f"Sandbox listener: {w.bound_endpoint(ctx, name)}"
            st.text_input("Endpoint URL", disabled=ctx.is_sandbox, help=endpoint_help,
                          placeholder=w.bound_endpoint(ctx, name), **bind(key("endpoint_url")))
            bound_selectbox("Credential mode", CREDENTIAL_MODES, key("kind"),
                            format_func=w.credential_label)
            st.text_input("STS endpoint override", disabled=ctx.is_sandbox,
                          placeholder="https://sts.<region>.amazonaws.com", **bind(key("sts_endpoint")))
        with right:
            kind = st.session_state.get(key("kind"))
            if kind in ("assume-role", "access-keys"):
                st.text_input("Role ARN", placeholder="arn:aws:iam::<account>:role/<name>", **bind(key("role_arn")))
                st.text_input("External ID", type="password", placeholder=stored_hint(config, name, "external_id"),
                              **bind(key("external_id")))
                st.text_input("Session name", **bind(key("session_name")))
            if kind == "profile":
                st.text_input("Profile", placeholder="a profile in ~/.aws/config (SSO works)", **bind(key("profile")))
            if kind == "access-keys":
                st.warning("Long-lived keys in a config file are discouraged: prefer an instance role or SSO.")
                st.text_input("Access key ID", type="password", placeholder=stored_hint(config, name, "access_key"),
                              **bind(key("access_key")))
                st.text_input("Secret access key", type="password",
                              placeholder=stored_hint(config, name, "secret_key"), **bind(key("secret_key")))
            if kind == "instance":
                st.caption("Uses the default chain: the instance role, environment, or ~/.aws."
                           + (" In the sandbox this is the participant's example keys." if ctx.is_sandbox else ""))
        st.button(f"Test {name}", key=f"test:{name}", on_click=w.test_path_action, args=(ctx, name), icon=":material/network_check:")
        show_path_test(state.get(state.PATH_TESTS).get(name), sandbox=ctx.is_sandbox)

st.button("Apply changes", type="primary", on_click=w.apply_form, args=(ctx,), icon=":material/check_circle:")

# --- 3. save ----------------------------------------------------------------------------------
st.subheader("Save it encrypted")
st.caption("Secrets (keys, role ARN, ExternalId, VPC endpoint URL) are written as `enc:` values; the key "
           "stays in the key file above (created with mode 600 if missing), never in the config.")
st.text_input("Save to", placeholder="/path/to/workshop.properties", **bind(state.SAVE_FILE))
st.button("Save encrypted", on_click=w.save_action, args=(ctx,), icon=":material/save:")

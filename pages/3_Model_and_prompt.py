"""Step 3 — Model & prompt: pick a model, edit its request body, see the same call as code."""

import streamlit as st

from workshop import APIS, PATH_LABELS
from workshop.ui import state
from workshop.ui import widgets as w
from workshop.ui.frame import page

ctx = page("Model & prompt", step=3, icon=":material/tune:")

left, right = st.columns([3, 2])
with left:
    w.bound_selectbox("Access path", ctx.path_names(), state.PATH, format_func=lambda n: PATH_LABELS.get(n, n),
                      help="The catalog and the code below are for this path.")
    models = []
    with ctx.guard():
        models = ctx.models(state.get(state.PATH))
    if models:
        by_id = {m.invoke_id: m for m in models}
        if state.get(state.MODEL_ID) not in by_id:
            default = ctx.config.default_model
            state.put(state.MODEL_ID, default if default in by_id else next(iter(by_id)))
        w.bound_selectbox("Model", list(by_id), state.MODEL_ID, format_func=lambda i: w.model_label(by_id[i]),
                          on_change=lambda: w.choose_model(models))
        chosen = by_id[state.get(state.MODEL_ID)]
        if chosen.needs_profile:
            st.caption(f":material/info: {chosen.base_model_id or chosen.model_id} has no on-demand throughput in this region; "
                       f"it is invoked through the inference profile `{chosen.profile_id}`.")
        for note in getattr(models, "notes", []):
            st.caption(f":material/info: {note}")
        w.sync_template(models)
        state.put(state.MODEL_CHOSEN, True)

    st.text_area("Request body (JSON)", height=380,
                 help="Edit freely: it is checked for JSON syntax (line/column) and the model family's keys.",
                 **w.bind(state.BODY_TEXT, on_change=w.revalidate_body))
    st.button("Reset to template", on_click=w.reset_body, icon=":material/undo:")
    w.show_body_status()

with right:
    st.markdown("**View as code**")
    st.caption("The same request for the chosen path: endpoint, region, model and body. Secrets are never "
               "included; credentials come from the environment, a profile or AssumeRole.")
    api = w.bound_selectbox("API", APIS, state.API, help="Step 4 invokes with the API chosen here (or there).")
    if state.get(state.BODY_VALID) and models:
        path = w.code_path(ctx, state.get(state.PATH))
        body = w.request_for(api)
        boto_tab, cli_tab = st.tabs(["boto3", "AWS CLI"])
        with boto_tab:
            st.code(w.boto3_snippet(path, state.get(state.MODEL_ID), body, api, sandbox=ctx.is_sandbox),
                    language="python", wrap_lines=True)
        with cli_tab:
            st.code(w.cli_command(path, state.get(state.MODEL_ID), body, api, sandbox=ctx.is_sandbox),
                    language="bash", wrap_lines=True)
    else:
        st.info("The code appears once the request body is valid.")

ctx.link("pages/4_Invoke.py", label="Next: invoke it →", icon=":material/bolt:")
ctx.refresh()

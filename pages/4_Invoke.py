"""Step 4 — Invoke: call the model through the chosen path and API, watch the answer stream in."""

import streamlit as st

from workshop import APIS, PATH_LABELS
from workshop.ui import state
from workshop.ui import widgets as w
from workshop.ui.frame import page
from workshop.ui.runner import follow

ctx = page("Invoke", step=4, icon=":material/bolt:")

model_id = state.get(state.MODEL_ID)
ready = bool(model_id and state.get(state.BODY_VALID))
if not ready:
    st.info("Choose a model and make its request body valid first.", icon=":material/tune:")
    ctx.link("pages/3_Model_and_prompt.py", label="Go to step 3: Model & prompt", icon=":material/tune:")

left, mid, right = st.columns([2, 3, 2])
with left:
    w.bound_selectbox("Access path", ctx.path_names(), state.PATH, format_func=lambda n: PATH_LABELS.get(n, n))
with mid:
    st.radio("API", APIS, horizontal=True, help="InvokeModel, its streaming twin, Converse, ConverseStream.",
             **w.bind(state.API))
with right:
    st.markdown(f"Model  \n`{model_id or 'not chosen'}`")

job = state.get(state.INVOKE_JOB)
busy = job is not None and job.running
st.button("Invoke", type="primary", icon=":material/bolt:", disabled=not ready or busy, on_click=w.start_invoke, args=(ctx,))

follow(state.INVOKE_JOB, lambda job: w.draw_invoke(job, sandbox=ctx.is_sandbox))
ctx.refresh()

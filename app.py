"""Step 1 — Home: what the console teaches, the three access paths, where to start."""

import streamlit as st

from workshop import PATH_LABELS
from workshop.ui.diagram import PATH_COLOURS, paths_dot
from workshop.ui.frame import page
from workshop.ui.state import PATH, get

ctx = page("Reaching Amazon Bedrock: three access paths", step=1, icon=":material/home:")

st.markdown(
    "This console walks you from nothing to a latency chart you can show a stakeholder. "
    "You pick an **access path** to Amazon Bedrock, a **credential mode** and a **model**, "
    "edit the request JSON, invoke it, and compare the latency each path adds. "
    "No AWS account? Everything works against the built-in **sandbox**, a local emulator "
    "that speaks Bedrock's wire protocol on 127.0.0.1."
)

st.subheader("The three paths")
st.graphviz_chart(paths_dot(highlight=get(PATH)), width="stretch")
cols = st.columns(3)
blurbs = {
    "nat": "The default. Traffic leaves the private subnet through a NAT gateway and crosses "
    "the public AWS edge to `bedrock-runtime.<region>.amazonaws.com`.",
    "vpce": "An interface VPC endpoint: traffic stays on private IPs through PrivateLink, and an "
    "endpoint policy can restrict who may use it.",
    "cross-account": "A central AI account B serves others: STS AssumeRole into B's role (with an "
    "ExternalId), then B's VPC endpoint over peering or a Transit Gateway.",
}
for col, (name, text) in zip(cols, blurbs.items(), strict=True):
    with col:
        st.markdown(f"<span style='color:{PATH_COLOURS[name]}'>■</span> **{PATH_LABELS[name]}**",
                    unsafe_allow_html=True)
        st.markdown(text)

st.subheader("Where to start")
st.markdown(
    "1. **Setup** — the sandbox is already selected; load your facilitator's config to use AWS.\n"
    "2. **Model & prompt** — pick a model and edit its request body.\n"
    "3. **Invoke** — watch the answer stream in with a timing breakdown.\n"
    "4. **Compare paths** — measure what each path costs, with a verdict and its uncertainty."
)
ctx.link("pages/2_Setup.py", label="Start with Setup →", icon=":material/settings:")
if ctx.is_sandbox:
    ctx.sandbox_caption("Latencies you will see in the sandbox")

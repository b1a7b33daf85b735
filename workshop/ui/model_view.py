"""Step 3 — Model & prompt: pick a model by provider and name, edit its request body, see it as code.

The picker shows one entry per model, grouped by provider, under the name people use
("Claude 3.5 Sonnet"); inference profiles are a choice of *how* to invoke that model, not
entries of their own. The body editor validates as you type (JSON syntax with the line
and column of the mistake, then the model family's own keys).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from workshop import APIS, PATH_LABELS
from workshop.ui import alerts, state
from workshop.ui.widgets import bind, bound_selectbox, request_for, warm_store

MODEL_PROVIDER = state.register("model_provider", lambda: None)
"""The provider whose models the picker lists (follows the chosen model)."""
MODEL_GROUP = state.register("model_group", lambda: None)
"""The chosen model's entry (its base model id), whichever id invokes it."""


# --------------------------------------------------------------------------- the request body


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
    alerts.error(str(err), icon=":material/error:")
    line, column = getattr(err, "line", None), getattr(err, "column", None)
    text = state.get(state.BODY_TEXT) or ""
    if line:
        lines = text.splitlines() or [""]
        shown = lines[min(line, len(lines)) - 1]
        st.code(f"{line:>4} | {shown}\n     | {' ' * max((column or 1) - 1, 0)}^", language=None)
    for problem in getattr(err, "problems", None) or []:
        st.markdown(f"- {problem}")


# --------------------------------------------------------------------------- the model picker


def _chose(invoke_id: str, models: Sequence[Any]) -> None:
    state.put(state.MODEL_ID, invoke_id)
    state.put(state.MODEL_CHOSEN, True)
    sync_template(models)


def _provider_changed(choices: Sequence[Any], models: Sequence[Any]) -> None:
    first = next(c for c in choices if c.provider == state.get(MODEL_PROVIDER))
    state.put(MODEL_GROUP, first.key)
    _chose(first.default_id, models)


def _model_changed(choices: Sequence[Any], models: Sequence[Any]) -> None:
    chosen = next(c for c in choices if c.key == state.get(MODEL_GROUP))
    _chose(chosen.default_id, models)


def _id_changed(models: Sequence[Any]) -> None:
    _chose(state.get(state.MODEL_ID), models)


def model_picker(ctx: Any, models: Sequence[Any]) -> Any:
    """Provider, model and how to invoke it; returns the chosen entry (``catalog.ModelChoice``)."""
    from workshop.catalog import choice_for, model_choices

    choices = model_choices(models)
    if not choices:
        st.info("This path offers no text model the workshop has a template for.", icon=":material/info:")
        return None
    chosen = choice_for(choices, state.get(state.MODEL_ID))
    if chosen is None:  # nothing chosen yet, or a model this path does not list: the config's default
        chosen = choice_for(choices, ctx.config.default_model) or choices[0]
        state.put(state.MODEL_ID, chosen.default_id)
    state.put(MODEL_PROVIDER, chosen.provider)
    state.put(MODEL_GROUP, chosen.key)
    providers = list(dict.fromkeys(c.provider for c in choices))
    names = {c.key: c.name for c in choices}
    left, right = st.columns([2, 3])
    with left:
        st.selectbox("Provider", providers, **bind(MODEL_PROVIDER, on_change=lambda: _provider_changed(choices, models)))
    with right:
        st.selectbox("Model", [c.key for c in choices if c.provider == chosen.provider],
                     format_func=lambda k: names.get(k, k),
                     **bind(MODEL_GROUP, on_change=lambda: _model_changed(choices, models)))
    how = dict(chosen.options)
    st.radio("Invoke it with", [i for i, _ in chosen.options], format_func=lambda i: f"{how[i]}: {i}",
             help="The model id itself (on-demand throughput) or an inference profile that routes to it "
                  "(cross-region; some models are offered only that way).",
             **bind(state.MODEL_ID, on_change=lambda: _id_changed(models)))
    if chosen.needs_profile:
        st.caption(f":material/info: {chosen.name} has no on-demand throughput in this region: it is invoked "
                   "through an inference profile.")
    if chosen.config_labels:
        st.caption(f"Listed in the config as {', '.join(chosen.config_labels)} · family `{chosen.family}`")
    else:
        st.caption(f"Family `{chosen.family}`")
    return chosen


def code_path(ctx: Any, name: str) -> Any:
    """The path as the code should show it: the sandbox's bound listener, else the config's."""
    return (ctx.workbench().config if ctx.is_sandbox else ctx.config).path(name)


def model_page(ctx: Any) -> None:
    """Draw step 3."""
    from workshop.snippets import boto3_snippet, cli_command

    left, right = st.columns([3, 2])
    with left:
        bound_selectbox("Access path", ctx.path_names(), state.PATH, format_func=lambda n: PATH_LABELS.get(n, n),
                        help="The catalog and the code below are for this path.")
        models: Sequence[Any] = []
        with ctx.guard():
            models = ctx.models(state.get(state.PATH))
            warm_store(ctx.workbench())  # the next step records every call in the store
        chosen = model_picker(ctx, models) if models else None
        if chosen is not None:
            for note in getattr(models, "notes", []):
                st.caption(f":material/info: {note}")
            sync_template(models)
            state.put(state.MODEL_CHOSEN, True)
        st.text_area("Request body (JSON)", height=380,
                     help="Edit freely: it is checked for JSON syntax (line/column) and the model family's keys.",
                     **bind(state.BODY_TEXT, on_change=revalidate_body))
        st.button("Reset to template", on_click=reset_body, icon=":material/undo:")
        show_body_status()

    with right:
        st.markdown("**View as code**")
        st.caption("The same request for the chosen path: endpoint, region, model and body. Secrets are never "
                   "included; credentials come from the environment, a profile or AssumeRole.")
        api = bound_selectbox("API", APIS, state.API, help="Step 4 invokes with the API chosen here (or there).")
        if state.get(state.BODY_VALID) and chosen is not None:
            path = code_path(ctx, state.get(state.PATH))
            body = request_for(api)
            boto_tab, cli_tab = st.tabs(["boto3", "AWS CLI"])
            with boto_tab:
                st.code(boto3_snippet(path, state.get(state.MODEL_ID), body, api, sandbox=ctx.is_sandbox),
                        language="python", wrap_lines=True)
            with cli_tab:
                st.code(cli_command(path, state.get(state.MODEL_ID), body, api, sandbox=ctx.is_sandbox),
                        language="bash", wrap_lines=True)
        else:
            st.info("The code appears once the request body is valid.", icon=":material/code:")

    ctx.link("pages/4_Invoke.py", label="Next: invoke it", icon=":material/bolt:")
    ctx.refresh()

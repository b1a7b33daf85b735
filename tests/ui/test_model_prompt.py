"""Model & prompt (step 3): catalog picker, family template, live JSON validation, view as code."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from tests.ui.conftest import MODEL_PROMPT, fast_sandbox, goto, open_app, texts
from workshop.ui.frame import DONE_MARK

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
TITAN = "amazon.titan-text-express-v1"


def model_page() -> AppTest:
    return goto(open_app(fast_sandbox()), MODEL_PROMPT)


def editor(at: AppTest):
    return at.text_area(key="w:body_text")


def test_the_picker_lists_the_catalog_with_families_and_loads_the_default_template() -> None:
    at = model_page()
    picker = at.selectbox(key="w:model_id")
    assert picker.value == HAIKU
    labels = picker.options  # AppTest exposes the formatted labels
    assert any("claude-messages" in label for label in labels)
    assert any("titan-text" in label for label in labels)
    body = json.loads(editor(at).value)
    assert body["anthropic_version"] == "bedrock-2023-05-31"
    assert "Valid claude-messages request body." in texts(at)
    assert f"{DONE_MARK} Model chosen" in at.sidebar.markdown[-1].value


def test_choosing_another_family_loads_its_template() -> None:
    at = model_page()
    at.selectbox(key="w:model_id").set_value(TITAN).run()
    assert "inputText" in json.loads(editor(at).value)
    assert "Loaded the titan-text template" in texts(at)
    assert "Valid titan-text request body." in texts(at)


def test_a_json_error_shows_line_and_column_then_the_fix_validates() -> None:
    at = model_page()
    good = editor(at).value
    broken = good.replace('"max_tokens": 300,', '"max_tokens": 300', 1)
    editor(at).input(broken).run()
    errors = "\n".join(e.value for e in at.error)
    assert "line " in errors and "column " in errors and "delimiter" in errors
    assert "^" in "\n".join(c.value for c in at.code)  # caret under the offending spot
    assert not at.session_state["body_valid"]
    editor(at).input(good).run()
    assert not at.error
    assert at.session_state["body_valid"]


def test_a_missing_family_key_is_named() -> None:
    at = model_page()
    body = json.loads(editor(at).value)
    del body["max_tokens"]
    editor(at).input(json.dumps(body, indent=2)).run()
    assert "`max_tokens` is missing" in "\n".join(e.value for e in at.error)


def test_reset_to_template_restores_the_body() -> None:
    at = model_page()
    template = editor(at).value
    editor(at).input("{}").run()
    [reset] = [b for b in at.button if b.label == "Reset to template"]
    reset.click().run()
    assert editor(at).value == template
    assert at.session_state["body_valid"]


def test_view_as_code_uses_the_chosen_path_and_never_a_secret() -> None:
    at = model_page()
    at.selectbox(key="w:path").set_value("cross-account").run()
    at.selectbox(key="w:api").set_value("converse").run()
    code = "\n".join(c.value for c in at.code)
    endpoint = at.session_state["config"]  # unbound config; the code shows the sandbox listener
    assert endpoint.sandbox
    assert 'endpoint_url="http://127.0.0.1:' in code and "--endpoint-url http://127.0.0.1:" in code
    assert "client.converse(" in code and "aws bedrock-runtime converse" in code
    assert "arn:aws:iam::444455556666:role/BedrockCrossAccountRole" in code
    assert "workshop-external-id" not in code  # ExternalId comes from the environment
    assert "wJalrXUtnFEMI" not in code and "AKIAIOSFODNN7EXAMPLE" not in code
    assert HAIKU in code

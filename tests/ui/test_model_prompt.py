"""Model & prompt (step 3): catalog picker, family template, live JSON validation, view as code."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from tests.ui.conftest import MODEL_PROMPT, fast_sandbox, goto, open_app, pick_model, texts
from workshop.ui.frame import DONE_MARK

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
TITAN = "amazon.titan-text-express-v1"


def model_page() -> AppTest:
    return goto(open_app(fast_sandbox()), MODEL_PROMPT)


def editor(at: AppTest):
    return at.text_area(key="w:body_text")


def test_the_picker_groups_models_by_provider_and_loads_the_default_template() -> None:
    at = model_page()
    assert at.selectbox(key="w:model_provider").options == ["Anthropic", "Amazon", "Meta", "Mistral AI", "Cohere",
                                                            "AI21 Labs"]
    assert at.selectbox(key="w:model_provider").value == "Anthropic"
    assert at.selectbox(key="w:model_group").value == HAIKU
    assert at.radio(key="w:model_id").value == HAIKU
    body = json.loads(editor(at).value)
    assert body["anthropic_version"] == "bedrock-2023-05-31"
    assert "Valid claude-messages request body." in texts(at)
    assert f"{DONE_MARK} Model chosen" in at.sidebar.markdown[-1].value


def test_each_model_has_one_readable_name_with_its_dots() -> None:
    at = model_page()
    names = at.selectbox(key="w:model_group").options  # AppTest exposes the formatted labels
    assert "Claude 3.5 Sonnet" in names and "Claude 3 Opus" in names
    assert len(names) == len(set(names))
    assert not [n for n in names if "-35-" in n or "inference profile" in n or "Claude-" in n]
    pick_model(at, "meta.llama3-1-8b-instruct-v1:0", "Meta")
    assert "Llama 3.1 8B Instruct" in at.selectbox(key="w:model_group").options


def test_an_inference_profile_is_a_way_to_invoke_the_model_not_another_model() -> None:
    at = model_page()
    ways = at.radio(key="w:model_id").options
    assert ways == [f"on-demand (model id): {HAIKU}", f"inference profile (us.): us.{HAIKU}"]
    at.radio(key="w:model_id").set_value(f"us.{HAIKU}").run()
    assert at.session_state["model_id"] == f"us.{HAIKU}"
    assert at.selectbox(key="w:model_group").value == HAIKU  # still the same model
    assert "Valid claude-messages request body." in texts(at)


def test_a_model_offered_only_through_a_profile_defaults_to_it() -> None:
    at = model_page()
    at.selectbox(key="w:model_group").set_value("anthropic.claude-3-7-sonnet-20250219-v1:0").run()
    assert at.session_state["model_id"] == "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
    assert "no on-demand throughput in this region" in texts(at)


def test_choosing_another_family_loads_its_template() -> None:
    at = model_page()
    at.selectbox(key="w:model_provider").set_value("Amazon").run()  # its first model: Titan Text Express
    assert "Loaded the titan-text template" in texts(at)
    pick_model(at, TITAN, "Amazon")
    assert "inputText" in json.loads(editor(at).value)
    assert "Valid titan-text request body." in texts(at)


def test_a_json_error_points_at_the_line_missing_the_comma_then_the_fix_validates() -> None:
    at = model_page()
    good = editor(at).value
    broken = good.replace('"max_tokens": 300,', '"max_tokens": 300', 1)
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if '"max_tokens": 300' in text)
    editor(at).input(broken).run()
    errors = "\n".join(e.value for e in at.error)
    assert f"line {line}, column " in errors and "a ',' is missing after this value" in errors
    code = "\n".join(c.value for c in at.code)
    assert f'{line:>4} |   "max_tokens": 300\n' in code and code.rstrip().endswith("^")  # caret after the value
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

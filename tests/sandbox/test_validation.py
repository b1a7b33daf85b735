"""Bodies that do not fit the family's schema get Bedrock's own ValidationException wording."""

from __future__ import annotations

import json

import pytest

from tests.sandbox.conftest import FAMILY_CASES

CASES = {case.family: case for case in FAMILY_CASES}


def _message(runtime, model_id: str, body) -> str:
    raw = body if isinstance(body, str) else json.dumps(body)
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.invoke_model(modelId=model_id, body=raw)
    return caught.value.response["Error"]["Message"]


def test_missing_max_tokens_is_the_real_required_key_message(runtime) -> None:
    body = dict(CASES["claude-messages"].body)
    del body["max_tokens"]
    assert _message(runtime, CASES["claude-messages"].model_id, body) == (
        "Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again."
    )


@pytest.mark.parametrize(
    ("family", "key"),
    [("claude-messages", "anthropic_version"), ("claude-text", "prompt"), ("titan-text", "inputText"),
     ("nova", "messages"), ("llama", "prompt"), ("cohere-command-r", "message"), ("jamba", "messages")],
)
def test_each_family_requires_its_own_keys(runtime, family: str, key: str) -> None:
    body = dict(CASES[family].body)
    del body[key]
    assert f"required key [{key}] not found" in _message(runtime, CASES[family].model_id, body)


def test_extraneous_key_is_not_permitted(runtime) -> None:
    body = CASES["llama"].body | {"max_tokens": 10}  # a Mistral key sent to Llama
    assert "#: extraneous key [max_tokens] is not permitted" in _message(runtime, CASES["llama"].model_id, body)


def test_wrong_value_type_names_the_field(runtime) -> None:
    body = CASES["claude-messages"].body | {"max_tokens": "300"}
    assert "#/max_tokens: expected type: Integer, found: String" in _message(
        runtime, CASES["claude-messages"].model_id, body)


def test_nested_config_is_validated(runtime) -> None:
    body = {"inputText": "hi", "textGenerationConfig": {"maxTokens": 10}}
    assert "#/textGenerationConfig: extraneous key [maxTokens]" in _message(
        runtime, CASES["titan-text"].model_id, body)


def test_invalid_json_is_malformed_input(runtime) -> None:
    assert _message(runtime, CASES["nova"].model_id, "{not json") == (
        "Malformed input request, please reformat your input and try again.")


def test_claude_first_message_must_be_from_the_user(runtime) -> None:
    body = CASES["claude-messages"].body | {"messages": [{"role": "assistant", "content": "hello"}]}
    assert "first message must use the \"user\" role" in _message(runtime, CASES["claude-messages"].model_id, body)


def test_claude_text_prompt_needs_human_and_assistant_turns(runtime) -> None:
    body = {"prompt": "just a question", "max_tokens_to_sample": 20}
    assert "Human:" in _message(runtime, CASES["claude-text"].model_id, body)


def test_validation_error_reaches_no_model(sandbox, runtime) -> None:
    before = sandbox.model_calls
    _message(runtime, CASES["jamba"].model_id, {"max_tokens": 3})
    assert sandbox.model_calls == before

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


def _signed_post(endpoint: str, path: str, payload: object) -> tuple[int, dict]:
    """A raw POST signed by botocore: Converse bodies boto3's own validation would refuse to send."""
    import urllib.error
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from workshop.sandbox import PARTICIPANT_ACCESS_KEY, PARTICIPANT_SECRET_KEY

    request = AWSRequest(method="POST", url=endpoint + path, data=json.dumps(payload).encode(),
                         headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(PARTICIPANT_ACCESS_KEY, PARTICIPANT_SECRET_KEY), "bedrock", "us-east-1").add_auth(request)
    raw = urllib.request.Request(endpoint + path, data=request.body, headers=dict(request.headers), method="POST")
    try:
        with urllib.request.urlopen(raw, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


CONVERSE = {"messages": [{"role": "user", "content": [{"text": "What is 2 + 2?"}]}]}
NOVA = "amazon.nova-lite-v1:0"


@pytest.mark.parametrize(("change", "member"), [
    ({"messages": [{"role": "user", "content": [1, 2, 3]}]}, "messages.0.member.content.0.member"),
    ({"inferenceConfig": [300]}, "inferenceConfig"),
    ({"system": "You are terse."}, "system"),
    ({"inferenceConfig": {"maxTokens": None}}, "inferenceConfig.maxTokens"),
    ({"inferenceConfig": {"maxTokens": 10**30}}, "inferenceConfig.maxTokens"),
    ({"inferenceConfig": {"stopSequences": [None]}}, "inferenceConfig.stopSequences"),
    ({"messages": [{"role": "user", "content": [{"text": None}]}]}, "messages.0.member.content.0.member.text"),
])
def test_converse_refuses_wrong_types_naming_the_member(sandbox, change: dict, member: str) -> None:
    status, body = _signed_post(sandbox.endpoints["nat"], f"/model/{NOVA}/converse", CONVERSE | change)
    assert status == 400
    assert f"Value at '{member}'" in body["message"]


def test_a_valid_converse_body_sent_raw_is_answered(sandbox) -> None:
    status, body = _signed_post(sandbox.endpoints["nat"], f"/model/{NOVA}/converse", CONVERSE)
    assert status == 200
    assert "4" in body["output"]["message"]["content"][0]["text"]


@pytest.mark.parametrize(("family", "change", "detail"), [
    ("claude-messages", {"max_tokens": None}, "#/max_tokens: expected type: Integer, found: Null"),
    ("claude-messages", {"max_tokens": 10**30}, "#/max_tokens: 1000000000000000000000000000000 is not less or equal"),
    ("claude-messages", {"stop_sequences": [1]}, "#/stop_sequences/0: expected type: String, found: Integer"),
    ("claude-messages", {"messages": [{"role": "user", "content": [7]}]},
     "#/messages/0/content/0: expected type: JSONObject, found: Integer"),
    ("claude-text", {"prompt": None}, "#/prompt: expected type: String, found: Null"),
    ("titan-text", {"textGenerationConfig": None}, "#/textGenerationConfig: expected type: JSONObject, found: Null"),
    ("nova", {"system": ["terse"]}, "#/system/0: expected type: JSONObject, found: String"),
    ("jamba", {"stop": 5}, "#/stop: expected type: JSONArray, found: Integer"),
    ("llama", {"max_gen_len": None}, "#/max_gen_len: expected type: Integer, found: Null"),
])
def test_null_and_wrong_container_types_are_validation_errors_not_crashes(runtime, family: str, change: dict,
                                                                          detail: str) -> None:
    case = CASES[family]
    assert detail in _message(runtime, case.model_id, case.body | change)


def test_a_lone_surrogate_in_a_body_is_a_validation_error(runtime) -> None:
    case = CASES["claude-messages"]
    raw = json.dumps(case.body).replace("Why", "Why \\ud800")
    assert "lone UTF-16 surrogate" in _message(runtime, case.model_id, raw)


@pytest.mark.parametrize("raw", ['{"a": ' + "[" * 5000 + "]" * 5000 + "}", '{"max_tokens": NaN}',
                                 '{"max_tokens": ' + "9" * 5000 + "}", "\udcff".encode("utf-8", "surrogateescape")
                                 .decode("latin-1")])
def test_bodies_json_cannot_hold_are_malformed_input(runtime, raw: str) -> None:
    assert _message(runtime, CASES["claude-messages"].model_id, raw).startswith("Malformed input request")


def test_claude_2_accepts_a_messages_api_body_and_answers_in_kind(runtime) -> None:
    body = CASES["claude-messages"].body
    answer = json.loads(runtime.invoke_model(modelId="anthropic.claude-v2:1", body=json.dumps(body))["body"].read())
    assert answer["type"] == "message" and answer["content"][0]["text"]

"""Converse and CountTokens: the model-agnostic API and its token accounting."""

from __future__ import annotations

import json

import pytest

from tests.sandbox.conftest import FAMILY_CASES, invoke_json

MESSAGES = [{"role": "user", "content": [{"text": "Compare NAT and PrivateLink for Bedrock traffic."}]}]


@pytest.mark.parametrize("model_id", sorted({c.model_id for c in FAMILY_CASES}))
def test_converse_answers_every_family(runtime, model_id: str) -> None:
    answer = runtime.converse(modelId=model_id, messages=MESSAGES, inferenceConfig={"maxTokens": 40})
    usage = answer["usage"]
    assert answer["output"]["message"]["role"] == "assistant"
    assert answer["output"]["message"]["content"][0]["text"]
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert answer["stopReason"] in ("end_turn", "max_tokens")
    assert answer["metrics"]["latencyMs"] >= 0


def test_converse_respects_stop_sequences(runtime) -> None:
    full = runtime.converse(modelId="amazon.nova-pro-v1:0", messages=MESSAGES)
    text = full["output"]["message"]["content"][0]["text"]
    stop = text.split()[5]
    cut = runtime.converse(modelId="amazon.nova-pro-v1:0", messages=MESSAGES,
                           inferenceConfig={"stopSequences": [stop]})
    assert cut["stopReason"] == "stop_sequence"
    assert cut["output"]["message"]["content"][0]["text"] == text[: text.find(stop)]


def test_converse_counts_system_prompt_as_input(runtime) -> None:
    plain = runtime.converse(modelId="amazon.nova-pro-v1:0", messages=MESSAGES)
    with_system = runtime.converse(modelId="amazon.nova-pro-v1:0", messages=MESSAGES,
                                   system=[{"text": "You are a concise network engineer."}])
    assert with_system["usage"]["inputTokens"] == plain["usage"]["inputTokens"] + 7


def test_converse_rejects_conversation_starting_with_assistant(runtime) -> None:
    with pytest.raises(runtime.exceptions.ValidationException, match="must start with a user message"):
        runtime.converse(modelId="amazon.nova-pro-v1:0",
                         messages=[{"role": "assistant", "content": [{"text": "hi"}]}])


def test_count_tokens_for_invoke_body_equals_invoke_input_count(runtime) -> None:
    case = FAMILY_CASES[0]
    counted = runtime.count_tokens(modelId=case.model_id, input={"invokeModel": {"body": json.dumps(case.body)}})
    _, headers = invoke_json(runtime, case.model_id, case.body)
    assert counted["inputTokens"] == int(headers["x-amzn-bedrock-input-token-count"])


def test_count_tokens_for_converse_equals_converse_input_usage(runtime) -> None:
    model = "anthropic.claude-3-5-sonnet-20240620-v1:0"
    counted = runtime.count_tokens(modelId=model, input={"converse": {"messages": MESSAGES}})
    answer = runtime.converse(modelId=model, messages=MESSAGES)
    assert counted["inputTokens"] == answer["usage"]["inputTokens"]


def test_count_tokens_is_refused_for_models_that_do_not_support_it(runtime) -> None:
    with pytest.raises(runtime.exceptions.ValidationException, match="doesn't support counting tokens"):
        runtime.count_tokens(modelId="amazon.titan-text-lite-v1",
                             input={"invokeModel": {"body": json.dumps({"inputText": "hi"})}})

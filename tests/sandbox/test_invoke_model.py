"""InvokeModel per family: real schemas, consistent token counts, limits respected."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import quote

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.sandbox.conftest import FAMILY_CASES, FamilyCase, invoke_json, with_max_tokens
from workshop.sandbox import PARTICIPANT_ACCESS_KEY, PARTICIPANT_SECRET_KEY
from workshop.sandbox.textgen import count_tokens

CASES = {case.family: case for case in FAMILY_CASES}


@pytest.mark.parametrize("case", FAMILY_CASES, ids=lambda c: c.family)
def test_invoke_returns_family_text_and_real_headers(runtime, case: FamilyCase) -> None:
    body, headers = invoke_json(runtime, case.model_id, case.body)
    text = case.text(body)
    assert len(text.split()) > 10
    assert headers["x-amzn-requestid"]
    assert int(headers["x-amzn-bedrock-invocation-latency"]) >= 0
    assert int(headers["x-amzn-bedrock-output-token-count"]) == count_tokens(text)
    assert int(headers["x-amzn-bedrock-input-token-count"]) > 0


@pytest.mark.parametrize("case", FAMILY_CASES, ids=lambda c: c.family)
def test_same_prompt_gives_same_answer(runtime, case: FamilyCase) -> None:
    first, _ = invoke_json(runtime, case.model_id, case.body)
    second, _ = invoke_json(runtime, case.model_id, case.body)
    assert case.text(first) == case.text(second)


@pytest.mark.parametrize("case", FAMILY_CASES, ids=lambda c: c.family)
def test_max_tokens_caps_the_answer(runtime, case: FamilyCase) -> None:
    body, headers = invoke_json(runtime, case.model_id, with_max_tokens(case, 5))
    assert int(headers["x-amzn-bedrock-output-token-count"]) == 5
    assert count_tokens(case.text(body)) == 5


def test_claude_messages_body_matches_anthropic_schema(runtime) -> None:
    case = CASES["claude-messages"]
    body, headers = invoke_json(runtime, case.model_id, case.body)
    assert body["type"] == "message" and body["role"] == "assistant"
    assert body["id"].startswith("msg_bdrk_")
    assert body["content"][0]["type"] == "text"
    assert body["stop_reason"] == "end_turn" and body["stop_sequence"] is None
    assert body["usage"] == {"input_tokens": int(headers["x-amzn-bedrock-input-token-count"]),
                             "output_tokens": int(headers["x-amzn-bedrock-output-token-count"])}


def test_claude_messages_reports_max_tokens_stop_reason(runtime) -> None:
    body, _ = invoke_json(runtime, CASES["claude-messages"].model_id, with_max_tokens(CASES["claude-messages"], 3))
    assert body["stop_reason"] == "max_tokens"


def test_claude_messages_stops_at_a_stop_sequence(runtime) -> None:
    case = CASES["claude-messages"]
    full = case.text(invoke_json(runtime, case.model_id, case.body)[0])
    stop = full.split()[6]  # a word from the middle of the known answer
    body, headers = invoke_json(runtime, case.model_id, case.body | {"stop_sequences": [stop]})
    assert body["stop_reason"] == "stop_sequence"
    assert body["stop_sequence"] == stop
    assert body["content"][0]["text"] == full[: full.find(stop)]
    assert int(headers["x-amzn-bedrock-output-token-count"]) == body["usage"]["output_tokens"]


def test_titan_counts_tokens_in_body_like_headers(runtime) -> None:
    case = CASES["titan-text"]
    body, headers = invoke_json(runtime, case.model_id, case.body)
    assert body["inputTextTokenCount"] == int(headers["x-amzn-bedrock-input-token-count"])
    assert body["results"][0]["tokenCount"] == int(headers["x-amzn-bedrock-output-token-count"])
    assert body["results"][0]["completionReason"] == "FINISH"


def test_titan_stop_sequence_reports_stop_criteria_met(runtime) -> None:
    case = CASES["titan-text"]
    full = case.text(invoke_json(runtime, case.model_id, case.body)[0])
    body = json.loads(json.dumps(case.body))
    body["textGenerationConfig"]["stopSequences"] = [full.split()[4]]
    answer, _ = invoke_json(runtime, case.model_id, body)
    assert answer["results"][0]["completionReason"] == "STOP_CRITERIA_MET"


def test_nova_usage_totals_input_and_output(runtime) -> None:
    case = CASES["nova"]
    body, headers = invoke_json(runtime, case.model_id, case.body)
    usage = body["usage"]
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert usage["outputTokens"] == int(headers["x-amzn-bedrock-output-token-count"])
    assert body["stopReason"] == "end_turn"
    assert body["output"]["message"]["role"] == "assistant"


def test_llama_reports_prompt_and_generation_counts(runtime) -> None:
    case = CASES["llama"]
    body, headers = invoke_json(runtime, case.model_id, with_max_tokens(case, 7))
    assert body["prompt_token_count"] == int(headers["x-amzn-bedrock-input-token-count"])
    assert body["generation_token_count"] == 7
    assert body["stop_reason"] == "length"


def test_mistral_prompt_form_answers_outputs(runtime) -> None:
    body, _ = invoke_json(runtime, CASES["mistral"].model_id, CASES["mistral"].body)
    assert body["outputs"][0]["stop_reason"] == "stop"


def test_mistral_chat_form_answers_choices_with_usage(runtime) -> None:
    body, headers = invoke_json(runtime, CASES["mistral-chat"].model_id, CASES["mistral-chat"].body)
    assert body["choices"][0]["message"]["role"] == "assistant"
    assert body["usage"]["completion_tokens"] == int(headers["x-amzn-bedrock-output-token-count"])


def test_cohere_answers_text_generation_id_and_history(runtime) -> None:
    case = CASES["cohere-command-r"]
    body, _ = invoke_json(runtime, case.model_id, case.body | {"chat_history": [{"role": "USER", "message": "hi"}]})
    assert body["finish_reason"] == "COMPLETE"
    assert body["generation_id"].startswith("gen-")
    assert [turn["role"] for turn in body["chat_history"]] == ["USER", "USER", "CHATBOT"]


def test_jamba_answers_openai_like_choices(runtime) -> None:
    body, headers = invoke_json(runtime, CASES["jamba"].model_id, CASES["jamba"].body)
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"]["prompt_tokens"] == int(headers["x-amzn-bedrock-input-token-count"])


def test_claude_text_ends_with_human_stop_sequence(runtime) -> None:
    body, _ = invoke_json(runtime, CASES["claude-text"].model_id, CASES["claude-text"].body)
    assert body["stop_reason"] == "stop_sequence"
    assert body["stop"] == "\n\nHuman:"


@pytest.mark.parametrize(
    "identifier",
    [
        "anthropic.claude-3-haiku-20240307-v1:0",
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        "us.anthropic.claude-3-haiku-20240307-v1:0",
        "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0",
    ],
    ids=["model-id", "model-arn", "profile-id", "profile-arn"],
)
def test_every_identifier_form_reaches_the_same_model(runtime, identifier: str) -> None:
    case = CASES["claude-messages"]
    body, _ = invoke_json(runtime, identifier, case.body)
    expected, _ = invoke_json(runtime, case.model_id, case.body)
    assert case.text(body) == case.text(expected)


@pytest.mark.parametrize(
    "raw_id",
    [
        "anthropic.claude-3-haiku-20240307-v1:0",
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        quote("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0", safe=""),
    ],
    ids=["colon-unencoded", "arn-unencoded", "arn-fully-encoded"],
)
def test_model_id_in_path_is_accepted_encoded_or_not(sandbox, raw_id: str) -> None:
    # boto3 encodes ':' as %3A; other clients send ':' and even '/' of an ARN as they are.
    body = json.dumps(CASES["claude-messages"].body).encode()
    request = AWSRequest("POST", f"{sandbox.endpoints['vpce']}/model/{raw_id}/invoke", data=body,
                         headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(PARTICIPANT_ACCESS_KEY, PARTICIPANT_SECRET_KEY), "bedrock", "us-east-1").add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(prepared.url, data=prepared.body, headers=dict(prepared.headers), method="POST")
    with urllib.request.urlopen(raw) as answer:
        assert answer.status == 200
        assert json.loads(answer.read())["model"] == "claude-3-haiku-20240307"


def test_profile_only_model_works_through_its_profile(runtime) -> None:
    body, _ = invoke_json(runtime, "us.anthropic.claude-3-7-sonnet-20250219-v1:0", CASES["claude-messages"].body)
    assert body["model"] == "claude-3-7-sonnet-20250219"


def test_global_profile_is_accepted(runtime) -> None:
    body, _ = invoke_json(runtime, "global.anthropic.claude-sonnet-4-20250514-v1:0", CASES["claude-messages"].body)
    assert body["stop_reason"] == "end_turn"

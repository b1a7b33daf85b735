"""Streams: boto3 decodes the event-stream frames (the proof they are right) per family."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import EventStreamError

from tests.sandbox.conftest import FAMILY_CASES, FamilyCase, invoke_json, stream_chunks, with_max_tokens
from workshop.sandbox import Faults

METRICS = "amazon-bedrock-invocationMetrics"


@pytest.mark.parametrize("case", FAMILY_CASES, ids=lambda c: c.family)
def test_streamed_text_equals_invoked_text(runtime, case: FamilyCase) -> None:
    chunks = stream_chunks(runtime, case.model_id, case.body)
    body, _ = invoke_json(runtime, case.model_id, case.body)
    assert "".join(case.stream_text(c) for c in chunks) == case.text(body)


@pytest.mark.parametrize("case", FAMILY_CASES, ids=lambda c: c.family)
def test_last_chunk_carries_invocation_metrics_matching_headers(runtime, case: FamilyCase) -> None:
    chunks = stream_chunks(runtime, case.model_id, case.body)
    _, headers = invoke_json(runtime, case.model_id, case.body)
    assert all(METRICS not in c for c in chunks[:-1])
    metrics = chunks[-1][METRICS]
    assert metrics["inputTokenCount"] == int(headers["x-amzn-bedrock-input-token-count"])
    assert metrics["outputTokenCount"] == int(headers["x-amzn-bedrock-output-token-count"])
    assert metrics["invocationLatency"] >= metrics["firstByteLatency"] >= 0


@pytest.mark.parametrize("case", FAMILY_CASES, ids=lambda c: c.family)
def test_stream_sends_one_frame_per_token_group(runtime, case: FamilyCase) -> None:
    chunks = stream_chunks(runtime, case.model_id, with_max_tokens(case, 9))
    texts = [case.stream_text(c) for c in chunks if case.stream_text(c)]
    assert len(texts) == 3  # 9 tokens in groups of 3 (latency.json stream_group_tokens)


def test_claude_stream_follows_anthropic_event_order(runtime) -> None:
    case = FAMILY_CASES[0]
    types = [c["type"] for c in stream_chunks(runtime, case.model_id, case.body)]
    assert types[:2] == ["message_start", "content_block_start"]
    assert set(types[2:-3]) == {"content_block_delta"}
    assert types[-3:] == ["content_block_stop", "message_delta", "message_stop"]


def test_stream_response_declares_eventstream_and_body_content_type(runtime) -> None:
    case = FAMILY_CASES[0]
    response = runtime.invoke_model_with_response_stream(modelId=case.model_id, body=json.dumps(case.body))
    assert response["contentType"] == "application/json"
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/vnd.amazon.eventstream"
    assert response["ResponseMetadata"]["HTTPHeaders"]["transfer-encoding"] == "chunked"
    list(response["body"])


def test_converse_stream_emits_start_deltas_stop_and_metadata(runtime) -> None:
    response = runtime.converse_stream(
        modelId="amazon.nova-micro-v1:0",
        messages=[{"role": "user", "content": [{"text": "What is PrivateLink?"}]}],
        inferenceConfig={"maxTokens": 12},
    )
    events = list(response["stream"])
    kinds = [next(iter(e)) for e in events]
    assert kinds[0] == "messageStart" and events[0]["messageStart"]["role"] == "assistant"
    assert kinds[1:5] == ["contentBlockDelta"] * 4
    assert kinds[5:] == ["contentBlockStop", "messageStop", "metadata"]
    assert events[6]["messageStop"]["stopReason"] == "max_tokens"
    usage = events[-1]["metadata"]["usage"]
    assert usage["outputTokens"] == 12
    assert usage["totalTokens"] == usage["inputTokens"] + 12
    assert events[-1]["metadata"]["metrics"]["latencyMs"] >= 0


def test_converse_stream_text_equals_converse_text(runtime) -> None:
    messages = [{"role": "user", "content": [{"text": "How does STS AssumeRole work across accounts?"}]}]
    streamed = "".join(e["contentBlockDelta"]["delta"]["text"]
                       for e in runtime.converse_stream(modelId="anthropic.claude-3-haiku-20240307-v1:0",
                                                        messages=messages)["stream"]
                       if "contentBlockDelta" in e)
    whole = runtime.converse(modelId="anthropic.claude-3-haiku-20240307-v1:0", messages=messages)
    assert streamed == whole["output"]["message"]["content"][0]["text"]


def test_in_stream_exception_is_raised_by_boto3_with_its_code(faulty) -> None:
    server, client = faulty
    case = FAMILY_CASES[0]
    server.set_faults(Faults(stream_errors={case.model_id: "ModelStreamErrorException"}))
    response = client.invoke_model_with_response_stream(modelId=case.model_id, body=json.dumps(case.body))
    received = []
    with pytest.raises(EventStreamError) as caught:
        for event in response["body"]:
            received.append(event)
    assert caught.value.response["Error"]["Code"] == "modelStreamErrorException"
    assert len(received) >= 1  # the error came mid-stream, after real chunks


def test_converse_stream_exception_is_raised_mid_stream(faulty) -> None:
    server, client = faulty
    server.set_faults(Faults(stream_errors={"amazon.nova-lite-v1:0": "ThrottlingException"}))
    response = client.converse_stream(modelId="amazon.nova-lite-v1:0",
                                      messages=[{"role": "user", "content": [{"text": "hello there"}]}])
    with pytest.raises(EventStreamError) as caught:
        list(response["stream"])
    assert caught.value.response["Error"]["Code"] == "throttlingException"

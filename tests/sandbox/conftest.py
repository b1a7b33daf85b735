"""Fixtures for the sandbox tests: real boto3 clients over loopback, one per need."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config

from workshop.sandbox import (
    CROSS_ACCOUNT_EXTERNAL_ID,
    CROSS_ACCOUNT_ROLE_ARN,
    PARTICIPANT_ACCESS_KEY,
    PARTICIPANT_SECRET_KEY,
    start_sandbox,
)

REGION = "us-east-1"
# botocore: max_attempts counts RETRIES (1 = one retry); total_max_attempts=1 means no retry at all.
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def session_for(access_key: str = PARTICIPANT_ACCESS_KEY, secret_key: str = PARTICIPANT_SECRET_KEY,
                token: str | None = None) -> boto3.Session:
    """A boto3 session with explicit keys (never the host's default chain)."""
    return boto3.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                         aws_session_token=token, region_name=REGION)


@pytest.fixture(scope="session")
def participant() -> boto3.Session:
    return session_for()


@pytest.fixture(scope="session")
def runtime(sandbox: Any, participant: boto3.Session) -> Any:
    """bedrock-runtime on the nat listener, no retries (a retry would hide a fault)."""
    return participant.client("bedrock-runtime", endpoint_url=sandbox.endpoints["nat"], config=NO_RETRY)


@pytest.fixture(scope="session")
def sts(sandbox: Any, participant: boto3.Session) -> Any:
    return participant.client("sts", endpoint_url=sandbox.sts_endpoint, config=NO_RETRY)


@pytest.fixture(scope="session")
def account_b(sts: Any) -> boto3.Session:
    """A session holding credentials from assuming account B's role (with its ExternalId)."""
    creds = sts.assume_role(RoleArn=CROSS_ACCOUNT_ROLE_ARN, RoleSessionName="tests",
                            ExternalId=CROSS_ACCOUNT_EXTERNAL_ID)["Credentials"]
    return session_for(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


@pytest.fixture(scope="module")
def fault_sandbox() -> Iterator[Any]:
    """A sandbox of its own for fault tests, so injected faults never leak into other tests."""
    server = start_sandbox(no_delay=True, seed=7)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def faulty(fault_sandbox: Any, participant: boto3.Session) -> Iterator[tuple[Any, Any]]:
    """(server, runtime client) with faults cleared after each test."""
    client = participant.client("bedrock-runtime", endpoint_url=fault_sandbox.endpoints["nat"], config=NO_RETRY)
    try:
        yield fault_sandbox, client
    finally:
        fault_sandbox.set_faults(None)


@dataclass(frozen=True)
class FamilyCase:
    """One model family: a model, a valid InvokeModel body, and how to read text back."""

    family: str
    model_id: str
    body: dict
    text: Callable[[dict], str]
    stream_text: Callable[[dict], str]
    max_tokens_key: tuple[str, ...]


def _claude_stream(c: dict) -> str:
    return c["delta"].get("text", "") if c.get("type") == "content_block_delta" else ""


PROMPT = "Why does a VPC endpoint change the latency of calls to Amazon Bedrock?"

FAMILY_CASES: tuple[FamilyCase, ...] = (
    FamilyCase("claude-messages", "anthropic.claude-3-haiku-20240307-v1:0",
               {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 300,
                "messages": [{"role": "user", "content": [{"type": "text", "text": PROMPT}]}]},
               lambda r: r["content"][0]["text"], _claude_stream, ("max_tokens",)),
    FamilyCase("claude-text", "anthropic.claude-v2:1",
               {"prompt": f"\n\nHuman: {PROMPT}\n\nAssistant:", "max_tokens_to_sample": 300},
               lambda r: r["completion"].lstrip(" "), lambda c: c["completion"], ("max_tokens_to_sample",)),
    FamilyCase("titan-text", "amazon.titan-text-express-v1",
               {"inputText": PROMPT, "textGenerationConfig": {"maxTokenCount": 300}},
               lambda r: r["results"][0]["outputText"], lambda c: c["outputText"],
               ("textGenerationConfig", "maxTokenCount")),
    FamilyCase("nova", "amazon.nova-lite-v1:0",
               {"schemaVersion": "messages-v1", "messages": [{"role": "user", "content": [{"text": PROMPT}]}],
                "inferenceConfig": {"maxTokens": 300}},
               lambda r: r["output"]["message"]["content"][0]["text"],
               lambda c: c.get("contentBlockDelta", {}).get("delta", {}).get("text", ""),
               ("inferenceConfig", "maxTokens")),
    FamilyCase("llama", "meta.llama3-8b-instruct-v1:0", {"prompt": PROMPT, "max_gen_len": 300},
               lambda r: r["generation"], lambda c: c["generation"], ("max_gen_len",)),
    FamilyCase("mistral", "mistral.mistral-7b-instruct-v0:2", {"prompt": f"<s>[INST] {PROMPT} [/INST]", "max_tokens": 300},
               lambda r: r["outputs"][0]["text"], lambda c: c["outputs"][0]["text"], ("max_tokens",)),
    FamilyCase("mistral-chat", "mistral.mistral-large-2407-v1:0",
               {"messages": [{"role": "user", "content": PROMPT}], "max_tokens": 300},
               lambda r: r["choices"][0]["message"]["content"],
               lambda c: c["choices"][0]["delta"].get("content", ""), ("max_tokens",)),
    FamilyCase("cohere-command-r", "cohere.command-r-plus-v1:0", {"message": PROMPT, "max_tokens": 300},
               lambda r: r["text"],
               lambda c: c.get("text", "") if c.get("event_type") == "text-generation" else "", ("max_tokens",)),
    FamilyCase("jamba", "ai21.jamba-1-5-mini-v1:0",
               {"messages": [{"role": "user", "content": PROMPT}], "max_tokens": 300},
               lambda r: r["choices"][0]["message"]["content"],
               lambda c: c["choices"][0]["delta"].get("content", ""), ("max_tokens",)),
)


def with_max_tokens(case: FamilyCase, value: int) -> dict:
    """``case.body`` with its family's max-tokens field set to ``value``."""
    body = json.loads(json.dumps(case.body))
    target = body
    for key in case.max_tokens_key[:-1]:
        target = target[key]
    target[case.max_tokens_key[-1]] = value
    return body


def invoke_json(client: Any, model_id: str, body: dict) -> tuple[dict, dict]:
    """(parsed body, lower-case response headers) of one InvokeModel."""
    response = client.invoke_model(modelId=model_id, body=json.dumps(body))
    return json.loads(response["body"].read()), response["ResponseMetadata"]["HTTPHeaders"]


def stream_chunks(client: Any, model_id: str, body: dict) -> list[dict]:
    """Every decoded chunk JSON of one InvokeModelWithResponseStream (boto3 parses the frames)."""
    response = client.invoke_model_with_response_stream(modelId=model_id, body=json.dumps(body))
    return [json.loads(event["chunk"]["bytes"]) for event in response["body"]]

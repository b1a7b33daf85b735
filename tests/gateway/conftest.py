"""Fixtures for the gateway paths: sandboxes with chosen usage plans, clients, plain HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from workshop.sandbox import PARTICIPANT_ACCESS_KEY, PARTICIPANT_SECRET_KEY, start_sandbox
from workshop.sandbox import gateway_facts as facts
from workshop.sandbox.gateway import ApiSettings

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES_BODY = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 20,
                 "messages": [{"role": "user", "content": "Say hello"}]}
CONVERSE_BODY = {"messages": [{"role": "user", "content": [{"text": "Say hello"}]}], "inferenceConfig": {"maxTokens": 20}}


def proxy_request(model_id: str = HAIKU, api: str = "invoke", body: dict | None = None) -> bytes:
    """The proxy's contract, as a client sends it."""
    return json.dumps({"modelId": model_id, "api": api,
                       "body": body if body is not None else (MESSAGES_BODY if api == "invoke" else CONVERSE_BODY)}
                      ).encode()


@dataclass
class Answer:
    """A plain-HTTP answer: status, lower-case headers, body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def post(url: str, data: bytes, headers: dict[str, str] | None = None, method: str = "POST") -> Answer:
    """One plain HTTP request (urllib, no AWS SDK): what curl would do."""
    request = urllib.request.Request(url, data=data if method != "GET" else None, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as err:
        return Answer(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


def key_headers(key: str | None = facts.API_KEY, api_id: str | None = facts.API_ID) -> dict[str, str]:
    out = {}
    if key is not None:
        out["x-api-key"] = key
    if api_id is not None:
        out["x-apigw-api-id"] = api_id
    return out


@pytest.fixture(scope="module")
def gw_sandbox() -> Iterator[Any]:
    """A sandbox of this module's own (a usage plan's counters must not leak between modules)."""
    server = start_sandbox(no_delay=True)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sandbox_with() -> Iterator[Callable[..., Any]]:
    """Start a sandbox with the given ApiSettings / faults for one test; stopped afterwards."""
    started: list[Any] = []

    def start(settings: ApiSettings | None = None, **kwargs: Any) -> Any:
        server = start_sandbox(no_delay=True, gateway=settings, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def participant() -> boto3.Session:
    return boto3.Session(aws_access_key_id=PARTICIPANT_ACCESS_KEY, aws_secret_access_key=PARTICIPANT_SECRET_KEY,
                         region_name="us-east-1")


def stage(server: Any, listener: str = "api-gateway") -> str:
    return server.gateway_endpoints[listener] + facts.RESOURCE

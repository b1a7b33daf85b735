"""Bodies for every family and API, over HTTP into a running sandbox, signed by botocore: the
answer is 200 or a 400 ValidationException — never a 500 (a bug), never a dropped connection."""

from __future__ import annotations

import base64
import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz.conftest import share
from tests.fuzz.strategies import AWKWARD_TEXTS, bodies
from workshop import families
from workshop.sandbox import PARTICIPANT_ACCESS_KEY, PARTICIPANT_SECRET_KEY, start_sandbox
from workshop.sandbox.models import catalog_models

MODELS = {m.family: m.model_id for m in catalog_models().values() if m.enabled and not m.profile_only}
OPERATIONS = ("invoke", "invoke-with-response-stream", "converse", "converse-stream", "count-tokens")
CREDENTIALS = Credentials(PARTICIPANT_ACCESS_KEY, PARTICIPANT_SECRET_KEY)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[tuple[str, int]]:
    with start_sandbox(no_delay=True) as server:
        host, port = server.endpoints["nat"].removeprefix("http://").rsplit(":", 1)
        yield host, int(port)


def post(endpoint: tuple[str, int], path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """One signed POST on a fresh connection; the whole answer (a stream read to its end)."""
    url = f"http://{endpoint[0]}:{endpoint[1]}{path}"
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(CREDENTIALS, "bedrock", "us-east-1").add_auth(request)
    conn = http.client.HTTPConnection(*endpoint, timeout=60)
    try:
        conn.request("POST", path, body=body, headers=dict(request.headers))
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def _encode(body: Any) -> bytes:
    try:
        return json.dumps(body).encode()
    except ValueError:  # an integer past Python's conversion limit: send its digits as JSON would
        return b'{"max_tokens": ' + b"9" * 5000 + b"}"


def _check(status: int, headers: dict[str, str], raw: bytes) -> None:
    assert status in (200, 400), (status, raw[:300])
    if status == 400:
        assert headers.get("x-amzn-errortype") == "ValidationException", (headers, raw[:300])
        assert json.loads(raw)["message"]


@settings(max_examples=share(0.7))
@given(data=st.data(), family=st.sampled_from(sorted(MODELS)), operation=st.sampled_from(OPERATIONS))
def test_any_body_is_answered_200_or_validation(endpoint: tuple[str, int], data: st.DataObject, family: str,
                                                operation: str) -> None:
    shape = families.CONVERSE if operation.startswith("converse") else family
    body = data.draw(bodies(shape))
    if operation == "count-tokens":
        body = {"input": {"converse": body} if shape == families.CONVERSE else
                {"invokeModel": {"body": base64.b64encode(_encode(body)).decode()}}}
    _check(*post(endpoint, f"/model/{MODELS[family]}/{operation}", _encode(body)))


@settings(max_examples=share(0.35))
@given(raw=AWKWARD_TEXTS, operation=st.sampled_from(OPERATIONS[:4]))
def test_awkward_raw_bodies_are_answered_200_or_validation(endpoint: tuple[str, int], raw: bytes,
                                                           operation: str) -> None:
    _check(*post(endpoint, f"/model/{MODELS['claude-messages']}/{operation}", raw))

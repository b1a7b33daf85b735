"""The forwarding LLM gateway (seed 002): signed requests go through unmodified and still verify.

The Host question: SigV4 signs the Host header. The llm-gateway path signs for bedrock-runtime's
host and sends that Host to the gateway, which forwards it; a client that signs for the
gateway's own host fails at Bedrock, because the gateway (like any reverse proxy in front of
bedrock-runtime) must present Bedrock's name upstream.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from workshop.config import bind_sandbox, default_config
from workshop.gateway import route_through_gateway
from workshop.paths import PathClient
from workshop.sandbox import PARTICIPANT_ACCESS_KEY, PARTICIPANT_SECRET_KEY

from .conftest import CONVERSE_BODY, HAIKU, MESSAGES_BODY, post

ROOT = Path(__file__).resolve().parents[2]
AWS = ROOT / ".venv" / "bin" / "aws"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def _log(server) -> list[dict]:
    return post(server.gateway_endpoints["llm-gateway"] + "/_gateway/log", b"", method="GET").json()


@pytest.fixture
def through_gateway(gw_sandbox, participant):
    """bedrock-runtime signed for the upstream (the sandbox's nat listener), sent to the gateway."""
    client = participant.client("bedrock-runtime", endpoint_url=gw_sandbox.endpoints["nat"], config=NO_RETRY)
    route_through_gateway(client, gw_sandbox.gateway_endpoints["llm-gateway"])
    return client


def test_a_request_signed_for_bedrock_runtime_verifies_through_the_gateway(gw_sandbox, through_gateway) -> None:
    before = len(_log(gw_sandbox))
    answer = through_gateway.invoke_model(modelId=HAIKU, body=json.dumps(MESSAGES_BODY))
    assert json.loads(answer["body"].read())["type"] == "message"
    headers = answer["ResponseMetadata"]["HTTPHeaders"]
    assert float(headers["x-gateway-upstream-ms"]) >= float(headers["x-amzn-bedrock-invocation-latency"])
    entry = _log(gw_sandbox)[before]
    assert (entry["status"], entry["modelId"], entry["operation"]) == (200, HAIKU, "invoke")
    assert entry["host_rewritten"] is False  # the Host it got is the one the client signed
    assert entry["host_received"] == urlsplit(gw_sandbox.endpoints["nat"]).netloc


def test_streams_are_relayed_as_they_arrive_and_logged(gw_sandbox, through_gateway) -> None:
    before = len(_log(gw_sandbox))
    stream = through_gateway.converse_stream(modelId=HAIKU, **CONVERSE_BODY)["stream"]
    texts = [e["contentBlockDelta"]["delta"]["text"] for e in stream if "contentBlockDelta" in e]
    assert "".join(texts)
    entry = _log(gw_sandbox)[before]
    assert entry["streamed"] is True and entry["response_bytes"] > 0 and entry["operation"] == "converse-stream"


def test_a_client_that_signed_for_the_gateways_own_host_fails_the_signature(gw_sandbox, participant) -> None:
    # Seed 002's invoke_model with endpoint_url pointed at the gateway: botocore signs the gateway's host.
    naive = participant.client("bedrock-runtime", endpoint_url=gw_sandbox.gateway_endpoints["llm-gateway"],
                               config=NO_RETRY)
    before = len(_log(gw_sandbox))
    with pytest.raises(ClientError) as failure:
        naive.invoke_model(modelId=HAIKU, body=json.dumps(MESSAGES_BODY))
    assert failure.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert _log(gw_sandbox)[before]["host_rewritten"] is True


def test_seed_002s_presigned_request_sent_over_plain_http_goes_through(gw_sandbox) -> None:
    upstream = gw_sandbox.endpoints["nat"]
    url = f"{upstream}/model/{HAIKU}/invoke"
    request = AWSRequest("POST", url, data=json.dumps(MESSAGES_BODY).encode(),
                         headers={"Content-Type": "application/json", "Host": urlsplit(upstream).netloc})
    SigV4Auth(Credentials(PARTICIPANT_ACCESS_KEY, PARTICIPANT_SECRET_KEY), "bedrock", "us-east-1").add_auth(request)
    gateway_url = gw_sandbox.gateway_endpoints["llm-gateway"] + f"/model/{HAIKU}/invoke"
    answer = post(gateway_url, request.body, dict(request.headers.items()))
    assert answer.status == 200 and answer.json()["content"][0]["text"]


def test_the_llm_gateway_path_fills_the_hop_and_sums_the_planned_network(gw_sandbox) -> None:
    from workshop.invoke import invoke

    path = bind_sandbox(default_config(), gw_sandbox).paths["llm-gateway"]
    client = PathClient(path, session=None, default_chain=_participant_keys())
    try:
        result = invoke(client, HAIKU, MESSAGES_BODY, "invoke")
        streamed = invoke(client, HAIKU, MESSAGES_BODY, "invoke-stream")
    finally:
        client.close()
    assert result.ok and result.upstream_ms is not None
    assert result.gateway_ms == pytest.approx(result.client_ms - result.upstream_ms)
    assert result.modelled_network_ms == 0.0  # no delay: both hops planned at zero
    # A stream's headers leave before its end: no upstream total, so no split (not a guess).
    assert streamed.ok and streamed.output_text and streamed.gateway_ms is None


@pytest.mark.skipif(not AWS.exists(), reason="awscli not installed in .venv")
def test_the_aws_cli_pointed_at_the_gateway_signs_the_wrong_host(gw_sandbox, tmp_path: Path) -> None:
    (tmp_path / "body.json").write_text(json.dumps(MESSAGES_BODY))
    env = dict(os.environ, AWS_ACCESS_KEY_ID=PARTICIPANT_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=PARTICIPANT_SECRET_KEY,
               AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="",
               AWS_MAX_ATTEMPTS="1")
    result = subprocess.run(
        [str(AWS), "bedrock-runtime", "invoke-model", "--model-id", HAIKU, "--body",
         f"fileb://{tmp_path / 'body.json'}", "--endpoint-url", gw_sandbox.gateway_endpoints["llm-gateway"],
         str(tmp_path / "out.json")],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0 and "InvalidSignatureException" in result.stderr


def _participant_keys():
    from workshop.credentials import StaticKeys

    return StaticKeys(PARTICIPANT_ACCESS_KEY, PARTICIPANT_SECRET_KEY)

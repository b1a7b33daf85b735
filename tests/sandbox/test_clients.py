"""Independent clients and load: the AWS CLI, the sandbox command, 32 concurrent boto3 calls."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from botocore.config import Config

from tests.sandbox.conftest import FAMILY_CASES
from workshop.sandbox import PARTICIPANT_ACCESS_KEY, PARTICIPANT_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
AWS = ROOT / ".venv" / "bin" / "aws"
CASE = FAMILY_CASES[0]


def _cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(AWS_ACCESS_KEY_ID=PARTICIPANT_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=PARTICIPANT_SECRET_KEY,
               AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
    return env


def test_32_concurrent_invocations_all_succeed(sandbox, participant) -> None:
    client = participant.client("bedrock-runtime", endpoint_url=sandbox.endpoints["vpce"],
                                config=Config(max_pool_connections=32, retries={"total_max_attempts": 1}))
    expected = json.loads(client.invoke_model(modelId=CASE.model_id, body=json.dumps(CASE.body))["body"].read())

    def one(_: int) -> tuple[str, str]:
        response = client.invoke_model(modelId=CASE.model_id, body=json.dumps(CASE.body))
        return response["ResponseMetadata"]["RequestId"], json.loads(response["body"].read())["content"][0]["text"]

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(one, range(64)))
    assert len({request_id for request_id, _ in results}) == 64
    assert {text for _, text in results} == {expected["content"][0]["text"]}


def test_concurrent_streams_are_not_interleaved(sandbox, participant) -> None:
    client = participant.client("bedrock-runtime", endpoint_url=sandbox.endpoints["nat"],
                                config=Config(max_pool_connections=16, retries={"total_max_attempts": 1}))
    prompts = [f"Question {i}: how do VPC endpoints and NAT gateways differ for workload {i}?" for i in range(16)]

    def streamed(prompt: str) -> tuple[str, str]:
        messages = [{"role": "user", "content": [{"text": prompt}]}]
        text = "".join(e["contentBlockDelta"]["delta"]["text"]
                       for e in client.converse_stream(modelId="amazon.nova-micro-v1:0", messages=messages)["stream"]
                       if "contentBlockDelta" in e)
        whole = client.converse(modelId="amazon.nova-micro-v1:0", messages=messages)
        return text, whole["output"]["message"]["content"][0]["text"]

    with ThreadPoolExecutor(max_workers=16) as pool:
        pairs = list(pool.map(streamed, prompts))
    assert all(streamed_text == whole for streamed_text, whole in pairs)


@pytest.mark.skipif(not AWS.exists(), reason="awscli not installed in .venv")
def test_aws_cli_invokes_a_model_against_the_sandbox(sandbox, tmp_path: Path) -> None:
    (tmp_path / "body.json").write_text(json.dumps(CASE.body))
    out = tmp_path / "answer.json"
    result = subprocess.run(
        [str(AWS), "bedrock-runtime", "invoke-model", "--model-id", CASE.model_id,
         "--body", f"fileb://{tmp_path / 'body.json'}", "--endpoint-url", sandbox.endpoints["nat"],
         "--region", "us-east-1", str(out)],
        env=_cli_env(), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(out.read_text())
    assert answer["type"] == "message"
    assert answer["content"][0]["text"]


@pytest.mark.skipif(not AWS.exists(), reason="awscli not installed in .venv")
def test_aws_cli_sees_a_bad_sts_signature_as_signature_does_not_match(sandbox, tmp_path: Path) -> None:
    env = _cli_env() | {"AWS_SECRET_ACCESS_KEY": "not-the-secret"}
    result = subprocess.run(
        [str(AWS), "sts", "get-caller-identity", "--endpoint-url", sandbox.sts_endpoint, "--region", "us-east-1"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "SignatureDoesNotMatch" in result.stderr


def test_sandbox_command_prints_endpoints_serves_and_stops_on_ctrl_c(participant) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "workshop", "sandbox", "--port", "0", "--no-delay"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    try:
        lines = {}
        for line in process.stdout:
            name, _, value = line.strip().partition(" ")
            lines[name] = value.strip()
            if name == "external-id":
                break
        assert set(lines) >= {"nat", "vpce", "cross-account", "sts", "AWS_ACCESS_KEY_ID", "cross-account-role"}
        assert lines["cross-account-role"] == "arn:aws:iam::444455556666:role/BedrockCrossAccountRole"
        assert lines["nat"].startswith("http://127.0.0.1:")
        client = participant.client("bedrock-runtime", endpoint_url=lines["nat"])
        assert client.invoke_model(modelId=CASE.model_id, body=json.dumps(CASE.body))["ResponseMetadata"][
            "HTTPStatusCode"] == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert "sandbox stopped" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

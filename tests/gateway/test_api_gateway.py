"""The emulated private API Gateway + Lambda, over loopback: plain HTTP, boto3's signer, the AWS CLI.

Each test is one behaviour of API Gateway at its boundary: which answer, which status, which
error type and body, in which order its checks apply.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from workshop.sandbox import PARTICIPANT_ACCESS_KEY, PARTICIPANT_SECRET_KEY, Faults
from workshop.sandbox import gateway_facts as facts
from workshop.sandbox.gateway import ApiSettings

from .conftest import HAIKU, key_headers, post, proxy_request, stage

ROOT = Path(__file__).resolve().parents[2]
AWS = ROOT / ".venv" / "bin" / "aws"


def test_a_keyed_call_gets_bedrocks_body_and_the_proxys_timing_headers(gw_sandbox) -> None:
    answer = post(stage(gw_sandbox), proxy_request(), key_headers())
    assert answer.status == 200
    body = answer.json()
    assert body["type"] == "message" and body["content"][0]["text"]  # the model's own JSON, unchanged
    h = answer.headers
    assert float(h["x-amzn-bedrock-invocation-latency"]) >= 0  # passed through from Bedrock
    assert int(h["x-amzn-bedrock-output-token-count"]) > 0
    assert float(h["x-proxy-bedrock-ms"]) <= float(h["x-proxy-handler-ms"])
    assert h["x-amzn-requestid"] and h["x-amz-apigw-id"]  # API Gateway's own ids
    assert h["x-proxy-bedrock-request-id"] != h["x-amzn-requestid"]


def test_the_first_call_of_an_environment_is_cold_and_the_next_is_warm() -> None:
    from workshop.sandbox import start_sandbox

    server = start_sandbox(no_delay=True)
    try:
        first = post(stage(server), proxy_request(), key_headers())
        second = post(stage(server), proxy_request(), key_headers())
    finally:
        server.stop()
    assert first.headers["x-proxy-cold-start"] == "true" and float(first.headers["x-proxy-init-ms"]) > 0
    assert float(first.headers["x-sandbox-lambda-init-ms"]) >= float(first.headers["x-proxy-init-ms"])
    assert second.headers["x-proxy-cold-start"] == "false"
    assert "x-proxy-init-ms" not in second.headers and "x-sandbox-lambda-init-ms" not in second.headers


def test_converse_through_the_proxy_returns_the_converse_response(gw_sandbox) -> None:
    answer = post(stage(gw_sandbox), proxy_request(api="converse"), key_headers())
    assert answer.status == 200
    body = answer.json()
    assert body["output"]["message"]["content"][0]["text"] and body["stopReason"]
    assert float(answer.headers["x-amzn-bedrock-invocation-latency"]) == body["metrics"]["latencyMs"]


@pytest.mark.parametrize("key", [None, "", "not-the-key", facts.API_KEY[:-1]])
def test_a_missing_or_wrong_api_key_is_403_forbidden(gw_sandbox, key) -> None:
    answer = post(stage(gw_sandbox), proxy_request(), key_headers(key=key))
    assert (answer.status, answer.headers["x-amzn-errortype"], answer.json()) == (
        403, "ForbiddenException", {"message": "Forbidden"})


def test_without_the_api_id_the_endpoint_cannot_tell_which_api_and_says_forbidden(gw_sandbox) -> None:
    answer = post(stage(gw_sandbox), proxy_request(), key_headers(api_id=None))
    assert (answer.status, answer.json()) == (403, {"message": "Forbidden"})


def test_the_api_id_can_come_from_the_execute_api_host_name(gw_sandbox) -> None:
    # The Route 53 alias form <api-id>-<vpce-id>.execute-api...: the Host header names the API.
    host = f"{facts.API_ID}-{facts.ALLOWED_VPCE_ID}.execute-api.us-east-1.amazonaws.com"
    answer = post(stage(gw_sandbox), proxy_request(), {"x-api-key": facts.API_KEY, "Host": host})
    assert answer.status == 200


@pytest.mark.parametrize("suffix,method", [("/prod/other", "POST"), ("/bedrock", "POST"), ("/prod/bedrock", "GET"),
                                           ("/dev/bedrock", "POST")])
def test_an_unknown_route_is_403_missing_authentication_token(gw_sandbox, suffix, method) -> None:
    base = gw_sandbox.gateway_endpoints["api-gateway"].rsplit("/", 1)[0]
    answer = post(base + suffix, proxy_request(), key_headers(), method=method)
    assert (answer.status, answer.headers["x-amzn-errortype"], answer.json()["message"]) == (
        403, "MissingAuthenticationTokenException", "Missing Authentication Token")


def test_the_resource_policy_denies_another_vpcs_endpoint_even_with_a_good_key(gw_sandbox) -> None:
    answer = post(stage(gw_sandbox, "apigw-foreign-vpce"), proxy_request(), key_headers())
    assert answer.status == 403 and answer.headers["x-amzn-errortype"] == "AccessDeniedException"
    message = answer.json()["Message"]  # API Gateway capitalises this one
    assert "execute-api:Invoke" in message and "with an explicit deny" in message
    assert f"{facts.API_ID}/prod/POST/bedrock" in message


def test_the_proxys_contract_errors_are_400_naming_the_field(gw_sandbox) -> None:
    bad = json.dumps({"modelId": HAIKU, "api": "invoke-stream", "body": {}}).encode()
    answer = post(stage(gw_sandbox), bad, key_headers())
    assert (answer.status, answer.headers["x-amzn-errortype"], answer.json()["field"]) == (
        400, "ValidationException", "api")
    answer = post(stage(gw_sandbox), b"not json", key_headers())
    assert answer.status == 400 and answer.json()["field"] == "body"


def test_bedrocks_own_errors_pass_through_with_their_status_and_code(gw_sandbox) -> None:
    # Claude 3 Opus is "not enabled" in the sandbox's catalog: Bedrock's 403 AccessDenied.
    answer = post(stage(gw_sandbox), proxy_request("anthropic.claude-3-opus-20240229-v1:0"), key_headers())
    assert (answer.status, answer.headers["x-amzn-errortype"]) == (403, "AccessDeniedException")
    assert "access to the model" in answer.json()["message"]


def test_the_quota_admits_exactly_its_limit_then_says_limit_exceeded(sandbox_with) -> None:
    server = sandbox_with(ApiSettings(quota_limit=3))
    statuses = [post(stage(server), proxy_request(), key_headers()).status for _ in range(3)]
    over = post(stage(server), proxy_request(), key_headers())
    assert statuses == [200, 200, 200]
    assert (over.status, over.headers["x-amzn-errortype"], over.json()) == (
        429, "LimitExceededException", {"message": "Limit Exceeded"})
    # A wrong key is refused before the usage plan is consulted: 403, not 429.
    assert post(stage(server), proxy_request(), key_headers(key="nope")).status == 403


def test_the_throttle_admits_the_burst_then_says_too_many_requests(sandbox_with) -> None:
    server = sandbox_with(ApiSettings(rate_limit=0.0, burst_limit=2))
    statuses = [post(stage(server), proxy_request(), key_headers()).status for _ in range(2)]
    over = post(stage(server), proxy_request(), key_headers())
    assert statuses == [200, 200]
    assert (over.status, over.headers["x-amzn-errortype"], over.json()) == (
        429, "TooManyRequestsException", {"message": "Too Many Requests"})


def test_an_integration_slower_than_the_timeout_is_504(sandbox_with) -> None:
    # Bedrock made slow (1 s before its first byte) behind a 0.2 s integration timeout.
    server = sandbox_with(ApiSettings(integration_timeout_s=0.2), faults=Faults(slow_first_byte_ms=1000))
    answer = post(stage(server), proxy_request(), key_headers())
    assert (answer.status, answer.json()) == (504, {"message": "Endpoint request timed out"})


def test_the_integration_timeout_cannot_exceed_api_gateways_29_seconds() -> None:
    with pytest.raises(ValueError, match="29000"):
        ApiSettings(integration_timeout_s=30.0)


def test_a_lambda_at_its_concurrency_limit_surfaces_as_500_internal_server_error(sandbox_with) -> None:
    server = sandbox_with(ApiSettings(lambda_concurrency=1), faults=Faults(slow_first_byte_ms=1500))
    function = server.gateways.api.function
    results: list = []
    first = threading.Thread(target=lambda: results.append(post(stage(server), proxy_request(), key_headers())))
    first.start()
    deadline = time.monotonic() + 20
    while function.cold_starts < 1 and time.monotonic() < deadline:  # the first call holds the one environment
        time.sleep(0.01)
    second = post(stage(server), proxy_request(), key_headers())
    first.join(30)
    assert function.cold_starts == 1
    assert (second.status, second.json()) == (500, {"message": "Internal server error"})
    assert results[0].status == 200


def _signed(url: str, data: bytes, *, service: str = "execute-api", secret: str = PARTICIPANT_SECRET_KEY) -> dict:
    from botocore.credentials import Credentials

    request = AWSRequest("POST", url, data=data, headers={"Content-Type": "application/json",
                                                          "x-apigw-api-id": facts.IAM_API_ID})
    SigV4Auth(Credentials(PARTICIPANT_ACCESS_KEY, secret), service, "us-east-1").add_auth(request)
    return dict(request.headers.items())


def test_the_iam_api_accepts_a_sigv4_request_for_execute_api(gw_sandbox) -> None:
    url, data = stage(gw_sandbox), proxy_request()
    answer = post(url, data, _signed(url, data))
    assert answer.status == 200 and answer.json()["type"] == "message"


def test_the_iam_api_refuses_unsigned_wrongly_signed_and_wrong_service_requests(gw_sandbox) -> None:
    url, data = stage(gw_sandbox), proxy_request()
    unsigned = post(url, data, {"x-apigw-api-id": facts.IAM_API_ID})
    assert (unsigned.status, unsigned.headers["x-amzn-errortype"]) == (403, "MissingAuthenticationTokenException")
    wrong = post(url, data, _signed(url, data, secret="not-the-secret"))
    assert (wrong.status, wrong.headers["x-amzn-errortype"]) == (403, "InvalidSignatureException")
    other = post(url, data, _signed(url, data, service="bedrock"))
    assert other.status == 403 and "execute-api" in other.json()["message"]


def test_the_iam_api_through_another_vpcs_endpoint_is_denied_naming_the_caller(gw_sandbox) -> None:
    url, data = stage(gw_sandbox, "apigw-foreign-vpce"), proxy_request()
    answer = post(url, data, _signed(url, data))
    assert answer.status == 403
    assert answer.json()["Message"].startswith("User: arn:aws:iam::111122223333:user/workshop-participant is not")


def test_boto3_reads_the_usage_plan_and_the_keys_usage_from_the_control_plane(sandbox_with, participant) -> None:
    server = sandbox_with(ApiSettings(quota_limit=5, quota_period="WEEK", rate_limit=7, burst_limit=9))
    for _ in range(2):
        assert post(stage(server), proxy_request(), key_headers()).status == 200
    client = participant.client("apigateway", endpoint_url=server.gateway_endpoints["apigateway"])
    plan = client.get_usage_plan(usagePlanId=facts.USAGE_PLAN_ID)
    assert plan["quota"] == {"limit": 5, "offset": 0, "period": "WEEK"}
    assert plan["throttle"] == {"burstLimit": 9, "rateLimit": 7.0}
    today = server.gateways.api.plan.now().date().isoformat()
    usage = client.get_usage(usagePlanId=facts.USAGE_PLAN_ID, keyId=facts.API_KEY_ID, startDate=today, endDate=today)
    assert usage["items"][facts.API_KEY_ID] == [[2, 3]]
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_usage_plan(usagePlanId="nosuchplan")


@pytest.mark.skipif(not AWS.exists(), reason="awscli not installed in .venv")
def test_the_aws_cli_reads_the_usage_plan(gw_sandbox) -> None:
    env = dict(os.environ, AWS_ACCESS_KEY_ID=PARTICIPANT_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=PARTICIPANT_SECRET_KEY,
               AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
    result = subprocess.run(
        [str(AWS), "apigateway", "get-usage-plan", "--usage-plan-id", facts.USAGE_PLAN_ID,
         "--endpoint-url", gw_sandbox.gateway_endpoints["apigateway"], "--region", "us-east-1"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["id"] == facts.USAGE_PLAN_ID and plan["apiStages"] == [{"apiId": facts.API_ID, "stage": "prod"}]


def test_the_control_plane_refuses_an_unsigned_request(gw_sandbox) -> None:
    answer = post(gw_sandbox.gateway_endpoints["apigateway"] + f"/usageplans/{facts.USAGE_PLAN_ID}", b"",
                  method="GET")
    assert answer.status == 403 and answer.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"

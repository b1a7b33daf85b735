"""The proxy Lambda's handler (infra/gateway/handler.py): the very file the template deploys.

Against the sandbox for Bedrock (real boto3 over loopback), and against moto for CloudWatch
Logs and S3 (its in-process mock: the Logs and S3 calls never leave the process, while the
Bedrock calls, to a loopback URL moto does not know, pass through to the sandbox).
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from workshop.sandbox import PARTICIPANT_ACCESS_KEY, PARTICIPANT_SECRET_KEY
from workshop.sandbox.gateway import HANDLER_FILE, load_handler_module

from .conftest import HAIKU, proxy_request

NOVA = "amazon.nova-lite-v1:0"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:111122223333:function:bedrock-gateway-proxy"


@pytest.fixture(scope="module")
def handler() -> Any:
    return load_handler_module()


def _session() -> boto3.Session:
    return boto3.Session(aws_access_key_id=PARTICIPANT_ACCESS_KEY, aws_secret_access_key=PARTICIPANT_SECRET_KEY,
                         region_name="us-east-1")


def _event(data: bytes, **identity: Any) -> dict:
    return {"body": data.decode(), "isBase64Encoded": False,
            "requestContext": {"requestId": "apigw-1", "stage": "prod", "apiId": "a1b2c3d4e5",
                               "identity": {"apiKeyId": "k1e2y3i4d5", "vpceId": "vpce-0a1b2c3d4e5f60718", **identity}}}


def _proxy(handler: Any, gw_sandbox: Any, **env: str) -> Any:
    return handler.Proxy(env={"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": gw_sandbox.endpoints["nat"],
                              **env}, session=_session())


def test_the_handler_file_is_the_one_the_template_packages() -> None:
    template = (HANDLER_FILE.parent / "template.yaml").read_text()
    assert "Handler: handler.handler" in template and HANDLER_FILE.name == "handler.py"


def test_invoke_answers_with_bedrocks_body_and_the_timing_headers(handler, gw_sandbox) -> None:
    proxy = _proxy(handler, gw_sandbox)
    answer = proxy.handle(_event(proxy_request()), SimpleNamespace(invoked_function_arn=FUNCTION_ARN))
    assert answer["statusCode"] == 200 and answer["isBase64Encoded"] is False
    assert json.loads(answer["body"])["type"] == "message"
    h = answer["headers"]
    assert all(isinstance(v, str) for v in h.values())  # API Gateway refuses non-string header values
    assert h["x-proxy-cold-start"] == "true" and float(h["x-proxy-init-ms"]) > 0
    assert float(h["x-proxy-bedrock-ms"]) >= float(h["x-amzn-bedrock-invocation-latency"])
    again = proxy.handle(_event(proxy_request()), None)
    assert again["headers"]["x-proxy-cold-start"] == "false" and "x-proxy-init-ms" not in again["headers"]


def test_converse_answers_with_the_converse_response(handler, gw_sandbox) -> None:
    answer = _proxy(handler, gw_sandbox).handle(_event(proxy_request(NOVA, "converse")), None)
    body = json.loads(answer["body"])
    assert answer["statusCode"] == 200 and "ResponseMetadata" not in body
    assert int(answer["headers"]["x-amzn-bedrock-output-token-count"]) == body["usage"]["outputTokens"]


@pytest.mark.parametrize("request_body,field", [
    ({"api": "invoke", "body": {}}, "modelId"),
    ({"modelId": HAIKU, "api": "count-tokens", "body": {}}, "api"),
    ({"modelId": HAIKU, "api": "invoke", "body": "text"}, "body"),
    ([1, 2], "body"),
])
def test_a_request_outside_the_contract_is_400_naming_the_field(handler, gw_sandbox, request_body, field) -> None:
    answer = _proxy(handler, gw_sandbox).handle(_event(json.dumps(request_body).encode()), None)
    assert answer["statusCode"] == 400 and json.loads(answer["body"])["field"] == field
    assert answer["headers"]["x-amzn-ErrorType"] == "ValidationException"


def test_a_base64_body_from_api_gateway_is_decoded(handler, gw_sandbox) -> None:
    import base64

    event = _event(b"")
    event.update(body=base64.b64encode(proxy_request()).decode(), isBase64Encoded=True)
    assert _proxy(handler, gw_sandbox).handle(event, None)["statusCode"] == 200


def test_allowed_models_limit_what_the_proxy_serves(handler, gw_sandbox) -> None:
    proxy = _proxy(handler, gw_sandbox, ALLOWED_MODELS=NOVA)
    refused = proxy.handle(_event(proxy_request(HAIKU)), None)
    assert refused["statusCode"] == 403 and NOVA in json.loads(refused["body"])["message"]
    assert proxy.handle(_event(proxy_request(NOVA, "converse")), None)["statusCode"] == 200


def test_bedrock_errors_keep_their_status_and_code(handler, gw_sandbox) -> None:
    answer = _proxy(handler, gw_sandbox).handle(_event(proxy_request("anthropic.claude-3-opus-20240229-v1:0")), None)
    assert (answer["statusCode"], answer["headers"]["x-amzn-ErrorType"]) == (403, "AccessDeniedException")


def test_an_unreachable_bedrock_is_the_proxys_own_502(handler) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proxy = handler.Proxy(env={"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": f"http://127.0.0.1:{port}"},
                          session=_session())
    answer = proxy.handle(_event(proxy_request()), None)
    assert (answer["statusCode"], answer["headers"]["x-amzn-ErrorType"]) == (502, "BadGatewayException")


# ------------------------------------------------------------------ the invocation log, against moto


@pytest.fixture
def moto_logs_s3():
    from moto import mock_aws

    with mock_aws():
        session = _session()
        session.client("logs").create_log_group(logGroupName="/workshop/bedrock-proxy")
        session.client("s3").create_bucket(Bucket="workshop-proxy-logs")
        yield session


def _logged(session: boto3.Session) -> tuple[list[dict], list[dict]]:
    logs, s3 = session.client("logs"), session.client("s3")
    records = []
    for stream in logs.describe_log_streams(logGroupName="/workshop/bedrock-proxy")["logStreams"]:
        events = logs.get_log_events(logGroupName="/workshop/bedrock-proxy", logStreamName=stream["logStreamName"])
        records += [json.loads(e["message"]) for e in events["events"]]
    objects = []
    for item in s3.list_objects_v2(Bucket="workshop-proxy-logs").get("Contents", []):
        body = s3.get_object(Bucket="workshop-proxy-logs", Key=item["Key"])["Body"].read()
        objects.append({"key": item["Key"], "record": json.loads(body)})
    return records, objects


def test_every_call_is_logged_as_a_model_invocation_log_to_cloudwatch_and_s3(handler, gw_sandbox, moto_logs_s3) -> None:
    proxy = handler.Proxy(env={"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": gw_sandbox.endpoints["nat"],
                               "LOG_GROUP": "/workshop/bedrock-proxy", "LOG_BUCKET": "workshop-proxy-logs",
                               "LOG_PREFIX": "proxy"}, session=moto_logs_s3)
    answer = proxy.handle(_event(proxy_request()), SimpleNamespace(invoked_function_arn=FUNCTION_ARN))
    assert answer["statusCode"] == 200 and "x-proxy-log-error" not in answer["headers"]
    records, objects = _logged(moto_logs_s3)
    assert len(records) == 1 and len(objects) == 1
    record = records[0]
    assert record == objects[0]["record"]
    assert (record["schemaType"], record["schemaVersion"], record["operation"]) == ("ModelInvocationLog", "1.0",
                                                                                    "InvokeModel")
    assert record["modelId"] == HAIKU and record["accountId"] == "111122223333"
    assert record["identity"] == {"arn": "apiKey:k1e2y3i4d5"}
    assert record["input"]["inputBodyJson"]["messages"][0]["content"] == "Say hello"
    assert record["output"]["outputBodyJson"]["type"] == "message" and record["output"]["outputTokenCount"] > 0
    assert record["requestId"] == answer["headers"]["x-proxy-bedrock-request-id"]
    assert record["proxy"]["sourceVpce"] == "vpce-0a1b2c3d4e5f60718"
    key = objects[0]["key"]
    assert key.startswith("proxy/AWSLogs/111122223333/BedrockModelInvocationLogs/us-east-1/")
    assert key.endswith(f"{record['requestId']}.json")


def test_log_bodies_false_keeps_prompts_out_of_the_log(handler, gw_sandbox, moto_logs_s3) -> None:
    proxy = handler.Proxy(env={"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": gw_sandbox.endpoints["nat"],
                               "LOG_GROUP": "/workshop/bedrock-proxy", "LOG_BODIES": "false"}, session=moto_logs_s3)
    proxy.handle(_event(proxy_request()), None)
    records, _ = _logged(moto_logs_s3)
    assert "inputBodyJson" not in records[0]["input"] and "outputBodyJson" not in records[0]["output"]
    assert records[0]["input"]["inputTokenCount"] is not None


def test_a_failed_call_is_logged_with_its_error_code(handler, gw_sandbox, moto_logs_s3) -> None:
    proxy = handler.Proxy(env={"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": gw_sandbox.endpoints["nat"],
                               "LOG_BUCKET": "workshop-proxy-logs"}, session=moto_logs_s3)
    proxy.handle(_event(proxy_request("anthropic.claude-3-opus-20240229-v1:0")), None)
    _, objects = _logged(moto_logs_s3)
    assert objects[0]["record"]["errorCode"] == "AccessDeniedException"
    assert "outputBodyJson" not in objects[0]["record"]["output"]


def test_a_log_write_that_fails_never_fails_the_call(handler, gw_sandbox, moto_logs_s3) -> None:
    proxy = handler.Proxy(env={"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": gw_sandbox.endpoints["nat"],
                               "LOG_GROUP": "/no/such/group", "LOG_BUCKET": "no-such-bucket-here"},
                          session=moto_logs_s3)
    answer = proxy.handle(_event(proxy_request()), None)
    assert answer["statusCode"] == 200
    assert answer["headers"]["x-proxy-log-error"] == "logs:ResourceNotFoundException,s3:NoSuchBucket"

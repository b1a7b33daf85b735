"""Injected faults arrive as the exception classes botocore builds from the real service model."""

from __future__ import annotations

import json

import pytest

from tests.sandbox.conftest import FAMILY_CASES
from workshop.errors import ConfigError
from workshop.sandbox import Faults

CASE = FAMILY_CASES[0]


def _invoke(client, model_id: str = CASE.model_id):
    return client.invoke_model(modelId=model_id, body=json.dumps(CASE.body))


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 429),
        ("ModelTimeoutException", 408),
        ("ServiceUnavailableException", 503),
        ("InternalServerException", 500),
        ("ModelNotReadyException", 429),
        ("ModelErrorException", 424),
        ("ServiceQuotaExceededException", 400),
        ("AccessDeniedException", 403),
        ("ValidationException", 400),
    ],
)
def test_forced_error_is_parsed_into_its_exception_class(faulty, code: str, status: int) -> None:
    server, client = faulty
    server.set_faults(Faults(errors={CASE.model_id: code}))
    with pytest.raises(getattr(client.exceptions, code)) as caught:
        _invoke(client)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_forced_error_applies_only_to_its_model(faulty) -> None:
    server, client = faulty
    server.set_faults(Faults(errors={CASE.model_id: "ThrottlingException"}))
    assert json.loads(_invoke(client, "anthropic.claude-3-sonnet-20240229-v1:0")["body"].read())["type"] == "message"


def test_forced_error_applies_to_converse_too(faulty) -> None:
    server, client = faulty
    server.set_faults(Faults(errors={"amazon.nova-lite-v1:0": "ModelTimeoutException"}))
    with pytest.raises(client.exceptions.ModelTimeoutException):
        client.converse(modelId="amazon.nova-lite-v1:0", messages=[{"role": "user", "content": [{"text": "hi"}]}])


def test_throttle_rate_one_throttles_every_call(faulty) -> None:
    server, client = faulty
    server.set_faults(Faults(throttle_rate=1.0))
    with pytest.raises(client.exceptions.ThrottlingException) as caught:
        _invoke(client)
    assert caught.value.response["Error"]["Message"] == "Too many requests, please wait before trying again."


def test_throttle_rate_is_a_seeded_share_of_calls(faulty) -> None:
    server, client = faulty
    server.set_faults(Faults(throttle_rate=0.5))
    outcomes = []
    for _ in range(40):
        try:
            _invoke(client)
            outcomes.append("ok")
        except client.exceptions.ThrottlingException:
            outcomes.append("throttled")
    assert 5 < outcomes.count("throttled") < 35


def test_botocore_standard_retries_recover_from_occasional_throttling(faulty, participant) -> None:
    from botocore.config import Config

    server, _ = faulty
    server.set_faults(Faults(throttle_rate=0.3))
    client = participant.client("bedrock-runtime", endpoint_url=server.endpoints["nat"],
                                config=Config(retries={"max_attempts": 10, "mode": "standard"}))
    retries = [_invoke(client)["ResponseMetadata"]["RetryAttempts"] for _ in range(10)]
    assert sum(retries) > 0


def test_model_not_enabled_is_access_denied_with_the_real_message(runtime) -> None:
    with pytest.raises(runtime.exceptions.AccessDeniedException) as caught:
        _invoke(runtime, "anthropic.claude-3-opus-20240229-v1:0")
    assert caught.value.response["Error"]["Message"] == "You don't have access to the model with the specified model ID."


def test_not_enabled_list_can_be_replaced_at_runtime(faulty) -> None:
    server, client = faulty
    server.set_faults(Faults(not_enabled=frozenset({CASE.model_id})))
    with pytest.raises(client.exceptions.AccessDeniedException):
        _invoke(client)
    assert json.loads(_invoke(client, "anthropic.claude-3-opus-20240229-v1:0")["body"].read())["type"] == "message"


def test_profile_only_model_on_demand_is_the_inference_profile_validation_error(runtime) -> None:
    model = "anthropic.claude-3-7-sonnet-20250219-v1:0"
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        _invoke(runtime, model)
    assert caught.value.response["Error"]["Message"] == (
        f"Invocation of model ID {model} with on-demand throughput isn't supported. Retry your request with the "
        "ID or ARN of an inference profile that contains this model."
    )


def test_unknown_model_is_resource_not_found(runtime) -> None:
    with pytest.raises(runtime.exceptions.ResourceNotFoundException):
        _invoke(runtime, "anthropic.claude-9-imaginary-v1:0")


def test_malformed_model_identifier_is_a_validation_error(runtime) -> None:
    with pytest.raises(runtime.exceptions.ValidationException, match=r"The provided model identifier is invalid\."):
        _invoke(runtime, "not a model")


def test_profile_of_another_geography_is_invalid(runtime) -> None:
    with pytest.raises(runtime.exceptions.ValidationException, match="model identifier is invalid"):
        _invoke(runtime, "eu.anthropic.claude-3-haiku-20240307-v1:0")


def test_slow_first_byte_is_inside_the_server_latency(faulty) -> None:
    server, client = faulty
    server.set_faults(Faults(slow_first_byte_ms=30))
    headers = _invoke(client)["ResponseMetadata"]["HTTPHeaders"]
    # A lower bound only: the server slept at least this long before answering.
    assert int(headers["x-amzn-bedrock-invocation-latency"]) >= 30


def test_faults_parse_from_a_config_section() -> None:
    faults = Faults.from_mapping({
        "NoDelay": "true", "ThrottleRate": "0.25", "SlowFirstByteMs": "120",
        "ForcedErrors": "amazon.titan-text-lite-v1=throttling, meta.llama3-8b-instruct-v1:0=ModelTimeoutException",
        "NotEnabled": "anthropic.claude-v2:1, amazon.nova-pro-v1:0",
        "StreamErrors": "amazon.nova-lite-v1:0=modelStreamErrorException",
    })
    assert faults.throttle_rate == 0.25
    assert faults.slow_first_byte_ms == 120
    assert dict(faults.errors) == {"amazon.titan-text-lite-v1": "ThrottlingException",
                                   "meta.llama3-8b-instruct-v1:0": "ModelTimeoutException"}
    assert faults.not_enabled == frozenset({"anthropic.claude-v2:1", "amazon.nova-pro-v1:0"})
    assert dict(faults.stream_errors) == {"amazon.nova-lite-v1:0": "ModelStreamErrorException"}


@pytest.mark.parametrize(
    "section",
    [{"ThrottleRate": "2"}, {"ThrottleRate": "often"}, {"ForcedErrors": "just-a-model"},
     {"ForcedErrors": "m=NoSuchErrorException"}, {"SlowFirstByteMs": "-1"}],
)
def test_bad_fault_settings_are_config_errors(section: dict) -> None:
    with pytest.raises(ConfigError) as caught:
        Faults.from_mapping(section)
    assert caught.value.field == "[sandbox]"

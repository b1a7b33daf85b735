"""invoke() against the sandbox over loopback with real boto3, and error classification.

Every test here sends real HTTP to 127.0.0.1 through the same clients the console uses.
Timing assertions are relations between fields (overhead = client - server, ttft within
client), never wall-clock thresholds.
"""

from __future__ import annotations

import socket
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

from workshop import APIS, PATH_NAMES
from workshop.catalog import family_of, list_models
from workshop.credentials import StaticKeys
from workshop.errors import InputError
from workshop.invoke import classify_error, invoke
from workshop.paths import PathClient
from workshop.prompts import template, to_converse
from workshop.sandbox import Faults

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
OPUS_NOT_ENABLED = "anthropic.claude-3-opus-20240229-v1:0"
PROFILE_ONLY = "anthropic.claude-3-7-sonnet-20250219-v1:0"
EXAMPLE_KEY = "AKIAIOSFODNN7EXAMPLE"
EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

ONE_PER_FAMILY = {
    "claude-messages": HAIKU,
    "claude-text": "anthropic.claude-v2:1",
    "titan-text": "amazon.titan-text-express-v1",
    "nova": "amazon.nova-lite-v1:0",
    "llama": "meta.llama3-8b-instruct-v1:0",
    "mistral": "mistral.mistral-7b-instruct-v0:2",
    "cohere-command-r": "cohere.command-r-v1:0",
    "jamba": "ai21.jamba-1-5-mini-v1:0",
}


def body_for(model_id: str, api: str) -> dict:
    family = family_of(model_id)
    native = template(family)
    return to_converse(native, family) if api.startswith("converse") else native


def assert_successful_timings(result: Any, api: str) -> None:
    assert result.ok, (result.error_code, result.error_message)
    assert result.client_ms > 0
    assert result.server_ms is not None and result.server_ms >= 0
    assert result.overhead_ms == pytest.approx(result.client_ms - result.server_ms)
    if api.endswith("stream"):  # first token: streams only; the first byte comes before it
        assert result.ttft_ms is not None and 0 < result.ttft_ms <= result.client_ms
        assert result.ttfb_ms is not None and 0 < result.ttfb_ms <= result.ttft_ms
    else:  # the answer arrives whole: no first token
        assert result.ttft_ms is None
    if api == "invoke":  # headers before the body
        assert result.ttfb_ms is not None and 0 < result.ttfb_ms <= result.client_ms
    if api == "converse":  # botocore hands the reply over parsed: no first byte either
        assert result.ttfb_ms is None
    assert result.request_bytes and result.request_bytes > 20
    assert result.response_bytes and result.response_bytes > len(result.output_text.encode())


# --------------------------------------------------------------------------- success


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("path_name", PATH_NAMES)
def test_every_api_works_on_every_path_with_text_tokens_and_timings(
    sandbox_workbench: Any, path_name: str, api: str
) -> None:
    client = sandbox_workbench.client(path_name)
    result = invoke(client, HAIKU, body_for(HAIKU, api), api)
    assert_successful_timings(result, api)
    assert (result.path, result.model_id, result.api) == (path_name, HAIKU, api)
    assert result.output_text.strip()
    assert result.input_tokens and result.input_tokens > 0
    assert result.output_tokens and result.output_tokens > 0
    assert result.http_status == 200
    assert result.request_id
    assert result.stop_reason
    assert result.retries == 0
    assert result.credentials_ms == client.credentials_ms
    assert result.response_body


@pytest.mark.parametrize("api", ["invoke", "invoke-stream"])
@pytest.mark.parametrize("family", sorted(ONE_PER_FAMILY))
def test_every_family_native_body_round_trips_through_invoke_apis(
    sandbox_workbench: Any, family: str, api: str
) -> None:
    model_id = ONE_PER_FAMILY[family]
    result = invoke(sandbox_workbench.client("nat"), model_id, template(family), api)
    assert_successful_timings(result, api)
    assert result.output_text.strip()
    assert result.output_tokens and result.output_tokens > 0
    assert result.stop_reason


@pytest.mark.parametrize("family", sorted(ONE_PER_FAMILY))
def test_every_family_template_converts_to_a_converse_call_that_works(
    sandbox_workbench: Any, family: str
) -> None:
    model_id = ONE_PER_FAMILY[family]
    result = invoke(
        sandbox_workbench.client("vpce"), model_id, to_converse(template(family), family), "converse"
    )
    assert_successful_timings(result, "converse")
    assert result.output_text.strip()


@pytest.mark.parametrize("api", APIS)
def test_on_text_receives_the_output_as_it_arrives(sandbox_workbench: Any, api: str) -> None:
    deltas: list[str] = []
    result = invoke(sandbox_workbench.client("nat"), HAIKU, body_for(HAIKU, api), api, on_text=deltas.append)
    assert "".join(deltas) == result.output_text
    if api.endswith("stream"):
        assert len(deltas) > 1 and len(result.response_body) > len(deltas)
    else:
        assert len(deltas) == 1


def test_an_exception_in_on_text_propagates_instead_of_becoming_an_error_result(
    sandbox_workbench: Any,
) -> None:
    class Stop(Exception):
        pass

    def stop(_text: str) -> None:
        raise Stop

    with pytest.raises(Stop):
        invoke(
            sandbox_workbench.client("nat"), HAIKU, template("claude-messages"), "invoke-stream", on_text=stop
        )


def test_an_inference_profile_id_works_where_the_bare_id_is_refused(sandbox_workbench: Any) -> None:
    result = invoke(sandbox_workbench.client("nat"), f"us.{PROFILE_ONLY}", template("claude-messages"))
    assert result.ok and result.output_text


def test_an_unknown_api_is_an_input_error(sandbox_workbench: Any) -> None:
    with pytest.raises(InputError):
        invoke(sandbox_workbench.client("nat"), HAIKU, {}, "chat")


# --------------------------------------------------------------------------- errors as data


def test_a_model_without_access_is_access_denied_with_the_model_access_hint(sandbox_workbench: Any) -> None:
    result = invoke(sandbox_workbench.client("vpce"), OPUS_NOT_ENABLED, template("claude-messages"))
    assert not result.ok
    assert result.error_code == "AccessDeniedException"
    assert result.http_status == 403
    assert "Model access" in result.error_hint and OPUS_NOT_ENABLED in result.error_hint
    assert result.client_ms > 0 and result.server_ms is None and result.output_text == ""


def test_a_profile_only_model_names_the_inference_profile_to_use(sandbox_workbench: Any) -> None:
    client = sandbox_workbench.client("nat")
    result = invoke(client, PROFILE_ONLY, template("claude-messages"))
    assert result.error_code == "ValidationException"
    assert "on-demand throughput" in result.error_message
    assert f"us.{PROFILE_ONLY}" in result.error_hint
    assert client.path.region == "us-east-1"


def test_a_body_of_the_wrong_family_points_at_the_template(sandbox_workbench: Any) -> None:
    result = invoke(sandbox_workbench.client("nat"), HAIKU, template("titan-text"))
    assert result.error_code == "ValidationException"
    assert "prompts/claude-messages.json" in result.error_hint


def test_a_native_body_on_converse_is_caught_by_boto3_and_points_at_the_converse_template(
    sandbox_workbench: Any,
) -> None:
    result = invoke(sandbox_workbench.client("nat"), HAIKU, template("claude-messages"), "converse")
    assert result.error_code == "ParamValidation"
    assert "Converse" in result.error_hint


def test_an_unknown_model_is_resource_not_found(sandbox_workbench: Any) -> None:
    result = invoke(
        sandbox_workbench.client("nat"), "anthropic.claude-9-opus-20990101-v1:0", template("claude-messages")
    )
    assert result.error_code == "ResourceNotFoundException"
    assert result.http_status == 404
    assert "model list" in result.error_hint


def test_throttling_counts_the_sdk_retries_and_says_to_slow_down(
    sandbox_workbench: Any, sandbox_faults: Any
) -> None:
    sandbox_faults(Faults(errors={HAIKU: "ThrottlingException"}))
    client = _client_for(sandbox_workbench, max_attempts=2)  # few attempts: backoff is real time
    try:
        result = invoke(client, HAIKU, template("claude-messages"))
    finally:
        client.close()
    assert result.error_code == "ThrottlingException"
    assert result.http_status == 429
    # MaxAttempts counts the first call: 2 attempts = exactly 1 retry (from RetryAttempts)
    assert result.retries == 1
    assert "after 1 automatic retry:" in result.error_hint
    assert "Service Quotas" in result.error_hint


@pytest.mark.parametrize(
    ("code", "status", "hint"),
    [
        ("ModelTimeoutException", 408, "took too long"),
        ("ServiceUnavailableException", 503, "retry"),
        ("InternalServerException", 500, "retry"),
        ("ModelErrorException", 424, "retry"),
    ],
)
@pytest.mark.parametrize("api", ["invoke", "converse-stream"])
def test_forced_service_errors_are_classified(
    sandbox_workbench: Any, sandbox_faults: Any, code: str, status: int, hint: str, api: str
) -> None:
    sandbox_faults(Faults(errors={HAIKU: code}))
    result = invoke(sandbox_workbench.client("cross-account"), HAIKU, body_for(HAIKU, api), api)
    assert (result.error_code, result.http_status) == (code, status)
    assert hint in result.error_hint


@pytest.mark.parametrize("api", ["invoke-stream", "converse-stream"])
def test_an_error_inside_a_stream_keeps_the_text_that_arrived(
    sandbox_workbench: Any, sandbox_faults: Any, api: str
) -> None:
    sandbox_faults(Faults(stream_errors={HAIKU: "ModelStreamErrorException"}))
    result = invoke(sandbox_workbench.client("nat"), HAIKU, body_for(HAIKU, api), api)
    assert result.error_code == "ModelStreamErrorException"
    assert result.output_text  # the first chunk arrived before the failure
    assert result.ttft_ms is not None


def _raw_client(sandbox_workbench: Any, access_key: str, secret_key: str) -> SimpleNamespace:
    """A PathClient look-alike whose runtime client signs with the given keys."""
    path = sandbox_workbench.config.path("nat")
    runtime = boto3.client(
        "bedrock-runtime",
        region_name=path.region,
        endpoint_url=path.runtime_endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )
    return SimpleNamespace(path=path, runtime=runtime, credentials_ms=0.0)


def test_unknown_keys_are_unrecognized_client_with_a_credentials_hint(sandbox_workbench: Any) -> None:
    # AWS's second documented example pair: well-formed, unknown to the sandbox.
    client = _raw_client(
        sandbox_workbench, "AKIAI44QH8DHBEXAMPLE", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
    )
    result = invoke(client, HAIKU, template("claude-messages"))
    assert result.error_code == "UnrecognizedClientException"
    assert "access key id" in result.error_hint
    assert "je7MtGbClwBF" not in (result.error_message or "")


def test_a_wrong_secret_is_an_invalid_signature_with_a_clock_or_secret_hint(sandbox_workbench: Any) -> None:
    client = _raw_client(sandbox_workbench, EXAMPLE_KEY, EXAMPLE_SECRET[:-3] + "XYZ")
    result = invoke(client, HAIKU, template("claude-messages"))
    assert result.error_code == "InvalidSignatureException"
    assert "secret key" in result.error_hint and "clock" in result.error_hint


def _client_for(sandbox_workbench: Any, **changes: Any) -> PathClient:
    path = replace(sandbox_workbench.config.path("vpce"), **changes)
    return PathClient(path, default_chain=StaticKeys(EXAMPLE_KEY, EXAMPLE_SECRET))


def test_a_refused_connection_points_at_the_endpoint_and_its_security_group(
    sandbox_workbench: Any, closed_port: int
) -> None:
    client = _client_for(sandbox_workbench, endpoint_url=f"http://127.0.0.1:{closed_port}", max_attempts=1)
    try:
        result = invoke(client, HAIKU, template("claude-messages"), "invoke-stream")
    finally:
        client.close()
    assert result.error_code == "EndpointConnectionError"
    assert result.http_status is None
    assert "security group" in result.error_hint and "443" in result.error_hint


def test_a_slow_answer_is_a_read_timeout(sandbox_workbench: Any, sandbox_faults: Any) -> None:
    sandbox_faults(Faults(slow_first_byte_ms=2000))
    client = _client_for(sandbox_workbench, read_timeout=0.2, max_attempts=1)
    try:
        result = invoke(client, HAIKU, template("claude-messages"))
    finally:
        client.close()
    assert result.error_code == "ReadTimeout"
    assert "read timeout" in result.error_hint


# --------------------------------------------------------------------------- classify_error units


def test_a_dns_failure_is_told_apart_from_a_refused_connection() -> None:
    url = "https://vpce-0a1b2c3d4e5f-abcdefgh.bedrock-runtime.us-east-1.vpce.amazonaws.com"
    try:
        raise socket.gaierror(-2, "Name or service not known")
    except socket.gaierror as gai:
        exc = EndpointConnectionError(endpoint_url=url, error=gai)
    code, message, hint, status = classify_error(exc, model_id=HAIKU, region="us-east-1")
    assert code == "EndpointDNSError"
    assert "private DNS" in hint and "vpce" in hint
    assert url in message and status is None


def test_a_connect_timeout_suggests_the_security_group_on_443() -> None:
    exc = ConnectTimeoutError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com")
    code, _message, hint, _status = classify_error(exc, model_id=HAIKU, region="us-east-1")
    assert code == "ConnectTimeout"
    assert "security group" in hint and "443" in hint


def test_read_timeout_class_is_classified_without_a_live_server() -> None:
    exc = ReadTimeoutError(endpoint_url="http://127.0.0.1:1")
    assert classify_error(exc, model_id=HAIKU, region="us-east-1")[0] == "ReadTimeout"


def test_access_denied_without_model_access_wording_names_the_permission_and_arn() -> None:
    from botocore.exceptions import ClientError

    exc = ClientError(
        {
            "Error": {
                "Code": "AccessDeniedException",
                "Message": "User: arn:aws:sts::111122223333:assumed-role/x/y is not authorized to perform: "
                "bedrock:InvokeModelWithResponseStream",
            },
            "ResponseMetadata": {"HTTPStatusCode": 403},
        },
        "InvokeModelWithResponseStream",
    )
    code, _message, hint, status = classify_error(
        exc, model_id=HAIKU, region="eu-west-1", api="invoke-stream"
    )
    assert (code, status) == ("AccessDeniedException", 403)
    assert "bedrock:InvokeModelWithResponseStream" in hint
    assert f"arn:aws:bedrock:eu-west-1::foundation-model/{HAIKU}" in hint


def test_expired_tokens_say_how_to_refresh() -> None:
    from botocore.exceptions import ClientError

    exc = ClientError(
        {
            "Error": {
                "Code": "ExpiredTokenException",
                "Message": "The security token included in the request is expired",
            }
        },
        "InvokeModel",
    )
    assert "refresh" in classify_error(exc, model_id=HAIKU, region="us-east-1")[2]


def test_error_messages_are_redacted() -> None:
    from botocore.exceptions import ClientError

    exc = ClientError(
        {
            "Error": {
                "Code": "UnrecognizedClientException",
                "Message": f"key {EXAMPLE_KEY} secret {EXAMPLE_SECRET}",
            }
        },
        "InvokeModel",
    )
    _code, message, _hint, _status = classify_error(exc, model_id=HAIKU, region="us-east-1")
    assert EXAMPLE_SECRET not in message and EXAMPLE_KEY not in message


def test_a_profile_only_hint_follows_the_region() -> None:
    from botocore.exceptions import ClientError

    exc = ClientError(
        {
            "Error": {
                "Code": "ValidationException",
                "Message": (
                    f"Invocation of model ID {PROFILE_ONLY} with on-demand throughput isn\u2019t supported. Retry your "
                    "request with the ID or ARN of an inference profile that contains this model."
                ),
            }
        },
        "InvokeModel",
    )
    assert f"eu.{PROFILE_ONLY}" in classify_error(exc, model_id=PROFILE_ONLY, region="eu-central-1")[2]


# --------------------------------------------------------------------------- catalog on a path


def test_list_models_merges_config_and_live_catalog_with_profile_hints(sandbox_workbench: Any) -> None:
    models = {m.model_id: m for m in list_models(sandbox_workbench, "nat")}
    assert models[HAIKU].needs_profile is False
    assert models[PROFILE_ONLY].needs_profile is True
    assert models[PROFILE_ONLY].profile_id == f"us.{PROFILE_ONLY}"
    assert models[PROFILE_ONLY].invoke_id == f"us.{PROFILE_ONLY}"
    assert {m.source for m in models.values()} >= {"live"}
    assert all(m.family for m in models.values())


def test_list_models_through_the_cross_account_path_sees_the_same_catalog(sandbox_workbench: Any) -> None:
    nat = {m.model_id for m in list_models(sandbox_workbench, "nat")}
    cross = {m.model_id for m in list_models(sandbox_workbench, "cross-account")}
    assert nat == cross


def test_list_models_degrades_to_the_config_list_when_the_control_plane_is_unreachable(
    sandbox_workbench: Any, closed_port: int
) -> None:
    from workshop.workbench import Workbench

    config = sandbox_workbench.config
    broken = replace(
        config.path("nat"), control_endpoint_url=f"http://127.0.0.1:{closed_port}", max_attempts=1
    )
    bench = Workbench(replace(config, paths={**config.paths, "nat": broken}), sandbox=None)
    bench._default_chain = lambda: StaticKeys(EXAMPLE_KEY, EXAMPLE_SECRET)  # type: ignore[method-assign]
    try:
        models = list_models(bench, "nat")
    finally:
        bench.close()
    assert models and all(m.source in ("config", "builtin") for m in models)
    assert any("live model list unavailable" in note for note in models.notes)


@pytest.mark.parametrize("api", APIS)
def test_on_the_sandbox_overhead_is_the_modelled_network_plus_the_clients_own_cost(api: str) -> None:
    # The sandbox stamps its latency header last, after its own work (signature, generation,
    # serialisation): what is left outside it is the network it planned plus the client.
    from workshop.config import bind_sandbox, default_config
    from workshop.sandbox import start_sandbox
    from workshop.workbench import Workbench

    micro = "amazon.nova-micro-v1:0"
    with start_sandbox(seed=7) as server:
        bench = Workbench(bind_sandbox(default_config(), server), sandbox=server, owns_sandbox=False)
        try:
            body = body_for(micro, api)
            if api.startswith("converse"):
                body["inferenceConfig"] = {"maxTokens": 8}
            else:
                body["inferenceConfig"]["maxTokens"] = 8  # nova's native body
            result = invoke(bench.client("nat"), micro, body, api)
        finally:
            bench.close()
    assert result.ok, result.error_message
    assert result.modelled_network_ms is not None and result.modelled_network_ms > 0.7  # nat's hop alone
    # server_ms is whole milliseconds (as Bedrock's), so allow half a millisecond of rounding.
    assert result.overhead_ms >= result.modelled_network_ms - 0.5


@pytest.mark.parametrize("api", APIS)
def test_against_a_sandbox_without_delay_the_modelled_network_is_zero(sandbox_workbench: Any, api: str) -> None:
    result = invoke(sandbox_workbench.client("vpce"), HAIKU, body_for(HAIKU, api), api)
    assert result.ok and result.modelled_network_ms == 0.0

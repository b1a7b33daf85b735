"""Invocation log records: Bedrock's ModelInvocationLog shape (seed 001's example is the
fixture), redaction, body capture off, failures, JSONL, and the store round trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from workshop import invocation_log as log
from workshop import prompts
from workshop.results import InvocationResult
from workshop.store import Store

ROLE_B_SESSION = "arn:aws:sts::444455556666:assumed-role/BedrockCrossAccountRole/bedrock-workshop"
IDENTITY_B = ("444455556666", ROLE_B_SESSION)
CLAUDE_V2 = "anthropic.claude-v2:1"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}[type(value)]


def key_paths(value: Any, prefix: str = "") -> dict[str, str]:
    """Every key path of a JSON document with its JSON type (list items under ``[]``)."""
    out = {prefix or "$": json_type(value)}
    if isinstance(value, dict):
        for key, item in value.items():
            out |= key_paths(item, f"{prefix}.{key}")
    elif isinstance(value, list):
        for item in value:
            out |= key_paths(item, f"{prefix}[]")
    return out


def result(**overrides: Any) -> InvocationResult:
    base: dict[str, Any] = {
        "path": "cross-account",
        "model_id": HAIKU,
        "api": "invoke",
        "started_at": datetime(2024, 1, 15, 9, 30, 0, 123000, tzinfo=UTC),
        "client_ms": 812.0,
        "http_status": 200,
        "input_tokens": 12,
        "output_tokens": 5,
        "request_id": "b6bd1e47-2b4c-4e0a-9a3d-6f1c2a8e9d10",
        "output_text": "Hello",
        "response_body": {"content": [{"type": "text", "text": "Hello"}], "stop_reason": "end_turn"},
    }
    base.update(overrides)
    return InvocationResult(**base)


BODY = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
        "messages": [{"role": "user", "content": "Hello"}]}


# --------------------------------------------------------------------------- the seed's example


def test_the_seed_example_itself_validates(seed_log_example: dict[str, Any]) -> None:
    assert log.validate_record(seed_log_example) == []


def test_a_streamed_sandbox_invocation_has_every_field_of_the_seed_example(
    sandbox_workbench: Any, seed_log_example: dict[str, Any]
) -> None:
    # Same model and operation as the seed's example, through the real client and sandbox.
    body = prompts.parse_body(prompts.template_text("claude-text", "invoke-stream"), "claude-text", "invoke-stream")
    answer = sandbox_workbench.invoke("cross-account", CLAUDE_V2, body, "invoke-stream")
    assert answer.ok, answer.error_message
    identity = sandbox_workbench.client("cross-account").identity()
    record = log.build_record(answer, body=body, identity=(identity.account, identity.arn), region="us-east-1")
    assert log.validate_record(record) == []
    ours, seed = key_paths(record), key_paths(seed_log_example)
    missing = {path: kind for path, kind in seed.items() if ours.get(path) != kind}
    assert missing == {}
    assert record["operation"] == "InvokeModelWithResponseStream"
    assert record["accountId"] == "444455556666"
    assert record["identity"]["arn"] == identity.arn
    assert record["requestId"] == answer.request_id
    assert record["output"]["outputTokenCount"] == answer.output_tokens
    last = record["output"]["outputBodyJson"][-1]
    assert last["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == answer.output_tokens


@pytest.mark.parametrize(("api", "operation"), [
    ("invoke", "InvokeModel"),
    ("invoke-stream", "InvokeModelWithResponseStream"),
    ("converse", "Converse"),
    ("converse-stream", "ConverseStream"),
])
def test_each_api_is_logged_under_bedrocks_operation_name(api: str, operation: str) -> None:
    record = log.build_record(result(api=api), body=BODY, identity=IDENTITY_B, region="us-east-1")
    assert record["operation"] == operation
    assert log.validate_record(record) == []


def test_record_fields_come_from_the_result_and_the_caller() -> None:
    record = log.build_record(result(), body=BODY, identity=IDENTITY_B, region="eu-west-1")
    assert record["schemaType"] == "ModelInvocationLog"
    assert record["schemaVersion"] == "1.0"
    assert record["timestamp"] == "2024-01-15T09:30:00.123Z"
    assert record["accountId"] == "444455556666"
    assert record["identity"] == {"arn": ROLE_B_SESSION}
    assert record["region"] == "eu-west-1"
    assert record["modelId"] == HAIKU
    assert record["input"] == {"inputContentType": "application/json", "inputBodyJson": BODY, "inputTokenCount": 12}
    assert record["output"]["outputTokenCount"] == 5
    assert record["output"]["outputBodyJson"]["stop_reason"] == "end_turn"
    assert "errorCode" not in record


def test_a_path_identity_object_is_accepted_as_the_caller(sandbox_workbench: Any) -> None:
    who = sandbox_workbench.client("nat").identity()
    record = log.build_record(result(), body=BODY, identity=who, region="us-east-1")
    assert (record["accountId"], record["identity"]["arn"]) == (who.account, who.arn)


def test_unknown_identity_leaves_account_and_arn_empty_not_guessed() -> None:
    record = log.build_record(result(), body=BODY, identity=None, region="us-east-1")
    assert (record["accountId"], record["identity"]["arn"]) == ("", "")
    assert log.validate_record(record) == []


# --------------------------------------------------------------------------- capture, redaction, errors


def test_body_capture_off_keeps_metadata_and_token_counts_only() -> None:
    record = log.build_record(result(), body=BODY, identity=IDENTITY_B, region="us-east-1", capture_bodies=False)
    assert "inputBodyJson" not in record["input"]
    assert "outputBodyJson" not in record["output"]
    assert record["input"]["inputTokenCount"] == 12
    assert record["output"]["outputTokenCount"] == 5
    assert log.validate_record(record) == []


def test_secrets_in_bodies_are_redacted() -> None:
    body = {"messages": [{"role": "user", "content": "my keys: AKIAIOSFODNN7EXAMPLE / "
                          "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}]}
    answer = result(response_body={"content": [{"type": "text", "text": "SecretAccessKey=abcdEFGH1234"}]})
    text = json.dumps(log.build_record(answer, body=body, identity=IDENTITY_B, region="us-east-1"))
    assert "AKIAIOSFODNN7EXAMPLE" not in text
    assert "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" not in text
    assert "abcdEFGH1234" not in text
    assert "[REDACTED]" in text


def test_the_logged_body_is_a_copy_not_the_callers_dict() -> None:
    record = log.build_record(result(), body=BODY, identity=IDENTITY_B, region="us-east-1")
    record["input"]["inputBodyJson"]["max_tokens"] = 999
    assert BODY["max_tokens"] == 10


def test_a_failed_call_is_logged_with_its_error_code_and_no_output() -> None:
    failed = result(error_code="AccessDeniedException", error_message="no access", http_status=403,
                    output_tokens=None, input_tokens=None, output_text="", response_body=None)
    record = log.build_record(failed, body=BODY, identity=IDENTITY_B, region="us-east-1")
    assert record["errorCode"] == "AccessDeniedException"
    assert "output" not in record
    assert "inputTokenCount" not in record["input"]
    assert log.validate_record(record) == []


def test_a_stream_broken_half_way_keeps_what_arrived() -> None:
    chunks = [{"completion": " Hel", "stop_reason": None, "stop": None}]
    broken = result(api="invoke-stream", error_code="ModelStreamErrorException", output_tokens=None,
                    response_body=chunks)
    record = log.build_record(broken, body=BODY, identity=IDENTITY_B, region="us-east-1")
    assert record["output"]["outputBodyJson"] == chunks
    assert record["errorCode"] == "ModelStreamErrorException"


def test_bytes_in_a_request_are_logged_by_size() -> None:
    body = {"messages": [{"role": "user", "content": [{"image": {"format": "png", "source": {"bytes": b"\x89PNG"}}}]}]}
    record = log.build_record(result(api="converse"), body=body, identity=IDENTITY_B, region="us-east-1")
    assert record["input"]["inputBodyJson"]["messages"][0]["content"][0]["image"]["source"]["bytes"] == "<4 bytes>"


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(("mutate", "problem"), [
    (lambda r: r.pop("schemaType"), "schemaType: missing"),
    (lambda r: r.update(schemaVersion="2.0"), "schemaVersion"),
    (lambda r: r.update(timestamp="yesterday"), "timestamp"),
    (lambda r: r.update(timestamp="2024-01-15T09:30:00"), "time zone"),
    (lambda r: r.update(accountId="1234"), "accountId"),
    (lambda r: r.update(operation="Invoke"), "operation"),
    (lambda r: r["identity"].pop("arn"), "identity.arn"),
    (lambda r: r["input"].pop("inputContentType"), "input.inputContentType"),
    (lambda r: r["input"].update(inputTokenCount=-1), "input.inputTokenCount"),
    (lambda r: r["output"].update(outputBodyJson="text"), "output.outputBodyJson"),
    (lambda r: r.pop("output"), "output: missing"),
])
def test_validation_names_what_does_not_match_the_schema(
    seed_log_example: dict[str, Any], mutate: Any, problem: str
) -> None:
    record = json.loads(json.dumps(seed_log_example))
    mutate(record)
    problems = log.validate_record(record)
    assert any(problem in p for p in problems), problems


def test_validation_rejects_what_is_not_an_object() -> None:
    assert log.validate_record(["not", "a", "record"]) != []


# --------------------------------------------------------------------------- JSONL and the store


def test_jsonl_is_one_parseable_record_per_line(seed_log_example: dict[str, Any]) -> None:
    records = [seed_log_example, log.build_record(result(), body=BODY, identity=IDENTITY_B, region="us-east-1")]
    text = log.to_jsonl(records)
    lines = text.splitlines()
    assert text.endswith("\n") and len(lines) == 2
    assert [json.loads(line) for line in lines] == records
    assert all(log.validate_record(json.loads(line)) == [] for line in lines)


def test_jsonl_of_nothing_is_empty() -> None:
    assert log.to_jsonl([]) == ""


def test_recorded_invocations_round_trip_through_the_store_and_export() -> None:
    with Store.open() as store:
        kept = log.record_invocation(store, result(), body=BODY, identity=IDENTITY_B, region="us-east-1",
                                     participant="cli:alice")
        log.record_invocation(store, result(path="nat"), body=BODY, identity=IDENTITY_B, region="us-east-1",
                              participant="cli:bob", capture_bodies=False)
        rows = store.invocation_log(participant="cli:alice")
        assert [row["record"] for row in rows] == [kept]
        assert rows[0]["path"] == "cross-account"
        assert rows[0]["request_id"] == kept["requestId"]
        assert store.count_invocations("cli:alice") == 1
        exported = [json.loads(line) for line in log.to_jsonl(store.invocation_log()).splitlines()]
        assert all(log.validate_record(r) == [] for r in exported)
        assert len(exported) == 2

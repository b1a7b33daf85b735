"""Invocation log records in Bedrock's own ModelInvocationLog shape (seed 001).

Bedrock's model-invocation logging writes one JSON document per call to CloudWatch Logs
and/or S3. The workshop writes the same document for every call the console or CLI
makes, so a facilitator's export (:func:`to_jsonl`) can be read by the same tooling as the
real thing (Athena tables, Logs Insights queries written for the real schema).

Differences from the real log are deliberate and small:

* secrets are redacted from every string (``workshop.secrets.redact``): a prompt that
  pastes an access key must not persist it;
* with ``capture_bodies=False`` the bodies are left out (as Bedrock does when text data
  delivery is off) and only the metadata and token counts remain;
* a failed call is logged too, with ``errorCode`` (Bedrock logs failures the same way);
  such a record has no ``output`` when nothing came back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from workshop.results import InvocationResult
from workshop.secrets import redact

SCHEMA_TYPE = "ModelInvocationLog"
SCHEMA_VERSION = "1.0"
CONTENT_TYPE = "application/json"

OPERATIONS: dict[str, str] = {
    "invoke": "InvokeModel",
    "invoke-stream": "InvokeModelWithResponseStream",
    "converse": "Converse",
    "converse-stream": "ConverseStream",
}
"""Workshop API name -> the ``operation`` Bedrock writes in the log."""

# The structure a record must have, taken from seed 001's example: key -> accepted types.
# ``None`` in a type tuple means the key may be absent.
_TOP_LEVEL: dict[str, tuple[type, ...]] = {
    "schemaType": (str,),
    "schemaVersion": (str,),
    "timestamp": (str,),
    "accountId": (str,),
    "identity": (dict,),
    "region": (str,),
    "requestId": (str,),
    "operation": (str,),
    "modelId": (str,),
    "input": (dict,),
}
_INPUT: dict[str, tuple[type, ...]] = {"inputContentType": (str,)}
_OUTPUT: dict[str, tuple[type, ...]] = {"outputContentType": (str,)}
# Bodies: a JSON object, or (streams, seed 001) the list of decoded chunks.
_BODY_TYPES: tuple[type, ...] = (dict, list)

Identity = tuple[str, str]
"""(account id, principal ARN) as GetCallerIdentity returns them."""


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` and milliseconds, as Bedrock writes it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def scrub(value: Any) -> Any:
    """``value`` made JSON-safe with every string redacted (dict keys too).

    Bytes (an image in a Converse request) are replaced by their size: the log keeps the
    shape of the request, not a multi-megabyte payload.
    """
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redact(str(k)): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return timestamp(value)
    return redact(str(value))


def _identity_pair(identity: Any) -> tuple[str, str]:
    """(account, arn) from a tuple or a ``workshop.paths.Identity``; empty when unknown."""
    if identity is None:
        return "", ""
    if hasattr(identity, "account") and hasattr(identity, "arn"):
        return str(identity.account), str(identity.arn)
    account, arn = tuple(identity)[:2]
    return str(account), str(arn)


def build_record(
    result: InvocationResult,
    *,
    body: dict[str, Any] | None,
    identity: Identity | Any | None,
    region: str,
    capture_bodies: bool = True,
) -> dict[str, Any]:
    """The ModelInvocationLog record of one invocation.

    ``body`` is the request as sent; ``identity`` is the caller (``PathClient.identity()``:
    account B's role for the cross-account path), or None when it could not be learnt —
    then accountId and identity.arn are empty strings rather than a guess.
    """
    account, arn = _identity_pair(identity)
    input_part: dict[str, Any] = {"inputContentType": CONTENT_TYPE}
    if capture_bodies and body is not None:
        input_part["inputBodyJson"] = scrub(body)
    if result.input_tokens is not None:
        input_part["inputTokenCount"] = int(result.input_tokens)
    record: dict[str, Any] = {
        "schemaType": SCHEMA_TYPE,
        "schemaVersion": SCHEMA_VERSION,
        "timestamp": timestamp(result.started_at),
        "accountId": account,
        "identity": {"arn": arn},
        "region": region,
        "requestId": result.request_id or "",
        "operation": OPERATIONS.get(result.api, result.api),
        "modelId": result.model_id,
        "input": input_part,
    }
    has_output = result.ok or result.response_body is not None or result.output_tokens is not None
    if has_output:
        output_part: dict[str, Any] = {"outputContentType": CONTENT_TYPE}
        if capture_bodies and result.response_body is not None:
            output_part["outputBodyJson"] = scrub(result.response_body)
        if result.output_tokens is not None:
            output_part["outputTokenCount"] = int(result.output_tokens)
        record["output"] = output_part
    if not result.ok:
        record["errorCode"] = result.error_code
    return record


def _check_fields(part: Mapping[str, Any], spec: Mapping[str, tuple[type, ...]], where: str) -> list[str]:
    problems = []
    for key, types in spec.items():
        if key not in part:
            problems.append(f"{where}{key}: missing")
        elif not isinstance(part[key], types):
            problems.append(f"{where}{key}: expected {'/'.join(t.__name__ for t in types)}, "
                            f"got {type(part[key]).__name__}")
    return problems


def _check_count(part: Mapping[str, Any], key: str, where: str) -> list[str]:
    if key not in part:
        return []
    value = part[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return [f"{where}{key}: expected a non-negative integer, got {value!r}"]
    return []


def _check_body(part: Mapping[str, Any], key: str, where: str) -> list[str]:
    if key in part and not isinstance(part[key], _BODY_TYPES):
        return [f"{where}{key}: expected an object or a list of chunks, got {type(part[key]).__name__}"]
    return []


def validate_record(record: Any) -> list[str]:
    """Problems that keep ``record`` from matching the ModelInvocationLog structure
    (seed 001's example); an empty list means it matches.

    Checks the keys and their types, the fixed schemaType/schemaVersion, the operation
    name, the timestamp form and that the record survives a JSON round trip unchanged.
    """
    if not isinstance(record, Mapping):
        return [f"record: expected an object, got {type(record).__name__}"]
    problems = _check_fields(record, _TOP_LEVEL, "")
    if record.get("schemaType") not in (None, SCHEMA_TYPE) and isinstance(record.get("schemaType"), str):
        problems.append(f"schemaType: expected {SCHEMA_TYPE!r}, got {record['schemaType']!r}")
    if isinstance(record.get("schemaVersion"), str) and record["schemaVersion"] != SCHEMA_VERSION:
        problems.append(f"schemaVersion: expected {SCHEMA_VERSION!r}, got {record['schemaVersion']!r}")
    if isinstance(record.get("operation"), str) and record["operation"] not in OPERATIONS.values():
        problems.append(f"operation: expected one of {', '.join(OPERATIONS.values())}, got {record['operation']!r}")
    stamp = record.get("timestamp")
    if isinstance(stamp, str):
        try:
            parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                problems.append(f"timestamp: {stamp!r} has no time zone (expected UTC, e.g. ...Z)")
        except ValueError:
            problems.append(f"timestamp: {stamp!r} is not ISO 8601")
    account = record.get("accountId")
    if isinstance(account, str) and account and not (len(account) == 12 and account.isdigit()):
        problems.append(f"accountId: {account!r} is not a 12-digit account id")
    if isinstance(record.get("identity"), Mapping):
        problems += _check_fields(record["identity"], {"arn": (str,)}, "identity.")
    if isinstance(record.get("input"), Mapping):
        problems += _check_fields(record["input"], _INPUT, "input.")
        problems += _check_body(record["input"], "inputBodyJson", "input.")
        problems += _check_count(record["input"], "inputTokenCount", "input.")
    if "output" in record:
        if not isinstance(record["output"], Mapping):
            problems.append(f"output: expected dict, got {type(record['output']).__name__}")
        else:
            problems += _check_fields(record["output"], _OUTPUT, "output.")
            problems += _check_body(record["output"], "outputBodyJson", "output.")
            problems += _check_count(record["output"], "outputTokenCount", "output.")
    elif "errorCode" not in record:
        problems.append("output: missing (only a failed call, with errorCode, may lack it)")
    if "errorCode" in record and not isinstance(record["errorCode"], str):
        problems.append(f"errorCode: expected str, got {type(record['errorCode']).__name__}")
    try:
        if json.loads(json.dumps(record)) != record:
            problems.append("record: does not survive a JSON round trip (tuples or non-string keys)")
    except (TypeError, ValueError) as exc:
        problems.append(f"record: not JSON-serialisable ({exc})")
    return problems


def _as_record(item: Mapping[str, Any]) -> Mapping[str, Any]:
    """A bare record, or the ``record`` column of a ``Store.invocation_log`` row."""
    if "schemaType" not in item and isinstance(item.get("record"), Mapping):
        return item["record"]
    return item


def to_jsonl(records: Iterable[Mapping[str, Any]]) -> str:
    """One compact JSON document per line (what S3 delivery holds, one file per batch).

    Accepts bare records or rows from ``Store.invocation_log``.
    """
    lines = [json.dumps(_as_record(item), ensure_ascii=False, separators=(",", ":")) for item in records]
    return "".join(line + "\n" for line in lines)


def record_invocation(
    store: Any,
    result: InvocationResult,
    *,
    body: dict[str, Any] | None,
    identity: Identity | Any | None,
    region: str,
    participant: str,
    capture_bodies: bool = True,
) -> dict[str, Any]:
    """Build the record for ``result`` and keep it in ``store``; returns the record.

    ``store`` is a ``workshop.store.Store`` (anything with ``add_invocation_log``).
    """
    record = build_record(result, body=body, identity=identity, region=region, capture_bodies=capture_bodies)
    store.add_invocation_log(record, participant=participant, path=result.path)
    return record

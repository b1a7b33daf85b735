"""One invocation through one path -> an InvocationResult with honest timings.

Four APIs: InvokeModel, InvokeModelWithResponseStream, Converse, ConverseStream. The
client is a :class:`workshop.paths.PathClient`, whose bedrock-runtime client was created
once and is reused here, so connection reuse is part of what gets measured.

Timings: ``client_ms`` is perf_counter around the call *including* reading the whole body
or stream; ``ttft_ms`` is the first chunk that carries text (streaming APIs only: a
non-streaming answer has no first token, it arrives whole); ``ttfb_ms`` is the first byte of
the response (the headers: InvokeModel and both streams; botocore hands Converse's reply
over only once parsed, so it has none); ``server_ms`` is what Bedrock says it spent;
``overhead_ms`` (client - server) is the network + TLS + auth + SDK cost that differs
between access paths.

Inside the clock: the SDK call and reading the answer (and the caller's ``on_text``).
Outside it: serialising InvokeModel's body beforehand, and afterwards counting request bytes
of a Converse body and reading the sandbox's ``x-sandbox-network-ms`` header (its planned
network delay; absent on AWS). Response bytes are what botocore read: InvokeModel's body,
Converse's Content-Length, the streams' raw event-stream bytes.

Errors never raise: they are classified (code, redacted message, remediation hint, HTTP
status) onto the result, so a comparison run keeps going and the console can teach the
failure. Only an exception from the caller's own ``on_text`` callback propagates.

This module is on the benchmark's hot path (bench/overhead.py compares it with bare
boto3), so the success path does as little as possible beyond what boto3 itself does.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from time import perf_counter
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
    ProxyConnectionError,
    ReadTimeoutError,
)

from workshop import APIS
from workshop.catalog import base_model_id, family_of, profile_id_for, profile_prefix
from workshop.errors import InputError, WorkshopError
from workshop.prompts import chunk_stop_reason, chunk_text, detect_family, extract
from workshop.results import InvocationResult
from workshop.secrets import redact

OnText = Callable[[str], None]

_LATENCY_HEADER = "x-amzn-bedrock-invocation-latency"
_INPUT_TOKENS_HEADER = "x-amzn-bedrock-input-token-count"
_OUTPUT_TOKENS_HEADER = "x-amzn-bedrock-output-token-count"
_STREAM_METRICS = "amazon-bedrock-invocationMetrics"
_SANDBOX_NETWORK_HEADER = "x-sandbox-network-ms"
_GATEWAY_UPSTREAM_HEADER = "x-gateway-upstream-ms"  # an LLM gateway's wait for bedrock-runtime


class _CallbackFailed(Exception):
    """Carries an exception raised by ``on_text`` past the error classification."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


@lru_cache(maxsize=512)
def _family(model_id: str) -> str | None:
    # Cached: the regexes behind family_of are cheap, but not free on a 2,000-call benchmark.
    try:
        return family_of(model_id)
    except WorkshopError:
        return None  # e.g. an application inference profile ARN: fall back to the body's shape


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def invoke(
    client: Any,
    model_id: str,
    body: dict,
    api: str = "invoke",
    *,
    on_text: OnText | None = None,
    family: str | None = None,
) -> InvocationResult:
    """Call ``model_id`` through ``client`` (a PathClient) with ``body`` on ``api``.

    ``body`` is the family's native request for ``invoke`` / ``invoke-stream`` and a
    Converse request (messages / system / inferenceConfig ...) for the converse APIs.
    ``on_text(delta)`` is called with each piece of text as it arrives (once, with the
    whole text, for the non-streaming APIs). ``family`` overrides the one read from the
    model id (needed only for application inference profile ARNs).
    """
    if api not in APIS:
        raise InputError(f"unknown API {api!r}", field="api", fix="one of: " + ", ".join(APIS))
    if getattr(client, "gateway", None) is not None:  # the api-gateway path: the proxy's contract
        from workshop.gateway import invoke_api_gateway

        return invoke_api_gateway(client, model_id, body, api, on_text=on_text, family=family)
    path = client.path
    started_at = datetime.now(UTC)
    state = _State()
    t0 = perf_counter()
    try:
        if api == "invoke":
            fields = _invoke(client.runtime, model_id, body, family, on_text, t0, state)
        elif api == "invoke-stream":
            fields = _invoke_stream(client.runtime, model_id, body, family, on_text, t0, state)
        elif api == "converse":
            fields = _converse(client.runtime, model_id, body, on_text, t0, state)
        else:
            fields = _converse_stream(client.runtime, model_id, body, on_text, t0, state)
    except _CallbackFailed as failed:
        raise failed.original from None
    except Exception as exc:  # errors are data: classify, never unwind a run
        return _error_result(client, model_id, api, started_at, t0, state, exc)
    server_ms = fields.pop("server_ms")
    client_ms = fields.pop("client_ms")
    upstream_ms = fields.pop("upstream_ms", None)
    if upstream_ms is not None:  # through an LLM gateway that says how long it waited upstream
        fields["upstream_ms"] = upstream_ms
        fields["gateway_ms"] = client_ms - upstream_ms
    if fields.get("request_bytes") is None:  # Converse: botocore serialised it; count it now, off the clock
        fields["request_bytes"] = len(json.dumps(body).encode())
    return InvocationResult(
        path=path.name,
        model_id=model_id,
        api=api,
        started_at=started_at,
        client_ms=client_ms,
        ttft_ms=state.ttft_ms,
        ttfb_ms=state.ttfb_ms,
        server_ms=server_ms,
        overhead_ms=(client_ms - server_ms) if server_ms is not None else None,
        credentials_ms=client.credentials_ms,
        **fields,
    )


def _error_result(
    client: Any, model_id: str, api: str, started_at: datetime, t0: float, state: _State, exc: Exception
) -> InvocationResult:
    client_ms = (perf_counter() - t0) * 1000.0
    path = client.path
    code, message, hint, status = classify_error(exc, model_id=model_id, region=path.region, api=api)
    retries = 0
    request_id = None
    if isinstance(exc, ClientError):
        meta = exc.response.get("ResponseMetadata") or {}
        retries = int(meta.get("RetryAttempts") or 0)
        request_id = meta.get("RequestId") or None
    return InvocationResult(
        path=path.name,
        model_id=model_id,
        api=api,
        started_at=started_at,
        client_ms=client_ms,
        ttft_ms=state.ttft_ms,
        ttfb_ms=state.ttfb_ms,
        credentials_ms=client.credentials_ms,
        retries=retries,
        http_status=status,
        error_code=code,
        error_message=message,
        error_hint=hint,
        request_id=request_id,
        output_text="".join(state.parts),  # what streamed before the failure
        response_body=state.chunks or None,
    )


class _State:
    """What a call has produced so far, kept for the error result of a broken stream."""

    __slots__ = ("chunks", "parts", "ttfb_ms", "ttft_ms")

    def __init__(self) -> None:
        self.ttft_ms: float | None = None
        self.ttfb_ms: float | None = None
        self.parts: list[str] = []
        self.chunks: list[Any] = []


def _emit(on_text: OnText | None, text: str) -> None:
    if on_text is None or not text:
        return
    try:
        on_text(text)
    except BaseException as exc:  # the caller's own bug or a UI stop: let it through untouched
        raise _CallbackFailed(exc) from exc


def _meta(response: dict) -> tuple[dict, dict]:
    meta = response.get("ResponseMetadata") or {}
    return meta, meta.get("HTTPHeaders") or {}


class _ByteCounter:
    """Counts the raw bytes botocore reads from a streamed answer (event-stream framing
    included): urllib3's ``tell()`` stays 0 for a chunked body, so wrap ``stream()``."""

    __slots__ = ("_stream", "count")

    def __init__(self, raw: Any) -> None:
        self.count = 0
        self._stream = raw.stream
        raw.stream = self._counting

    def _counting(self, *args: Any, **kwargs: Any) -> Any:
        for data in self._stream(*args, **kwargs):
            self.count += len(data)
            yield data


def _counter(stream: Any) -> _ByteCounter | None:
    raw = getattr(stream, "_raw_stream", None)
    return _ByteCounter(raw) if raw is not None and hasattr(raw, "stream") else None


def _invoke(
    runtime: Any,
    model_id: str,
    body: dict,
    family: str | None,
    on_text: OnText | None,
    t0: float,
    state: _State,
) -> dict:
    payload = json.dumps(body)
    response = runtime.invoke_model(
        modelId=model_id, body=payload, contentType="application/json", accept="application/json"
    )
    state.ttfb_ms = (perf_counter() - t0) * 1000.0  # headers in: the whole answer follows at once
    raw = response["body"].read()
    client_ms = (perf_counter() - t0) * 1000.0
    meta, headers = _meta(response)
    parsed = json.loads(raw) if raw else {}
    fam = family or _family(model_id) or detect_family(body)
    got = extract(fam, parsed) if fam and fam != "converse" else extract("converse", parsed)
    _emit(on_text, got.text)
    return {
        "client_ms": client_ms,
        "server_ms": _float(headers.get(_LATENCY_HEADER)),
        "retries": int(meta.get("RetryAttempts") or 0),
        "http_status": meta.get("HTTPStatusCode"),
        "input_tokens": _int(headers.get(_INPUT_TOKENS_HEADER)) or got.input_tokens,
        "output_tokens": _int(headers.get(_OUTPUT_TOKENS_HEADER)) or got.output_tokens,
        "request_id": meta.get("RequestId"),
        "output_text": got.text,
        "stop_reason": got.stop_reason,
        "response_body": parsed,
        "request_bytes": len(payload.encode()),
        "response_bytes": len(raw),
        "modelled_network_ms": _float(headers.get(_SANDBOX_NETWORK_HEADER)),
        "upstream_ms": _float(headers.get(_GATEWAY_UPSTREAM_HEADER)),
    }


def _invoke_stream(
    runtime: Any,
    model_id: str,
    body: dict,
    family: str | None,
    on_text: OnText | None,
    t0: float,
    state: _State,
) -> dict:
    payload = json.dumps(body)
    response = runtime.invoke_model_with_response_stream(
        modelId=model_id, body=payload, contentType="application/json", accept="application/json"
    )
    state.ttfb_ms = (perf_counter() - t0) * 1000.0  # headers in; text follows in chunks
    fam = family or _family(model_id) or detect_family(body) or "converse"
    chunks, parts = state.chunks, state.parts
    stop_reason = None
    metrics: dict = {}
    stream = response["body"]
    counted = _counter(stream)
    try:
        for event in stream:  # boto3 decodes the event-stream framing
            chunk = event.get("chunk")
            if chunk is None:
                continue
            data = json.loads(chunk["bytes"])
            chunks.append(data)
            text = chunk_text(fam, data)
            if text:
                if state.ttft_ms is None:
                    state.ttft_ms = (perf_counter() - t0) * 1000.0
                parts.append(text)
                _emit(on_text, text)
            reason = chunk_stop_reason(fam, data)
            if reason:
                stop_reason = reason
            if _STREAM_METRICS in data:
                metrics = data[_STREAM_METRICS] or {}
    except BaseException:
        stream.close()  # an abandoned half-read stream must not go back to the connection pool
        raise
    client_ms = (perf_counter() - t0) * 1000.0
    meta, headers = _meta(response)
    return {
        "client_ms": client_ms,
        "server_ms": _float(metrics.get("invocationLatency")),
        "retries": int(meta.get("RetryAttempts") or 0),
        "http_status": meta.get("HTTPStatusCode"),
        "input_tokens": _int(metrics.get("inputTokenCount")),
        "output_tokens": _int(metrics.get("outputTokenCount")),
        "request_id": meta.get("RequestId"),
        "output_text": "".join(parts),
        "stop_reason": stop_reason,
        "response_body": chunks,
        "request_bytes": len(payload.encode()),
        "response_bytes": counted.count if counted is not None else None,
        "modelled_network_ms": _float(headers.get(_SANDBOX_NETWORK_HEADER)),
        "upstream_ms": _float(headers.get(_GATEWAY_UPSTREAM_HEADER)),
    }


def _converse(
    runtime: Any, model_id: str, body: dict, on_text: OnText | None, t0: float, state: _State
) -> dict:
    response = runtime.converse(modelId=model_id, **body)
    client_ms = (perf_counter() - t0) * 1000.0
    # botocore hands the reply over only once it is fully parsed: no first byte, no first token.
    meta = response.pop("ResponseMetadata", None) or {}
    headers = meta.get("HTTPHeaders") or {}
    got = extract("converse", response)
    _emit(on_text, got.text)
    return {
        "client_ms": client_ms,
        "server_ms": _float((response.get("metrics") or {}).get("latencyMs")),
        "retries": int(meta.get("RetryAttempts") or 0),
        "http_status": meta.get("HTTPStatusCode"),
        "input_tokens": got.input_tokens,
        "output_tokens": got.output_tokens,
        "request_id": meta.get("RequestId"),
        "output_text": got.text,
        "stop_reason": got.stop_reason,
        "response_body": response,
        "response_bytes": _int(headers.get("content-length")),
        "modelled_network_ms": _float(headers.get(_SANDBOX_NETWORK_HEADER)),
        "upstream_ms": _float(headers.get(_GATEWAY_UPSTREAM_HEADER)),
    }


def _converse_stream(
    runtime: Any, model_id: str, body: dict, on_text: OnText | None, t0: float, state: _State
) -> dict:
    response = runtime.converse_stream(modelId=model_id, **body)
    state.ttfb_ms = (perf_counter() - t0) * 1000.0  # headers in; events follow
    events, parts = state.chunks, state.parts
    stop_reason = None
    usage: dict = {}
    latency = None
    stream = response["stream"]
    counted = _counter(stream)
    try:
        for event in stream:
            events.append(event)
            delta = event.get("contentBlockDelta")
            if delta is not None:
                text = (delta.get("delta") or {}).get("text")
                if text:
                    if state.ttft_ms is None:
                        state.ttft_ms = (perf_counter() - t0) * 1000.0
                    parts.append(text)
                    _emit(on_text, text)
            elif "messageStop" in event:
                stop_reason = event["messageStop"].get("stopReason")
            elif "metadata" in event:
                usage = event["metadata"].get("usage") or {}
                latency = (event["metadata"].get("metrics") or {}).get("latencyMs")
    except BaseException:
        stream.close()  # an abandoned half-read stream must not go back to the connection pool
        raise
    client_ms = (perf_counter() - t0) * 1000.0
    meta, headers = _meta(response)
    return {
        "client_ms": client_ms,
        "server_ms": _float(latency),
        "retries": int(meta.get("RetryAttempts") or 0),
        "http_status": meta.get("HTTPStatusCode"),
        "input_tokens": _int(usage.get("inputTokens")),
        "output_tokens": _int(usage.get("outputTokens")),
        "request_id": meta.get("RequestId"),
        "output_text": "".join(parts),
        "stop_reason": stop_reason,
        "response_body": events,
        "response_bytes": counted.count if counted is not None else None,
        "modelled_network_ms": _float(headers.get(_SANDBOX_NETWORK_HEADER)),
        "upstream_ms": _float(headers.get(_GATEWAY_UPSTREAM_HEADER)),
    }


# --------------------------------------------------------------------------- errors

_DNS_MARKERS = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "getaddrinfo failed",
    "no address associated with hostname",
    "name resolution",
)

_CREDENTIAL_CODES = {
    "UnrecognizedClientException": "the access key id is not known to this endpoint's account: wrong or "
    "deleted keys, keys from another partition, or (cross-account) credentials that were not obtained by "
    "assuming account B's role",
    "InvalidSignatureException": "the request signature does not match: a wrong secret key, a mangled "
    "session token, or a clock more than 5 minutes off (check NTP)",
    "SignatureDoesNotMatch": "the request signature does not match: a wrong secret key or a skewed clock",
    "ExpiredTokenException": "the session credentials have expired: refresh them (AssumeRole again, "
    "`aws sso login` for a profile); assumed-role paths refresh on their own unless the source keys expired",
    "ExpiredToken": "the session credentials have expired: refresh them (AssumeRole again, `aws sso login`)",
    "MissingAuthenticationTokenException": "the request was not signed: no credentials were found for this path",
    "IncompleteSignatureException": "the signature is incomplete: check the credential mode of this path",
    "InvalidClientTokenId": "the access key id is not valid: check the keys or the profile",
}


def _is_dns_failure(exc: BaseException) -> bool:
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        cur = stack.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, socket.gaierror):
            return True
        if any(marker in str(cur).lower() for marker in _DNS_MARKERS):
            return True
        stack.extend([cur.__cause__, cur.__context__])
        inner = (
            getattr(cur, "kwargs", {}).get("error")
            if isinstance(getattr(cur, "kwargs", None), dict)
            else None
        )
        if isinstance(inner, BaseException):
            stack.append(inner)
    return False


def _model_arn(model_id: str, region: str | None) -> str:
    if model_id.startswith("arn:"):
        return model_id
    region = region or "<region>"
    if profile_prefix(model_id):
        return f"arn:aws:bedrock:{region}:<account>:inference-profile/{model_id}"
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def _profile_hint(model_id: str, region: str | None) -> str:
    if profile_prefix(model_id):
        return (
            f"{model_id} already is an inference profile: check that it exists in {region or 'this region'} "
            "(the live model list shows the profiles this path can use)"
        )
    profile = profile_id_for(model_id, region)
    return (
        f"this model has no on-demand throughput in {region or 'this region'}: call it through an inference "
        f"profile, model id {profile} (pick it from the live model list; the IAM policy must also allow "
        f"the profile ARN and the foundation-model ARN in every region the profile routes to)"
    )


def classify_error(
    exc: BaseException, *, model_id: str, region: str | None, api: str = "invoke"
) -> tuple[str, str, str, int | None]:
    """(error_code, redacted message, remediation hint, HTTP status) for any invocation failure.

    Covers the service's answers (botocore ClientError, including errors inside a stream)
    and the transport's (DNS, refused connection, timeouts, proxy), credentials that could
    not be found, and botocore's own parameter validation.
    """
    action = "bedrock:InvokeModelWithResponseStream" if api.endswith("stream") else "bedrock:InvokeModel"
    if isinstance(exc, ClientError):
        err = exc.response.get("Error") or {}
        code = str(err.get("Code") or type(exc).__name__)
        # Errors inside an event stream carry the member name (``throttlingException``);
        # report them under the same code as the HTTP-level error.
        code = code[:1].upper() + code[1:]
        message = redact(str(err.get("Message") or exc))
        status = (exc.response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        meta = exc.response.get("ResponseMetadata") or {}
        return code, message, _service_hint(code, message, model_id, region, action, meta), status
    message = redact(str(exc) or type(exc).__name__)
    if isinstance(exc, ProxyConnectionError):
        return (
            "ProxyConnectionError",
            message,
            "the proxy refused or could not be reached: check ProxyURL of this path and that the proxy "
            "allows CONNECT to the Bedrock endpoint on 443",
            None,
        )
    if isinstance(exc, ConnectTimeoutError):
        return (
            "ConnectTimeout",
            message,
            "no TCP connection within the connect timeout: a VPC endpoint whose security group does not "
            "allow inbound 443 from this subnet (or a NACL / route) looks exactly like this; check the "
            "endpoint's security group, the subnet's route to it, and for nat the NAT gateway route",
            None,
        )
    if isinstance(exc, ReadTimeoutError):
        return (
            "ReadTimeout",
            message,
            "connected, but no answer within the read timeout: raise ReadTimeout for this path, lower "
            "max tokens, or use a streaming API so text arrives before the whole answer is ready",
            None,
        )
    if isinstance(exc, EndpointConnectionError):
        if _is_dns_failure(exc):
            return (
                "EndpointDNSError",
                message,
                "the endpoint's name does not resolve from here: check the VPC endpoint URL "
                "(https://vpce-<id>-<suffix>.bedrock-runtime.<region>.vpce.amazonaws.com), that the "
                "endpoint exists in this region, and — when using the default bedrock-runtime name — that "
                "private DNS is enabled on the endpoint and the VPC has DNS resolution/hostnames on",
                None,
            )
        return (
            "EndpointConnectionError",
            message,
            "could not connect to the endpoint: check the endpoint URL and port, that the VPC endpoint's "
            "security group allows inbound 443 from this subnet, and that something is listening there",
            None,
        )
    if isinstance(exc, ConnectionClosedError):
        return (
            "ConnectionClosed",
            message,
            "the connection was closed mid-request: a proxy, firewall or load balancer cut it; retry, and "
            "check idle timeouts on anything between here and the endpoint",
            None,
        )
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return (
            "NoCredentials",
            message,
            "no credentials were found for this path: check its credential mode (instance role, profile, "
            "keys) — on a laptop there is no instance role",
            None,
        )
    if isinstance(exc, ParamValidationError):
        return (
            "ParamValidation",
            message,
            "boto3 rejected the request before sending it: for the converse APIs the body may only hold "
            "messages, system, inferenceConfig, additionalModelRequestFields ... — load the Converse "
            "template",
            None,
        )
    if isinstance(exc, WorkshopError):
        return (type(exc).__name__, message, exc.fix or "see the message", None)
    if isinstance(exc, BotoCoreError):
        return (
            type(exc).__name__,
            message,
            "the AWS SDK failed before Bedrock answered: see the message",
            None,
        )
    return (
        type(exc).__name__,
        message,
        "unexpected error: see the message (and report it if it persists)",
        None,
    )


def _service_hint(code: str, message: str, model_id: str, region: str | None, action: str, meta: dict) -> str:
    lowered = message.lower()
    family = _family(model_id)
    template = f"prompts/{family}.json" if family else "the family's template"
    if code == "AccessDeniedException":
        if "access to the model" in lowered or "model access" in lowered:
            return (
                f"model access is not enabled for {base_model_id(model_id)} in {region or 'this region'}: "
                "enable it on the Bedrock console's Model access page (for a cross-account path, in account B)"
            )
        return (
            f"the caller lacks {action} on {_model_arn(model_id, region)}: add it to the role's policy "
            "(and, through a VPC endpoint, to the endpoint policy), or enable model access for the model"
        )
    if code == "ValidationException":
        if "on-demand throughput" in lowered or "inference profile" in lowered:
            return _profile_hint(model_id, region)
        if "model identifier" in lowered or "model id" in lowered:
            return f"{model_id!r} is not a model id Bedrock knows here: pick one from the model list for this path"
        return f"Bedrock rejected the request body: check it against {template} (the editor validates it)"
    if code in ("ThrottlingException", "ServiceQuotaExceededException", "TooManyRequestsException"):
        retries = int(meta.get("RetryAttempts") or 0)
        return (
            f"throttled after {retries} automatic retr{'y' if retries == 1 else 'ies'}: slow down (lower "
            "concurrency or rate), raise MaxAttempts for this path, or request a higher requests/tokens "
            "per minute quota in Service Quotas; a cross-region inference profile spreads the load"
        )
    if code == "ResourceNotFoundException":
        return (
            f"{model_id} is not available in {region or 'this region'} (wrong region, legacy model, or a "
            "profile that does not exist): pick one from the live model list for this path"
        )
    if code == "ModelTimeoutException":
        return (
            "the model took too long: lower max tokens or the prompt size, or use a streaming API, then retry"
        )
    if code == "ModelNotReadyException":
        return "the model is not ready yet (botocore retries this): wait a moment and retry"
    if code in ("ModelErrorException", "ModelStreamErrorException"):
        return "the model failed while answering: retry; if it persists, simplify the request"
    if code in ("ServiceUnavailableException", "ServiceUnavailable", "InternalServerException"):
        return "Bedrock could not serve the request right now: retry with backoff (standard retry mode does)"
    if code in _CREDENTIAL_CODES:
        return _CREDENTIAL_CODES[code]
    return "see the message"

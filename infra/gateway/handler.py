"""Bedrock proxy: the Lambda function behind the workshop's API Gateway path (seeds 001, 004).

This file is what gets deployed (``infra/gateway/template.yaml`` packages it) and it is also
what the sandbox runs behind its emulated API Gateway, so the code that is tested is the code
that would be deployed. It needs only the Lambda Python runtime and the boto3 that ships with
it (Converse needs boto3 >= 1.34.116; the python3.12/3.13 runtimes have it).

The contract (API Gateway REST API, Lambda proxy integration, one resource):

    POST {stage URL}/bedrock
    {"modelId": "<model or inference-profile id>", "api": "invoke" | "converse", "body": {...}}

``body`` is the model family's native request for ``invoke`` and a Converse request
(``messages``, ``system``, ``inferenceConfig`` ...) for ``converse``. The answer is Bedrock's
body unchanged (the model's JSON for ``invoke``, the Converse response for ``converse``) with
these headers:

* ``x-amzn-bedrock-invocation-latency`` and the token-count headers, passed through from
  Bedrock (for Converse: ``metrics.latencyMs``);
* ``x-proxy-bedrock-ms``: how long this function waited for Bedrock (gateway -> Bedrock);
* ``x-proxy-handler-ms``: the whole handler, logging included;
* ``x-proxy-log-ms``: the invocation-log writes alone (synchronous: they are on the caller's
  clock, which is the price of logging in the request path);
* ``x-proxy-cold-start``: ``true`` on the first call of an execution environment, and then
  ``x-proxy-init-ms``, the environment's init measured by this code (imports and clients;
  the platform's own provisioning time is not visible from inside);
* ``x-proxy-bedrock-request-id``: Bedrock's request id (API Gateway has its own).

Errors keep Bedrock's status and code (``x-amzn-ErrorType``) with ``{"message": ...}``; a
request that breaks the contract gets 400 ``ValidationException`` naming the field.

Every call is logged as a ``ModelInvocationLog`` record (the schema Bedrock's own invocation
logging writes, seed 001) to CloudWatch Logs (``LOG_GROUP``) and/or S3 (``LOG_BUCKET``,
``LOG_PREFIX``) when those are set; a failed log write never fails the call (it is counted in
``x-proxy-log-error``). Environment: ``AWS_REGION`` (set by Lambda), ``ALLOWED_MODELS``
(comma-separated; empty = any model the role may call), ``LOG_BODIES`` (``false`` keeps
prompts out of the log), ``BEDROCK_READ_TIMEOUT`` (seconds, default 25: under API Gateway's
29 s integration timeout), and boto3's own ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` /
``AWS_ENDPOINT_URL_LOGS`` / ``AWS_ENDPOINT_URL_S3``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import time
import uuid
from collections.abc import Mapping
from typing import Any

_MODULE_T0 = time.perf_counter()

import boto3  # noqa: E402 - imported after the clock starts: importing it is part of a cold start
from botocore.config import Config  # noqa: E402
from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402

CONTRACT_APIS = ("invoke", "converse")
MAX_BODY_BYTES = 6 * 1024 * 1024  # Lambda's synchronous payload limit
LOG_STREAM_PREFIX = "bedrock-proxy"


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0


def _response(status: int, body: Any, headers: Mapping[str, str] | None = None, *, error: str | None = None) -> dict:
    """A Lambda proxy-integration answer (header values must be strings)."""
    out = {"Content-Type": "application/json", **(headers or {})}
    if error:
        out["x-amzn-ErrorType"] = error
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return {"statusCode": status, "headers": {k: str(v) for k, v in out.items()}, "body": text,
            "isBase64Encoded": False}


class ContractError(Exception):
    """The request does not follow the proxy's contract: 400 naming the field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def parse_request(event: Mapping[str, Any]) -> tuple[str, str, dict]:
    """(model id, api, body) from an API Gateway proxy event; ContractError when malformed."""
    raw = event.get("body")
    if raw is None:
        raise ContractError("the request has no body", "body")
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode("utf-8")
    if len(raw) > MAX_BODY_BYTES:
        raise ContractError(f"the request body is over {MAX_BODY_BYTES} bytes", "body")
    try:
        request = json.loads(raw)
    except ValueError as exc:
        raise ContractError(f"the request body is not JSON ({exc})", "body") from None
    if not isinstance(request, dict):
        raise ContractError("the request body must be a JSON object", "body")
    model_id = request.get("modelId")
    if not isinstance(model_id, str) or not model_id.strip():
        raise ContractError("modelId is missing (a model or inference-profile id)", "modelId")
    api = request.get("api", "invoke")
    if api not in CONTRACT_APIS:
        raise ContractError(f"api must be one of {', '.join(CONTRACT_APIS)}", "api")
    body = request.get("body")
    if not isinstance(body, dict):
        raise ContractError("body must be a JSON object: the model's request (invoke) or a Converse request",
                            "body")
    return model_id.strip(), api, body


class Proxy:
    """One execution environment's state: the clients (made once, reused by every call) and
    whether the next call is this environment's first."""

    def __init__(self, env: Mapping[str, str] | None = None, session: Any = None,
                 init_started: float | None = None) -> None:
        t0 = time.perf_counter() if init_started is None else init_started
        env = os.environ if env is None else env
        self.region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        session = session or boto3.session.Session()
        read_timeout = float(env.get("BEDROCK_READ_TIMEOUT") or 25)
        config = Config(region_name=self.region, connect_timeout=3, read_timeout=read_timeout,
                        retries={"mode": "standard", "total_max_attempts": 2}, tcp_keepalive=True)
        self.bedrock = session.client("bedrock-runtime", region_name=self.region, config=config,
                                      endpoint_url=env.get("AWS_ENDPOINT_URL_BEDROCK_RUNTIME") or None)
        self.log_group = env.get("LOG_GROUP") or None
        self.bucket = env.get("LOG_BUCKET") or None
        self.prefix = (env.get("LOG_PREFIX") or "").strip("/")
        self.capture_bodies = (env.get("LOG_BODIES") or "true").lower() != "false"
        self.allowed = frozenset(m.strip() for m in (env.get("ALLOWED_MODELS") or "").split(",") if m.strip())
        self.logs = session.client("logs", region_name=self.region,
                                   endpoint_url=env.get("AWS_ENDPOINT_URL_LOGS") or None) if self.log_group else None
        self.s3 = session.client("s3", region_name=self.region,
                                 endpoint_url=env.get("AWS_ENDPOINT_URL_S3") or None) if self.bucket else None
        # One stream per execution environment: concurrent environments never write to the same one.
        self.log_stream = f"{LOG_STREAM_PREFIX}/{dt.datetime.now(dt.UTC):%Y/%m/%d}/{uuid.uuid4().hex}"
        self._stream_ready = False
        self.cold = True
        self.init_ms = _ms(t0)

    # -- the call ---------------------------------------------------------------------------

    def handle(self, event: Mapping[str, Any], context: Any = None) -> dict:
        """Answer one API Gateway proxy event (never raises: every failure is an HTTP answer)."""
        t0 = time.perf_counter()
        cold, self.cold = self.cold, False
        timing = {"x-proxy-cold-start": "true" if cold else "false"}
        if cold:
            timing["x-proxy-init-ms"] = f"{self.init_ms:.3f}"
        try:
            model_id, api, body = parse_request(event)
        except ContractError as err:
            return _response(400, {"message": err.message, "field": err.field}, timing, error="ValidationException")
        if self.allowed and model_id not in self.allowed:
            return _response(403, {"message": f"this proxy does not serve {model_id}: allowed models are "
                                              f"{', '.join(sorted(self.allowed))}"}, timing,
                             error="AccessDeniedException")
        t_call = time.perf_counter()
        status, headers, answer, code, usage = self._call(model_id, api, body)
        timing["x-proxy-bedrock-ms"] = f"{_ms(t_call):.3f}"
        record = self._record(event, context, model_id, api, body, answer, status, code, usage,
                              headers.get("x-proxy-bedrock-request-id"))
        t_log = time.perf_counter()
        failed = self._write_log(record)
        timing["x-proxy-log-ms"] = f"{_ms(t_log):.3f}"
        if failed:
            timing["x-proxy-log-error"] = failed
        timing["x-proxy-handler-ms"] = f"{_ms(t0):.3f}"
        return _response(status, answer, {**headers, **timing}, error=code)

    def _call(self, model_id: str, api: str, body: dict) -> tuple[int, dict, Any, str | None, dict]:
        """(status, headers to pass through, answer body, error code, token usage)."""
        try:
            if api == "invoke":
                response = self.bedrock.invoke_model(modelId=model_id, body=json.dumps(body),
                                                     contentType="application/json", accept="application/json")
                raw = response["body"].read().decode("utf-8")
                meta = response.get("ResponseMetadata") or {}
                got = meta.get("HTTPHeaders") or {}
                headers = {name: got[name] for name in ("x-amzn-bedrock-invocation-latency",
                                                        "x-amzn-bedrock-input-token-count",
                                                        "x-amzn-bedrock-output-token-count") if name in got}
                headers["x-proxy-bedrock-request-id"] = meta.get("RequestId") or ""
                usage = {"input": got.get("x-amzn-bedrock-input-token-count"),
                         "output": got.get("x-amzn-bedrock-output-token-count")}
                return 200, headers, raw, None, usage
            response = self.bedrock.converse(modelId=model_id, **body)
            meta = response.pop("ResponseMetadata", None) or {}
            tokens = response.get("usage") or {}
            latency = (response.get("metrics") or {}).get("latencyMs")
            headers = {"x-proxy-bedrock-request-id": meta.get("RequestId") or ""}
            if latency is not None:
                headers["x-amzn-bedrock-invocation-latency"] = str(latency)
            for name, key in (("x-amzn-bedrock-input-token-count", "inputTokens"),
                              ("x-amzn-bedrock-output-token-count", "outputTokens")):
                if key in tokens:
                    headers[name] = str(tokens[key])
            return 200, headers, response, None, {"input": tokens.get("inputTokens"),
                                                  "output": tokens.get("outputTokens")}
        except ClientError as exc:
            err = exc.response.get("Error") or {}
            meta = exc.response.get("ResponseMetadata") or {}
            status = int(meta.get("HTTPStatusCode") or 500)
            code = str(err.get("Code") or "InternalServerException")
            return status, {"x-proxy-bedrock-request-id": meta.get("RequestId") or ""}, \
                {"message": str(err.get("Message") or code)}, code, {}
        except (BotoCoreError, ValueError) as exc:
            # Bedrock could not be reached or answered nonsense: the gateway's own 502.
            return 502, {}, {"message": f"the proxy could not get an answer from Bedrock: {type(exc).__name__}"}, \
                "BadGatewayException", {}

    # -- the invocation log (seed 001) --------------------------------------------------------

    def _record(self, event: Mapping[str, Any], context: Any, model_id: str, api: str, body: dict, answer: Any,
                status: int, code: str | None, usage: dict, request_id: str | None) -> dict:
        """A ModelInvocationLog record, as Bedrock's own invocation logging writes it, plus
        what only the proxy knows (which API key, which VPC endpoint, API Gateway's request id)."""
        ctx = event.get("requestContext") or {}
        ident = ctx.get("identity") or {}
        arn = getattr(context, "invoked_function_arn", "") or ""
        account = arn.split(":")[4] if arn.count(":") >= 5 else (ctx.get("accountId") or "")
        caller = ident.get("userArn") or (f"apiKey:{ident['apiKeyId']}" if ident.get("apiKeyId") else "anonymous")
        record: dict[str, Any] = {
            "schemaType": "ModelInvocationLog",
            "schemaVersion": "1.0",
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "accountId": account,
            "identity": {"arn": caller},
            "region": self.region,
            "requestId": request_id or "",
            "operation": "InvokeModel" if api == "invoke" else "Converse",
            "modelId": model_id,
            "input": {"inputContentType": "application/json", "inputTokenCount": _int(usage.get("input"))},
            "output": {"outputContentType": "application/json", "outputTokenCount": _int(usage.get("output"))},
            "proxy": {"apiRequestId": ctx.get("requestId"), "stage": ctx.get("stage"), "apiId": ctx.get("apiId"),
                      "apiKeyId": ident.get("apiKeyId"), "sourceVpce": ident.get("vpceId"), "status": status},
        }
        if code:
            record["errorCode"] = code
        if self.capture_bodies:
            record["input"]["inputBodyJson"] = body
            if status == 200:
                record["output"]["outputBodyJson"] = json.loads(answer) if isinstance(answer, str) else answer
        return record

    def _write_log(self, record: dict) -> str | None:
        """Write ``record`` to CloudWatch Logs and/or S3; the failure's name, or None."""
        text = json.dumps(record, separators=(",", ":"), default=str)
        failed = []
        if self.logs is not None:
            try:
                if not self._stream_ready:
                    try:
                        self.logs.create_log_stream(logGroupName=self.log_group, logStreamName=self.log_stream)
                    except ClientError as exc:
                        if (exc.response.get("Error") or {}).get("Code") != "ResourceAlreadyExistsException":
                            raise
                    self._stream_ready = True
                self.logs.put_log_events(logGroupName=self.log_group, logStreamName=self.log_stream,
                                         logEvents=[{"timestamp": int(time.time() * 1000), "message": text}])
            except (ClientError, BotoCoreError) as exc:
                failed.append(f"logs:{type(exc).__name__}")
        if self.s3 is not None:
            now = dt.datetime.now(dt.UTC)
            key = "/".join(p for p in (
                self.prefix, "AWSLogs", record["accountId"] or "unknown", "BedrockModelInvocationLogs", self.region,
                f"{now:%Y/%m/%d/%H}", f"{record['requestId'] or uuid.uuid4().hex}.json") if p)
            try:
                # Encryption at rest is the bucket's default (the template sets it), not a per-call flag.
                self.s3.put_object(Bucket=self.bucket, Key=key, Body=text.encode("utf-8"),
                                   ContentType="application/json")
            except (ClientError, BotoCoreError) as exc:
                failed.append(f"s3:{type(exc).__name__}")
        return ",".join(failed) or None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


# On Lambda the environment is created during the init phase (and its time reported on the
# first call); imported anywhere else (the sandbox, tests) nothing is created until asked.
PROXY: Proxy | None = Proxy(init_started=_MODULE_T0) if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") else None


def handler(event: Mapping[str, Any], context: Any) -> dict:
    """The Lambda entry point (``handler.handler``)."""
    global PROXY
    if PROXY is None:
        PROXY = Proxy()
    return PROXY.handle(event, context)

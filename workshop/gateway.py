"""The client side of the gateway paths: an API Gateway + Lambda proxy, and an LLM gateway.

``api-gateway`` (seeds 001, 004): the request is the proxy's JSON contract (defined in
``infra/gateway/handler.py``: ``{"modelId", "api": "invoke" | "converse", "body"}`` POSTed to
``{stage URL}/bedrock``), sent with urllib3 (botocore's own HTTP library) through one pool per
path, authenticated by ``x-api-key`` or by SigV4 for ``execute-api`` (botocore's signer).
The answer is Bedrock's body plus the proxy's timing headers, which split the call:

* ``upstream_ms``: the proxy's wait for Bedrock (gateway -> Bedrock, ``x-proxy-bedrock-ms``);
* ``init_ms``: the Lambda's cold start, on the first call of an execution environment only
  (the sandbox's ``x-sandbox-lambda-init-ms``, modelled platform time + the handler's measured
  init; on AWS the handler's own ``x-proxy-init-ms``, since the platform's part is invisible);
* ``gateway_ms`` = client_ms - upstream_ms - init_ms: client -> gateway and back, API
  Gateway, the Lambda invoke and the handler's own work (its log writes included).

``server_ms`` is Bedrock's ``x-amzn-bedrock-invocation-latency`` passed through, so
``overhead_ms`` (client - server) means what it means on every path. API Gateway's 429s are
not retried: a quota does not clear by retrying, and a throttle is what is being taught.

``llm-gateway`` (seed 002): the bedrock-runtime client is built for the upstream endpoint,
so botocore signs for bedrock-runtime's host exactly as on the NAT path; a ``before-send``
hook then sends the signed request to the gateway, with the signed ``Host`` header kept.
That is seed 002's pre-signed method done by the SDK itself, and the answer to its Host
question: the signature covers Host, so the request must name the host it was signed for
wherever it is sent, and the gateway must forward it unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from time import perf_counter
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from workshop.errors import InputError, WorkshopError
from workshop.results import InvocationResult

PROXY_RESOURCE = "/bedrock"
PROXY_APIS: tuple[str, ...] = ("invoke", "converse")
"""The APIs the proxy's contract carries (a Lambda proxy integration answers whole: no streams)."""

UPSTREAM_HEADER = "x-gateway-upstream-ms"
"""The LLM gateway's own time waiting for bedrock-runtime (the sandbox's gateway sends it)."""


def carries(path: Any, api: str) -> bool:
    """Whether ``api`` can go through ``path`` (every API but the streams through the proxy)."""
    return getattr(path, "kind", None) != "api-gateway" or api in PROXY_APIS


def check_api(path: Any, api: str) -> None:
    """InputError when ``api`` cannot go through ``path`` (streams through the API Gateway proxy)."""
    if not carries(path, api):
        raise InputError(
            f"the {path.name} path (API Gateway + Lambda proxy) carries invoke and converse, not {api}",
            field="api",
            fix="pick invoke or converse for this path, or leave it out of the comparison (a Lambda proxy "
            "integration answers whole, so there is no stream to read)",
        )


# =============================================================================== llm-gateway


def route_through_gateway(runtime: Any, gateway_url: str) -> None:
    """Send every request of ``runtime`` (signed for its own endpoint) to ``gateway_url``.

    Runs on ``before-send``: after signing, before the connection is chosen. The ``Host``
    header is set to the signed host explicitly (botocore signs it but leaves it to urllib3,
    which would otherwise write the gateway's name and break the signature).
    """
    target = urlsplit(gateway_url)
    base = target.path.rstrip("/")

    def before_send(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        request.headers["Host"] = parts.netloc
        request.url = urlunsplit((target.scheme, target.netloc, base + parts.path, parts.query, ""))

    runtime.meta.events.register_first("before-send.bedrock-runtime", before_send)


# =============================================================================== api-gateway


class ApiGatewayTransport:
    """One pooled HTTP client for an api-gateway path, reused by every call (like boto3's)."""

    def __init__(self, path: Any, session: Any, *, pool_size: int) -> None:
        import urllib3

        self.path = path
        self.session = session
        gw = path.gateway
        self.url = (path.endpoint_url or "").rstrip("/") + PROXY_RESOURCE
        timeout = urllib3.Timeout(connect=path.connect_timeout, read=path.read_timeout)
        if path.proxy:
            self.pool: Any = urllib3.ProxyManager(path.proxy, num_pools=2, maxsize=max(1, pool_size),
                                                  timeout=timeout, retries=False)
        else:
            self.pool = urllib3.PoolManager(num_pools=2, maxsize=max(1, pool_size), timeout=timeout, retries=False)
        from workshop.paths import USER_AGENT_EXTRA

        self.headers = {"Content-Type": "application/json", "Accept": "application/json",
                        "User-Agent": USER_AGENT_EXTRA}
        if gw.api_id:
            self.headers["x-apigw-api-id"] = gw.api_id
        if gw.auth == "api-key" and gw.api_key:
            self.headers["x-api-key"] = gw.api_key

    def signed_headers(self, payload: bytes) -> dict[str, str]:
        """The request's headers; SigV4 for ``execute-api`` added when the path uses IAM."""
        if self.path.gateway.auth != "iam":
            return self.headers
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        from workshop.errors import CredentialError

        credentials = self.session.get_credentials()
        if credentials is None:
            raise CredentialError("no credentials to sign the execute-api request", field="CredentialMode",
                                  fix="Auth = iam signs with this path's credential mode: check it (or use "
                                  "Auth = api-key)")
        request = AWSRequest(method="POST", url=self.url, data=payload, headers=dict(self.headers))
        SigV4Auth(credentials.get_frozen_credentials(), "execute-api", self.path.region).add_auth(request)
        return dict(request.headers.items())

    def close(self) -> None:
        self.pool.clear()


def invoke_api_gateway(client: Any, model_id: str, body: dict, api: str, *, on_text: Any = None,
                       family: str | None = None) -> InvocationResult:
    """One call through the proxy -> InvocationResult (errors are data, as in workshop.invoke)."""
    from workshop import invoke as inv

    path = client.path
    check_api(path, api)
    transport: ApiGatewayTransport = client.gateway
    started_at = datetime.now(UTC)
    payload = json.dumps({"modelId": model_id, "api": api, "body": body}).encode()
    ttfb_ms = None
    try:
        headers = transport.signed_headers(payload)
        t0 = perf_counter()
        response = transport.pool.urlopen("POST", transport.url, body=payload, headers=headers,
                                          preload_content=False, redirect=False)
        ttfb_ms = (perf_counter() - t0) * 1000.0
        raw = response.read()
        client_ms = (perf_counter() - t0) * 1000.0
        response.release_conn()
    except Exception as exc:  # the transport failed: classify like a botocore failure
        code, message, hint = _transport_error(exc, path)
        return InvocationResult(path=path.name, model_id=model_id, api=api, started_at=started_at,
                                client_ms=None, credentials_ms=client.credentials_ms, error_code=code,
                                error_message=message, error_hint=hint, ttfb_ms=ttfb_ms,
                                request_bytes=len(payload))
    head = {k.lower(): v for k, v in response.headers.items()}
    timing = _split(head, client_ms)
    common = dict(path=path.name, model_id=model_id, api=api, started_at=started_at, client_ms=client_ms,
                  credentials_ms=client.credentials_ms, http_status=response.status, ttfb_ms=ttfb_ms,
                  request_bytes=len(payload), response_bytes=len(raw),
                  modelled_network_ms=inv._float(head.get("x-sandbox-network-ms")), **timing)
    if response.status != 200:
        code, message = _error_of(head, raw, response.status)
        return InvocationResult(**common, error_code=code, error_message=message,
                                error_hint=gateway_hint(code, message, response.status, model_id, path, api),
                                request_id=head.get("x-proxy-bedrock-request-id") or head.get("x-amzn-requestid"))
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        return InvocationResult(**common, error_code="ProxyContractError",
                                error_message="the proxy answered 200 with a body that is not JSON",
                                error_hint="the API's integration is not the workshop's proxy (infra/gateway/"
                                "handler.py): check the stage URL and the method's integration")
    fam = family or inv._family(model_id) or inv.detect_family(body)
    got = inv.extract(fam, parsed) if api == "invoke" and fam and fam != "converse" else inv.extract("converse", parsed)
    inv._emit(on_text, got.text)
    return InvocationResult(
        **common,
        server_ms=timing_server(head, parsed),
        overhead_ms=(client_ms - s) if (s := timing_server(head, parsed)) is not None else None,
        input_tokens=inv._int(head.get("x-amzn-bedrock-input-token-count")) or got.input_tokens,
        output_tokens=inv._int(head.get("x-amzn-bedrock-output-token-count")) or got.output_tokens,
        request_id=head.get("x-proxy-bedrock-request-id") or head.get("x-amzn-requestid"),
        output_text=got.text,
        stop_reason=got.stop_reason,
        response_body=parsed,
    )


def timing_server(head: dict[str, str], parsed: Any) -> float | None:
    """Bedrock's own time, passed through by the proxy (header, else Converse's metrics)."""
    from workshop.invoke import _float

    value = _float(head.get("x-amzn-bedrock-invocation-latency"))
    if value is None and isinstance(parsed, dict):
        value = _float((parsed.get("metrics") or {}).get("latencyMs"))
    return value


def _split(head: dict[str, str], client_ms: float) -> dict[str, float | None]:
    """upstream_ms, init_ms and gateway_ms from the proxy's headers (None where absent)."""
    from workshop.invoke import _float

    upstream = _float(head.get("x-proxy-bedrock-ms"))
    init = None
    if (head.get("x-proxy-cold-start") or "").lower() == "true":
        init = _float(head.get("x-sandbox-lambda-init-ms")) or _float(head.get("x-proxy-init-ms"))
    gateway = client_ms - upstream - (init or 0.0) if upstream is not None else None
    return {"upstream_ms": upstream, "init_ms": init, "gateway_ms": gateway}


def _error_of(head: dict[str, str], raw: bytes, status: int) -> tuple[str, str]:
    from workshop.secrets import redact

    code = (head.get("x-amzn-errortype") or "").split(":", 1)[0] or f"HTTP{status}"
    try:
        data = json.loads(raw)
        message = str(data.get("message") or data.get("Message") or "") if isinstance(data, dict) else ""
    except ValueError:
        message = raw[:300].decode("utf-8", errors="replace")
    return code, redact(message or f"HTTP {status}")


def gateway_hint(code: str, message: str, status: int, model_id: str, path: Any, api: str) -> str:
    """What to do about an answer from API Gateway, the proxy, or Bedrock behind it."""
    low = message.lower()
    if status == 403 and code == "ForbiddenException":
        return ("API Gateway refused the call before the proxy ran: check ApiKey of this path (the key's value, "
                "not its id), that the key is enabled and in a usage plan with this stage; through the "
                "execute-api endpoint's own DNS name, ApiId (x-apigw-api-id) must name the API")
    if code == "MissingAuthenticationTokenException":
        return ("no such route: EndpointURL must be the stage URL (https://.../prod) — the proxy's resource is "
                "POST /bedrock; with Auth = iam, the request must be signed")
    if status == 403 and "explicit deny" in low:
        return ("the API's resource policy denied this call: a private API answers only through the execute-api "
                "VPC endpoints its policy allows (aws:SourceVpce); call through the allowed endpoint, or add "
                "this one (`python -m workshop policy apigw-private --vpce-id ... --api-id ...`)")
    if code == "LimitExceededException":
        return ("the usage plan's quota for this API key is used up: no retry helps until the period resets "
                "(the Invoke page shows when); the platform team can raise the quota or issue another key")
    if code == "TooManyRequestsException" and status == 429:
        return ("the usage plan's throttle (requests per second, burst) rejected this call: slow down or lower "
                "concurrency; the same call a moment later goes through")
    if status == 504:
        return ("API Gateway gave up after its 29 s integration timeout: lower max tokens, or check that the "
                "Lambda reaches Bedrock (its VPC endpoint or NAT route, its security group)")
    if status == 500 and code == "InternalServerErrorException":
        return ("API Gateway could not run the Lambda: at its concurrency limit (Lambda throttles arrive as "
                "500 through a proxy integration) or misconfigured; check reserved concurrency and the "
                "function's permission for API Gateway")
    if status == 502:
        return ("the Lambda failed or answered in a shape API Gateway cannot use: read the function's log in "
                "CloudWatch (/aws/lambda/<function>)")
    if code in ("IncompleteSignatureException", "InvalidSignatureException", "UnrecognizedClientException",
                "ExpiredTokenException"):
        return ("the execute-api signature was refused (Auth = iam): check this path's credentials and that "
                "they are signed for execute-api in the API's region")
    if code == "ValidationException" and ("field" in low or "body" in low):
        return "the proxy rejected the request body: it must follow the proxy's contract (modelId, api, body)"
    from workshop.invoke import _service_hint

    action = "bedrock:InvokeModel"
    return _service_hint(code, message, model_id, path.region, action, {}) + " (answered by Bedrock behind the proxy)"


def _transport_error(exc: BaseException, path: Any) -> tuple[str, str, str]:
    import urllib3.exceptions as ue

    from workshop.secrets import redact

    message = redact(str(exc) or type(exc).__name__)
    if isinstance(exc, WorkshopError):
        return type(exc).__name__, exc.message, exc.fix or "see the message"
    if isinstance(exc, ue.NameResolutionError) or "resolution" in message.lower():
        return ("EndpointDNSError", message,
                "the stage URL's host does not resolve from here: a private API's name resolves only inside "
                "a VPC with an execute-api endpoint (private DNS on), or use the endpoint's own DNS name "
                "with ApiId")
    if isinstance(exc, ue.ConnectTimeoutError):
        return ("ConnectTimeout", message,
                "no TCP connection within the connect timeout: check the execute-api endpoint's security group "
                "(inbound 443 from this subnet) and the route to it")
    if isinstance(exc, ue.ReadTimeoutError):
        return ("ReadTimeout", message,
                "connected, but no answer within the read timeout: API Gateway answers 504 after 29 s, so a "
                "ReadTimeout below that cuts the call first; raise ReadTimeout for this path")
    if isinstance(exc, ue.ProxyError):
        return ("ProxyConnectionError", message, "the proxy refused or could not be reached: check ProxyURL")
    if isinstance(exc, ue.NewConnectionError | ue.MaxRetryError | ConnectionError):
        return ("EndpointConnectionError", message,
                "could not connect to the stage URL: check EndpointURL of this path and that the API (or the "
                "sandbox) is listening there")
    return (type(exc).__name__, message, "the request to API Gateway failed before an answer: see the message")


# =============================================================================== quota figures


@dataclass(frozen=True)
class QuotaStatus:
    """What a usage plan says about one API key (for a 429 on the Invoke page).

    ``limit`` is which limit rejected the call: ``quota`` (the period's allowance is used
    up: 429 "Limit Exceeded") or ``throttle`` (the token bucket: 429 "Too Many Requests").
    """

    limit: str
    quota_limit: int | None = None
    period: str | None = None
    used: int | None = None
    remaining: int | None = None
    resets_at: datetime | None = None
    rate_limit: float | None = None
    burst_limit: int | None = None
    note: str | None = None

    def sentence(self) -> str:
        """One line for the Invoke page and the CLI."""
        if self.limit == "quota":
            head = "Usage-plan quota used up (429 Limit Exceeded)"
        else:
            head = "Usage-plan throttle (429 Too Many Requests)"
        parts = [head]
        if self.quota_limit is not None:
            parts.append(f"quota {self.quota_limit:,} per {str(self.period).lower()}, "
                         f"{self.remaining if self.remaining is not None else '?'} remaining")
        if self.resets_at is not None:
            parts.append(f"resets {self.resets_at:%Y-%m-%d %H:%M} UTC")
        if self.rate_limit is not None:
            parts.append(f"throttle {self.rate_limit:g} requests/s, burst {self.burst_limit}")
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the Invoke page's measuring process sends it over a pipe)."""
        data = dict(self.__dict__)
        data["resets_at"] = self.resets_at.isoformat() if self.resets_at is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuotaStatus:
        """The inverse of :meth:`to_dict`."""
        resets = data.get("resets_at")
        return cls(**{**data, "resets_at": datetime.fromisoformat(resets) if resets else None})


def limit_of(result: InvocationResult) -> str | None:
    """``quota`` / ``throttle`` when ``result`` is an API Gateway usage-plan 429, else None."""
    if result.http_status != 429:
        return None
    if result.error_code == "LimitExceededException" or (result.error_message or "") == "Limit Exceeded":
        return "quota"
    if result.error_code == "TooManyRequestsException" and (result.error_message or "") == "Too Many Requests":
        return "throttle"
    return None


def quota_status(client: Any, result: InvocationResult, *, today: date | None = None) -> QuotaStatus | None:
    """The usage plan's figures behind a 429 on an api-gateway path (None for any other result).

    Reads the plan (GetUsagePlan) and the key's usage (GetUsage) through the API Gateway
    control plane with the path's credentials; without UsagePlanId / ApiKeyId, or when the
    call fails, only which limit it was (and why the rest is missing).
    """
    limit = limit_of(result)
    if limit is None or getattr(client.path, "kind", None) != "api-gateway":
        return None
    gw = client.path.gateway
    if not gw.usage_plan_id or not gw.api_key_id:
        return QuotaStatus(limit, note="set UsagePlanId and ApiKeyId for this path to see the remaining quota")
    try:
        from botocore.exceptions import BotoCoreError, ClientError

        from workshop.paths import client_config

        control = client.session.client("apigateway", region_name=client.path.region,
                                        endpoint_url=gw.control_url or None,
                                        config=client_config(client.path, pool_size=2))
        plan = control.get_usage_plan(usagePlanId=gw.usage_plan_id)
        quota = plan.get("quota") or {}
        throttle = plan.get("throttle") or {}
        now = datetime.now(UTC)
        day = today or now.date()
        usage = control.get_usage(usagePlanId=gw.usage_plan_id, keyId=gw.api_key_id,
                                  startDate=(day - timedelta(days=1)).isoformat(), endDate=day.isoformat())
    except (ClientError, BotoCoreError, WorkshopError) as exc:
        return QuotaStatus(limit, note=f"the usage plan could not be read ({type(exc).__name__}): the role needs "
                                       "apigateway:GET on the usage plan")
    days = (usage.get("items") or {}).get(gw.api_key_id) or []
    remaining = int(days[-1][1]) if days else None
    period = quota.get("period")
    resets = None
    if period:
        resets = period_bounds(now, period, int(quota.get("offset") or 0))[1]
    limit_value = quota.get("limit")
    return QuotaStatus(
        limit,
        quota_limit=int(limit_value) if limit_value is not None else None,
        period=period,
        used=int(limit_value) - remaining if limit_value is not None and remaining is not None else None,
        remaining=remaining,
        resets_at=resets,
        rate_limit=float(throttle["rateLimit"]) if "rateLimit" in throttle else None,
        burst_limit=int(throttle["burstLimit"]) if "burstLimit" in throttle else None,
    )


def period_bounds(now: dt.datetime, period: str, offset: int = 0) -> tuple[dt.datetime, dt.datetime]:
    """(start, next start) of the usage-plan quota period holding ``now`` (UTC).

    DAY: midnight to midnight. WEEK: ``offset`` 0 starts on Sunday, 1 on Monday ... MONTH:
    ``offset`` days after the 1st. These are API Gateway's QuotaSettings semantics.
    """
    day = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "DAY":
        return day, day + dt.timedelta(days=1)
    if period == "WEEK":
        back = (day.weekday() + 1 - offset) % 7  # weekday(): Monday 0; Sunday-based offsets
        start = day - dt.timedelta(days=back)
        return start, start + dt.timedelta(days=7)
    first = day.replace(day=1) + dt.timedelta(days=offset)
    if day < first:  # before this month's offset day: the period began last month
        prev = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        first = prev + dt.timedelta(days=offset)
    nxt_month = (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return first, nxt_month + dt.timedelta(days=offset)

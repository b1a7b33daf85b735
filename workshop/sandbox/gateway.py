"""The sandbox's gateways: a private API Gateway + Lambda proxy, and a forwarding LLM gateway.

Four loopback listeners beside the Bedrock ones (``SandboxServer`` starts them through
:func:`start_gateways`):

* ``api-gateway``: an execute-api interface endpoint in the participant's VPC (the endpoint
  the private API's resource policy allows), in front of two private REST APIs: one whose
  ``POST /prod/bedrock`` needs an API key in a usage plan, one that needs SigV4 for
  ``execute-api`` (IAM). What API Gateway does before the integration is emulated in its own
  order and with its own answers: the API is chosen by ``x-apigw-api-id`` (or the
  ``<api-id>.execute-api`` host name), an unknown route is 403 "Missing Authentication
  Token", the resource policy (the document ``workshop policy apigw-private`` generates,
  evaluated here) denies calls that did not come through the allowed VPC endpoint with 403,
  a missing or wrong API key is 403 "Forbidden", the usage plan's quota is 429 "Limit
  Exceeded" and its token-bucket throttle 429 "Too Many Requests", a Lambda at its
  concurrency limit 500 "Internal server error", an integration slower than 29 s 504
  "Endpoint request timed out". Behind it runs ``infra/gateway/handler.py`` — the very code
  the template deploys — in execution environments with a modelled cold start.
* ``apigw-foreign-vpce``: another VPC's execute-api endpoint (another account's, say). A
  private API answers through it too unless the resource policy names the allowed endpoint:
  seed 001's warning, here to be tried.
* ``apigateway``: the API Gateway control plane, enough of it for the quota figures
  (GetUsagePlan, GetUsage), SigV4 for ``apigateway``.
* ``llm-gateway``: a forwarding gateway in the manner of seed 002's gecholog. It forwards
  method, path, headers and body unmodified to the sandbox's bedrock-runtime, with the Host
  header set to the upstream's (as any reverse proxy to bedrock-runtime must), logs each call
  and streams answers through as they arrive. The signature covers Host, so a client that
  signed for bedrock-runtime's host (the llm-gateway path does) verifies; one that signed for
  the gateway's own host fails with InvalidSignatureException — the Host question of seed
  002, answered by the tests.

Left to others: SigV4 verification is ``sigv4.verify`` (botocore underneath); the Lambda's
Bedrock calls go over loopback to the sandbox's own vpce listener like any SDK client's.
Figures are modelled, not measured (``latency.json``: ``paths`` for each listener's network
and processing, ``gateways`` for the Lambda's cold start); see docs/sandbox.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import importlib.util
import json
import logging
import math
import socket
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from workshop.gateway import period_bounds
from workshop.sandbox import gateway_facts as facts
from workshop.sandbox.sigv4 import AuthFailure, verify

log = logging.getLogger(__name__)

GATEWAY_LISTENERS: tuple[str, ...] = ("api-gateway", "apigw-foreign-vpce", "llm-gateway", "apigateway")
"""In port order after the Bedrock listeners (N+4 .. N+7 when the sandbox is given port N)."""

_CHECKOUT_HANDLER = Path(__file__).resolve().parents[2] / "infra" / "gateway" / "handler.py"
# In the source tree workshop/sandbox/proxy_handler.py is a symlink to that very file; a wheel
# carries it as a copy, so an installed sandbox runs the same handler.
HANDLER_FILE = _CHECKOUT_HANDLER if _CHECKOUT_HANDLER.is_file() else Path(__file__).resolve().parent / "proxy_handler.py"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
INTEGRATION_TIMEOUT_S = 29.0
QUOTA_PERIODS = ("DAY", "WEEK", "MONTH")
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                         "transfer-encoding", "upgrade", "proxy-connection"})


# =============================================================================== settings


@dataclass(frozen=True)
class ApiSettings:
    """The emulated API's usage plan and Lambda (``[sandbox]`` keys in parentheses).

    Defaults: seed 004's throttle (100 requests/s, burst 200) and a daily quota large enough
    for a workshop's comparisons (seed 004's 100 a month would end a run in seconds; set
    ``ApiQuotaLimit`` to see it). The integration timeout is API Gateway's 29 s.
    """

    quota_limit: int = 100_000  # ApiQuotaLimit
    quota_period: str = "DAY"  # ApiQuotaPeriod
    quota_offset: int = 0  # ApiQuotaOffset
    rate_limit: float = 100.0  # ApiRateLimit (requests per second, steady)
    burst_limit: int = 200  # ApiBurstLimit (bucket size)
    lambda_concurrency: int = 10  # LambdaConcurrency (reserved concurrency)
    integration_timeout_s: float = INTEGRATION_TIMEOUT_S  # ApiIntegrationTimeoutMs

    def __post_init__(self) -> None:
        if self.quota_period not in QUOTA_PERIODS:
            raise ValueError(f"ApiQuotaPeriod must be one of {', '.join(QUOTA_PERIODS)}, got {self.quota_period!r}")
        if self.quota_limit < 0 or self.burst_limit < 0 or self.rate_limit < 0 or self.lambda_concurrency < 1:
            raise ValueError("ApiQuotaLimit, ApiBurstLimit and ApiRateLimit must be >= 0, LambdaConcurrency >= 1")
        if not 0 < self.integration_timeout_s <= INTEGRATION_TIMEOUT_S:
            raise ValueError("ApiIntegrationTimeoutMs must be above 0 and at most 29000 (API Gateway's limit)")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ApiSettings:
        """From ``[sandbox]`` keys (case-insensitive); ConfigError naming the key on a bad value."""
        from workshop.errors import ConfigError

        lowered = {str(k).lower(): (str(k), v) for k, v in values.items()}
        out: dict[str, Any] = {}
        for key, attr, kind in (("ApiQuotaLimit", "quota_limit", int), ("ApiQuotaOffset", "quota_offset", int),
                                ("ApiRateLimit", "rate_limit", float), ("ApiBurstLimit", "burst_limit", int),
                                ("LambdaConcurrency", "lambda_concurrency", int),
                                ("ApiIntegrationTimeoutMs", "integration_timeout_s", float)):
            found = lowered.get(key.lower())
            if found is None or str(found[1]).strip() == "":
                continue
            try:
                value = kind(str(found[1]).strip())
            except ValueError:
                raise ConfigError(f"{found[1]!r} is not valid", field=f"[sandbox] {found[0]}",
                                  fix=f"expected {'an integer' if kind is int else 'a number'}") from None
            out[attr] = value / 1000.0 if attr == "integration_timeout_s" else value
        period = lowered.get("apiquotaperiod")
        if period is not None:
            out["quota_period"] = str(period[1]).strip().upper()
        try:
            return cls(**out)
        except ValueError as exc:
            raise ConfigError(str(exc), field="[sandbox]",
                              fix="e.g. ApiQuotaLimit = 100, ApiQuotaPeriod = MONTH, ApiRateLimit = 10") from None


# =============================================================================== usage plan


class ApiRejection(Exception):
    """An answer API Gateway gives itself: status, its error type and its body."""

    def __init__(self, status: int, error_type: str, message: str, *, capital: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.body = {"Message" if capital else "message": message}


class UsagePlan:
    """One usage plan: a per-key quota per period and a token-bucket throttle (thread-safe).

    A rejected request uses no quota; the bucket refills at ``rate_limit`` per second up to
    ``burst_limit``. ``clock`` (wall time, for periods) and ``ticker`` (monotonic, for the
    bucket) are injectable so tests can cross a boundary without sleeping.
    """

    def __init__(self, settings: ApiSettings, *, clock: Callable[[], float] = time.time,
                 ticker: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self._clock = clock
        self._ticker = ticker
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}
        self._refilled: dict[str, float] = {}
        self._used: dict[tuple[str, dt.datetime], int] = {}
        self._by_day: dict[tuple[str, dt.date], int] = {}

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._clock(), dt.UTC)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return period_bounds(self.now(), self.settings.quota_period, self.settings.quota_offset)

    def admit(self, key_id: str) -> None:
        """Count one request for ``key_id``, or raise the 429 API Gateway would answer."""
        s = self.settings
        with self._lock:
            now = self.now()
            start, _ = period_bounds(now, s.quota_period, s.quota_offset)
            used = self._used.get((key_id, start), 0)
            if used >= s.quota_limit:
                raise ApiRejection(429, "LimitExceededException", "Limit Exceeded")
            tick = self._ticker()
            tokens = self._tokens.get(key_id, float(s.burst_limit))
            last = self._refilled.get(key_id, tick)
            tokens = min(float(s.burst_limit), tokens + (tick - last) * s.rate_limit)
            self._refilled[key_id] = tick
            if tokens < 1.0:
                self._tokens[key_id] = tokens
                raise ApiRejection(429, "TooManyRequestsException", "Too Many Requests")
            self._tokens[key_id] = tokens - 1.0
            self._used[(key_id, start)] = used + 1
            self._by_day[(key_id, now.date())] = self._by_day.get((key_id, now.date()), 0) + 1

    def remaining(self, key_id: str) -> int:
        with self._lock:
            start, _ = self.bounds()
            return max(0, self.settings.quota_limit - self._used.get((key_id, start), 0))

    def usage(self, key_id: str, start: dt.date, end: dt.date) -> list[list[int]]:
        """GetUsage's ``[[used, remaining], ...]``, one pair per day from ``start`` to ``end``."""
        remaining = self.remaining(key_id)
        days = max(0, (end - start).days) + 1
        with self._lock:
            return [[self._by_day.get((key_id, start + dt.timedelta(days=i)), 0), remaining] for i in range(days)]


# =============================================================================== resource policy


def resource_policy_allows(policy: Mapping[str, Any], *, action: str, resource: str, source_vpce: str | None,
                           principal_arn: str | None) -> bool:
    """Evaluate an API's resource policy the way IAM does for these documents: an explicit
    Deny wins, then an Allow is needed. Conditions understood: ``StringEquals`` /
    ``StringNotEquals`` on ``aws:SourceVpce`` (what seed 001 and ``workshop policy
    apigw-private`` use); a statement with any other condition does not apply."""
    context = {"aws:sourcevpce": source_vpce}
    allowed = False
    for statement in policy.get("Statement", []):
        if not _matches(statement.get("Action"), action) or not _matches(statement.get("Resource"), resource):
            continue
        if not _principal_matches(statement.get("Principal"), principal_arn):
            continue
        if not _conditions_hold(statement.get("Condition") or {}, context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _matches(patterns: Any, value: str) -> bool:
    from fnmatch import fnmatchcase

    return any(fnmatchcase(value, p) for p in _as_list(patterns))


def _principal_matches(principal: Any, arn: str | None) -> bool:
    if principal == "*" or principal is None:
        return True
    wanted = _as_list(principal.get("AWS")) if isinstance(principal, dict) else _as_list(principal)
    return "*" in wanted or (arn is not None and arn in wanted)


def _conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, str | None]) -> bool:
    for operator, tests in conditions.items():
        for key, expected in tests.items():
            actual = context.get(key.lower(), "<unknown key>")
            if actual == "<unknown key>":
                return False
            hit = actual in _as_list(expected)
            if operator == "StringEquals" and not hit:
                return False
            if operator == "StringNotEquals" and hit:
                return False
            if operator not in ("StringEquals", "StringNotEquals"):
                return False
    return True


# =============================================================================== Lambda


def load_handler_module() -> Any:
    """``infra/gateway/handler.py``, imported once per process under its own module name."""
    name = "workshop_gateway_handler"
    found = sys.modules.get(name)
    if found is not None:
        return found
    if not HANDLER_FILE.is_file():
        raise FileNotFoundError(f"{HANDLER_FILE} is missing: the sandbox runs the proxy Lambda's handler from it; reinstall the package")
    spec = importlib.util.spec_from_file_location(name, HANDLER_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class LambdaThrottled(Exception):
    """Every execution environment is busy and the reserved concurrency is reached."""


class _Environment:
    """One execution environment: a handler ``Proxy`` with its own clients."""

    def __init__(self, proxy: Any, init_ms: float) -> None:
        self.proxy = proxy
        self.init_ms = init_ms
        self.invocations = 0


@dataclass
class _Context:
    """The Lambda context attributes the handler reads."""

    aws_request_id: str
    invoked_function_arn: str
    function_name: str = facts.FUNCTION_NAME
    memory_limit_in_mb: int = 512


class LambdaFunction:
    """The proxy function: warm environments reused, new ones cold-started up to the limit.

    A cold start sleeps the modelled platform init (``latency.json`` ``gateways``) and then
    builds the handler's ``Proxy`` for real (its clients, with the execution role's session
    credentials issued by the sandbox's STS); both are reported as the init time.
    """

    def __init__(self, *, concurrency: int, make_session: Callable[[], Any], env: Mapping[str, str],
                 init_ms: Callable[[], float], region: str, account: str) -> None:
        self.concurrency = concurrency
        self._make_session = make_session
        self._env = dict(env)
        self._init_ms = init_ms
        self._idle: list[_Environment] = []
        self._count = 0
        self._lock = threading.Lock()
        self.cold_starts = 0
        self.arn = f"arn:aws:lambda:{region}:{account}:function:{facts.FUNCTION_NAME}"
        self._module = load_handler_module()

    def _acquire(self) -> tuple[_Environment | None, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), False
            if self._count >= self.concurrency:
                raise LambdaThrottled()
            self._count += 1
            self.cold_starts += 1
            return None, True

    def _release(self, env: _Environment) -> None:
        with self._lock:
            self._idle.append(env)

    def _cold_start(self) -> _Environment:
        t0 = time.perf_counter()
        modelled = self._init_ms()
        if modelled:
            _sleep_until(t0 + modelled / 1000.0)
        try:
            proxy = self._module.Proxy(env=self._env, session=self._make_session())
        except BaseException:
            with self._lock:
                self._count -= 1
            raise
        return _Environment(proxy, (time.perf_counter() - t0) * 1000.0)

    def invoke(self, event: dict, done: Callable[[dict | None, float | None, BaseException | None], None]) -> None:
        """Run one invocation in its own thread; ``done(answer, init_ms, error)`` when it ends.

        LambdaThrottled is raised at once (no environment and none may be created)."""
        env, _cold = self._acquire()

        def run() -> None:
            nonlocal env
            init_ms = None
            try:
                if env is None:
                    env = self._cold_start()
                    init_ms = env.init_ms
                env.invocations += 1
                context = _Context(str(uuid.uuid4()), self.arn)
                answer = env.proxy.handle(event, context)
            except BaseException as exc:  # the function crashed: API Gateway says 502
                done(None, init_ms, exc)
                return
            finally:
                if env is not None:
                    self._release(env)
            done(answer, init_ms, None)

        threading.Thread(target=run, name="sandbox-lambda", daemon=True).start()


# =============================================================================== HTTP plumbing


class _GatewayListener(ThreadingHTTPServer):
    """One gateway listener (its own small HTTP layer, apart from the Bedrock listeners')."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: Any, name: str) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        self.name = name
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _GatewayHandler)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        with self._open_lock:
            self._open.add(conn)
        return conn, addr

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("gateway connection from %s ended abruptly", client_address, exc_info=True)

    def close_connections(self) -> None:
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _GatewayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 300
    server: _GatewayListener
    arrived: float = 0.0

    def parse_request(self) -> bool:
        self.arrived = time.perf_counter()
        return super().parse_request()

    def do_GET(self) -> None:
        try:
            self.server.app.handle(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_POST = do_GET
    do_PUT = do_GET
    do_DELETE = do_GET
    do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s %s", self.server.name, self.command, self.path.split("?", 1)[0])

    def read_body(self) -> bytes | None:
        """The request body (Content-Length framing); None after answering 411/413 itself."""
        raw = self.headers.get("Content-Length")
        if raw is None:
            if self.headers.get("Transfer-Encoding"):
                send(self, 411, [("Content-Type", "application/json")], b'{"message":"Length Required"}')
                self.close_connection = True
                return None
            return b""
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            send(self, 413, [("Content-Type", "application/json")], b'{"message":"Request Too Long"}')
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def header_lists(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            out.setdefault(name.lower(), []).append(value)
        return out


def _head(status: int, headers: list[tuple[str, str]]) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = [f"HTTP/1.1 {status} {phrase}", *(f"{n}: {v}" for n, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def send(h: BaseHTTPRequestHandler, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    h.wfile.write(_head(status, [*headers, ("Content-Length", str(len(body)))]) + body)


def _sleep_until(deadline: float) -> None:
    while (remaining := deadline - time.perf_counter()) > 0:
        time.sleep(remaining - 0.002 if remaining > 0.004 else remaining)


def _apigw_id() -> str:
    return base64.b64encode(uuid.uuid4().bytes[:10]).decode()[:14] + "="


# =============================================================================== API Gateway


@dataclass(frozen=True)
class PrivateApi:
    """One emulated REST API: its id, how its method authorises, and its resource policy."""

    api_id: str
    auth: str  # "api-key" or "iam"
    policy: dict[str, Any]


class ApiGatewayEmulation:
    """The execute-api side: two private APIs behind the listeners that stand for VPC endpoints."""

    def __init__(self, sandbox: Any, settings: ApiSettings) -> None:
        from workshop import policies

        self.sandbox = sandbox
        self.settings = settings
        self.region = sandbox.region
        self.account = facts_account()
        self.plan = UsagePlan(settings)
        self.apis = {
            api_id: PrivateApi(api_id, auth, policies.apigw_private_policy(
                vpce_ids=[facts.ALLOWED_VPCE_ID], api_id=api_id, region=self.region, account=self.account))
            for api_id, auth in ((facts.API_ID, "api-key"), (facts.IAM_API_ID, "iam"))
        }
        self.keys = {facts.API_KEY: facts.API_KEY_ID}
        self.vpce_of = {"api-gateway": facts.ALLOWED_VPCE_ID, "apigw-foreign-vpce": facts.FOREIGN_VPCE_ID}
        self.function = LambdaFunction(
            concurrency=settings.lambda_concurrency, make_session=self._lambda_session,
            env={"AWS_REGION": self.region, "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": sandbox.endpoints["vpce"],
                 "AWS_LAMBDA_FUNCTION_NAME": facts.FUNCTION_NAME,
                 "BEDROCK_READ_TIMEOUT": str(math.ceil(settings.integration_timeout_s) + 5)},
            init_ms=self._modelled_init_ms, region=self.region, account=self.account,
        )

    # -- the Lambda's world ---------------------------------------------------------------

    def _lambda_session(self) -> Any:
        """A boto3 session with the execution role's temporary credentials (as Lambda hands them)."""
        import boto3

        from workshop.sandbox.principals import PARTICIPANT, WORKSHOP_ROLE_ARN

        creds = self.sandbox.principals.assume_role(PARTICIPANT, WORKSHOP_ROLE_ARN, facts.LAMBDA_ROLE_SESSION,
                                                    3600, None)
        return boto3.session.Session(aws_access_key_id=creds.access_key, aws_secret_access_key=creds.secret_key,
                                     aws_session_token=creds.session_token, region_name=self.region)

    def _modelled_init_ms(self) -> float:
        latency = self.sandbox.latency
        if latency.no_delay:
            return 0.0
        spec = latency.profile.get("gateways", {})
        return latency._lognormal(float(spec.get("lambda_init_median_ms", 250.0)),
                                  float(spec.get("lambda_init_sigma", 0.3)))

    # -- one request ------------------------------------------------------------------------

    def handle(self, h: _GatewayHandler) -> None:
        request_id = str(uuid.uuid4())
        body = h.read_body()
        if body is None:
            return
        network_ms = self.sandbox.latency.network_ms(h.server.name)
        if network_ms:
            _sleep_until(h.arrived + network_ms / 1000.0)
        base = [("x-amzn-RequestId", request_id), ("x-amz-apigw-id", _apigw_id()),
                ("x-sandbox-network-ms", f"{network_ms:.3f}")]
        try:
            api, resource = self._route(h)
            event = self._authorise(h, api, resource, body, request_id)
            self._integrate(h, event, base)
        except ApiRejection as rej:
            payload = json.dumps(rej.body).encode()
            send(h, rej.status, [("Content-Type", "application/json"), *base, ("x-amzn-ErrorType", rej.error_type)],
                 payload)

    def _route(self, h: _GatewayHandler) -> tuple[PrivateApi, str]:
        headers = h.header_lists()
        api_id = (headers.get("x-apigw-api-id") or [""])[0].strip()
        if not api_id:
            host = (headers.get("host") or [""])[0].split(":")[0]
            api_id = host.split(".", 1)[0].split("-", 1)[0] if ".execute-api." in host else ""
        api = self.apis.get(api_id)
        if api is None:
            # An execute-api endpoint cannot tell which API is meant: API Gateway's plain 403.
            raise ApiRejection(403, "ForbiddenException", "Forbidden")
        path = urlsplit(h.path).path
        if path.rstrip("/") != f"/{facts.STAGE}{facts.RESOURCE}" or h.command != "POST":
            raise ApiRejection(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        return api, facts.RESOURCE

    def _authorise(self, h: _GatewayHandler, api: PrivateApi, resource: str, body: bytes,
                   request_id: str) -> dict[str, Any]:
        """IAM (when the method uses it), the resource policy, then the API key and usage plan:
        API Gateway's order. Returns the proxy event for the integration."""
        headers = h.header_lists()
        principal_arn = None
        if api.auth == "iam":
            try:
                verified = verify(method=h.command, raw_path=h.path, headers=headers, body=body,
                                  principals=self.sandbox.principals)
            except AuthFailure as failure:
                raise ApiRejection(403, _IAM_ERRORS.get(failure.kind, "AccessDeniedException"),
                                   failure.message) from None
            if verified.service != "execute-api":
                raise ApiRejection(403, "InvalidSignatureException",
                                   "Credential should be scoped to correct service: 'execute-api'.")
            principal_arn = verified.principal.arn
        source_vpce = self.vpce_of.get(h.server.name)
        arn = (f"arn:aws:execute-api:{self.region}:{self.account}:{api.api_id}/{facts.STAGE}/{h.command}"
               f"{resource}")
        if not resource_policy_allows(api.policy, action="execute-api:Invoke", resource=arn,
                                      source_vpce=source_vpce, principal_arn=principal_arn):
            who = principal_arn or "anonymous"
            raise ApiRejection(403, "AccessDeniedException",
                               f"User: {who} is not authorized to perform: execute-api:Invoke on resource: "
                               f"{arn} with an explicit deny", capital=True)
        key_id = None
        if api.auth == "api-key":
            key = (headers.get("x-api-key") or [""])[0]
            key_id = self.keys.get(key)
            if key_id is None:
                raise ApiRejection(403, "ForbiddenException", "Forbidden")
            self.plan.admit(key_id)
        return {
            "resource": resource, "path": resource, "httpMethod": h.command,
            "headers": {k: v[-1] for k, v in headers.items() if k not in ("authorization", "x-api-key")},
            "multiValueHeaders": {}, "queryStringParameters": None, "pathParameters": None,
            "stageVariables": None, "isBase64Encoded": False, "body": body.decode("utf-8", errors="replace"),
            "requestContext": {
                "requestId": request_id, "stage": facts.STAGE, "apiId": api.api_id, "accountId": self.account,
                "resourcePath": resource, "httpMethod": h.command,
                "identity": {"apiKeyId": key_id, "vpceId": source_vpce, "userArn": principal_arn,
                             "sourceIp": h.client_address[0]},
            },
        }

    def _integrate(self, h: _GatewayHandler, event: dict, base: list[tuple[str, str]]) -> None:
        finished = threading.Event()
        outcome: dict[str, Any] = {}

        def done(answer: dict | None, init_ms: float | None, error: BaseException | None) -> None:
            outcome.update(answer=answer, init_ms=init_ms, error=error)
            finished.set()

        try:
            self.function.invoke(event, done)
        except LambdaThrottled:
            # Lambda's 429 never reaches the caller through a proxy integration: API Gateway says 500.
            raise ApiRejection(500, "InternalServerErrorException", "Internal server error") from None
        if not finished.wait(self.settings.integration_timeout_s):
            raise ApiRejection(504, "InternalServerErrorException", "Endpoint request timed out")
        answer = outcome["answer"]
        if outcome["error"] is not None or not _valid_proxy_answer(answer):
            log.warning("the proxy Lambda failed: %s", type(outcome["error"]).__name__ if outcome["error"] else
                        "malformed proxy response")
            raise ApiRejection(502, "InternalServerErrorException", "Internal server error")
        headers = [(str(k), str(v)) for k, v in (answer.get("headers") or {}).items()
                   if str(k).lower() not in ("content-length", "connection", "transfer-encoding")]
        if outcome["init_ms"] is not None:
            headers.append(("x-sandbox-lambda-init-ms", f"{outcome['init_ms']:.3f}"))
        payload = answer.get("body") or ""
        data = base64.b64decode(payload) if answer.get("isBase64Encoded") else str(payload).encode("utf-8")
        send(h, int(answer["statusCode"]), [*headers, *base], data)


_IAM_ERRORS = {
    "missing": "MissingAuthenticationTokenException",
    "incomplete": "IncompleteSignatureException",
    "unknown-key": "UnrecognizedClientException",
    "bad-token": "UnrecognizedClientException",
    "signature": "InvalidSignatureException",
    "skew": "InvalidSignatureException",
    "expired": "ExpiredTokenException",
}


def _valid_proxy_answer(answer: Any) -> bool:
    return isinstance(answer, dict) and isinstance(answer.get("statusCode"), int) and \
        isinstance(answer.get("headers") or {}, dict)


def facts_account() -> str:
    from workshop.sandbox.principals import ACCOUNT_A

    return ACCOUNT_A


# =============================================================================== control plane


class ApiGatewayControl:
    """GetUsagePlan and GetUsage (SigV4 for ``apigateway``), for the quota figures."""

    def __init__(self, sandbox: Any, api: ApiGatewayEmulation) -> None:
        self.sandbox = sandbox
        self.api = api

    def handle(self, h: _GatewayHandler) -> None:
        body = h.read_body()
        if body is None:
            return
        headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", str(uuid.uuid4()))]
        try:
            verified = verify(method=h.command, raw_path=h.path, headers=h.header_lists(), body=body,
                              principals=self.sandbox.principals)
            if verified.service != "apigateway":
                raise AuthFailure("wrong-service", "Credential should be scoped to correct service: 'apigateway'.")
        except AuthFailure as failure:
            code = _IAM_ERRORS.get(failure.kind, "InvalidSignatureException")
            send(h, 403, [*headers, ("x-amzn-ErrorType", code)], json.dumps({"message": failure.message}).encode())
            return
        split = urlsplit(h.path)
        parts = [unquote(p) for p in split.path.strip("/").split("/")]
        params = {k: v[0] for k, v in parse_qs(split.query).items()}
        if h.command != "GET" or len(parts) < 2 or parts[0] != "usageplans":
            send(h, 404, [*headers, ("x-amzn-ErrorType", "NotFoundException")], b'{"message":"Not Found"}')
            return
        if parts[1] != facts.USAGE_PLAN_ID:
            send(h, 404, [*headers, ("x-amzn-ErrorType", "NotFoundException")],
                 b'{"message":"Invalid Usage Plan ID specified"}')
            return
        s = self.api.settings
        if len(parts) == 2:
            plan = {"id": facts.USAGE_PLAN_ID, "name": facts.USAGE_PLAN_NAME,
                    "apiStages": [{"apiId": facts.API_ID, "stage": facts.STAGE}],
                    "throttle": {"burstLimit": s.burst_limit, "rateLimit": s.rate_limit},
                    "quota": {"limit": s.quota_limit, "offset": s.quota_offset, "period": s.quota_period}}
            send(h, 200, headers, json.dumps(plan).encode())
            return
        if parts[2:] == ["usage"]:
            try:
                start = dt.date.fromisoformat(params["startDate"])
                end = dt.date.fromisoformat(params["endDate"])
            except (KeyError, ValueError):
                send(h, 400, [*headers, ("x-amzn-ErrorType", "BadRequestException")],
                     b'{"message":"startDate and endDate (yyyy-MM-dd) are required"}')
                return
            keys = [params["keyId"]] if params.get("keyId") else [facts.API_KEY_ID]
            items = {k: self.api.plan.usage(k, start, end) for k in keys if k == facts.API_KEY_ID}
            answer = {"usagePlanId": facts.USAGE_PLAN_ID, "startDate": start.isoformat(),
                      "endDate": end.isoformat(), "values": items}  # the wire name of GetUsage's items
            send(h, 200, headers, json.dumps(answer).encode())
            return
        send(h, 404, [*headers, ("x-amzn-ErrorType", "NotFoundException")], b'{"message":"Not Found"}')


# =============================================================================== LLM gateway


class LlmGateway:
    """A forwarding gateway: every request to the upstream bedrock-runtime, logged.

    The upstream is the sandbox's nat listener (the gateway reaches Bedrock over the public
    endpoint, as seed 002's AISERVICE_API_BASE does). ``GET /_gateway/log`` returns the log
    (most recent last, at most ``LOG_SIZE`` calls) as JSON.
    """

    LOG_SIZE = 1000

    def __init__(self, sandbox: Any, upstream: str) -> None:
        self.sandbox = sandbox
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.upstream_netloc = parts.netloc
        self._log: deque[dict[str, Any]] = deque(maxlen=self.LOG_SIZE)
        self._log_lock = threading.Lock()
        self._local = threading.local()

    def entries(self) -> list[dict[str, Any]]:
        with self._log_lock:
            return list(self._log)

    def _connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None or fresh:
            if conn is not None:
                conn.close()
            conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=120)
            self._local.conn = conn
        return conn

    def handle(self, h: _GatewayHandler) -> None:
        split = urlsplit(h.path)
        if split.path == "/_gateway/log" and h.command == "GET":
            send(h, 200, [("Content-Type", "application/json")], json.dumps(self.entries()).encode())
            return
        body = h.read_body()
        if body is None:
            return
        network_ms = self.sandbox.latency.network_ms(h.server.name)
        if network_ms:
            _sleep_until(h.arrived + network_ms / 1000.0)
        received_host = h.headers.get("Host", "")
        headers = [(k, v) for k, v in h.headers.items() if k.lower() not in _HOP_BY_HOP and k.lower() != "host"]
        # The one header a reverse proxy must set: Bedrock serves only its own name. A client
        # that signed for this gateway's host instead will fail the signature check upstream.
        headers.insert(0, ("Host", self.upstream_netloc))
        entry: dict[str, Any] = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), "method": h.command,
            "path": split.path, "operation": split.path.rsplit("/", 1)[-1] if split.path.startswith("/model/") else None,
            "modelId": unquote(split.path[len("/model/"):].rsplit("/", 1)[0]) if split.path.startswith("/model/")
            else None,
            "host_received": received_host, "host_rewritten": received_host != self.upstream_netloc,
            "request_bytes": len(body), "modelled_network_ms": round(network_ms, 3),
        }
        t0 = time.perf_counter()
        try:
            response = self._forward(h.command, h.path, headers, body)
        except OSError as exc:
            entry.update(status=502, error=type(exc).__name__)
            self._keep(entry)
            send(h, 502, [("Content-Type", "application/json"), ("x-amzn-ErrorType", "BadGatewayException")],
                 json.dumps({"message": f"the gateway could not reach bedrock-runtime ({type(exc).__name__})"}).encode())
            return
        out = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP
               and k.lower() not in ("content-length", "x-sandbox-network-ms")]
        # The planned network of the whole call: this hop plus bedrock-runtime's own (not AWS's).
        upstream_network = float(response.getheader("x-sandbox-network-ms") or 0.0)
        out.append(("x-sandbox-network-ms", f"{upstream_network + network_ms:.3f}"))
        entry.update(status=response.status, request_id=response.getheader("x-amzn-RequestId"))
        if (response.getheader("Transfer-Encoding") or "").lower() == "chunked":
            # A stream: relay each piece as it arrives (no upstream total exists before the end).
            h.wfile.write(_head(response.status, [*out, ("Transfer-Encoding", "chunked")]))
            sent = 0
            while piece := response.read1(65536):
                sent += len(piece)
                h.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            h.wfile.write(b"0\r\n\r\n")
            entry.update(response_bytes=sent, upstream_ms=round((time.perf_counter() - t0) * 1000.0, 3),
                         streamed=True)
        else:
            data = response.read()
            upstream_ms = (time.perf_counter() - t0) * 1000.0
            entry.update(response_bytes=len(data), upstream_ms=round(upstream_ms, 3), streamed=False)
            send(h, response.status, [*out, ("x-gateway-upstream-ms", f"{upstream_ms:.3f}")], data)
        self._keep(entry)

    def _forward(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> Any:
        for attempt in (0, 1):  # a kept-alive upstream connection the server closed: once more, fresh
            conn = self._connection(fresh=attempt == 1)
            try:
                conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    conn.putheader(name, value)
                conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body)
                return conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _keep(self, entry: dict[str, Any]) -> None:
        with self._log_lock:
            self._log.append(entry)
        log.info("llm-gateway %s %s -> %s", entry["method"], entry["path"], entry.get("status"))


# =============================================================================== wiring


class Gateways:
    """The four gateway listeners of one sandbox (see the module docstring)."""

    def __init__(self, sandbox: Any, host: str, port: int, settings: ApiSettings | None = None) -> None:
        self.settings = settings or ApiSettings()
        self.api = ApiGatewayEmulation(sandbox, self.settings)
        self.control = ApiGatewayControl(sandbox, self.api)
        self.llm = LlmGateway(sandbox, sandbox.endpoints["nat"])
        apps = {"api-gateway": self.api, "apigw-foreign-vpce": self.api, "llm-gateway": self.llm,
                "apigateway": self.control}
        self.host = host
        self._listeners: dict[str, _GatewayListener] = {}
        self._threads: list[threading.Thread] = []
        try:
            for offset, name in enumerate(GATEWAY_LISTENERS):
                self._listeners[name] = _GatewayListener((host, port + offset if port else 0), apps[name], name)
        except OSError:
            self.stop()
            raise
        for name, listener in self._listeners.items():
            thread = threading.Thread(target=listener.serve_forever, kwargs={"poll_interval": 0.2},
                                      name=f"sandbox-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def url(self, name: str) -> str:
        port = self._listeners[name].server_address[1]
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}"

    @property
    def endpoints(self) -> dict[str, str]:
        """The stage URLs through both execute-api endpoints, the LLM gateway, the control plane."""
        return {"api-gateway": f"{self.url('api-gateway')}/{facts.STAGE}",
                "apigw-foreign-vpce": f"{self.url('apigw-foreign-vpce')}/{facts.STAGE}",
                "llm-gateway": self.url("llm-gateway"), "apigateway": self.url("apigateway")}

    def stop(self) -> None:
        stoppers = [threading.Thread(target=listener.shutdown, daemon=True) for listener in self._listeners.values()
                    if self._threads]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join(timeout=5)
        for listener in self._listeners.values():
            listener.server_close()
            listener.close_connections()
        for thread in self._threads:
            thread.join(timeout=5)


def start_gateways(sandbox: Any, host: str, port: int, settings: ApiSettings | None = None) -> Gateways:
    """Start the gateway listeners for ``sandbox`` (``port`` 0: free ports; else the first of four)."""
    return Gateways(sandbox, host, port, settings)

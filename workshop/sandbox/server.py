"""The sandbox HTTP server: one loopback listener per simulated path, plus STS.

Every listener routes every service (bedrock-runtime, the bedrock control plane, STS) by
method and path, after verifying SigV4; listeners differ only in their modelled network
delay and, for ``cross-account``, in who may call Bedrock there.

Where the clocks are, so that ``client_ms - server_ms`` on the sandbox is the modelled
network plus the client's own cost, as it would be against the real service:

* the network delay runs from the moment the request line arrived (``_Handler.arrived``),
  so parsing headers and reading the body happen inside it, as on a real wire;
* the service's clock starts when the delay ends (``_Handler.service_t0``): checking the
  signature, generating the answer and serialising it are the service's own work and sit
  inside ``x-amzn-bedrock-invocation-latency`` (the planned model time absorbs them), which
  is stamped as the last thing before the answer is written.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
import random
import socket
import threading
import time
import uuid
from collections.abc import Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

from workshop.sandbox import eventstream
from workshop.sandbox.awserrors import ServiceError, stream_member, validation
from workshop.sandbox.families import (
    DEFAULT_MAX_TOKENS,
    FAMILIES,
    MAX_INT,
    Context,
    Family,
    ParsedRequest,
    lone_surrogate_path,
)
from workshop.sandbox.faults import Faults
from workshop.sandbox.framing import (
    DEFAULT_LIMITS,
    CappedReader,
    ConnectionTable,
    FramingError,
    SandboxLimits,
    body_length,
    drain_and_close,
    error_head_and_body,
    read_body,
)
from workshop.sandbox.latency import LatencyModel
from workshop.sandbox.models import (
    CatalogModel,
    catalog_models,
    load_catalog,
    on_demand_message,
    profiles_for_region,
    resolve,
)
from workshop.sandbox.principals import CROSS_ACCOUNT_ROLE_ARN, AssumeRoleDenied, Principals
from workshop.sandbox.sigv4 import AuthFailure, Verified, precheck, verify
from workshop.sandbox.textgen import Generation, count_tokens, generate

log = logging.getLogger(__name__)

LISTENER_NAMES: tuple[str, ...] = ("nat", "vpce", "cross-account", "sts")
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
EVENTSTREAM = "application/vnd.amazon.eventstream"

# Authentication failures, as each protocol names them: (code, status).
_JSON_AUTH = {
    "missing": ("MissingAuthenticationTokenException", 403),
    "incomplete": ("IncompleteSignatureException", 400),
    "region": ("InvalidSignatureException", 403),
    "unknown-key": ("UnrecognizedClientException", 403),
    "bad-token": ("UnrecognizedClientException", 403),
    "signature": ("InvalidSignatureException", 403),
    "skew": ("InvalidSignatureException", 403),
    "wrong-service": ("InvalidSignatureException", 403),
    "expired": ("ExpiredTokenException", 403),
}
_XML_AUTH = {
    "missing": ("MissingAuthenticationToken", 403),
    "incomplete": ("IncompleteSignature", 400),
    "region": ("SignatureDoesNotMatch", 403),
    "unknown-key": ("InvalidClientTokenId", 403),
    "bad-token": ("InvalidClientTokenId", 403),
    "signature": ("SignatureDoesNotMatch", 403),
    "skew": ("SignatureDoesNotMatch", 403),
    "wrong-service": ("SignatureDoesNotMatch", 403),
    "expired": ("ExpiredToken", 400),
}


class _Listener(ThreadingHTTPServer):
    """One simulated path's socket. Tracks open connections (their phase, the read deadline,
    the connection cap: workshop/sandbox/framing.py) so stop() can end them."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sandbox: SandboxServer, path_name: str,
                 limits: SandboxLimits = DEFAULT_LIMITS) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.sandbox = sandbox
        self.path_name = path_name
        self.limits = limits
        self.connections = ConnectionTable(limits)
        super().__init__(address, _Handler)
        self.connections.start(path_name)

    def verify_request(self, request: Any, client_address: Any) -> bool:
        if self.connections.admit(request):
            return True
        # Every connection is busy answering: say so instead of queueing the client forever.
        try:
            request.sendall(error_head_and_body(
                503, f"the sandbox listener already serves {self.limits.max_connections} busy connections "
                     "(max_connections, docs/limits.md); retry shortly", "-"))
        except OSError:
            pass
        return False

    def shutdown_request(self, request: Any) -> None:
        if self.connections.forget(request):
            drain_and_close(request)  # in the connection's own thread: it may wait a moment
        self.close_request(request)

    def server_close(self) -> None:
        self.connections.stop()
        super().server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (a cancelled run, a killed process) is normal
        # here: log it quietly instead of printing a traceback on the console's terminal.
        log.debug("connection from %s ended abruptly", client_address, exc_info=True)

    def close_connections(self) -> None:
        for conn in self.connections.sockets():
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: boto3 reuses connections, and so must we
    disable_nagle_algorithm = True  # small frames must leave now, not after a delayed ACK
    server: _Listener
    network_ms: float = 0.0  # the simulated network delay of the current request
    arrived: float = 0.0  # perf_counter when the current request's first line was read
    service_t0: float = 0.0  # perf_counter when the simulated network delay ended
    answer_started: bool = False  # a status line of the current request has been written

    def setup(self) -> None:
        self.timeout = self.server.limits.idle_timeout_s  # idle keep-alive connections end after this
        super().setup()

    def handle_one_request(self) -> None:
        # http.server's own loop, with the sandbox's limits: an idle wait, then a deadline
        # for the whole request (the listener's watchdog), a shorter request line.
        table, limits = self.server.connections, self.server.limits
        table.set_phase(self.connection, "idle")
        self.answer_started = False
        try:
            if not self.rfile.peek(1):  # the client closed between requests
                self.close_connection = True
                return
            table.set_phase(self.connection, "reading")
            self.raw_requestline = self.rfile.readline(limits.max_url_bytes + 1)
            if len(self.raw_requestline) > limits.max_url_bytes:
                self.requestline, self.request_version, self.command = "", "", ""
                self.answer_error(414, f"the request line is longer than {limits.max_url_bytes:,} bytes "
                                       "(max_url_bytes, docs/limits.md)")
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return  # parse_request answered already
            method = getattr(self, "do_" + self.command, None)
            if method is None:
                self.answer_error(501, f"the method {self.command[:20]!r} is not supported")
                return
            method()
            self.wfile.flush()
        except (TimeoutError, ConnectionError, OSError):
            self.close_connection = True  # idle too long, or the client went away

    def parse_request(self) -> bool:
        # Called right after the request line is read: the network delay starts here, so the
        # server's own header parsing and body reading fall inside it.
        self.arrived = time.perf_counter()
        raw = self.rfile
        capped = CappedReader(raw, self.server.limits.max_header_bytes)
        self.rfile = capped  # type: ignore[assignment]  # http.server reads the header lines through it
        try:
            ok = super().parse_request()
        finally:
            self.rfile = raw
        if ok and capped.exceeded:
            self.answer_error(431, f"the request headers exceed {self.server.limits.max_header_bytes:,} bytes "
                                   "(max_header_bytes, docs/limits.md)")
            return False
        return ok

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server's own refusals (bad request line, header line too long, HTTP/2) in the
        # sandbox's JSON error shape, naming the limit where there is one.
        text = explain or message or HTTPStatus(code).phrase
        if code == 431:
            text = f"{text}: a header line is limited to 65,536 bytes and a request to 100 header lines"
        self.answer_error(code, text)

    def answer_error(self, status: int, message: str) -> None:
        """Answer an HTTP-layer refusal and close the connection (what is left unread is drained)."""
        self.close_connection = True
        if self.server.connections.timed_out(self.connection):
            return  # the watchdog answered 408 already
        try:
            self.wfile.write(error_head_and_body(status, message, str(uuid.uuid4())))
        except OSError:
            pass

    def do_GET(self) -> None:
        self.server.sandbox._handle(self)

    do_POST = do_GET
    do_PUT = do_GET
    do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        # Never the default stderr access log; the debug log gets method/path only (no headers,
        # so no credentials).
        log.debug("%s %s", self.command, self.path)


class _Stream:
    """Writes an HTTP/1.1 chunked event-stream answer, one write per frame group."""

    def __init__(self, handler: _Handler, request_id: str, extra_headers: Iterable[tuple[str, str]]) -> None:
        self.handler = handler
        self.request_id = request_id
        self.extra = list(extra_headers)
        self.started = False

    def send(self, frames: list[bytes]) -> None:
        payload = b"".join(frames)
        data = b"%x\r\n%s\r\n" % (len(payload), payload) if payload else b""
        if not self.started:
            head = _head(200, [("Content-Type", EVENTSTREAM), ("Transfer-Encoding", "chunked"),
                               ("x-amzn-RequestId", self.request_id), *self.extra])
            data = head + data
            self.started = True
            self.handler.answer_started = True
        self.handler.wfile.write(data)

    def end(self) -> None:
        if not self.started:
            self.send([])
        self.handler.wfile.write(b"0\r\n\r\n")


def _head(status: int, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _sleep_until(deadline: float) -> None:
    # Two phases: a long sleep wakes late under load, so stop 2 ms short and finish with a
    # short sleep; the loop also absorbs early wake-ups.
    while (remaining := deadline - time.perf_counter()) > 0:
        time.sleep(remaining - 0.002 if remaining > 0.004 else remaining)


class SandboxServer:
    """A running sandbox: listeners for nat, vpce, cross-account and STS on loopback.

    Use :func:`start_sandbox` to create one. ``stop()`` (or leaving the ``with`` block)
    closes every listener and open connection.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        no_delay: bool = False,
        seed: int = 0,
        faults: Faults | None = None,
        region: str = "us-east-1",
        profile: dict[str, Any] | None = None,
        limits: SandboxLimits = DEFAULT_LIMITS,
        gateway: Any = None,
    ) -> None:
        self.host = host
        self.region = region
        self.limits = limits
        self.no_delay = no_delay
        self.seed = seed
        self.principals = Principals()
        self.latency = LatencyModel(seed=seed, no_delay=no_delay, profile=profile)
        self._faults = faults or Faults()
        self._fault_rng = random.Random(seed + 1)
        self._fault_lock = threading.Lock()
        self._listeners: dict[str, _Listener] = {}
        self._threads: list[threading.Thread] = []
        self._stopped = False
        self._model_calls = 0
        try:
            for offset, name in enumerate(LISTENER_NAMES):
                self._listeners[name] = _Listener((host, port + offset if port else 0), self, name, limits)
        except OSError:
            self._close_listeners()
            raise
        for name, listener in self._listeners.items():
            thread = threading.Thread(target=listener.serve_forever, kwargs={"poll_interval": 0.2},
                                      name=f"sandbox-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        # --- gateway hook (issue 12): the gateway listeners live in workshop/sandbox/gateway.py,
        # with their own HTTP layer; they take the ports after sts (N+4 .. N+7).
        from workshop.sandbox.gateway import start_gateways

        try:
            self.gateways = start_gateways(self, host, port + len(LISTENER_NAMES) if port else 0, gateway)
        except BaseException:
            self.stop()
            raise
        # --- end of gateway hook

    # -- public surface -------------------------------------------------------------------

    def _url(self, name: str) -> str:
        port = self._listeners[name].server_address[1]
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}"

    @property
    def endpoints(self) -> dict[str, str]:
        """Path name -> endpoint URL, for nat, vpce and cross-account."""
        return {name: self._url(name) for name in LISTENER_NAMES if name != "sts"}

    @property
    def gateway_endpoints(self) -> dict[str, str]:
        """The gateway listeners (issue 12): API stage URLs through both execute-api endpoints,
        the LLM gateway, the API Gateway control plane."""
        gateways = getattr(self, "gateways", None)
        return gateways.endpoints if gateways is not None else {}

    @property
    def sts_endpoint(self) -> str:
        """The STS listener's URL (AssumeRole, GetCallerIdentity; any listener answers STS too)."""
        return self._url("sts")

    @property
    def control_endpoint(self) -> str:
        """A URL for the bedrock control plane (every listener serves it; this is nat's)."""
        return self._url("nat")

    @property
    def faults(self) -> Faults:
        return self._faults

    def describe(self) -> dict[str, Any]:
        """Endpoints, STS, control plane and region: what another process needs to use this
        sandbox (the same shape ``python -m workshop sandbox --json`` prints)."""
        return {"endpoints": self.endpoints, "sts": self.sts_endpoint, "control": self.control_endpoint,
                "region": self.region, "gateways": self.gateway_endpoints}

    @property
    def model_calls(self) -> int:
        """How many runtime requests reached a model (authenticated, admitted, body valid)."""
        return self._model_calls

    def set_faults(self, faults: Faults | None) -> None:
        """Replace the injected faults at runtime (``None`` clears them)."""
        self._faults = faults or Faults()

    def stop(self) -> None:
        """Stop every listener and close open connections; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if getattr(self, "gateways", None) is not None:  # gateway hook (issue 12)
            self.gateways.stop()
        # Shut the listeners down side by side: each waits for its poll loop to notice.
        stoppers = [threading.Thread(target=listener.shutdown, daemon=True) for listener in self._listeners.values()]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join(timeout=5)
        self._close_listeners()
        for thread in self._threads:
            thread.join(timeout=5)

    def _close_listeners(self) -> None:
        for listener in self._listeners.values():
            listener.server_close()
            listener.close_connections()

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SandboxServer(endpoints={self.endpoints!r}, sts={self.sts_endpoint!r}, no_delay={self.no_delay})"

    # -- request handling -----------------------------------------------------------------

    def _handle(self, h: _Handler) -> None:
        request_id = str(uuid.uuid4())
        split = urlsplit(h.path)
        path = split.path
        headers: dict[str, list[str]] = {}
        for name, value in h.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        kind = self._route(h.command, path)
        try:
            body = self._read_body(h, kind, request_id, headers)
        except FramingError as err:
            h.answer_error(err.status, err.message)
            return
        if body is None:
            return  # refused before the body was read (authentication), answered already
        h.server.connections.set_phase(h.connection, "working")
        # The path's network delay happens before the "service" sees the request, i.e. outside
        # the server-measured latency, exactly where a real network's delay would be.
        network_ms = self.latency.network_ms(h.server.path_name)
        h.network_ms = network_ms
        if network_ms:
            _sleep_until(h.arrived + network_ms / 1000.0)
        h.service_t0 = time.perf_counter()
        try:
            try:
                verified = verify(method=h.command, raw_path=h.path, headers=headers, body=body,
                                  principals=self.principals, regions=self._regions(kind))
                wanted = "sts" if kind == "sts" else "bedrock"
                if verified.service != wanted:
                    raise AuthFailure("wrong-service", f"Credential should be scoped to correct service: '{wanted}'.")
            except AuthFailure as failure:
                self._send_auth_failure(h, request_id, kind, failure)
                return
            if kind == "sts":
                self._sts(h, request_id, body, split.query, verified)
                return
            self._check_listener(h.server.path_name, verified, path)
            if kind == "runtime":
                self._runtime(h, request_id, path, body, verified, network_ms)
            elif kind == "control":
                self._control(h, request_id, path, split.query)
            else:
                raise ServiceError("UnknownOperationException", "The requested operation is not recognized.", 404)
        except ServiceError as err:
            self._send_json_error(h, request_id, err)
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True
        except Exception:
            # A bug, not the client's fault: answer 500 (the fuzz suite treats any 500 as a failure)
            # instead of dropping the connection, and keep the traceback in the debug log.
            log.exception("sandbox bug answering %s %s", h.command, path)
            h.close_connection = True
            if not getattr(h, "answer_started", False):
                self._send_json_error(h, request_id, ServiceError("InternalServerException"))

    def _regions(self, kind: str) -> frozenset[str]:
        """The signing regions this sandbox accepts: its own, and for STS also us-east-1 (the
        global endpoint's)."""
        return frozenset({self.region, "us-east-1"}) if kind == "sts" else frozenset({self.region})

    def _send_auth_failure(self, h: _Handler, request_id: str, kind: str, failure: AuthFailure) -> None:
        if kind == "sts":
            code, status = _XML_AUTH[failure.kind]
            self._send_xml_error(h, request_id, code, failure.message, status)
        else:
            code, status = _JSON_AUTH[failure.kind]
            self._send_json_error(h, request_id, ServiceError(code, failure.message, status))

    def _read_body(self, h: _Handler, kind: str, request_id: str, headers: dict[str, list[str]]) -> bytes | None:
        """The request body within the listener's limits (FramingError otherwise), or None when
        the request is refused before its body is read: a missing or malformed signature, an
        unknown key, a wrong region need no body to judge, so a client without credentials
        cannot make the sandbox hold its upload."""
        limits = h.server.limits
        length = body_length(h.headers, limits)
        try:
            precheck(headers=headers, principals=self.principals, regions=self._regions(kind))
        except AuthFailure as failure:
            h.close_connection = True  # the body is left unread: this connection cannot carry another request
            self._send_auth_failure(h, request_id, kind, failure)
            return None
        return read_body(h.rfile, length, limits)

    @staticmethod
    def _route(method: str, path: str) -> str:
        if path in ("", "/"):
            return "sts"
        if path.startswith("/model/"):
            return "runtime"
        if path.startswith(("/foundation-models", "/inference-profiles")):
            return "control"
        return "unknown"

    def _check_listener(self, listener: str, verified: Verified, path: str) -> None:
        # Account B's endpoint only trusts sessions of B's role: that is the cross-account lesson.
        if listener == "cross-account" and verified.principal.role_arn != CROSS_ACCOUNT_ROLE_ARN:
            action = "bedrock:InvokeModel" if path.startswith("/model/") else "bedrock:ListFoundationModels"
            raise ServiceError(
                "AccessDeniedException",
                f"User: {verified.principal.arn} is not authorized to perform: {action} on this endpoint: the "
                f"cross-account path (account 444455556666) only accepts credentials obtained by assuming "
                f"{CROSS_ACCOUNT_ROLE_ARN}.",
            )

    # -- responses ------------------------------------------------------------------------

    @staticmethod
    def _send(h: _Handler, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        # Not an AWS header: the network delay the sandbox planned for this request (0 without
        # delay), so the console can show planned beside measured.
        headers = [*headers, ("x-sandbox-network-ms", f"{h.network_ms:.3f}")]
        if h.close_connection:
            headers.append(("Connection", "close"))
        h.answer_started = True
        h.wfile.write(_head(status, [*headers, ("Content-Length", str(len(body)))]) + body)

    def _send_json(self, h: _Handler, request_id: str, payload: Any, extra: Iterable[tuple[str, str]] = ()) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        self._send(h, 200, [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id), *extra], body)

    def _send_json_error(self, h: _Handler, request_id: str, err: ServiceError) -> None:
        body = json.dumps({"message": err.message}).encode()
        self._send(h, err.status, [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id),
                                   ("x-amzn-ErrorType", err.code)], body)

    def _send_xml(self, h: _Handler, request_id: str, status: int, xml: str) -> None:
        self._send(h, status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], xml.encode())

    def _send_xml_error(self, h: _Handler, request_id: str, code: str, message: str, status: int) -> None:
        kind = "Sender" if status < 500 else "Receiver"
        self._send_xml(
            h, request_id, status,
            f'<ErrorResponse xmlns="{STS_NS}"><Error><Type>{kind}</Type><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
        )

    # -- STS ------------------------------------------------------------------------------

    def _sts(self, h: _Handler, request_id: str, body: bytes, query: str, verified: Verified) -> None:
        params = {k: v[0] for k, v in parse_qs(body.decode() or query, keep_blank_values=True).items()}
        action = params.get("Action", "")
        caller = verified.principal
        if action == "GetCallerIdentity":
            self._send_xml(
                h, request_id, 200,
                f'<GetCallerIdentityResponse xmlns="{STS_NS}"><GetCallerIdentityResult>'
                f"<Arn>{escape(caller.arn)}</Arn><UserId>{escape(caller.user_id)}</UserId>"
                f"<Account>{caller.account}</Account></GetCallerIdentityResult>"
                f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
            )
            return
        if action != "AssumeRole":
            self._send_xml_error(h, request_id, "InvalidAction",
                                 f"Could not find operation {action} for version {params.get('Version', '')}", 400)
            return
        try:
            duration = int(params["DurationSeconds"]) if params.get("DurationSeconds") else None
            if not params.get("RoleArn") or not params.get("RoleSessionName"):
                raise AssumeRoleDenied("ValidationError", "RoleArn and RoleSessionName are required.", 400)
            session = self.principals.assume_role(caller, params["RoleArn"], params["RoleSessionName"], duration,
                                                  params.get("ExternalId"))
        except AssumeRoleDenied as denied:
            self._send_xml_error(h, request_id, denied.code, denied.message, denied.status)
            return
        except ValueError:
            self._send_xml_error(h, request_id, "ValidationError", "DurationSeconds must be an integer.", 400)
            return
        expiration = dt.datetime.fromtimestamp(session.expires_at or 0, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._send_xml(
            h, request_id, 200,
            f'<AssumeRoleResponse xmlns="{STS_NS}"><AssumeRoleResult>'
            f"<AssumedRoleUser><AssumedRoleId>{escape(session.user_id)}</AssumedRoleId>"
            f"<Arn>{escape(session.arn)}</Arn></AssumedRoleUser>"
            f"<Credentials><AccessKeyId>{session.access_key}</AccessKeyId>"
            f"<SecretAccessKey>{escape(session.secret_key)}</SecretAccessKey>"
            f"<SessionToken>{escape(session.session_token or '')}</SessionToken>"
            f"<Expiration>{expiration}</Expiration></Credentials>"
            f"</AssumeRoleResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
            f"</AssumeRoleResponse>",
        )

    # -- control plane --------------------------------------------------------------------

    def _model_summary(self, model: CatalogModel) -> dict[str, Any]:
        return {
            "modelArn": f"arn:aws:bedrock:{self.region}::foundation-model/{model.model_id}",
            "modelId": model.model_id,
            "modelName": model.name,
            "providerName": model.provider,
            "inputModalities": ["TEXT"],
            "outputModalities": ["TEXT"],
            "responseStreamingSupported": model.streaming,
            "customizationsSupported": [],
            "inferenceTypesSupported": ["INFERENCE_PROFILE"] if model.profile_only else ["ON_DEMAND", "INFERENCE_PROFILE"]
            if model.profiles else ["ON_DEMAND"],
            "modelLifecycle": {"status": "ACTIVE"},
        }

    def _control(self, h: _Handler, request_id: str, path: str, query: str) -> None:
        params = {k: v[0] for k, v in parse_qs(query).items()}
        if path.rstrip("/") == "/foundation-models":
            summaries = [self._model_summary(m) for m in catalog_models().values()]
            if "byProvider" in params:
                wanted = params["byProvider"].lower()
                summaries = [s for s in summaries
                             if wanted in (s["providerName"].lower(), s["modelId"].split(".")[0])]
            if "byInferenceType" in params:
                summaries = [s for s in summaries if params["byInferenceType"] in s["inferenceTypesSupported"]]
            if "byOutputModality" in params:
                summaries = [s for s in summaries if params["byOutputModality"] in s["outputModalities"]]
            if "byCustomizationType" in params:
                summaries = []  # the sandbox offers no customisation
            self._send_json(h, request_id, {"modelSummaries": summaries})
            return
        if path.startswith("/foundation-models/"):
            ident = unquote(path[len("/foundation-models/"):])
            model = catalog_models().get(ident.rsplit("/", 1)[-1])
            if model is None:
                raise ServiceError("ResourceNotFoundException", "The specified model identifier does not exist.")
            self._send_json(h, request_id, {"modelDetails": self._model_summary(model)})
            return
        if path.rstrip("/") == "/inference-profiles":
            if params.get("type", "SYSTEM_DEFINED") != "SYSTEM_DEFINED":
                self._send_json(h, request_id, {"inferenceProfileSummaries": []})
                return
            profiles = profiles_for_region(self.region)
            start = int(params.get("nextToken") or 0)
            size = max(1, min(int(params.get("maxResults") or 1000), 1000))
            geos = load_catalog()["geographies"]
            page = []
            for profile_id, model in profiles[start:start + size]:
                geo = geos[profile_id.split(".", 1)[0]]
                page.append({
                    "inferenceProfileName": f"{geo['label']} {model.provider} {model.name}",
                    "description": f"Routes requests to {model.name} in {', '.join(geo['regions'])}.",
                    "createdAt": "2024-08-27T00:00:00Z",
                    "updatedAt": "2024-08-27T00:00:00Z",
                    "inferenceProfileArn": f"arn:aws:bedrock:{self.region}:111122223333:inference-profile/{profile_id}",
                    "models": [{"modelArn": f"arn:aws:bedrock:{r}::foundation-model/{model.model_id}"}
                               for r in geo["regions"]],
                    "inferenceProfileId": profile_id,
                    "status": "ACTIVE",
                    "type": "SYSTEM_DEFINED",
                })
            answer: dict[str, Any] = {"inferenceProfileSummaries": page}
            if start + size < len(profiles):
                answer["nextToken"] = str(start + size)
            self._send_json(h, request_id, answer)
            return
        raise ServiceError("UnknownOperationException", "The requested operation is not recognized.", 404)

    # -- runtime --------------------------------------------------------------------------

    def _admit(self, model: CatalogModel, profile_id: str | None) -> None:
        """Access, on-demand and injected-fault checks, in the order Bedrock applies them."""
        faults = self._faults
        not_enabled = faults.not_enabled if faults.not_enabled is not None else {
            m.model_id for m in catalog_models().values() if not m.enabled}
        if model.model_id in not_enabled:
            raise ServiceError("AccessDeniedException", "You don't have access to the model with the specified model ID.")
        if model.profile_only and profile_id is None:
            raise ServiceError("ValidationException", on_demand_message(model.model_id))
        forced = faults.errors.get(model.model_id) or (faults.errors.get(profile_id) if profile_id else None)
        if forced:
            raise ServiceError(forced)
        if faults.throttle_rate:
            with self._fault_lock:
                roll = self._fault_rng.random()
            if roll < faults.throttle_rate:
                raise ServiceError("ThrottlingException")

    def _runtime(self, h: _Handler, request_id: str, path: str, body: bytes, verified: Verified,
                 network_ms: float) -> None:
        rest = path[len("/model/"):]
        raw_id, _, operation = rest.rpartition("/")
        if operation not in ("invoke", "invoke-with-response-stream", "converse", "converse-stream", "count-tokens"):
            raise ServiceError("UnknownOperationException", "The requested operation is not recognized.", 404)
        t0 = h.service_t0  # the service's clock: signature check and parsing are inside it
        resolved = resolve(unquote(raw_id), self.region)
        model = resolved.model
        if operation == "count-tokens":
            self._count_tokens(h, request_id, model, body)
            return
        self._admit(model, resolved.profile_id)
        payload = _decode_json(body, b"null")
        family = FAMILIES[model.family]
        req = self.parse_runtime_body(payload, model, operation)
        ctx = Context(model_id=model.model_id, request_id=request_id, input_tokens=count_tokens(req.prompt))
        with self._fault_lock:
            self._model_calls += 1
        gen = generate(req.prompt, model.model_id, req.max_tokens, req.stop_sequences)
        timing = self.latency.model_timing(model.family, model.model_id)
        slow_ms = self._faults.slow_first_byte_ms
        planned_ms = network_ms + slow_ms + timing.total_ms(gen.output_tokens)
        simulated = ("x-sandbox-simulated-ms", f"{planned_ms:.3f}")
        if operation == "invoke":
            answer = json.dumps(family.response(req, gen, ctx), separators=(",", ":")).encode()
            _sleep_until(t0 + (slow_ms + timing.total_ms(gen.output_tokens)) / 1000.0)
            latency_ms = round((time.perf_counter() - t0) * 1000)  # stamped last: all our work is inside
            self._send(h, 200, [
                ("Content-Type", "application/json"), ("x-amzn-RequestId", request_id),
                ("X-Amzn-Bedrock-Invocation-Latency", str(latency_ms)),
                ("X-Amzn-Bedrock-Input-Token-Count", str(ctx.input_tokens)),
                ("X-Amzn-Bedrock-Output-Token-Count", str(gen.output_tokens)),
                simulated,
            ], answer)
            return
        if operation == "converse":
            _sleep_until(t0 + (slow_ms + timing.total_ms(gen.output_tokens)) / 1000.0)
            # The latency is inside the body: stamp it, then serialise (tens of microseconds).
            latency_ms = round((time.perf_counter() - t0) * 1000)
            self._send_json(h, request_id, self._converse_body(gen, ctx, latency_ms), [simulated])
            return
        extra = [simulated, ("x-sandbox-network-ms", f"{network_ms:.3f}")]
        stream = _Stream(h, request_id, [("X-Amzn-Bedrock-Content-Type", "application/json"), *extra]
                         if operation == "invoke-with-response-stream" else extra)
        self._stream(stream, operation, family, req, gen, ctx, t0, slow_ms, timing.ttft_ms, timing.tokens_per_second)

    def _stream(self, stream: _Stream, operation: str, family: Family, req: ParsedRequest, gen: Generation,
                ctx: Context, t0: float, slow_ms: float, ttft_ms: float, tps: float) -> None:
        native = operation == "invoke-with-response-stream"
        group = self.latency.group_tokens
        tokens = gen.tokens
        stream_error = self._faults.stream_errors.get(ctx.model_id)

        def chunk(payload: dict) -> bytes:
            raw = json.dumps(payload, separators=(",", ":")).encode()
            return eventstream.event("chunk", {"bytes": base64.b64encode(raw).decode()})

        def at(emitted: int) -> float:
            return t0 + (slow_ms + ttft_ms + 1000.0 * emitted / tps) / 1000.0

        pending = ([chunk(c) for c in family.stream_head(req, ctx)] if native
                   else [eventstream.event("messageStart", {"role": "assistant"})])
        first_byte_ms: int | None = None
        emitted = 0
        for start in range(0, len(tokens), group):
            piece = tokens[start:start + group]
            emitted += len(piece)
            text = "".join(piece)
            if native:
                pending.extend(chunk(c) for c in family.stream_piece(req, text, emitted, ctx))
            else:
                pending.append(eventstream.event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text}}))
            _sleep_until(at(emitted))
            if first_byte_ms is None:
                first_byte_ms = round((time.perf_counter() - t0) * 1000)
            stream.send(pending)
            pending = []
            if stream_error:
                member = stream_member(stream_error)
                stream.send([eventstream.exception(member, f"The sandbox injected a {stream_error} into this stream.")])
                stream.end()
                return
        _sleep_until(at(emitted))
        latency_ms = round((time.perf_counter() - t0) * 1000)
        if first_byte_ms is None:
            first_byte_ms = latency_ms
        if native:
            tail = family.stream_tail(req, gen, ctx)
            tail[-1] = {**tail[-1], "amazon-bedrock-invocationMetrics": {
                "inputTokenCount": ctx.input_tokens, "outputTokenCount": gen.output_tokens,
                "invocationLatency": latency_ms, "firstByteLatency": first_byte_ms}}
            pending.extend(chunk(c) for c in tail)
        else:
            pending.extend([
                eventstream.event("contentBlockStop", {"contentBlockIndex": 0}),
                eventstream.event("messageStop", {"stopReason": _CONVERSE_STOP[gen.stop]}),
                eventstream.event("metadata", {"usage": _usage(ctx, gen), "metrics": {"latencyMs": latency_ms}}),
            ])
        stream.send(pending)
        stream.end()

    # -- Converse -------------------------------------------------------------------------

    @staticmethod
    def _parse_converse(payload: Any, model: CatalogModel) -> ParsedRequest:
        # Converse is a typed API: every member has one type, and a wrong one is refused (a
        # list of numbers as content, a list as inferenceConfig, a string as system).
        if not isinstance(payload, dict):
            raise ServiceError("ValidationException", "Malformed input request, please reformat your input and try again.")
        messages = payload.get("messages") or []
        if not messages or not isinstance(messages, list) or not isinstance(messages[0], dict) \
                or messages[0].get("role") != "user":
            raise ServiceError("ValidationException", "A conversation must start with a user message. Try again "
                                                      "with a conversation that starts with a user message.")
        texts = _converse_blocks(payload["system"], "system") if "system" in payload else []
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
                raise _converse_type(f"messages.{i}.member.role", "one of user, assistant")
            content = message.get("content")
            if not isinstance(content, list) or not content:
                raise ServiceError("ValidationException", "The content field in the Message object is empty. Add "
                                                          "a ContentBlock object to the content field and try again.")
            texts.extend(_converse_blocks(content, f"messages.{i}.member.content"))
        config = payload.get("inferenceConfig", {})
        if not isinstance(config, dict):
            raise _converse_type("inferenceConfig", "a structure (JSON object)")
        extra = payload.get("additionalModelRequestFields", {})
        if not isinstance(extra, dict):
            raise _converse_type("additionalModelRequestFields", "a document (JSON object)")
        max_tokens = config.get("maxTokens", DEFAULT_MAX_TOKENS[model.family])
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or not 1 <= max_tokens <= MAX_INT:
            raise _converse_type("inferenceConfig.maxTokens", f"an integer from 1 to {MAX_INT}")
        for key in ("temperature", "topP"):
            value = config.get(key, 0.5)
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
                raise _converse_type(f"inferenceConfig.{key}", "a number from 0 to 1")
        stops = config.get("stopSequences", [])
        if not isinstance(stops, list) or not all(isinstance(x, str) for x in stops):
            raise _converse_type("inferenceConfig.stopSequences", "a list of strings")
        return ParsedRequest("\n".join(t for t in texts if t), max_tokens, list(stops))

    @classmethod
    def parse_runtime_body(cls, payload: Any, model: CatalogModel, operation: str) -> ParsedRequest:
        """A decoded InvokeModel / Converse body as the model's family (or Converse) reads it:
        ServiceError (ValidationException) for anything Bedrock would refuse."""
        where = lone_surrogate_path(payload)
        if where is not None:
            raise validation(f"{where}: a string holds a lone UTF-16 surrogate (not valid Unicode text)")
        if operation in ("converse", "converse-stream"):
            return cls._parse_converse(payload, model)
        if payload is None:
            raise ServiceError("ValidationException", "Malformed input request, please reformat your input and try again.")
        return FAMILIES[model.family].parse(payload)

    @staticmethod
    def _converse_body(gen: Generation, ctx: Context, latency_ms: int) -> dict[str, Any]:
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": gen.text}]}},
            "stopReason": _CONVERSE_STOP[gen.stop],
            "usage": _usage(ctx, gen),
            "metrics": {"latencyMs": latency_ms},
        }

    def _count_tokens(self, h: _Handler, request_id: str, model: CatalogModel, body: bytes) -> None:
        if model.family != "claude-messages":
            raise ServiceError("ValidationException", "The provided model doesn't support counting tokens.")
        try:
            payload = _decode_json(body, b"{}")
            wanted = payload["input"]
            if not isinstance(wanted, dict):
                raise TypeError("input is not an object")
        except (ServiceError, KeyError, TypeError) as exc:
            raise ServiceError("ValidationException", "Malformed input request, please reformat your input and try again.") from exc
        if "invokeModel" in wanted:
            try:
                inner = _decode_json(base64.b64decode(wanted["invokeModel"]["body"], validate=True), b"null")
            except (ValueError, KeyError, TypeError, binascii.Error) as exc:
                raise ServiceError("ValidationException", "Malformed input request, please reformat your input and try again.") from exc
            req = self.parse_runtime_body(inner, model, "invoke")
        elif "converse" in wanted:
            if not isinstance(wanted["converse"], dict):
                raise ServiceError("ValidationException", "Malformed input request, please reformat your input and try again.")
            req = self.parse_runtime_body(wanted["converse"] | {"inferenceConfig": {"maxTokens": 1}}, model, "converse")
        else:
            raise ServiceError("ValidationException", "Malformed input request, please reformat your input and try again.")
        self._send_json(h, request_id, {"inputTokens": count_tokens(req.prompt)})


_CONVERSE_STOP = {"end": "end_turn", "length": "max_tokens", "stop": "stop_sequence"}
_MALFORMED = "Malformed input request, please reformat your input and try again."


def _decode_json(body: bytes, empty: bytes) -> Any:
    """A request body as JSON, or Bedrock's "malformed input" ValidationException: not JSON, not
    UTF-8, NaN/Infinity (not JSON), an integer too long to convert, or nesting too deep."""
    try:
        return json.loads(body or empty, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ServiceError("ValidationException", _MALFORMED) from exc


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _converse_type(member: str, expected: str) -> ServiceError:
    return ServiceError("ValidationException", f"1 validation error detected: Value at '{member}' failed to "
                                               f"satisfy constraint: Member must be {expected}")


def _converse_blocks(blocks: Any, member: str) -> list[str]:
    """The texts of a Converse content or system list: objects only, ``text`` a string."""
    if not isinstance(blocks, list):
        raise _converse_type(member, "a list of content blocks")
    texts = []
    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            raise _converse_type(f"{member}.{i}.member", "a content block (JSON object such as {\"text\": ...})")
        text = block.get("text", "")
        if not isinstance(text, str):
            raise _converse_type(f"{member}.{i}.member.text", "a string")
        texts.append(text)
    return texts


def _usage(ctx: Context, gen: Generation) -> dict[str, int]:
    return {"inputTokens": ctx.input_tokens, "outputTokens": gen.output_tokens,
            "totalTokens": ctx.input_tokens + gen.output_tokens}


def start_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    no_delay: bool = False,
    seed: int = 0,
    faults: Faults | None = None,
    *,
    region: str = "us-east-1",
    profile: dict[str, Any] | None = None,
    limits: SandboxLimits = DEFAULT_LIMITS,
    gateway: Any = None,
) -> SandboxServer:
    """Start the sandbox in background threads and return it (already accepting connections).

    ``port=0`` picks free ports; ``port=N`` binds nat=N, vpce=N+1, cross-account=N+2, sts=N+3,
    and the gateways api-gateway=N+4, apigw-foreign-vpce=N+5, llm-gateway=N+6, apigateway=N+7.
    ``no_delay`` turns every simulated delay off (faults still apply); ``profile`` replaces
    the latency profile (latency.json's shape); ``limits`` the HTTP limits (docs/limits.md);
    ``gateway`` is the emulated API's usage plan and Lambda (``workshop.sandbox.gateway.ApiSettings``).
    """
    return SandboxServer(host, port, no_delay=no_delay, seed=seed, faults=faults, region=region, profile=profile,
                         limits=limits, gateway=gateway)


__all__ = ["LISTENER_NAMES", "SandboxServer", "start_sandbox"]

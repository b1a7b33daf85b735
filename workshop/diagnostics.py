"""Prove that each path is the path it claims to be.

For one access path, five checks, each a :class:`Check` that passes, fails (with the fix)
or is skipped (with the reason):

1. **DNS resolution** of the endpoint host, every address classified private (RFC 1918,
   CGNAT, link-local, loopback, IPv6 ULA) or public. A ``vpce`` path resolving to private
   addresses is the proof PrivateLink is in use; the public ``bedrock-runtime`` name
   resolving to public addresses from inside a VPC that has an endpoint means private DNS
   is off, so the "nat" path really is the public one.
2. **TCP connect** time to the first address, on a fresh socket (cold: what a first call
   pays, not what a pooled connection pays).
3. **TLS handshake** time on another fresh connection (https only: the sandbox speaks
   plain http on loopback, and says so instead of inventing a number).
4. **Caller identity** through the path's own credentials (STS GetCallerIdentity): the
   cross-account path shows account B's assumed role.
5. **Model access**: one tiny call through the path's runtime client (Converse with
   ``maxTokens=1`` by default; CountTokens or the control plane's GetFoundationModel on
   request), the error classified by ``workshop.invoke.classify_error``.

Every probe is injectable (resolver, connector) so tests classify any kind of address
without sending a packet outside loopback.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from time import perf_counter
from typing import Any
from urllib.parse import urlsplit

from workshop.errors import InputError, WorkshopError

Resolver = Callable[[str, int], Sequence[str]]
"""``(host, port) -> addresses``; raises ``socket.gaierror`` when the name does not exist."""

Connector = Callable[[str, int, float], socket.socket]
"""``(address, port, timeout) -> connected socket``."""

DNS = "DNS resolution"
TCP = "TCP connect"
TLS = "TLS handshake"
IDENTITY = "Caller identity"
MODEL_ACCESS = "Model access"
CHECK_NAMES: tuple[str, ...] = (DNS, TCP, TLS, IDENTITY, MODEL_ACCESS)

ACCESS_PROBES: tuple[str, ...] = ("converse", "count-tokens", "catalog")
"""How the model access check asks: a 1-token Converse call (proves access end to end),
CountTokens (no generation; Claude models only on AWS), or GetFoundationModel (catalog:
proves the model exists in the region, not that access is granted)."""

# Address ranges that never leave a private network, with the name shown to participants.
# Explicit rather than ipaddress.is_private: that also counts documentation and benchmark
# ranges as private, which would turn a public answer into a false PrivateLink proof.
PRIVATE_RANGES: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    (ipaddress.ip_network("10.0.0.0/8"), "RFC 1918 (10.0.0.0/8)"),
    (ipaddress.ip_network("172.16.0.0/12"), "RFC 1918 (172.16.0.0/12)"),
    (ipaddress.ip_network("192.168.0.0/16"), "RFC 1918 (192.168.0.0/16)"),
    (ipaddress.ip_network("100.64.0.0/10"), "CGNAT (100.64.0.0/10)"),
    (ipaddress.ip_network("169.254.0.0/16"), "link-local (169.254.0.0/16)"),
    (ipaddress.ip_network("127.0.0.0/8"), "loopback (127.0.0.0/8)"),
    (ipaddress.ip_network("fc00::/7"), "IPv6 unique local (fc00::/7)"),
    (ipaddress.ip_network("fe80::/10"), "IPv6 link-local (fe80::/10)"),
    (ipaddress.ip_network("::1/128"), "IPv6 loopback (::1)"),
)


# --------------------------------------------------------------------------- nouns


@dataclass(frozen=True)
class Check:
    """One check's outcome. ``ok`` is None when it was skipped (``summary`` says why)."""

    name: str
    ok: bool | None
    summary: str
    detail: str = ""
    fix: str = ""
    elapsed_ms: float | None = None

    @property
    def status(self) -> str:
        """``pass``, ``fail`` or ``skip`` (what a table or badge shows)."""
        return "skip" if self.ok is None else ("pass" if self.ok else "fail")

    @property
    def failed(self) -> bool:
        return self.ok is False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status
        return data


@dataclass(frozen=True)
class AddressInfo:
    """One resolved address and what kind of network it belongs to.

    ``kind`` is ``private``, ``public`` or ``sandbox`` (loopback while the sandbox runs);
    ``range`` names the range that made it private (``RFC 1918 (10.0.0.0/8)`` ...).
    """

    address: str
    version: int
    private: bool
    range: str
    kind: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class IdentityInfo:
    """Who the path's credentials are."""

    account: str
    arn: str


@dataclass(frozen=True)
class PathDiagnosis:
    """All checks for one path, plus what they found (addresses, identity)."""

    path: str
    kind: str
    endpoint: str
    host: str
    sandbox: bool
    model_id: str | None
    checks: tuple[Check, ...]
    addresses: tuple[AddressInfo, ...] = ()
    identity: IdentityInfo | None = None

    @property
    def ok(self) -> bool:
        """True when no check failed (skipped checks do not count against the path)."""
        return not any(c.failed for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.failed]

    def check(self, name: str) -> Check:
        """The check called ``name`` (one of CHECK_NAMES)."""
        for item in self.checks:
            if item.name == name:
                return item
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "endpoint": self.endpoint,
            "host": self.host,
            "sandbox": self.sandbox,
            "model_id": self.model_id,
            "ok": self.ok,
            "checks": [c.to_dict() for c in self.checks],
            "addresses": [a.to_dict() for a in self.addresses],
            "identity": asdict(self.identity) if self.identity else None,
        }


# --------------------------------------------------------------------------- DNS


def classify_address(address: str, *, sandbox: bool = False) -> AddressInfo:
    """Private or public, and which range. IPv4-mapped IPv6 (``::ffff:10.0.0.5``) counts as
    its IPv4 address; a zone id (``fe80::1%eth0``) is ignored."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    probe = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip
    for network, label in PRIVATE_RANGES:
        if probe.version == network.version and probe in network:
            kind = "sandbox" if sandbox and probe.is_loopback else "private"
            return AddressInfo(address, ip.version, True, label, kind)
    return AddressInfo(address, ip.version, False, "public", "public")


def system_resolver(host: str, port: int) -> list[str]:
    """The host's resolver (``socket.getaddrinfo``): unique addresses, in the order returned."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _canon, sockaddr in answers:
        seen.setdefault(str(sockaddr[0]), None)
    return list(seen)


def endpoint_parts(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an endpoint URL; InputError when it has no host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{url!r} is not an http(s) URL with a host", field="endpoint",
                         fix="use https://bedrock-runtime.<region>.amazonaws.com or the VPC endpoint's DNS name")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InputError(f"{url!r} has a malformed port", field="endpoint", fix="use host[:port]") from None
    return parts.scheme, parts.hostname, port


def is_vpce_host(host: str) -> bool:
    """An interface endpoint's own DNS name (``vpce-...vpce.amazonaws.com``)."""
    return host.startswith("vpce-") and ".vpce.amazonaws.com" in host


def _expected_private(kind: str, host: str) -> bool | None:
    """Whether this path's name should resolve private (True), public (False) or either."""
    if is_vpce_host(host) or kind == "vpce":
        return True
    if kind == "api-gateway" and (".execute-api." in host and "-vpce-" in host):
        return True  # a private API's Route 53 alias name: the execute-api endpoint's addresses
    if kind == "nat":
        return False
    return None  # cross-account / proxy / gateways: depends on how the endpoint is reached


def _join(addresses: Sequence[AddressInfo]) -> str:
    return ", ".join(f"{a.address} ({a.range})" for a in addresses)


def dns_check(
    host: str,
    port: int,
    *,
    kind: str,
    sandbox: bool = False,
    resolver: Resolver | None = None,
) -> tuple[Check, tuple[AddressInfo, ...]]:
    """Resolve ``host`` and judge the addresses against what a ``kind`` path should see."""
    resolve = resolver or system_resolver
    t0 = perf_counter()
    try:
        raw = list(resolve(host, port))
    except (socket.gaierror, UnicodeError) as exc:
        elapsed = (perf_counter() - t0) * 1000.0
        return Check(
            DNS, False, f"{host} does not resolve ({exc})",
            detail="no address at all: the name is wrong, or it exists only in a VPC's private DNS",
            fix="check the endpoint URL; for a VPC endpoint use its vpce-... DNS name, or enable private DNS "
            "on the endpoint and DNS resolution + DNS hostnames on the VPC",
            elapsed_ms=elapsed,
        ), ()
    elapsed = (perf_counter() - t0) * 1000.0
    if not raw:
        return Check(DNS, False, f"{host} resolved to no addresses", fix="check the endpoint URL",
                     elapsed_ms=elapsed), ()
    addresses = tuple(classify_address(a, sandbox=sandbox) for a in raw)
    private = [a for a in addresses if a.private]
    public = [a for a in addresses if not a.private]
    if sandbox and all(a.kind == "sandbox" for a in addresses):
        return Check(
            DNS, True, f"{host} -> {', '.join(a.address for a in addresses)}: the sandbox (loopback)",
            detail="the sandbox simulates this path on 127.0.0.1; on AWS this check shows whether the "
            "endpoint resolves to private addresses in your VPC (PrivateLink) or to public ones",
            elapsed_ms=elapsed,
        ), addresses
    expected = _expected_private(kind, host)
    if expected is True:
        if not public:
            return Check(
                DNS, True, f"{host} resolves to private addresses only: PrivateLink is in use",
                detail=f"{_join(private)} — the interface endpoint's network interfaces in your VPC",
                elapsed_ms=elapsed,
            ), addresses
        which = "some public addresses" if private else "public addresses"
        return Check(
            DNS, False, f"{host} resolves to {which}: this traffic does not stay on PrivateLink",
            detail=f"public: {_join(public)}" + (f"; private: {_join(private)}" if private else ""),
            fix="use the interface endpoint's own DNS name (https://vpce-<id>-<suffix>.bedrock-runtime."
            "<region>.vpce.amazonaws.com), or enable private DNS on the endpoint so the default name "
            "resolves to it inside the VPC (and check no resolver rule or /etc/hosts entry overrides it)",
            elapsed_ms=elapsed,
        ), addresses
    if expected is False:
        if not private:
            return Check(
                DNS, True, f"{host} resolves to public addresses: the public endpoint (via NAT / internet)",
                detail=f"{_join(public)} — from inside a VPC that has a bedrock-runtime endpoint this also "
                "shows that the endpoint's private DNS is off (or not in this VPC)",
                elapsed_ms=elapsed,
            ), addresses
        return Check(
            DNS, False, f"{host} resolves to private addresses: this path goes through PrivateLink: private DNS "
            "is on for this VPC's endpoint",
            detail=f"private: {_join(private)}" + (f"; public: {_join(public)}" if public else "")
            + " — private DNS on a bedrock-runtime endpoint captures the default name (a resolver rule or an "
            "/etc/hosts entry can do the same)",
            fix="to measure the public path, run from a VPC without the endpoint's private DNS (or disable "
            "it); otherwise compare against the vpce path knowing both use PrivateLink",
            elapsed_ms=elapsed,
        ), addresses
    mix = "private" if not public else ("public" if not private else "mixed")
    return Check(
        DNS, True, f"{host} resolves to {mix} addresses",
        detail=_join(addresses) + " — a cross-account path reached over peering / Transit Gateway should "
        "resolve to account B's endpoint's private addresses",
        elapsed_ms=elapsed,
    ), addresses


# --------------------------------------------------------------------------- TCP / TLS


def _connect(address: str, port: int, timeout: float) -> socket.socket:
    return socket.create_connection((address, port), timeout=timeout)


def tcp_check(address: str, port: int, *, timeout: float, connector: Connector | None = None) -> Check:
    """Time one fresh TCP connection to ``address:port``."""
    connect = connector or _connect
    t0 = perf_counter()
    try:
        sock = connect(address, port, timeout)
    except TimeoutError:
        return Check(TCP, False, f"no TCP answer from {address}:{port} within {timeout:g} s",
                     detail="packets are dropped on the way (nothing refuses them)",
                     fix="a VPC endpoint's security group must allow inbound TCP 443 from this subnet; check "
                     "the route table, NACLs, and for the public path the NAT gateway route",
                     elapsed_ms=(perf_counter() - t0) * 1000.0)
    except OSError as exc:
        return Check(TCP, False, f"cannot connect to {address}:{port} ({exc.strerror or exc})",
                     detail="the address answered with a refusal or is unreachable",
                     fix="check the endpoint URL and port and that something listens there (for the sandbox: "
                     "is it still running?)",
                     elapsed_ms=(perf_counter() - t0) * 1000.0)
    elapsed = (perf_counter() - t0) * 1000.0
    sock.close()
    return Check(TCP, True, f"connected to {address}:{port} in {elapsed:.1f} ms (cold)",
                 detail="one fresh connection: a pooled client pays this once, not per call",
                 elapsed_ms=elapsed)


def tls_check(
    scheme: str, host: str, address: str | None, port: int, *, timeout: float, connector: Connector | None = None
) -> Check:
    """Time the TLS handshake alone on a fresh connection (certificate verified for ``host``)."""
    if scheme != "https":
        return Check(TLS, None, "skipped: plain http endpoint, no TLS to time",
                     detail="the sandbox speaks http on loopback; on AWS every endpoint is https and this "
                     "shows the TLS 1.2/1.3 handshake time")
    if address is None:
        return Check(TLS, None, "skipped: no address to connect to (DNS failed)")
    connect = connector or _connect
    try:
        raw = connect(address, port, timeout)
    except OSError as exc:
        return Check(TLS, None, f"skipped: no TCP connection ({exc.strerror or exc})")
    context = ssl.create_default_context()
    t0 = perf_counter()
    try:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            elapsed = (perf_counter() - t0) * 1000.0
            version, cipher = tls.version(), (tls.cipher() or ("?",))[0]
    except ssl.SSLCertVerificationError as exc:
        raw.close()
        return Check(TLS, False, f"certificate not accepted for {host} ({exc.verify_message})",
                     detail="the server's certificate does not match the name or is not trusted",
                     fix="use the endpoint's DNS name (not an IP); behind a TLS-inspecting proxy point "
                     "AWS_CA_BUNDLE at its CA",
                     elapsed_ms=(perf_counter() - t0) * 1000.0)
    except (ssl.SSLError, OSError) as exc:
        raw.close()
        return Check(TLS, False, f"TLS handshake with {host} failed ({exc})",
                     fix="something on the way is not speaking TLS: check the port and any proxy",
                     elapsed_ms=(perf_counter() - t0) * 1000.0)
    return Check(TLS, True, f"{version} handshake in {elapsed:.1f} ms (cold)",
                 detail=f"cipher {cipher}; certificate verified for {host}", elapsed_ms=elapsed)


# --------------------------------------------------------------------------- identity


def identity_check(client: Any, path: Any) -> tuple[Check, IdentityInfo | None]:
    """GetCallerIdentity through the path's credentials; for a role path, that it is the role."""
    t0 = perf_counter()
    try:
        who = client.identity()
    except WorkshopError as err:
        return Check(IDENTITY, False, f"could not learn who this path runs as: {err.message}",
                     fix=err.fix or "check the path's credential mode",
                     elapsed_ms=(perf_counter() - t0) * 1000.0), None
    elapsed = (perf_counter() - t0) * 1000.0
    info = IdentityInfo(who.account, who.arn)
    role_arn = getattr(path.credentials, "role_arn", None)
    if role_arn and getattr(path.credentials, "assumes_role", False):
        role_account = role_arn.split(":")[4]
        role_name = role_arn.rsplit("/", 1)[-1]
        if who.account != role_account or f":assumed-role/{role_name}/" not in who.arn:
            return Check(IDENTITY, False, f"runs as {who.arn}, not as the role {role_arn}",
                         fix="the path is not using the assumed role's credentials: check CredentialMode and "
                         "RoleARN of this path", elapsed_ms=elapsed), info
        label = "account B" if getattr(path, "kind", "") == "cross-account" else "the role's account"
        return Check(IDENTITY, True, f"account {who.account} ({label}), {who.arn}",
                     detail=f"assumed {role_arn}; Bedrock sees this role as the caller", elapsed_ms=elapsed), info
    return Check(IDENTITY, True, f"account {who.account}, {who.arn}",
                 detail="Bedrock sees this principal as the caller", elapsed_ms=elapsed), info


# --------------------------------------------------------------------------- model access


class _ProxyAnswer(Exception):
    """A failed probe through the API Gateway proxy: the result carries the classified error."""

    def __init__(self, result: Any) -> None:
        super().__init__(result.error_message)
        self.result = result


def _probe(client: Any, model_id: str, probe: str) -> str:
    """Run the access probe; returns what it showed. Raises whatever the client raises."""
    if getattr(client, "gateway", None) is not None:  # the api-gateway path: through the proxy's contract
        from workshop.gateway import invoke_api_gateway

        result = invoke_api_gateway(client, model_id, {"messages": [{"role": "user", "content": [{"text": "ping"}]}],
                                                       "inferenceConfig": {"maxTokens": 1}}, "converse")
        if not result.ok:
            raise _ProxyAnswer(result)
        return (f"a 1-token Converse call through the proxy succeeded ({result.input_tokens} in, "
                f"{result.output_tokens} out); Bedrock saw the proxy Lambda's role")
    if probe == "converse":
        answer = client.runtime.converse(
            modelId=model_id,
            messages=[{"role": "user", "content": [{"text": "ping"}]}],
            inferenceConfig={"maxTokens": 1},
        )
        usage = answer.get("usage") or {}
        return (f"a 1-token Converse call succeeded ({usage.get('inputTokens', '?')} in, "
                f"{usage.get('outputTokens', '?')} out)")
    if probe == "count-tokens":
        answer = client.runtime.count_tokens(
            modelId=model_id,
            input={"converse": {"messages": [{"role": "user", "content": [{"text": "ping"}]}]}},
        )
        return f"CountTokens answered ({answer.get('inputTokens', '?')} tokens); nothing was generated"
    details = client.control().get_foundation_model(modelIdentifier=_catalog_id(model_id)).get("modelDetails") or {}
    return (f"the catalog lists {details.get('modelId', model_id)} "
            f"({', '.join(details.get('inferenceTypesSupported') or []) or 'no inference types'}); "
            "this does not prove access is granted")


def _catalog_id(model_id: str) -> str:
    from workshop.catalog import base_model_id

    return base_model_id(model_id)


def model_access_check(client: Any, model_id: str | None, region: str | None, *, probe: str = "converse") -> Check:
    """Ask the cheapest question that shows whether this path may use ``model_id``."""
    if not model_id:
        return Check(MODEL_ACCESS, None, "skipped: no model chosen",
                     fix="pass --model, or set DefaultModel / [models] in the config")
    if probe not in ACCESS_PROBES:
        raise InputError(f"unknown access probe {probe!r}", field="probe", fix="one of: " + ", ".join(ACCESS_PROBES))
    from workshop.invoke import classify_error

    t0 = perf_counter()
    try:
        shown = _probe(client, model_id, probe)
    except _ProxyAnswer as answer:
        r = answer.result
        return Check(MODEL_ACCESS, False, f"{model_id}: {r.error_code}" + (f" (HTTP {r.http_status})"
                     if r.http_status else ""), detail=r.error_message, fix=r.error_hint or "",
                     elapsed_ms=(perf_counter() - t0) * 1000.0)
    except Exception as exc:  # every failure is an answer to classify, not a crash
        elapsed = (perf_counter() - t0) * 1000.0
        code, message, hint, status = classify_error(exc, model_id=model_id, region=region, api="converse")
        return Check(MODEL_ACCESS, False, f"{model_id}: {code}" + (f" (HTTP {status})" if status else ""),
                     detail=message, fix=hint, elapsed_ms=elapsed)
    return Check(MODEL_ACCESS, True, f"{model_id}: {shown}", elapsed_ms=(perf_counter() - t0) * 1000.0)


# --------------------------------------------------------------------------- per path


def _default_model(workbench: Any) -> str | None:
    config = workbench.config
    return config.default_model or next(iter(config.models.values()), None)


def diagnose_path(
    workbench: Any,
    path_name: str,
    *,
    model_id: str | None = None,
    resolver: Resolver | None = None,
    connector: Connector | None = None,
    probe: str = "converse",
) -> PathDiagnosis:
    """Run every check for ``path_name`` of ``workbench`` (a ``workshop.workbench.Workbench``).

    Raises ConfigError for an unknown or misconfigured path (nothing to diagnose); every
    other failure is a failed check. ``resolver`` and ``connector`` replace the system's
    DNS and TCP (tests, and explaining a trace offline).
    """
    path = workbench.config.path(path_name)
    sandbox = bool(getattr(workbench, "is_sandbox", False))
    model_id = model_id or _default_model(workbench)
    if model_id:
        from workshop.catalog import validate_model_id

        model_id = validate_model_id(model_id)
    endpoint = path.runtime_endpoint
    scheme, host, port = endpoint_parts(endpoint)
    timeout = float(path.connect_timeout)

    dns, addresses = dns_check(host, port, kind=path.kind, sandbox=sandbox, resolver=resolver)
    first = addresses[0].address if addresses else None
    if first is None:
        tcp = Check(TCP, None, "skipped: DNS gave no address")
    else:
        tcp = tcp_check(first, port, timeout=timeout, connector=connector)
    if path.proxy:
        # Through a proxy the client never connects to the endpoint itself; say so.
        tcp = Check(TCP, tcp.ok, tcp.summary, detail=f"note: this path's calls go through the proxy {path.proxy}; "
                    "this is the direct connection", fix=tcp.fix, elapsed_ms=tcp.elapsed_ms)
    tls = tls_check(scheme, host, first if tcp.ok else None, port, timeout=timeout, connector=connector)

    try:
        client = workbench.client(path_name)
    except WorkshopError as err:
        ident = Check(IDENTITY, False, f"no client for this path: {err.message}", fix=err.fix or "")
        access = Check(MODEL_ACCESS, None, "skipped: no credentials for this path")
        return PathDiagnosis(path_name, path.kind, endpoint, host, sandbox, model_id,
                             (dns, tcp, tls, ident, access), addresses, None)
    if path.kind == "api-gateway" and path.gateway.auth != "iam":
        ident, identity = Check(IDENTITY, None, "skipped: this path authenticates with an API key",
                                detail="Bedrock sees the proxy Lambda's execution role as the caller"), None
    else:
        ident, identity = identity_check(client, path)
    access = model_access_check(client, model_id, path.region, probe=probe)
    return PathDiagnosis(path_name, path.kind, endpoint, host, sandbox, model_id,
                         (dns, tcp, tls, ident, access), addresses, identity)


def diagnose(
    workbench: Any,
    paths: Sequence[str] | None = None,
    *,
    model_id: str | None = None,
    resolver: Resolver | None = None,
    connector: Connector | None = None,
    probe: str = "converse",
) -> list[PathDiagnosis]:
    """:func:`diagnose_path` for ``paths`` (default: every path of the config), in order."""
    names = list(paths) if paths else list(workbench.config.paths)
    for name in names:
        workbench.config.path(name)  # every name valid before any probe runs
    return [
        diagnose_path(workbench, name, model_id=model_id, resolver=resolver, connector=connector, probe=probe)
        for name in names
    ]


# --------------------------------------------------------------------------- shared endpoints


@dataclass(frozen=True)
class SharedEndpoint:
    """Paths that reach one endpoint: same resolved addresses (or same host) and same port.

    A comparison between them measures one network path twice, so any difference it shows
    is not the path's. ``reason`` is one line saying why they were grouped.
    """

    paths: tuple[str, ...]
    port: int
    addresses: tuple[str, ...]
    hosts: tuple[str, ...]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Target:
    name: str
    kind: str
    host: str
    port: int
    addresses: frozenset[str] | None  # None: not resolved (compared by host only)


def _target(config: Any, name: str, resolve: Resolver) -> _Target:
    path = config.path(name)  # ConfigError for an unknown or misconfigured path
    if getattr(config, "sandbox", False) and not path.endpoint_url:
        # An unbound sandbox config: bind_sandbox gives each kind its own listener (unknown
        # kinds share nat's), so the listener, not a URL, is what two paths could share.
        kind = path.kind if path.kind in ("nat", "vpce", "cross-account", "api-gateway", "llm-gateway") else "nat"
        return _Target(name, path.kind, f"<sandbox {kind} listener>", 0, None)
    _scheme, host, port = endpoint_parts(path.runtime_endpoint)
    try:
        addresses: frozenset[str] | None = frozenset(
            str(ipaddress.ip_address(a.split("%", 1)[0])) for a in resolve(host, port))
    except (OSError, UnicodeError, ValueError):
        addresses = None  # no answer: the host name alone decides
    return _Target(name, path.kind, host.lower(), port, addresses or None)


def _same_endpoint(a: _Target, b: _Target) -> bool:
    if a.port != b.port:
        return False  # one address, two listeners (the sandbox's paths) are two endpoints
    if a.host == b.host:
        return True
    return bool(a.addresses and b.addresses and a.addresses & b.addresses)


def _shared_reason(group: Sequence[_Target]) -> str:
    names = ", ".join(t.name for t in group)
    hosts = sorted({t.host for t in group})
    common = sorted(frozenset.intersection(*[t.addresses for t in group if t.addresses] or [frozenset()]))
    if len(hosts) == 1 and hosts[0].startswith("<"):
        why = f"{names} use the same {hosts[0][1:-1]}"
    elif len(hosts) == 1:
        why = f"{names} call the same endpoint {hosts[0]}:{group[0].port}"
    else:
        shown = ", ".join(common[:4]) or "the same addresses"
        why = f"{names} resolve to the same endpoint ({shown}, port {group[0].port}) under different names"
    kinds = {t.kind for t in group}
    private = any(classify_address(a).private for a in common)
    if "nat" in kinds and private:
        why += ": the nat path goes through PrivateLink (private DNS is on for this VPC's endpoint)"
    return why + " — a comparison between them measures one network path twice"


def shared_endpoints(
    workbench_or_config: Any,
    paths: Sequence[str] | None = None,
    *,
    resolver: Resolver | None = None,
) -> list[SharedEndpoint]:
    """Groups of paths that reach the same endpoint, each with a one-line reason.

    Two paths share an endpoint when their runtime endpoints use the same port and either
    the same host name or host names whose resolved addresses overlap (private DNS makes
    ``bedrock-runtime.<region>.amazonaws.com`` resolve to the interface endpoint's
    addresses, the ``vpce-...`` name's own). Addresses alone never group paths: the
    sandbox serves every path on 127.0.0.1, one port per path, and those are different
    listeners. A name that does not resolve is compared by name only.

    ``workbench_or_config`` is a Workbench (its bound config) or a WorkshopConfig; ``paths``
    defaults to every path; ``resolver`` replaces the system's DNS (tests). Raises
    ConfigError for an unknown path. Groups come in config order, each with >= 2 paths.
    """
    config = getattr(workbench_or_config, "config", workbench_or_config)
    names = list(dict.fromkeys(paths)) if paths else list(config.paths)
    resolve = resolver or system_resolver
    targets = [_target(config, name, resolve) for name in names]
    groups: list[list[_Target]] = []
    for target in targets:
        joined = [g for g in groups if any(_same_endpoint(target, other) for other in g)]
        merged = [target]
        for group in joined:  # a path may link two groups: they are one endpoint then
            merged = group + merged
            groups.remove(group)
        groups.append(merged)
    order = {name: i for i, name in enumerate(names)}
    shared = [sorted(g, key=lambda t: order[t.name]) for g in groups if len(g) > 1]
    shared.sort(key=lambda g: order[g[0].name])
    return [
        SharedEndpoint(
            paths=tuple(t.name for t in group),
            port=group[0].port,
            addresses=tuple(sorted(frozenset().union(*[t.addresses or frozenset() for t in group]))),
            hosts=tuple(dict.fromkeys(t.host for t in group)),
            reason=_shared_reason(group),
        )
        for group in shared
    ]


def to_json_ready(diagnoses: Sequence[PathDiagnosis]) -> list[dict[str, Any]]:
    """The diagnoses as plain dicts (``json.dumps``-ready)."""
    return [d.to_dict() for d in diagnoses]


__all__ = [
    "CHECK_NAMES", "AddressInfo", "Check", "IdentityInfo", "PathDiagnosis", "SharedEndpoint", "classify_address",
    "diagnose", "diagnose_path", "dns_check", "shared_endpoints", "system_resolver", "tcp_check", "tls_check",
]


# --------------------------------------------------------------------------- Setup's "test this path"


@dataclass(frozen=True)
class PathTest:
    """The outcome of Setup's "test this path": who we are on it, and can we reach its endpoint.

    ``identity_checked`` is False when the path's settings are incomplete (the console
    shows what to fill in instead of a second copy of the same error); reachability is
    tested whatever the credentials, since it does not depend on them.
    """

    path: str
    endpoint: str = ""
    connect_ms: float | None = None
    reach_error: str | None = None
    account: str | None = None
    arn: str | None = None
    identity_error: str | None = None
    identity_checked: bool = True

    @property
    def ok(self) -> bool:
        return self.identity_checked and self.identity_error is None and self.reach_error is None


def reach_endpoint(url: str, timeout: float) -> tuple[float | None, str | None]:
    """TCP connect time to the endpoint's host in ms, or the reason it cannot be reached (no request is sent)."""
    try:
        scheme, host, port = endpoint_parts(url)
    except InputError as err:
        return None, err.message
    del scheme
    t0 = perf_counter()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return (perf_counter() - t0) * 1000.0, None
    except OSError as exc:
        return None, (f"cannot reach {url} ({exc.strerror or type(exc).__name__}) — check the endpoint URL, DNS "
                      "(private DNS for a VPC endpoint), routes and security groups")


def check_path(workbench: Any, name: str, *, identity: bool = True) -> PathTest:
    """Reachability of path ``name``'s endpoint and, with ``identity``, who its credentials are.

    Nothing raises: each failure becomes a one-line message with its fix. The endpoint is
    read from the path as configured (not ``config.path``, which refuses a path with a
    problem), so an unreachable endpoint is reported even when the credentials are not set.
    """
    from workshop.secrets import redact

    path = workbench.config.paths[name]
    endpoint = path.runtime_endpoint
    connect_ms, reach_error = reach_endpoint(endpoint, path.connect_timeout)
    if not identity:
        return PathTest(name, endpoint, connect_ms, reach_error, identity_checked=False)
    account = arn = identity_error = None
    try:
        found = workbench.client(name).identity()
        account, arn = found.account, found.arn
    except WorkshopError as err:
        identity_error = str(err)
    except Exception as err:  # botocore's own errors: shown redacted, with the usual fix
        identity_error = (f"identity check failed: {redact(str(err))} — check the credential mode "
                          "and its fields above")
    return PathTest(name, endpoint, connect_ms, reach_error, account, arn, identity_error)

"""Access paths -> boto3 clients: one bedrock-runtime client per path, created once.

Connection reuse is part of what the workshop measures, so a ``PathClient`` builds its
runtime client once (with a pool at least as large as the planned concurrency) and every
invocation through that path reuses it. Control-plane and STS clients are made on demand.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from workshop import __version__
from workshop.config import AccessPath, public_control_endpoint, regional_sts_endpoint
from workshop.credentials import StaticKeys, map_sts_error, session_for

USER_AGENT_EXTRA = f"bedrock-workshop/{__version__}"
DEFAULT_POOL_SIZE = 32


@dataclass(frozen=True)
class Identity:
    """Who a path's credentials are (STS GetCallerIdentity)."""

    account: str
    arn: str
    user_id: str


def client_config(path: AccessPath, *, pool_size: int = DEFAULT_POOL_SIZE) -> Config:
    """botocore Config for ``path``: fail fast on a wrong endpoint, retry like the SDK does.

    The connect timeout defaults to 3 s so a wrong VPC endpoint URL (an address nothing
    answers on) fails in seconds instead of the SDK's 60.
    """
    return Config(
        region_name=path.region,
        connect_timeout=path.connect_timeout,
        read_timeout=path.read_timeout,
        # MaxAttempts counts the first call too (like AWS_MAX_ATTEMPTS); botocore's
        # "max_attempts" key would count retries only, one more call than configured.
        retries={"mode": path.retry_mode, "total_max_attempts": path.max_attempts},
        max_pool_connections=max(1, pool_size),
        proxies={"http": path.proxy, "https": path.proxy} if path.proxy else None,
        user_agent_extra=USER_AGENT_EXTRA,
        # Pooled connections sit idle between samples; keepalive stops middleboxes dropping them.
        tcp_keepalive=True,
    )


class PathClient:
    """The boto3 clients of one access path, built once and shared by every invocation.

    ``credentials_ms`` is the time it took to obtain this path's credentials (first
    AssumeRole included): reported apart from invocation latency.
    """

    def __init__(
        self,
        path: AccessPath,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        default_chain: StaticKeys | None = None,
        session: boto3.Session | None = None,
        credentials_ms: float | None = None,
    ) -> None:
        self.path = path
        self.pool_size = pool_size
        if path.is_gateway and not path.endpoint_url:
            from workshop.errors import ConfigError

            raise ConfigError(f"the {path.name} path has no EndpointURL", field=f"[path {path.name}] EndpointURL",
                              fix="give the API stage URL (api-gateway) or the gateway's URL (llm-gateway)")
        keyed = path.kind == "api-gateway" and path.gateway.auth != "iam"
        if session is None and keyed:
            # An API key is the credential: the path's credential mode is only needed for the
            # quota figures (apigateway GetUsage) and is resolved lazily then.
            session, credentials_ms = _lazy_session(path, default_chain), 0.0
        elif session is None:
            session, credentials_ms = session_for(path, default_chain=default_chain)
        self.session: boto3.Session = session
        self.credentials_ms: float = credentials_ms or 0.0
        self.config = client_config(path, pool_size=pool_size)
        self.gateway: Any = None
        if path.kind == "api-gateway":
            from workshop.gateway import ApiGatewayTransport

            self.runtime: Any = None  # the proxy is plain HTTPS with the proxy's contract, not bedrock-runtime
            self.gateway = ApiGatewayTransport(path, session, pool_size=pool_size)
        elif path.kind == "llm-gateway":
            from workshop.config import public_runtime_endpoint
            from workshop.gateway import route_through_gateway

            # Signed for bedrock-runtime (the upstream), sent to the gateway: seed 002's way.
            upstream = path.gateway.upstream_url or public_runtime_endpoint(path.region)
            self.runtime = session.client("bedrock-runtime", region_name=path.region, endpoint_url=upstream,
                                          config=self.config)
            route_through_gateway(self.runtime, path.runtime_endpoint)
        else:
            self.runtime = session.client(
                "bedrock-runtime", region_name=path.region, endpoint_url=path.runtime_endpoint, config=self.config
            )
        self._lock = threading.Lock()
        self._control: Any = None
        self._sts: Any = None
        self._identity: Identity | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def endpoint_url(self) -> str:
        return self.path.runtime_endpoint

    def control(self) -> Any:
        """The bedrock control-plane client (ListFoundationModels, ...), created on first use."""
        with self._lock:
            if self._control is None:
                url = self.path.control_endpoint_url or public_control_endpoint(self.path.region)
                self._control = self.session.client(
                    "bedrock", region_name=self.path.region, endpoint_url=url,
                    config=client_config(self.path, pool_size=2),
                )
            return self._control

    def sts(self) -> Any:
        """An STS client signed with this path's (possibly assumed-role) credentials."""
        with self._lock:
            if self._sts is None:
                url = self.path.credentials.sts_endpoint or regional_sts_endpoint(self.path.region)
                self._sts = self.session.client(
                    "sts", region_name=self.path.region, endpoint_url=url,
                    config=client_config(self.path, pool_size=2),
                )
            return self._sts

    def identity(self) -> Identity:
        """GetCallerIdentity for this path, cached (who Bedrock will see as the caller)."""
        if self._identity is None:
            try:
                answer = self.sts().get_caller_identity()
            except (ClientError, BotoCoreError) as exc:
                raise map_sts_error(exc, self.path.credentials) from None
            self._identity = Identity(answer["Account"], answer["Arn"], answer["UserId"])
        return self._identity

    def close(self) -> None:
        """Close the connection pools (clients are unusable afterwards)."""
        if self.gateway is not None:
            self.gateway.close()
        for client in (self.runtime, self._control, self._sts):
            if client is not None:
                try:
                    client.close()
                except Exception:  # closing is best effort; nothing to tell the user
                    pass

    def __repr__(self) -> str:
        return f"PathClient({self.path.name!r}, endpoint={self.endpoint_url!r}, mode={self.path.credentials.kind!r})"


def _lazy_session(path: AccessPath, default_chain: StaticKeys | None) -> boto3.Session:
    """A session whose credentials are looked up only when something signs with it."""
    if default_chain is not None:
        from workshop.credentials import _isolated_session

        return _isolated_session(default_chain, path.region)
    if path.credentials.profile:
        return boto3.Session(profile_name=path.credentials.profile, region_name=path.region)
    return boto3.Session(region_name=path.region)

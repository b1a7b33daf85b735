"""The workbench: a bound config, the running sandbox (if any) and one client per path.

This is the object the console keeps in ``st.cache_resource`` and the CLI opens per
command. Clients are created lazily, once per path, under a lock: a comparison run's
worker threads all share the same client (and connection pool) for a path.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from workshop.config import WorkshopConfig, bind_sandbox, default_config
from workshop.credentials import StaticKeys
from workshop.errors import WorkshopError
from workshop.paths import DEFAULT_POOL_SIZE, PathClient
from workshop.results import InvocationResult

log = logging.getLogger(__name__)

IDENTITY_RETRY_S = 300.0
"""After GetCallerIdentity fails for a path, the invocation log goes without the caller's identity
for this long before asking again: a blocked or failing STS must not cost a lookup (or a connect
timeout) on every sample."""


class Workbench:
    """Bound config + sandbox + cached ``PathClient`` per path. Use ``Workbench.open``."""

    def __init__(
        self,
        config: WorkshopConfig,
        *,
        sandbox: Any = None,
        pool_size: int = DEFAULT_POOL_SIZE,
        store: Any = None,
        owns_sandbox: bool = True,
    ) -> None:
        self.config = config
        self.sandbox = sandbox
        self._owns_sandbox = owns_sandbox
        self.pool_size = pool_size
        self._store = store
        self._owns_store = store is None
        self._clients: dict[str, PathClient] = {}
        self._path_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._identity_failed: dict[str, float] = {}  # path -> monotonic time of the last failed lookup

    @classmethod
    def open(
        cls,
        config: WorkshopConfig | None = None,
        *,
        no_delay: bool | None = None,
        pool_size: int = DEFAULT_POOL_SIZE,
        store: Any = None,
        sandbox_process: bool = True,
    ) -> Workbench:
        """Open a workbench for ``config`` (default: the built-in sandbox).

        When ``config.sandbox`` is set the sandbox is started on free loopback ports and
        every path is bound to it; ``no_delay`` overrides the config's NoDelay. The sandbox
        runs in a process of its own (``sandbox_process``, the default), so its work never
        competes with the client's threads for one interpreter; tests that change faults at
        runtime pass ``sandbox_process=False`` to get the in-process server.
        """
        config = config if config is not None else default_config()
        if not config.sandbox:
            return cls(config, pool_size=pool_size, store=store)
        server = start_configured_sandbox(config, no_delay=no_delay, process=sandbox_process)
        try:
            return cls(bind_sandbox(config, server), sandbox=server, pool_size=pool_size, store=store)
        except BaseException:
            server.stop()
            raise

    @property
    def is_sandbox(self) -> bool:
        return self.sandbox is not None

    def _default_chain(self) -> StaticKeys | None:
        """In sandbox mode the participant's keys stand in for the host's default chain."""
        if self.sandbox is None:
            return None
        from workshop.sandbox import principals

        return StaticKeys(principals.PARTICIPANT_ACCESS_KEY, principals.PARTICIPANT_SECRET_KEY)

    def client(self, path_name: str) -> PathClient:
        """The client for ``path_name``, created on first use and reused afterwards.

        Raises ConfigError (unknown or misconfigured path) or CredentialError. A per-path
        lock means two threads asking for a new path build it once, while a slow
        AssumeRole on one path never blocks another path.
        """
        found = self._clients.get(path_name)
        if found is not None:
            return found
        path = self.config.path(path_name)  # strict: raises ConfigError naming the field
        with self._lock:
            if self._closed:
                raise RuntimeError("workbench is closed")
            path_lock = self._path_locks.setdefault(path_name, threading.Lock())
        with path_lock:
            found = self._clients.get(path_name)
            if found is None:
                found = PathClient(path, pool_size=self.pool_size, default_chain=self._default_chain())
                with self._lock:
                    self._clients[path_name] = found
            return found

    @property
    def store(self) -> Any:
        """The results store (opened on first use from the config's StoreURL)."""
        if self._store is None:
            from workshop.store import Store

            with self._lock:
                if self._store is None:
                    self._store = Store.open(config_url=self.config.store_url)
        return self._store

    def invoke(
        self,
        path_name: str,
        model_id: str,
        body: dict[str, Any],
        api: str = "invoke",
        *,
        on_text: Any = None,
        participant: str | None = None,
        enforce_quota: bool = True,
    ) -> InvocationResult:
        """One invocation through ``path_name``; errors from Bedrock are data on the result.

        Before anything is sent the facilitator's quota for ``participant`` (default: this
        OS user, as the CLI) is checked — QuotaError, nothing sent, when it is used up. A
        comparison checks its whole budget up front and passes ``enforce_quota=False``.
        Afterwards the call is recorded in the invocation log (ModelInvocationLog shape,
        secrets redacted, bodies only when the config's LogBodies is on).
        """
        from workshop import invocation_log, quotas
        from workshop import invoke as invoke_module

        who = participant or quotas.participant_id("cli")
        client = self.client(path_name)
        if enforce_quota and quotas.is_limited(self.config.quota):
            quotas.check_quota(self.config.quota, self.store, who)
        result = invoke_module.invoke(client, model_id, body, api, on_text=on_text)
        self._record(client, result, body, who, invocation_log)
        return result

    def _record(self, client: PathClient, result: InvocationResult, body: Any, who: str, invocation_log: Any) -> None:
        """Keep the invocation log; a store problem is reported, never allowed to lose the result."""
        identity = self._identity(client)
        try:
            invocation_log.record_invocation(
                self.store, result, body=body, identity=identity, region=client.path.region,
                participant=who, capture_bodies=self.config.log_bodies,
            )
        except WorkshopError as err:
            log.warning("invocation not logged: %s", err)

    def _identity(self, client: PathClient) -> Any:
        """The path's caller identity for the invocation log, or None. Success is cached by the
        client; a failure is remembered here for IDENTITY_RETRY_S, and said once in the log."""
        failed_at = self._identity_failed.get(client.name)
        if failed_at is not None and time.monotonic() - failed_at < IDENTITY_RETRY_S:
            return None
        try:
            identity = client.identity()
        except WorkshopError as err:
            self._identity_failed[client.name] = time.monotonic()
            log.warning("caller identity of path %s unavailable (%s): the invocation log records calls without "
                        "it, and asks STS again in %.0f s", client.name, err, IDENTITY_RETRY_S)
            return None
        self._identity_failed.pop(client.name, None)
        return identity

    def close(self) -> None:
        """Close every client and stop the sandbox this workbench started."""
        with self._lock:
            self._closed = True
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()
        if self._store is not None and self._owns_store:
            self._store.close()
            self._store = None
        if self.sandbox is not None and self._owns_sandbox:
            self.sandbox.stop()
        self.sandbox = None

    def __enter__(self) -> Workbench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "sandbox" if self.sandbox is not None else "aws"
        return f"Workbench({mode}, paths={list(self.config.paths)}, source={self.config.source!r})"


def start_configured_sandbox(config: WorkshopConfig, *, no_delay: bool | None = None, process: bool = True) -> Any:
    """Start the sandbox with the config's ``[sandbox]`` settings (NoDelay, Seed, Port, faults):
    in a process of its own (``process``, see workshop/sandbox/process.py) or in this one."""
    from workshop.config import sandbox_options
    from workshop.sandbox import Faults

    options = sandbox_options(config)
    faults = Faults.from_mapping(config.sandbox_settings) if config.sandbox_settings else None  # checked here
    delay_off = options["no_delay"] if no_delay is None else no_delay
    if process:
        from workshop.sandbox.process import SandboxProcess

        extra = {k: v for k, v in config.sandbox_settings.items()
                 if k.lower() not in ("nodelay", "seed", "port", "latencyprofile")} if faults is not None else None
        return SandboxProcess.start(port=options["port"], no_delay=delay_off, seed=options["seed"], faults=extra,
                                    latency_profile=options["latency_profile"])
    from workshop.commands.sandbox import load_latency_profile
    from workshop.sandbox import start_sandbox
    from workshop.sandbox.gateway import ApiSettings

    profile = load_latency_profile(options["latency_profile"]) if options["latency_profile"] else None
    gateway = ApiSettings.from_mapping(config.sandbox_settings) if config.sandbox_settings else None
    return start_sandbox(host="127.0.0.1", port=options["port"], no_delay=delay_off, seed=options["seed"],
                         faults=faults, profile=profile, gateway=gateway)

"""The workbench: a bound config, the running sandbox (if any) and one client per path.

This is the object the console keeps in ``st.cache_resource`` and the CLI opens per
command. Clients are created lazily, once per path, under a lock: a comparison run's
worker threads all share the same client (and connection pool) for a path.
"""

from __future__ import annotations

import threading
from typing import Any

from workshop.config import WorkshopConfig, bind_sandbox, default_config
from workshop.credentials import StaticKeys
from workshop.paths import DEFAULT_POOL_SIZE, PathClient
from workshop.results import InvocationResult


class Workbench:
    """Bound config + sandbox + cached ``PathClient`` per path. Use ``Workbench.open``."""

    def __init__(
        self,
        config: WorkshopConfig,
        *,
        sandbox: Any = None,
        pool_size: int = DEFAULT_POOL_SIZE,
    ) -> None:
        self.config = config
        self.sandbox = sandbox
        self.pool_size = pool_size
        self._clients: dict[str, PathClient] = {}
        self._path_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def open(
        cls,
        config: WorkshopConfig | None = None,
        *,
        no_delay: bool | None = None,
        pool_size: int = DEFAULT_POOL_SIZE,
    ) -> Workbench:
        """Open a workbench for ``config`` (default: the built-in sandbox).

        When ``config.sandbox`` is set the sandbox is started in-process on free loopback
        ports and every path is bound to it; ``no_delay`` overrides the config's NoDelay.
        """
        config = config if config is not None else default_config()
        if not config.sandbox:
            return cls(config, pool_size=pool_size)
        server = start_configured_sandbox(config, no_delay=no_delay)
        try:
            return cls(bind_sandbox(config, server), sandbox=server, pool_size=pool_size)
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

    def invoke(
        self,
        path_name: str,
        model_id: str,
        body: dict[str, Any],
        api: str = "invoke",
        *,
        on_text: Any = None,
        participant: str | None = None,
    ) -> InvocationResult:
        """One invocation through ``path_name``; errors from Bedrock are data on the result.

        ``participant`` is who the facilitator's quota and invocation log attribute the
        call to (wired in by the quota/log work).
        """
        from workshop import invoke as invoke_module

        client = self.client(path_name)
        return invoke_module.invoke(client, model_id, body, api, on_text=on_text)

    def close(self) -> None:
        """Close every client and stop the sandbox this workbench started."""
        with self._lock:
            self._closed = True
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None

    def __enter__(self) -> Workbench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "sandbox" if self.sandbox is not None else "aws"
        return f"Workbench({mode}, paths={list(self.config.paths)}, source={self.config.source!r})"


def start_configured_sandbox(config: WorkshopConfig, *, no_delay: bool | None = None) -> Any:
    """Start the sandbox with the config's ``[sandbox]`` settings (NoDelay, Seed, faults)."""
    from workshop.config import sandbox_options
    from workshop.sandbox import Faults, start_sandbox

    options = sandbox_options(config)
    faults = Faults.from_mapping(config.sandbox_settings) if config.sandbox_settings else None
    return start_sandbox(
        host="127.0.0.1",
        port=options["port"],
        no_delay=options["no_delay"] if no_delay is None else no_delay,
        seed=options["seed"],
        faults=faults,
    )

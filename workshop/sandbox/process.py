"""The sandbox in a process of its own: what the console and the CLI use.

A measuring tool must not disturb what it measures. An in-process sandbox shares one Python
interpreter (one GIL) with the client whose latency it is serving: every millisecond the
emulator spends parsing, signing and generating is a millisecond the client's threads wait,
and that wait lands in the client's "network overhead". So the console and the CLI start
``python -m workshop sandbox --port 0 --json --exit-with-stdin`` and talk to it over
loopback like any other endpoint. The child prints one JSON line with its endpoints when it
is listening, and stops when its stdin closes: if the parent dies, so does its sandbox.

:class:`SandboxProcess` has the read side of :class:`workshop.sandbox.server.SandboxServer`
(``endpoints``, ``sts_endpoint``, ``control_endpoint``, ``region``, ``stop()``), so
``config.bind_sandbox`` and the Workbench use either. Tests that inject faults at runtime
use the in-process server (``Workbench.open(..., sandbox_process=False)``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from typing import Any

from workshop.errors import EndpointError

READY_TIMEOUT_S = 60.0


class SandboxProcess:
    """A running ``python -m workshop sandbox`` child; read its endpoints, stop it."""

    def __init__(self, process: subprocess.Popen[bytes], *, no_delay: bool, seed: int) -> None:
        self._process = process
        self.no_delay = no_delay
        self.seed = seed
        self._info: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._stopped = False

    @classmethod
    def start(
        cls,
        *,
        port: int = 0,
        no_delay: bool = False,
        seed: int = 0,
        faults: Mapping[str, Any] | None = None,
        latency_profile: str | None = None,
    ) -> SandboxProcess:
        """Start the child and return at once; the first read of an endpoint waits for it.

        ``faults`` are ``[sandbox]`` keys (ThrottleRate, ...); ``latency_profile`` a JSON file
        in latency.json's shape."""
        command = [sys.executable, "-m", "workshop", "sandbox", "--host", "127.0.0.1", "--port", str(port),
                   "--seed", str(seed), "--json", "--exit-with-stdin"]
        if no_delay:
            command.append("--no-delay")
        if faults:
            command += ["--faults", json.dumps(dict(faults))]
        if latency_profile:
            command += ["--latency-profile", str(latency_profile)]
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
            start_new_session=True,  # a Ctrl-C in the terminal reaches the parent, which stops us
        )
        return cls(process, no_delay=no_delay, seed=seed)

    @property
    def pid(self) -> int:
        return self._process.pid

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> dict[str, Any]:
        """Block until the child printed its endpoints (EndpointError if it died or hung)."""
        with self._lock:
            if self._info is not None:
                return self._info
            line = _readline(self._process, timeout)
            if not line:
                err = b""
                if self._process.poll() is not None and self._process.stderr is not None:
                    err = self._process.stderr.read() or b""
                self.stop()
                last = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
                raise EndpointError(
                    f"the sandbox process did not start: {last[0]}",
                    field="sandbox",
                    fix="free a port (or set [sandbox] Port = 0) and try again; "
                    "`python -m workshop sandbox` shows the error in full",
                )
            self._info = json.loads(line)
            return self._info

    @property
    def endpoints(self) -> dict[str, str]:
        return dict(self.wait_ready()["endpoints"])

    @property
    def gateway_endpoints(self) -> dict[str, str]:
        return dict(self.wait_ready().get("gateways") or {})

    @property
    def sts_endpoint(self) -> str:
        return str(self.wait_ready()["sts"])

    @property
    def control_endpoint(self) -> str:
        return str(self.wait_ready()["control"])

    @property
    def region(self) -> str:
        return str(self.wait_ready()["region"])

    def describe(self) -> dict[str, Any]:
        """What a runner process needs to use this sandbox: endpoints, STS, control, region."""
        return dict(self.wait_ready())

    def stop(self) -> None:
        """Close the child's stdin (it stops itself), then make sure it is gone."""
        if self._stopped:
            return
        self._stopped = True
        proc = self._process
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "ready" if self._info else "starting"
        return f"SandboxProcess(pid={self._process.pid}, {state}, no_delay={self.no_delay})"


class RemoteSandbox:
    """A sandbox some other process started, known by its endpoints (a runner's view)."""

    def __init__(self, info: Mapping[str, Any]) -> None:
        self._info = dict(info)

    @property
    def endpoints(self) -> dict[str, str]:
        return dict(self._info["endpoints"])

    @property
    def gateway_endpoints(self) -> dict[str, str]:
        return dict(self._info.get("gateways") or {})

    @property
    def sts_endpoint(self) -> str:
        return str(self._info["sts"])

    @property
    def control_endpoint(self) -> str:
        return str(self._info["control"])

    @property
    def region(self) -> str:
        return str(self._info["region"])

    def describe(self) -> dict[str, Any]:
        return dict(self._info)

    def stop(self) -> None:
        """Not ours to stop."""


def _readline(process: subprocess.Popen[bytes], timeout: float) -> bytes:
    """One line of the child's stdout, or b"" when it ended or ``timeout`` passed."""
    out: list[bytes] = []

    def read() -> None:
        assert process.stdout is not None
        out.append(process.stdout.readline())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    return out[0] if out else b""

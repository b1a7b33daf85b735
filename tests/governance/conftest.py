"""Fixtures for the governance tests: diagnostics, policies, invocation log, quotas."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything tries to connect outside 127.0.0.0/8 (belt and braces)."""
    real = socket.create_connection

    def guarded(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        host = address[0]
        assert host.startswith("127.") or host == "localhost", f"test tried to reach {host}"
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)


@pytest.fixture(scope="session")
def seed_log_example() -> dict[str, Any]:
    """Seed 001's ModelInvocationLog example (placeholders filled with example values)."""
    return json.loads((HERE / "data" / "seed_model_invocation_log.json").read_text(encoding="utf-8"))

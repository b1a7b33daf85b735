"""Fixtures for the core tests (config, credentials, paths, workbench, CLI, invoke)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

EXAMPLE_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example pair, not a secret
EXAMPLE_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def moto_aws() -> Iterator[None]:
    """moto's in-process AWS (an independent STS implementation); nothing leaves the process."""
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound then released: connect is refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- invoke / catalog integration: one workbench bound to the session sandbox ---------


@pytest.fixture(scope="session")
def sandbox_workbench(sandbox: Any) -> Iterator[Any]:
    """The built-in default config bound to the shared sandbox, one PathClient per path.

    Built without ``Workbench.open`` so closing it never stops the session's sandbox.
    """
    from workshop.config import bind_sandbox, default_config
    from workshop.workbench import Workbench

    bench = Workbench(bind_sandbox(default_config(), sandbox), sandbox=sandbox)
    yield bench
    for name in bench.config.paths:
        bench.client(name).close()


@pytest.fixture
def sandbox_faults(sandbox: Any) -> Iterator[Any]:
    """Set faults on the shared sandbox for one test; always cleared afterwards."""
    yield sandbox.set_faults
    sandbox.set_faults(None)

"""Fixtures for the core tests (config, credentials, paths, workbench, CLI, invoke)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

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

"""Fixtures for the core tests (config, credentials, paths, workbench, CLI, invoke)."""

from __future__ import annotations

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


# --- invoke / catalog integration: one workbench bound to the session sandbox ---------


@pytest.fixture
def sandbox_faults(sandbox: Any) -> Iterator[Any]:
    """Set faults on the shared sandbox for one test; always cleared afterwards."""
    yield sandbox.set_faults
    sandbox.set_faults(None)

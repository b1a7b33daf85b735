"""The sandbox: a local, wire-compatible Amazon Bedrock (runtime, control plane) and STS.

Unmodified AWS SDK clients talk to it with ``endpoint_url``; it verifies SigV4, issues
temporary credentials for roles, answers per model family in the real schemas (event-stream
framing included), simulates each access path on its own loopback listener with a modelled,
seeded latency profile, and injects faults on request. See docs/sandbox.md.
"""

from typing import TYPE_CHECKING, Any

from workshop.sandbox.faults import Faults
from workshop.sandbox.principals import (
    ACCOUNT_A,
    ACCOUNT_B,
    CROSS_ACCOUNT_EXTERNAL_ID,
    CROSS_ACCOUNT_ROLE_ARN,
    PARTICIPANT_ACCESS_KEY,
    PARTICIPANT_SECRET_KEY,
    WORKSHOP_ROLE_ARN,
)

if TYPE_CHECKING:
    from workshop.sandbox.server import LISTENER_NAMES, SandboxServer, start_sandbox

_SERVER_NAMES = frozenset({"LISTENER_NAMES", "SandboxServer", "start_sandbox"})


def __getattr__(name: str) -> Any:
    """Import the server (botocore, http.server, the catalog) only when it is used: the
    config and the console's first page need the principals, not a running emulator."""
    if name in _SERVER_NAMES:
        from workshop.sandbox import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "ACCOUNT_A",
    "ACCOUNT_B",
    "CROSS_ACCOUNT_EXTERNAL_ID",
    "CROSS_ACCOUNT_ROLE_ARN",
    "LISTENER_NAMES",
    "PARTICIPANT_ACCESS_KEY",
    "PARTICIPANT_SECRET_KEY",
    "WORKSHOP_ROLE_ARN",
    "Faults",
    "SandboxServer",
    "start_sandbox",
]

"""``python -m workshop sandbox``: run the local Bedrock emulator in the foreground.

Prints one line per endpoint and the (fake, documented-example) credentials, so any AWS
client can be pointed at it by hand; runs until Ctrl-C (or SIGTERM) and stops cleanly.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from workshop.config import is_loopback_host
from workshop.errors import EndpointError, InputError

DEFAULT_PORT = 8600


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sandbox`` command."""
    p = subparsers.add_parser(
        "sandbox",
        help="run the local Bedrock sandbox (nat, vpce, cross-account and STS endpoints)",
        description="Run the wire-compatible Bedrock emulator in the foreground. Port N binds "
        "nat=N, vpce=N+1, cross-account=N+2, sts=N+3. Binds loopback unless --host says otherwise.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"first port (default {DEFAULT_PORT}; 0 = any free)")
    p.add_argument("--no-delay", action="store_true", help="turn every simulated delay off")
    p.add_argument("--seed", type=int, default=0, help="seed of the latency and fault random streams")
    p.set_defaults(handler=run)


def describe(server: Any) -> list[str]:
    """The lines the command prints: endpoints, region, credentials, account B's role."""
    from workshop.sandbox import (
        CROSS_ACCOUNT_EXTERNAL_ID,
        CROSS_ACCOUNT_ROLE_ARN,
        PARTICIPANT_ACCESS_KEY,
        PARTICIPANT_SECRET_KEY,
    )

    rows = [(name, url) for name, url in server.endpoints.items()]
    rows += [
        ("sts", server.sts_endpoint),
        ("region", server.region),
        # AWS's documented example pair: fake by design, printed so clients can be set up by hand.
        ("AWS_ACCESS_KEY_ID", PARTICIPANT_ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", PARTICIPANT_SECRET_KEY),
        ("cross-account-role", CROSS_ACCOUNT_ROLE_ARN),
        ("external-id", CROSS_ACCOUNT_EXTERNAL_ID),
    ]
    return [f"{name:<22} {value}" for name, value in rows]


def run(args: argparse.Namespace) -> int:
    """Start the sandbox, print its endpoints, serve until interrupted."""
    from workshop.sandbox import start_sandbox

    if not 0 <= args.port <= 65532:
        raise InputError(f"port {args.port} is out of range", field="--port", fix="use 1024-65532, or 0 for any free port")
    try:
        server = start_sandbox(host=args.host, port=args.port, no_delay=args.no_delay, seed=args.seed)
    except OSError as exc:
        raise EndpointError(
            f"cannot listen on {args.host}:{args.port}-{args.port + 3}: {exc.strerror or exc}",
            field="--port", fix="pick another --port (or 0 for free ports)",
        ) from exc
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if threading.current_thread() is threading.main_thread() else None
    try:
        if not is_loopback_host(args.host):
            print(f"warning: listening on {args.host}, reachable from other machines", file=sys.stderr)
        for line in describe(server):
            print(line)
        print("sandbox running; Ctrl-C to stop", file=sys.stderr)
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print("sandbox stopped", file=sys.stderr)
    return 0

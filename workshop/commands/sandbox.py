"""``python -m workshop sandbox``: run the local Bedrock emulator in the foreground.

Prints one line per endpoint and the (fake, documented-example) credentials, so any AWS
client can be pointed at it by hand; runs until Ctrl-C (or SIGTERM) and stops cleanly.
"""

from __future__ import annotations

import argparse
import json
import os
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
        help="run the local Bedrock sandbox (nat, vpce, cross-account, STS and the gateway endpoints)",
        description="Run the wire-compatible Bedrock emulator in the foreground. Port N binds "
        "nat=N, vpce=N+1, cross-account=N+2, sts=N+3, and the gateways api-gateway=N+4, "
        "apigw-foreign-vpce=N+5, llm-gateway=N+6, apigateway=N+7. Binds loopback unless --host says otherwise.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"first port (default {DEFAULT_PORT}; 0 = any free)")
    p.add_argument("--no-delay", action="store_true", help="turn every simulated delay off")
    p.add_argument("--seed", type=int, default=0, help="seed of the latency and fault random streams")
    p.add_argument("--faults", metavar="JSON", help='injected faults and gateway settings as a JSON object of '
                   '[sandbox] keys, e.g. \'{"ThrottleRate": 0.1}\' or \'{"ApiQuotaLimit": 100}\'')
    p.add_argument("--latency-profile", metavar="FILE",
                   help="a latency profile JSON file in latency.json's shape (default: the built-in one)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON line (endpoints, sts, control, region) instead of the table")
    p.add_argument("--exit-with-stdin", action="store_true",
                   help="stop when standard input closes (how the console and CLI run it as a child)")
    p.set_defaults(handler=run)


def describe(server: Any) -> list[str]:
    """The lines the command prints: endpoints, region, credentials, account B's role."""
    from workshop.sandbox import (
        CROSS_ACCOUNT_EXTERNAL_ID,
        CROSS_ACCOUNT_ROLE_ARN,
        PARTICIPANT_ACCESS_KEY,
        PARTICIPANT_SECRET_KEY,
    )
    from workshop.sandbox import gateway_facts as gw

    rows = [(name, url) for name, url in server.endpoints.items()]
    gateways = getattr(server, "gateway_endpoints", None) or {}
    rows += [(name, url) for name, url in gateways.items()]
    rows += [
        ("sts", server.sts_endpoint),
        ("region", server.region),
        # AWS's documented example pair: fake by design, printed so clients can be set up by hand.
        ("AWS_ACCESS_KEY_ID", PARTICIPANT_ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", PARTICIPANT_SECRET_KEY),
        ("cross-account-role", CROSS_ACCOUNT_ROLE_ARN),
        ("external-id", CROSS_ACCOUNT_EXTERNAL_ID),
    ]
    if gateways:
        # The gateway fixtures: fake by design, like the keys above (workshop/sandbox/gateway_facts.py).
        rows += [
            ("x-apigw-api-id", f"{gw.API_ID} (API key)  {gw.IAM_API_ID} (IAM)"),
            ("x-api-key", gw.API_KEY),
            ("usage-plan / key id", f"{gw.USAGE_PLAN_ID} / {gw.API_KEY_ID}"),
            ("allowed-vpce", f"{gw.ALLOWED_VPCE_ID} (api-gateway)"),
            ("foreign-vpce", f"{gw.FOREIGN_VPCE_ID} (apigw-foreign-vpce: the resource policy denies it)"),
            ("proxy", f"POST <stage>{gw.RESOURCE} {{\"modelId\", \"api\": invoke|converse, \"body\"}}"),
        ]
    return [f"{name:<22} {value}" for name, value in rows]


def run(args: argparse.Namespace) -> int:
    """Start the sandbox, print its endpoints, serve until interrupted."""
    from workshop.sandbox import start_sandbox

    if not 0 <= args.port <= 65528:
        raise InputError(f"port {args.port} is out of range", field="--port", fix="use 1024-65528, or 0 for any free port")
    faults = None
    if args.faults:
        from workshop.sandbox import Faults

        try:
            mapping = json.loads(args.faults)
        except ValueError as exc:
            raise InputError(f"--faults is not JSON ({exc.msg})", field="--faults",
                             fix='a JSON object, e.g. {"ThrottleRate": 0.1}') from None
        if not isinstance(mapping, dict):
            raise InputError("--faults must be a JSON object", field="--faults", fix='e.g. {"ThrottleRate": 0.1}')
        faults = Faults.from_mapping(mapping)
        from workshop.sandbox.gateway import ApiSettings

        gateway = ApiSettings.from_mapping(mapping)
    else:
        gateway = None
    profile = load_latency_profile(args.latency_profile) if args.latency_profile else None
    try:
        server = start_sandbox(host=args.host, port=args.port, no_delay=args.no_delay, seed=args.seed,
                               faults=faults, profile=profile, gateway=gateway)
    except OSError as exc:
        raise EndpointError(
            f"cannot listen on {args.host}:{args.port}-{args.port + 7}: {exc.strerror or exc}",
            field="--port", fix="pick another --port (or 0 for free ports)",
        ) from exc
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if threading.current_thread() is threading.main_thread() else None
    if args.exit_with_stdin:
        threading.Thread(target=_stop_at_eof, args=(stop,), name="sandbox-stdin", daemon=True).start()
    try:
        if not is_loopback_host(args.host):
            print(f"warning: listening on {args.host}, reachable from other machines", file=sys.stderr)
        if args.json:
            print(json.dumps({"endpoints": server.endpoints, "sts": server.sts_endpoint,
                              "control": server.control_endpoint, "region": server.region,
                              "gateways": server.gateway_endpoints, "pid": os.getpid()}))
        else:
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
    if not args.json:
        print("sandbox stopped", file=sys.stderr)
    return 0


def load_latency_profile(path: str) -> dict[str, Any]:
    """A latency profile file, checked for the sections the sandbox reads (InputError)."""
    from pathlib import Path

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path} ({exc.strerror or exc})", field="--latency-profile",
                         fix="name a readable JSON file shaped like workshop/sandbox/latency.json") from None
    except ValueError as exc:
        raise InputError(f"{path} is not JSON ({exc})", field="--latency-profile",
                         fix="a JSON object shaped like workshop/sandbox/latency.json") from None
    if not isinstance(data, dict) or not {"paths", "families"} <= data.keys():
        raise InputError(f"{path} has no 'paths' and 'families' sections", field="--latency-profile",
                         fix="start from a copy of workshop/sandbox/latency.json")
    return data


def _stop_at_eof(stop: threading.Event) -> None:
    """Set ``stop`` when standard input closes: the parent ended (or asked us to)."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    stop.set()

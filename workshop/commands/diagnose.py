"""``python -m workshop diagnose``: prove each path (DNS, TCP/TLS, identity, model access).

Exit status: 0 when no check failed, 1 when one did (the table shows the fix), 2 on bad
input (unknown path, malformed model id, unreadable config) — so a script or a CI job can
gate on "the vpce path resolves private and runs as the right role".
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from workshop import PATH_LABELS
from workshop.commands.common import add_config_arguments, say
from workshop.diagnostics import ACCESS_PROBES, PathDiagnosis, SharedEndpoint

STATUS_LABELS = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``diagnose`` command."""
    p = subparsers.add_parser(
        "diagnose",
        help="prove each path: DNS (private/public), TCP/TLS time, caller identity, model access",
        description="For each access path: resolve the endpoint and classify every address private or "
        "public (PrivateLink proof), time a cold TCP connect and TLS handshake, ask STS who the path's "
        "credentials are, and make one tiny call to check model access. Exit 1 if any check fails.",
    )
    add_config_arguments(p, no_delay=False)
    p.add_argument("--path", metavar="P", action="append", default=[],
                   help="path to diagnose; repeat for several (default: every path of the config)")
    p.add_argument("--model", metavar="M", help="model for the access check (default: the config's DefaultModel)")
    p.add_argument("--probe", choices=ACCESS_PROBES, default="converse",
                   help="model access check: a 1-token Converse call (default), CountTokens, or the catalog "
                   "(GetFoundationModel: existence only)")
    p.add_argument("--json", action="store_true", help="print the diagnoses as JSON")
    p.set_defaults(handler=run)


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:8.1f} ms"


def render(diagnoses: Sequence[PathDiagnosis], shared: Sequence[SharedEndpoint] = ()) -> str:
    """The human table: one block per path, one line per check, the fix under a failure;
    then the paths that reach one endpoint (a comparison cannot tell them apart)."""
    lines: list[str] = []
    width = max(len(name) for name in ("DNS resolution", "TCP connect", "TLS handshake", "Caller identity",
                                       "Model access"))
    for diagnosis in diagnoses:
        label = PATH_LABELS.get(diagnosis.path, diagnosis.kind)
        verdict = "ok" if diagnosis.ok else f"{len(diagnosis.failures)} failed"
        lines.append(f"{diagnosis.path} — {label} — {diagnosis.endpoint}  [{verdict}]")
        for check in diagnosis.checks:
            lines.append(f"  {STATUS_LABELS[check.status]}  {check.name:<{width}}  {_ms(check.elapsed_ms):>11}  "
                         f"{check.summary}")
            if check.failed and check.detail:
                lines.append(f"        {'':<{width}}  {'':>11}  {check.detail}")
            if check.failed and check.fix:
                lines.append(f"        {'':<{width}}  {'':>11}  fix: {check.fix}")
        if diagnosis.sandbox:
            lines.append("  (sandbox: every path is a loopback listener; timings are local, not AWS's)")
        lines.append("")
    for group in shared:
        lines.append(f"SAME ENDPOINT  {' = '.join(group.paths)}")
        lines.append(f"  {group.reason}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def run(args: argparse.Namespace) -> int:
    from workshop import catalog
    from workshop.config import load_or_default
    from workshop.diagnostics import diagnose, shared_endpoints
    from workshop.workbench import Workbench

    config = load_or_default(args.config, args.key_file)
    names = list(dict.fromkeys(args.path)) or list(config.paths)
    for name in names:
        config.path(name)  # unknown or misconfigured path: one line and exit 2, before any probe
    model_id = catalog.validate_model_id(args.model) if args.model else None
    for warning in config.warnings:
        say(warning)
    with Workbench.open(config, no_delay=True) as workbench:
        diagnoses = diagnose(workbench, names, model_id=model_id, probe=args.probe)
        shared = shared_endpoints(workbench, names)
    if args.json:
        data = [d.to_dict() for d in diagnoses]
        for item in data:  # which paths reach the same endpoint as this one (None: its own)
            group = next((g for g in shared if item["path"] in g.paths), None)
            item["shared_endpoint"] = group.to_dict() if group else None
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(render(diagnoses, shared))
    return 0 if all(d.ok for d in diagnoses) else 1

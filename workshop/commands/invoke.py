"""``python -m workshop invoke``: one invocation through one path, with its timing breakdown.

The headless twin of the console's Invoke step. No ``--config`` means the built-in sandbox;
no ``--body`` means the model family's template. User mistakes (bad config value, model id,
body JSON, credentials) raise ``WorkshopError`` (one line, exit 2); a failed call is a
result with an error and a hint (exit 1).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from workshop import APIS, PATH_LABELS
from workshop.commands.common import add_config_arguments, say
from workshop.errors import InputError
from workshop.results import InvocationResult

SANDBOX_NOTE = "sandbox: latencies are modelled, not measured on AWS"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``invoke`` command."""
    p = subparsers.add_parser(
        "invoke",
        help="invoke one model through one access path and show the timing breakdown",
        description="Invoke a model once through an access path (nat, vpce, cross-account, or any path "
        "of the config). Prints the answer (streamed for the stream APIs) and where the time went: "
        "credentials, time to first byte (and first token on streams), server, overhead (network + TLS + auth + "
        "SDK), total.",
    )
    add_config_arguments(p)
    p.add_argument("--path", metavar="P", help="access path (default: the config's DefaultPath)")
    p.add_argument("--model", metavar="M", help="model id or inference-profile id (default: the config's DefaultModel)")
    p.add_argument("--body", metavar="F", help="request body JSON file, '-' for stdin (default: the family's template)")
    p.add_argument("--api", default="invoke", metavar="API", help="|".join(APIS) + " (default invoke)")
    p.add_argument("--json", action="store_true", help="print the InvocationResult as JSON")
    p.set_defaults(handler=run)


def read_body_text(spec: str) -> str:
    """The body text from a file or stdin ('-'); InputError when it cannot be read."""
    from workshop.limits import MAX_BODY_BYTES

    too_big = InputError(f"the body is larger than {MAX_BODY_BYTES:,} bytes (MAX_BODY_BYTES, docs/limits.md)",
                         field="--body", source=spec, fix="send a smaller body")
    if spec == "-":
        text = sys.stdin.read(MAX_BODY_BYTES + 1)
        if len(text) > MAX_BODY_BYTES:
            raise too_big
        return text
    path = Path(spec)
    try:
        if path.is_file() and path.stat().st_size > MAX_BODY_BYTES:
            raise too_big
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("body file not found", field="--body", source=spec,
                         fix="give a JSON file, '-' for stdin, or omit --body for the template") from None
    except (OSError, ValueError) as exc:  # a folder, no permission, not UTF-8, a name the OS refuses
        raise InputError(f"cannot read the body file ({type(exc).__name__})", field="--body",
                         source=repr(spec)[1:-1],
                         fix="give a readable UTF-8 JSON file") from None


def build_body(model_id: str, api: str, body_spec: str | None) -> dict[str, Any]:
    """The validated request body: the file's JSON, or the family's template."""
    from workshop import catalog, prompts

    family = catalog.family_of(model_id)
    text = read_body_text(body_spec) if body_spec else prompts.template_text(family, api)
    return prompts.parse_body(text, family, api)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f} ms"


def timing_lines(result: InvocationResult, *, sandbox: bool) -> list[str]:
    """The human breakdown printed after the answer."""
    tokens = "-" if result.input_tokens is None and result.output_tokens is None else (
        f"{result.input_tokens if result.input_tokens is not None else '?'} in / "
        f"{result.output_tokens if result.output_tokens is not None else '?'} out"
    )
    rows = [
        ("credentials", _ms(result.credentials_ms) + "  (obtained once per path, not part of latency)"),
        ("first byte", _ms(result.ttfb_ms) + "  (the response's headers arrived)"),
        *([("first token", _ms(result.ttft_ms) + "  (streams only)")] if result.ttft_ms is not None else []),
        ("server", _ms(result.server_ms)),
        ("overhead", _ms(result.overhead_ms) + "  (network + TLS + auth + SDK)"),
        *([("gateway hop", _ms(result.gateway_ms) + "  (client -> gateway and back, the gateway's own work)"),
           ("upstream", _ms(result.upstream_ms) + "  (the gateway's wait for Bedrock)")]
          if result.gateway_ms is not None else []),
        *([("cold start", _ms(result.init_ms) + "  (the Lambda's init, this environment's first call)")]
          if result.init_ms is not None else []),
        ("total", _ms(result.client_ms)),
        ("tokens", tokens),
        ("retries", str(result.retries)),
        ("request id", result.request_id or "-"),
    ]
    lines = [f"{name:<12} {value}" for name, value in rows]
    if sandbox:
        lines.append(f"({SANDBOX_NOTE})")
    return lines


def run(args: argparse.Namespace) -> int:
    from workshop import catalog
    from workshop.config import load_or_default
    from workshop.workbench import Workbench

    if args.api not in APIS:
        raise InputError(f"unknown API {args.api!r}", field="--api", fix="use one of: " + ", ".join(APIS))
    config = load_or_default(args.config, args.key_file)
    path_name = args.path or config.default_path
    from workshop.gateway import check_api

    check_api(config.path(path_name), args.api)  # unknown/misconfigured path, or a stream through the proxy
    model_id = args.model or config.default_model
    if not model_id:
        raise InputError("no model given", field="--model",
                         fix="pass --model (e.g. anthropic.claude-3-haiku-20240307-v1:0) or set DefaultModel")
    model_id = catalog.validate_model_id(model_id)
    body = build_body(model_id, args.api, args.body)
    with Workbench.open(config, no_delay=True if args.no_delay else None) as wb:
        wb.client(path_name)  # credentials now: a CredentialError is one line, not a failed result
        for warning in config.warnings:
            say(warning)
        streamed: list[str] = []

        def on_text(delta: str) -> None:
            streamed.append(delta)
            if not args.json:
                print(delta, end="", flush=True)

        result = wb.invoke(path_name, model_id, body, args.api, on_text=on_text)
        sandbox = wb.is_sandbox
        from workshop.gateway import quota_status

        quota = quota_status(wb.client(path_name), result)  # a usage plan's 429: which limit, how much left
    if args.json:
        data = result.to_dict()
        data["sandbox"] = sandbox
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        if streamed:
            print()
        label = PATH_LABELS.get(path_name, path_name)
        print(f"\n{path_name} ({label}) · {model_id} · {args.api}")
        print("\n".join(timing_lines(result, sandbox=sandbox)))
    if not result.ok:
        say(f"{result.error_code}: {result.error_message}", "error")
        if result.error_hint:
            say(result.error_hint, "hint")
        if quota is not None:
            say(quota.sentence(), "quota")
        return 1
    return 0

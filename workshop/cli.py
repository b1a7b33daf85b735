"""``python -m workshop``: the headless twin of the console.

A thin shell: each command lives in ``workshop/commands/<name>.py`` with a
``register(subparsers)`` function that adds its parser and sets ``handler`` to a callable
``(args) -> int``. User mistakes (``WorkshopError``) become one line on stderr and exit 2;
tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from workshop.errors import WorkshopError

# Order is the order shown in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "sandbox",
    "invoke",
    "models",
    "compare",
    "export",
    "diagnose",
    "policy",
    "secrets",
    "lab",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m workshop",
        description="Bedrock access-path workshop: invoke, compare and diagnose the NAT, "
        "PrivateLink and cross-account paths (the built-in sandbox when no --config is given).",
    )
    parser.add_argument("--debug", action="store_true", help="log botocore wire detail (secrets redacted)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"workshop.commands.{name}")
        except ModuleNotFoundError as exc:  # a command still being built must not break the rest
            if exc.name == f"workshop.commands.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.debug:
        from workshop import logs

        logs.configure(debug=True)
    try:
        return int(args.handler(args) or 0)
    except WorkshopError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        logging.shutdown()


if __name__ == "__main__":
    sys.exit(main())

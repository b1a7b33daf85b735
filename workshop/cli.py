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
    "room",
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The CLI's parser: every command, or only ``only`` (what a run of that command needs:
    importing every command module costs each invocation ~0.2 s, the sandbox's child process
    and a comparison's first call included)."""
    parser = argparse.ArgumentParser(
        prog="python -m workshop",
        description="Bedrock access-path workshop: invoke, compare and diagnose the NAT, "
        "PrivateLink and cross-account paths (the built-in sandbox when no --config is given).",
    )
    parser.add_argument("--debug", action="store_true", help="log botocore wire detail (secrets redacted)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES if only is None else (only,):
        importlib.import_module(f"workshop.commands.{name}").register(sub)
    return parser


# Commands whose module has another name (one module may register several commands).
COMMAND_WORDS: dict[str, str] = {
    "encrypt-config": "secrets", "decrypt-config": "secrets", "rotate-key": "secrets", "import-legacy": "secrets",
}


def _command_in(argv: Sequence[str]) -> str | None:
    """The module of the command ``argv`` names (the first word after the global options)."""
    for arg in argv:
        if arg.startswith("-"):
            if arg in ("-h", "--help"):
                return None
            continue
        return COMMAND_WORDS.get(arg, arg if arg in COMMAND_MODULES else None)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=_command_in(words))
    args = parser.parse_args(words)
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

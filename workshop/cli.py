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

from workshop.errors import InputError, WorkshopError

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


def _refuse_empty_values(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """An option or argument given as an empty (or blank) string is a mistake — usually an unset
    shell variable — never a request for the default: InputError naming it."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = action.choices.get(getattr(args, action.dest, None) or "") if action.dest else None
            if chosen is not None:
                _refuse_empty_values(chosen, args)
            continue
        value = getattr(args, action.dest, None)
        values = value if isinstance(value, list) else [value]  # append options hold a list
        if any(isinstance(v, str) and not v.strip() for v in values) and value != action.default:
            name = "/".join(action.option_strings) or (action.metavar if isinstance(action.metavar, str)
                                                       else action.dest.upper())
            raise InputError("the value is empty", field=name,
                             fix="give a value, or leave it out to use the default")


def error_line(err: BaseException) -> str:
    """The one line a user error prints, with anything secret-shaped masked: a secret pasted
    into the wrong field (a key as RoleARN, a password in an endpoint URL) is never echoed."""
    from workshop.secrets.redaction import redact

    return redact(f"error: {err}")


_WARNINGS_MARK = "_workshop_cli_warnings"


def _warnings_as_lines() -> None:
    """The workshop's own logged warnings (a failing caller identity, a file made private) as
    ``warning: ...`` lines on stderr, redacted — not Python's bare last-resort output."""
    from workshop.secrets.redaction import RedactingFilter

    logger = logging.getLogger("workshop")
    for old in [h for h in logger.handlers if getattr(h, _WARNINGS_MARK, False)]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    setattr(handler, _WARNINGS_MARK, True)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("warning: %(message)s"))
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=_command_in(words))
    args = parser.parse_args(words)
    if args.debug:
        from workshop import logs

        logs.configure(debug=True)
    else:
        _warnings_as_lines()
    try:
        _refuse_empty_values(parser, args)
        return int(args.handler(args) or 0)
    except WorkshopError as err:
        print(error_line(err), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        logger = logging.getLogger("workshop")
        for handler in [h for h in logger.handlers if getattr(h, _WARNINGS_MARK, False)]:
            logger.removeHandler(handler)  # in-process callers (tests) keep no handler on a stale stream
        logging.shutdown()


if __name__ == "__main__":
    sys.exit(main())

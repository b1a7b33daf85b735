"""Arguments several commands share, declared once so their help stays true everywhere."""

from __future__ import annotations

import argparse
import sys

KEY_FILE_HELP = (
    "key for enc: values: this file if given, else $WORKSHOP_CONFIG_KEY, "
    "else the user key file (~/.config/bedrock-workshop/config.key)"
)


def add_key_file_argument(p: argparse.ArgumentParser, help: str = KEY_FILE_HELP) -> None:
    """--key-file, in the lookup order workshop.secrets.load_keyring applies."""
    p.add_argument("--key-file", metavar="K", help=help)


def add_config_arguments(
    p: argparse.ArgumentParser,
    *,
    config_help: str = "config file (default: the built-in sandbox, all three paths)",
    no_delay: bool = True,
) -> None:
    """--config / --key-file (and --no-delay for commands that may start the sandbox)."""
    p.add_argument("--config", metavar="C", help=config_help)
    add_key_file_argument(p)
    if no_delay:
        p.add_argument("--no-delay", action="store_true", help="sandbox only: turn simulated latency off")


PARTICIPANT_HELP = (
    "your name in the room: stored with the run, its samples and the invocation log, and what the quota "
    "counts (default $WORKSHOP_PARTICIPANT, which the lab sets; without either, calls are unnamed: cli:<login>)"
)


def add_participant_argument(p: argparse.ArgumentParser, help: str = PARTICIPANT_HELP) -> None:
    """--participant NAME (see workshop.participants.resolve for the order and the lab's lock)."""
    p.add_argument("--participant", metavar="NAME", help=help)


def participant_of(args: argparse.Namespace) -> str:
    """The participant a command acts as: ``--participant``, ``$WORKSHOP_PARTICIPANT``, else
    the unnamed ``cli:<login>``. InputError for a bad name, or a name other than the lab's."""
    from workshop import participants, quotas

    return participants.resolve(getattr(args, "participant", None)) or quotas.participant_id("cli")


def say(text: object, kind: str = "warning") -> None:
    """One ``warning:`` / ``note:`` / ``hint:`` / ``error:`` line on stderr, secrets masked (a
    config warning may quote a value the user pasted into the wrong field)."""
    from workshop.secrets.redaction import redact

    print(redact(f"{kind}: {text}"), file=sys.stderr)

"""Arguments several commands share, declared once so their help stays true everywhere."""

from __future__ import annotations

import argparse

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

"""Where the workshop keeps per-user files (keys, results). Tests point these at tmp."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

APP_DIR_NAME = "bedrock-workshop"


def config_dir() -> Path:
    """Per-user config folder: $WORKSHOP_CONFIG_DIR, else $XDG_CONFIG_HOME/bedrock-workshop."""
    override = os.environ.get("WORKSHOP_CONFIG_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / APP_DIR_NAME


def data_dir() -> Path:
    """Per-user data folder: $WORKSHOP_DATA_DIR, else $XDG_DATA_HOME/bedrock-workshop."""
    override = os.environ.get("WORKSHOP_DATA_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_DIR_NAME


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700 if missing; return it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def ensure_own_private_dir(path: Path) -> Path:
    """Our own folder (the data folder): created 0700, and made 0700 if it exists readable by
    others — results, prompts and the invocation log live there. Says so when it changes one."""
    ensure_private_dir(path)
    make_private(path, 0o700)
    return path


def make_private(path: Path, mode: int) -> bool:
    """Take group and other permissions away from ``path`` (a file 0600, a folder 0700) when it
    has any; True (and a warning naming the old mode) when it changed something."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return False
    if current & 0o077 == 0:
        return False
    try:
        os.chmod(path, mode)
    except OSError as exc:  # not ours (another user's file): say so, do not fail the command
        log.warning("%s is readable by others (mode %o) and could not be made private: %s", path, current, exc)
        return False
    log.warning("%s was readable by others (mode %o); made it %o", path, current, mode)
    return True

"""Where the workshop keeps per-user files (keys, results). Tests point these at tmp."""

from __future__ import annotations

import os
from pathlib import Path

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

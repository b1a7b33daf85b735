"""Writing a secret-bearing file: all at once, private from the first byte."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# --------------------------------------------------------------------------- files


def atomic_write(path: str | Path, text: str, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``text`` all at once: temp file in the same folder, fsync,
    ``os.replace``. On any failure the old file is untouched and no temp file is left."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # Mode before content, so the secret is never readable by others, not even briefly.
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            fd = -1  # now owned by handle
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        if fd != -1:
            os.close(fd)
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable; not every filesystem allows fsync on a folder
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass



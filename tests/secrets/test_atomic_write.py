"""atomic_write: all or nothing, private from the first byte, no temp files left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from workshop import secrets


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_writes_the_text_with_mode_0600(tmp_path: Path) -> None:
    target = tmp_path / "c.ini"
    secrets.atomic_write(target, "[a]\nb = c\n")
    assert target.read_text() == "[a]\nb = c\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_replaces_an_existing_file_and_tightens_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "c.ini"
    target.write_text("old")
    target.chmod(0o644)
    secrets.atomic_write(target, "new")
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_crash_leaves_the_original_intact_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    target = tmp_path / "c.ini"
    target.write_text("original")

    def crash(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(secrets.os, failing, crash)
    with pytest.raises(OSError):
        secrets.atomic_write(target, "half-written")
    monkeypatch.undo()
    assert target.read_text() == "original"
    assert _leftovers(tmp_path) == []


def test_a_crash_when_the_target_is_new_creates_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets.os, "replace", lambda *a: (_ for _ in ()).throw(OSError(5, "EIO")))
    with pytest.raises(OSError):
        secrets.atomic_write(tmp_path / "new.ini", "text")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_temp_file_is_in_the_target_folder_so_the_rename_is_atomic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str]] = []
    real = os.replace
    monkeypatch.setattr(secrets.os, "replace", lambda s, d: (seen.append((str(s), str(d))), real(s, d)))
    secrets.atomic_write(tmp_path / "c.ini", "x")
    (src, dst), = seen
    assert Path(src).parent == Path(dst).parent == tmp_path

"""Results are private: the store file and every export are 0600, the data folder 0700 — an
existing data folder or store file that others can read is tightened, and the log says so."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from workshop import cli
from workshop.dirs import data_dir
from workshop.store import DB_FILENAME, Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_store_is_a_0600_file_in_a_0700_folder() -> None:
    with Store.open():
        pass
    assert mode(data_dir()) == 0o700
    assert mode(data_dir() / DB_FILENAME) == 0o600


def test_an_existing_0755_data_folder_and_0644_store_are_made_private(caplog: pytest.LogCaptureFixture) -> None:
    folder = data_dir()
    folder.mkdir(parents=True)
    os.chmod(folder, 0o755)
    db = folder / DB_FILENAME
    with Store.open():
        pass
    os.chmod(db, 0o644)
    with caplog.at_level(logging.WARNING), Store.open():
        pass
    assert mode(folder) == 0o700 and mode(db) == 0o600
    said = caplog.text
    assert "mode 644" in said and "made it 600" in said


def test_a_store_url_elsewhere_is_created_0600(tmp_path: Path) -> None:
    db = tmp_path / "results" / "team.db"
    with Store.open(f"sqlite:///{db}"):
        pass
    assert mode(db) == 0o600 and mode(db.parent) == 0o700


def test_compare_export_and_report_files_are_0600(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    previous = os.umask(0o022)  # what most shells have: a plain write would give 0644
    try:
        _compare_and_export(tmp_path, capsys)
    finally:
        os.umask(previous)


def _compare_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, report, again = tmp_path / "s.csv", tmp_path / "r.html", tmp_path / "again.jsonl"
    code = cli.main(["compare", "--model", "amazon.nova-micro-v1:0", "-n", "3", "--warmup", "1", "--no-delay",
                     "--paths", "nat,vpce", "--out", str(out), "--report", str(report), "--json"])
    assert code == 0, capsys.readouterr().err
    run_id = __import__("json").loads(capsys.readouterr().out)["run_id"]
    assert cli.main(["export", run_id, "--out", str(again)]) == 0
    for path in (out, report, again):
        assert mode(path) == 0o600, path

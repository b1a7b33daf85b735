"""The participant boundary: the board shows figures, never a prompt or an answer, and one
participant cannot read another's through the board or the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.room.conftest import PROMPT, finished_run, log_call
from workshop import room
from workshop.cli import main
from workshop.participants import PARTICIPANT_ENV

SECRET_WORD = PROMPT.split(":")[0]  # "ZEBRA-7": in every body, sample text and log record of the room


@pytest.fixture
def room_store(store):
    """Twelve participants who each ran a comparison and logged calls with their prompts."""
    for i in range(12):
        who = f"participant-{i:02d}"
        finished_run(store, who, {"nat": [5.0 + i, 6, 7, 8, 9], "vpce": [4.0, 5, 6, 7, 8 + i]},
                     prompt=f"{PROMPT} of {who}")
        log_call(store, who, prompt=f"{PROMPT} of {who}")
    return store


def test_the_board_and_its_report_hold_no_prompt_and_no_answer(room_store) -> None:
    from workshop.report import render_room_report

    board = room.board(room_store)
    answer = room.room_answer(board)
    everything = json.dumps(board.to_dict(answer), default=str) + render_room_report(board, answer)
    assert "participant-07" in everything  # names and figures are there
    assert SECRET_WORD not in everything


def test_the_room_command_shows_no_prompt(room_store, capsys) -> None:
    for argv in (["room", "--store", room_store.url, "--source", "all"],
                 ["room", "--store", room_store.url, "--json"]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "participant-11" in out and SECRET_WORD not in out


def test_export_lists_and_exports_only_your_own_runs(room_store, monkeypatch, capsys) -> None:
    url = room_store.url
    monkeypatch.setenv(PARTICIPANT_ENV, "participant-03")
    assert main(["export", "--list", "--json", "--store", url]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["participant"] for r in listed] == ["participant-03"]
    mine = listed[0]["id"]
    assert main(["export", mine, "--format", "jsonl", "--store", url]) == 0
    assert f"{PROMPT} of participant-03" in capsys.readouterr().out  # your own prompt is yours to export
    other = next(r.id for r in room_store.list_runs() if r.participant == "participant-04")
    assert main(["export", other, "--store", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: RUN_ID: no stored run '{other}' of yours") and SECRET_WORD not in err


def test_a_lab_instance_cannot_export_as_someone_else(room_store, monkeypatch, capsys) -> None:
    monkeypatch.setenv(PARTICIPANT_ENV, "participant-03")
    assert main(["export", "--list", "--participant", "participant-04", "--store", room_store.url]) == 2
    err = capsys.readouterr().err
    assert "belongs to participant 'participant-03'" in err and "--participant" in err


def test_the_refusal_is_one_line_and_exit_status_2_in_a_real_process(room_store, tmp_path) -> None:
    import os

    other = next(r.id for r in room_store.list_runs() if r.participant == "participant-04")
    env = {**os.environ, PARTICIPANT_ENV: "participant-03"}
    done = subprocess.run([sys.executable, "-m", "workshop", "export", other, "--store", room_store.url],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr and SECRET_WORD not in done.stdout

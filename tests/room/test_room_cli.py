"""``python -m workshop room`` and ``--participant``, as a facilitator and participants use them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.room.conftest import finished_run, log_call
from workshop.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_the_board_prints_the_headline_participants_and_every_pair(store, capsys) -> None:
    for i in range(11):
        finished_run(store, f"p{i:02d}", {"nat": [9.0, 9, 10, 10, 11], "vpce": [5.0, 5, 6, 6, 7 + i % 2],
                                           "cross-account": [7.0, 8, 8, 9, 9]})
    log_call(store, "p03", error="AccessDeniedException")
    assert main(["room", "--store", store.url]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("Across 11 participants' instances: PrivateLink adds the least overhead")
    assert "(sandbox: figures are modelled, not measured on AWS)" in out
    assert "11 participant(s) · 11 run(s) pooled (sandbox runs)" in out
    assert any(line.startswith("p03") and "last call failed: AccessDeniedException" in line for line in lines)
    assert "PrivateLink adds 4.0 ms less overhead than NAT (4.0–4.0 ms; 11 participants)" in out
    assert "stay valid however often the board is refreshed" in out


def test_json_and_the_report_carry_the_same_answer(store, tmp_path: Path, capsys) -> None:
    for i in range(10):
        finished_run(store, f"p{i}", {"nat": [9.0, 9, 10, 10, 11], "vpce": [5.0, 5, 6, 6, 7]}, az="us-east-1a"
                     if i % 2 else "us-east-1b")
    report = tmp_path / "room.html"
    assert main(["room", "--store", store.url, "--json", "--report", str(report)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["headline"].startswith("Across 10 participants' instances: PrivateLink")
    assert data["samples_pooled"] == 100 and data["participants_needed"] == 8
    (pair,) = data["pairs"]
    assert pair["method"] == "participants" and pair["n_a"] == 10 and pair["difference"] == -4.0
    assert len(pair["participant_differences"]) == 10
    assert [g["az"] for g in data["groups"]] == ["us-east-1a", "us-east-1b"]
    html = report.read_text()
    assert data["headline"].replace("'", "&#x27;") in html
    assert "src=" not in html and "href=" not in html and html.count("<svg") == 3  # self-contained


def test_too_few_participants_is_said_so(store, capsys) -> None:
    finished_run(store, "p1", {"nat": [9.0] * 5, "vpce": [5.0] * 5})
    assert main(["room", "--store", store.url]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == ("Too few participants for the room's answer yet: 1 compared NAT and PrivateLink, 8 are needed "
                     "(a participant counts once however many samples they took).")


@pytest.mark.parametrize("argv, field", [
    (["room", "--since", "yesterday"], "--since"),
    (["room", "--watch", "0"], "--watch"),
    (["room", "--report", "room.pdf"], "--report"),
    (["room", "--store", "postgresql+psycopg://u:pw@host:notaport/db"], "StoreURL"),
])
def test_a_mistake_is_one_line_naming_the_flag(argv: list[str], field: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and f"{field}: " in err and err.count("\n") == 1 and "pw" not in err


def test_source_and_model_filters_choose_what_is_pooled(store, capsys) -> None:
    finished_run(store, "aws-1", {"nat": [9.0] * 5, "vpce": [5.0] * 5}, sandbox=False)
    finished_run(store, "sb-1", {"nat": [9.0] * 5, "vpce": [5.0] * 5}, sandbox=True)
    for source, expected in (("auto", "runs on AWS"), ("sandbox", "sandbox runs"), ("all", "every run")):
        assert main(["room", "--store", store.url, "--source", source, "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["filter"] == expected
        assert data["runs_pooled"] == (2 if source == "all" else 1)
    assert main(["room", "--store", store.url, "--source", "all", "--model", "other", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs_pooled"] == 0


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workshop", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env}, cwd=ROOT, timeout=300)


@pytest.mark.postgres
def test_compare_with_a_name_stores_it_and_the_quota_counts_it_across_processes(pg_url: str, tmp_path: Path) -> None:
    config = tmp_path / "room.properties"
    config.write_text(f"[workshop]\nSandbox = true\nStoreURL = {pg_url}\n\n[sandbox]\nNoDelay = true\n\n"
                      "[quota]\nMaxInvocations = 8\n")
    one = cli("compare", "--config", str(config), "--paths", "nat,vpce", "-n", "2", "--warmup", "1",
              "--participant", "Ana", "--json", env={})
    assert one.returncode == 0, one.stderr
    run_id = json.loads(one.stdout)["run_id"]
    # Another process, the same participant by the lab's environment: 6 used, 6 more would pass 8.
    two = cli("compare", "--config", str(config), "--paths", "nat,vpce", "-n", "2", "--warmup", "1",
              env={"WORKSHOP_PARTICIPANT": "Ana"})
    assert two.returncode == 2
    assert two.stderr.startswith("error: Limit Exceeded: 6 of 8 invocations used for participant Ana")
    bob = cli("invoke", "--config", str(config), "--path", "nat", "--model", "amazon.nova-micro-v1:0",
              env={"WORKSHOP_PARTICIPANT": "Bob"})
    assert bob.returncode == 0, bob.stderr  # a quota is per participant
    from workshop.store import Store

    with Store.open(pg_url) as store:
        assert store.get_run(run_id).participant == "Ana"
        assert store.count_invocations("Ana") == 6 and store.count_invocations("Bob") == 1

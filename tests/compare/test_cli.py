"""``python -m workshop compare`` and ``export`` as a user runs them (subprocess, sandbox)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), WORKSHOP_STORE_URL=f"sqlite:///{store}")
    return subprocess.run([sys.executable, "-m", "workshop", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)


def test_compare_json_reports_per_path_stats_and_pairwise_intervals(tmp_path: Path) -> None:
    out = cli("compare", "--no-delay", "--paths", "nat,vpce", "--model", "amazon.nova-micro-v1:0", "-n", "6",
              "--concurrency", "2", "--json", store=tmp_path / "s.db")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["status"] == "complete" and report["sandbox"] is True
    assert "modelled, not measured" in report["measured_on"]
    assert set(report["paths"]) == {"nat", "vpce"} and report["paths"]["nat"]["count"] == 6
    (pair,) = report["pairwise"]["overhead_ms"]
    assert (pair["a"], pair["b"]) == ("nat", "vpce") and pair["ci_low"] <= pair["ci_high"]
    assert "verdict" in pair


def test_compare_prints_the_summary_verdicts_and_writes_the_samples(tmp_path: Path) -> None:
    out_file = tmp_path / "results.csv"
    out = cli("compare", "--no-delay", "-n", "4", "--warmup", "1", "--out", str(out_file), store=tmp_path / "s.db")
    assert out.returncode == 0, out.stderr
    assert "cross-account" in out.stdout and "overhead" in out.stdout
    assert "modelled, not measured on AWS" in out.stdout
    rows = list(csv.DictReader(io.StringIO(out_file.read_text())))
    # The built-in sandbox has five paths; without --paths the three direct ones are compared.
    assert len(rows) == 3 * (4 + 1)
    assert {r["path"] for r in rows} == {"nat", "vpce", "cross-account"}
    assert "api-gateway, llm-gateway left out by default" in out.stderr


def test_an_unknown_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    out = cli("compare", "--paths", "nat,moon", "-n", "2", store=tmp_path / "s.db")
    assert out.returncode == 2 and out.stderr.startswith("error: ") and "Traceback" not in out.stderr


def test_export_lists_runs_and_writes_one_as_jsonl(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    assert cli("compare", "--no-delay", "--paths", "vpce", "-n", "3", "--concurrency", "2", "--label", "mine",
               store=store).returncode == 0
    listing = json.loads(cli("export", "--list", "--json", store=store).stdout)
    (run,) = listing
    assert run["label"] == "mine" and run["status"] == "complete" and run["sample_count"] == 3
    out = cli("export", run["id"][:8], "--format", "jsonl", store=store)
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert lines[0]["record"] == "run" and sum(x["record"] == "sample" for x in lines) == 3 + 2


def test_export_of_an_unknown_run_is_one_line_and_exit_2(tmp_path: Path) -> None:
    out = cli("export", "nope", store=tmp_path / "s.db")
    assert out.returncode == 2 and "export --list" in out.stderr


def test_two_paths_on_one_endpoint_are_never_called_different(tmp_path: Path) -> None:
    # Two paths of the same kind reach the same sandbox listener: the private-DNS trap in
    # miniature. The comparison runs, and the answer refuses to call them different.
    config = tmp_path / "trap.ini"
    config.write_text("[workshop]\nSandbox = true\n[path nat]\nKind = nat\nCredentialMode = instance\n"
                      "[path nat-again]\nKind = nat\nCredentialMode = instance\n", encoding="utf-8")
    out = cli("compare", "--config", str(config), "--no-delay", "-n", "8", "--concurrency", "2", "--json",
              store=tmp_path / "s.db")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    (pair,) = report["pairs"]
    assert pair["same_endpoint"] and not pair["significant"]
    assert "reach the same endpoint" in report["headline"]
    assert report["settings"]["shared_endpoints"][0]["paths"] == ["nat", "nat-again"]


def test_compare_json_has_the_headline_equivalence_share_of_call_and_cost(tmp_path: Path) -> None:
    out = cli("compare", "--no-delay", "-n", "10", "--concurrency", "2", "--volume", "5000", "--json",
              "--paths", "nat,vpce,cross-account,api-gateway,llm-gateway", store=tmp_path / "s.db")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["headline"] and report["one_time"]
    assert len(report["pairs"]) == 10  # five paths, every pair
    assert all({"equivalent", "share_of_call", "significant"} <= p.keys() for p in report["pairs"])
    assert report["cost"]["calls_per_month"] == 5000 and set(report["cost"]["paths"]) == {
        "nat", "vpce", "cross-account", "api-gateway", "llm-gateway"}
    paths = report["cost"]["paths"]
    assert paths["nat"]["network_monthly"] > paths["vpce"]["network_monthly"]
    # The proxy: API Gateway and Lambda requests priced, and a Lambda billed while it waits for Bedrock.
    items = {line["item"] for line in paths["api-gateway"]["lines"]}
    assert {"API Gateway REST requests", "Lambda requests"} <= items
    duration = next(line for line in paths["api-gateway"]["lines"] if line["item"].startswith("Lambda duration"))
    assert duration["quantity"] > 0
    assert any("LLM gateway host" in line["item"] for line in paths["llm-gateway"]["lines"])
    assert report["settings"]["max_tokens"] == 16  # short answers by default


def test_the_first_line_is_the_answer_and_a_report_is_written(tmp_path: Path) -> None:
    report = tmp_path / "out" / "report.html"
    out = cli("compare", "--no-delay", "-n", "6", "--concurrency", "2", "--report", str(report),
              store=tmp_path / "s.db")
    assert out.returncode == 2 and "--report" in out.stderr and "does not exist" in out.stderr  # checked first
    report.parent.mkdir()
    out = cli("compare", "--no-delay", "-n", "6", "--concurrency", "2", "--report", str(report),
              store=tmp_path / "s.db")
    assert out.returncode == 0, out.stderr
    first = out.stdout.splitlines()[0]
    assert "overhead" in first or first.startswith(("No clear answer", "The paths are equivalent"))
    assert report.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert f"report written to {report}" in out.stdout

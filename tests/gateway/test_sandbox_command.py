"""`python -m workshop sandbox` prints the gateway listeners and their fixtures, and its JSON
line (what the console's sandbox process reads) carries them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from workshop.sandbox import gateway_facts as facts

from .conftest import key_headers, post, proxy_request

ROOT = Path(__file__).resolve().parents[2]


def _start(*extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "workshop", "sandbox", "--port", "0", "--no-delay",
                             "--exit-with-stdin", *extra], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))


def _stop(process: subprocess.Popen) -> None:
    process.stdin.close()
    process.wait(timeout=30)


def test_the_table_names_every_gateway_listener_and_fixture() -> None:
    process = _start()
    try:
        lines: dict[str, str] = {}
        for line in process.stdout:
            name, _, value = line.strip().partition(" ")
            lines[name] = value.strip()
            if name == "proxy":
                break
    finally:
        _stop(process)
    assert {"api-gateway", "apigw-foreign-vpce", "llm-gateway", "apigateway"} <= set(lines)
    assert lines["api-gateway"].startswith("http://127.0.0.1:") and lines["api-gateway"].endswith("/prod")
    assert lines["x-api-key"] == facts.API_KEY and facts.API_ID in lines["x-apigw-api-id"]


def test_the_json_line_carries_the_gateways_and_faults_set_the_usage_plan() -> None:
    process = _start("--json", "--faults", json.dumps({"ApiQuotaLimit": 1}))
    try:
        info = json.loads(process.stdout.readline())
        url = info["gateways"]["api-gateway"] + facts.RESOURCE
        first = post(url, proxy_request(), key_headers())
        second = post(url, proxy_request(), key_headers())
    finally:
        _stop(process)
    assert (first.status, second.status, second.json()) == (200, 429, {"message": "Limit Exceeded"})


def test_a_bad_gateway_setting_is_one_line_and_exit_2() -> None:
    run = subprocess.run([sys.executable, "-m", "workshop", "sandbox", "--port", "0", "--faults",
                          json.dumps({"ApiQuotaPeriod": "YEAR"})], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1 and "ApiQuotaPeriod" in run.stderr

"""bench/compare.py counts only successful calls as throughput: a loop where every call fails
reports 0 calls/s and the failures, not the rate of failing fast."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from workshop.config import bind_sandbox, default_config
from workshop.sandbox import Faults, start_sandbox
from workshop.workbench import Workbench

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> object:
    spec = importlib.util.spec_from_file_location("bench_compare", ROOT / "bench" / "compare.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_failed_calls_are_not_throughput() -> None:
    bench = _bench()
    server = start_sandbox(no_delay=True, faults=Faults(errors={bench.MODEL: "AccessDeniedException"}))
    with server, Workbench(bind_sandbox(default_config(), server), sandbox=server, owns_sandbox=False) as wb:
        body = {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}
        calls = ["nat", "vpce"] * 3
        assert bench.invoke_pool(wb, body, calls, 2) == 0.0
        assert bench.bare_loop(wb, body, calls, 2) == 0.0
    assert bench.FAILED == {"invoke.invoke pool": 6, "bare boto3": 6}

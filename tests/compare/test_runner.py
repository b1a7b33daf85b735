"""The runner process: the console's comparisons are measured outside the console.

Each test starts a real ``python -m workshop.runner`` child against a sandbox over loopback
and watches it through the same handle the Compare page uses.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from workshop.compare import RunSettings, analysis_version
from workshop.config import bind_sandbox, default_config
from workshop.runner import RunnerProcess, RunRequest
from workshop.sandbox import Faults, start_sandbox
from workshop.store import Store

ROOT = Path(__file__).resolve().parents[2]
MODEL = "amazon.nova-micro-v1:0"
BODY = {"messages": [{"role": "user", "content": [{"text": "hi"}]}], "inferenceConfig": {"max_new_tokens": 8}}


@pytest.fixture
def slow_sandbox() -> Iterator[object]:
    """A sandbox whose every answer starts 30 s late: calls in flight stay in flight."""
    server = start_sandbox(no_delay=True, faults=Faults(slow_first_byte_ms=30_000))
    try:
        yield server
    finally:
        server.stop()


def request_for(server: object, url: str, **settings: object) -> RunRequest:
    values = {"paths": ("nat", "vpce", "cross-account"), "model_id": MODEL, "body": BODY, "samples": 5,
              "warmup": 1, "concurrency": 2}
    values.update(settings)
    return RunRequest(settings=RunSettings(**values), config=bind_sandbox(default_config(), server),
                      store_url=url, sandbox=server.describe(), participant="tester")


def wait_for(handle: RunnerProcess, phases: set[str]) -> None:
    """Until the child reports one of ``phases`` (condition polling on the pipe, bounded)."""
    for _ in range(600):
        if handle.snapshot().phase in phases or handle.wait(0.05):
            return
    raise AssertionError(f"the runner never reached {phases}: {handle.snapshot()}")


def test_a_run_in_its_own_process_stores_what_it_reports(sandbox: object, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    handle = RunnerProcess.start(request_for(sandbox, url))
    assert handle.pid != os.getpid()
    assert handle.wait(120), handle.snapshot()
    snap = handle.snapshot()
    assert (handle.status, snap.phase, snap.done, snap.warmup_done) == ("complete", "finished", 15, 3)
    assert len(snap.recent) == 18 and {r.path for r in snap.recent} == {"nat", "vpce", "cross-account"}
    with Store.open(url) as store:
        run = store.get_run(handle.run_id)  # the id the console chose is the run's id
        assert run.status == "complete" and run.sample_count == 15  # measured (warm-up stored apart)
        owner_pid = int(run.owner.rsplit(":", 1)[1])
        assert owner_pid == handle.pid  # the child, not the console, owns (and measured) the run
        assert store.load_analysis(run.id, version=analysis_version())  # analysed there too


def test_cancel_acts_at_once_even_while_calls_are_stuck_in_flight(slow_sandbox: object, tmp_path: Path) -> None:
    handle = RunnerProcess.start(request_for(slow_sandbox, f"sqlite:///{tmp_path / 'runs.db'}", samples=1000))
    wait_for(handle, {"warm-up", "measuring"})
    handle.cancel()
    assert handle.snapshot().phase == "cancelling"  # said before the child even answers
    # Every call in flight is planned to take 30 s; the run still closes within the grace.
    assert handle.wait(15), "cancel waited for calls in flight"
    assert handle.status == "cancelled"
    assert "still in flight; those were not stored" in (handle.note or "")


def test_when_the_console_goes_away_the_runner_cancels_and_keeps_what_it_took(sandbox: object,
                                                                             tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    request = request_for(sandbox, url, samples=100_000)
    console = textwrap.dedent("""
        import pickle, sys, time
        from workshop.runner import RunnerProcess
        handle = RunnerProcess.start(pickle.loads(sys.stdin.buffer.read()))
        print(handle.pid, flush=True)
        while handle.snapshot().done < 20:
            handle.wait(0.05)
        print("measuring", flush=True)
        time.sleep(3600)
    """)
    import pickle

    proc = subprocess.Popen([sys.executable, "-c", console], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            cwd=ROOT, text=False)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(pickle.dumps(request))
    proc.stdin.close()
    child = int(proc.stdout.readline())
    assert proc.stdout.readline().strip() == b"measuring"
    proc.send_signal(signal.SIGKILL)  # the console dies without a word
    proc.wait(10)
    proc.stdout.close()
    # The child sees its stdin close, cancels and closes the run (polled, with a deadline).
    with Store.open(url) as store:
        run = eventually(lambda: (r := store.get_run(request.run_id)).status != "running" and r)
        assert run.status == "cancelled" and run.sample_count >= 20
    assert child != proc.pid


def eventually(check, timeout: float = 30.0, interval: float = 0.05):
    """The first truthy ``check()`` within ``timeout`` (a condition poll, not a fixed sleep)."""
    import threading

    tick = threading.Event()
    for _ in range(int(timeout / interval)):
        value = check()
        if value:
            return value
        tick.wait(interval)
    raise AssertionError("condition not met in time")


def test_a_refused_quota_comes_back_as_one_line(sandbox: object, tmp_path: Path) -> None:
    from workshop.config import QuotaSettings

    request = request_for(sandbox, f"sqlite:///{tmp_path / 'runs.db'}")
    request = replace(request, config=replace(request.config, quota=QuotaSettings(max_invocations=3)))
    handle = RunnerProcess.start(request)
    assert handle.wait(60)
    assert handle.status == "failed" and handle.error_kind == "quota"
    assert "MaxInvocations" in handle.error and "\n" not in handle.error


def test_the_invoke_worker_streams_text_relays_errors_and_keeps_its_clients(sandbox: object, tmp_path: Path) -> None:
    from workshop.errors import WorkshopError
    from workshop.runner import InvokeWorker, WorkerSetup

    worker = InvokeWorker.start(WorkerSetup(config=bind_sandbox(default_config(), sandbox),
                                            store_url=f"sqlite:///{tmp_path / 'log.db'}", sandbox=sandbox.describe()))
    try:
        assert worker.pid != os.getpid() and not worker.has_client("vpce")
        body = {"messages": [{"role": "user", "content": [{"text": "What is the square root of 16?"}]}],
                "inferenceConfig": {"max_new_tokens": 40}}
        deltas: list[str] = []
        result = worker.invoke("vpce", MODEL, body, "invoke-stream", participant="tester", on_text=deltas.append)
        assert result.ok and "".join(deltas) == result.output_text and len(deltas) > 1
        assert result.ttft_ms is not None and result.path == "vpce" and worker.has_client("vpce")
        with pytest.raises(WorkshopError) as err:
            worker.invoke("moon", MODEL, body, "invoke")
        assert err.value.kind == "config" and "unknown path 'moon'" in str(err.value)
        assert worker.invoke("vpce", MODEL, body, "invoke").ok  # still serving after the refusal
    finally:
        worker.close()
    with Store.open(f"sqlite:///{tmp_path / 'log.db'}") as store:  # the worker kept the invocation log
        assert len(store.invocation_log()) == 2

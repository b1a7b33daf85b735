"""The comparison engine: schedule, warm-up, cancel, progress, failures, and real sandbox runs."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from workshop import stats
from workshop.compare import ComparisonJob, RunSettings, plan, run_comparison, schedule
from workshop.errors import InputError, QuotaError
from workshop.results import InvocationResult
from workshop.store import Store

ROOT = Path(__file__).resolve().parents[2]
PATHS = ("nat", "vpce", "cross-account")
MODEL = "amazon.nova-micro-v1:0"
BODY = {"messages": [{"role": "user", "content": [{"text": "hi"}]}], "inferenceConfig": {"maxTokens": 8}}


def settings(**kw: object) -> RunSettings:
    args: dict[str, object] = {"paths": PATHS, "model_id": MODEL, "body": BODY, "samples": 4, "warmup": 1}
    args.update(kw)
    return RunSettings(**args)  # type: ignore[arg-type]


def ok(path: str, client_ms: float = 10.0, **kw: object) -> InvocationResult:
    return InvocationResult(path=path, model_id=MODEL, api="invoke", client_ms=client_ms, server_ms=8.0,
                            overhead_ms=client_ms - 8.0, **kw)  # type: ignore[arg-type]


@pytest.fixture
def sqlite_store(tmp_path: Path):
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as s:
        yield s


# ---------------------------------------------------------------- schedule


def test_round_robin_interleaves_every_path_in_each_round() -> None:
    s = settings(samples=3, warmup=0)
    assert [p for _, p in schedule(s)] == list(PATHS) * 3


def test_shuffled_blocks_hold_every_path_once_per_round() -> None:
    calls = [p for _, p in schedule(settings(samples=50, warmup=0, schedule="shuffled", seed=1))]
    rounds = [calls[i : i + 3] for i in range(0, len(calls), 3)]
    assert all(sorted(r) == sorted(PATHS) for r in rounds)
    assert len({tuple(r) for r in rounds}) > 1  # actually shuffled


def test_the_same_seed_gives_the_same_schedule() -> None:
    a = schedule(settings(samples=20, schedule="shuffled", seed=5))
    assert a == schedule(settings(samples=20, schedule="shuffled", seed=5))
    assert a != schedule(settings(samples=20, schedule="shuffled", seed=6))


def test_warmup_comes_first_and_only_the_first_call_per_path_is_cold() -> None:
    calls = plan(settings(samples=2, warmup=2))
    assert [c.seq for c in calls] == list(range(12))
    assert [c.path for c in calls if c.cold] == list(PATHS)
    assert all(c.warmup for c in calls[:6]) and not any(c.warmup for c in calls[6:])
    assert schedule(settings(samples=2, warmup=2))[0] == (6, "nat")


@pytest.mark.parametrize(
    ("change", "field"),
    [({"paths": ()}, "paths"), ({"paths": ("nat", "nat")}, "paths"), ({"samples": 0}, "samples"),
     ({"concurrency": 0}, "concurrency"), ({"api": "post"}, "api"), ({"schedule": "random"}, "schedule"),
     ({"pause_ms": -1}, "pause_ms"), ({"time_limit_s": 0}, "time_limit_s"), ({"warmup": -1}, "warmup")],
)
def test_bad_settings_are_input_errors_naming_the_field(change: dict, field: str) -> None:
    with pytest.raises(InputError) as err:
        settings(**change)
    assert err.value.field == field


# ---------------------------------------------------------------- the job, with a fake invoke


class Gate:
    """An invoke_fn that blocks the ``hold_at``-th call until released; counts calls."""

    def __init__(self, hold_at: int | None = None) -> None:
        self.hold_at = hold_at
        self.reached = threading.Event()
        self.release = threading.Event()
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, path: str, model_id: str, body: dict, api: str) -> InvocationResult:
        with self.lock:
            self.calls += 1
            n = self.calls
        if n == self.hold_at:
            self.reached.set()
            self.release.wait()
        return ok(path, 10.0 + n % 3)


def test_a_complete_run_stores_every_sample_and_is_marked_complete(sqlite_store: Store) -> None:
    job = run_comparison(settings(samples=5, warmup=2, concurrency=3), None, sqlite_store, invoke_fn=Gate())
    assert job.status == "complete" and job.error is None
    df = sqlite_store.samples(job.run_id, include_warmup=True)
    assert len(df) == 21 and df["seq"].tolist() == list(range(21))
    assert df["warmup"].sum() == 6 and df["cold"].sum() == 3
    assert sqlite_store.get_run(job.run_id).status == "complete"


def test_cancel_midway_keeps_every_sample_taken(sqlite_store: Store) -> None:
    gate = Gate(hold_at=20)
    committed: list[int] = []
    job = ComparisonJob(settings(samples=100, concurrency=1), None, sqlite_store, invoke_fn=gate,
                        on_sample=lambda s: committed.append(s.seq)).start()
    assert gate.reached.wait(30)
    job.cancel()
    gate.release.set()
    assert job.wait(30)
    stored = sqlite_store.samples(job.run_id, include_warmup=True)["seq"].tolist()
    assert stored == sorted(committed) and len(stored) == 20  # the call in flight finished and was kept
    assert job.status == "cancelled" and sqlite_store.get_run(job.run_id).status == "cancelled"


def test_progress_is_readable_from_another_thread_mid_run(sqlite_store: Store) -> None:
    gate = Gate(hold_at=3 + 7)  # 3 cold calls, then hold during the 7th measured one
    seen: list[int] = []
    nine_committed = threading.Event()

    def committed(sample: object) -> None:
        seen.append(1)
        if len(seen) == 9:
            nine_committed.set()

    job = ComparisonJob(settings(samples=10, concurrency=1), None, sqlite_store, invoke_fn=gate,
                        on_sample=committed).start()
    assert gate.reached.wait(30) and nine_committed.wait(30)
    snap = job.snapshot()
    assert (snap.phase, snap.done, snap.total, snap.warmup_done) == ("measuring", 6, 30, 3)
    assert sum(p.done for p in snap.per_path.values()) == 6
    assert snap.per_path["nat"].p50_client_ms > 0 and snap.per_path["nat"].cold_client_ms is not None
    assert len(snap.recent) == 9 and not snap.finished
    gate.release.set()
    assert job.wait(30) and job.snapshot().finished and job.snapshot().done == 30


def test_retried_samples_are_flagged_counted_and_left_out_of_statistics(sqlite_store: Store) -> None:
    def throttled_every_third(path: str, model_id: str, body: dict, api: str) -> InvocationResult:
        throttled_every_third.n += 1  # type: ignore[attr-defined]
        retried = throttled_every_third.n % 3 == 0  # type: ignore[attr-defined]
        return ok(path, 500.0 if retried else 10.0, retries=2 if retried else 0)

    throttled_every_third.n = 0  # type: ignore[attr-defined]
    job = run_comparison(settings(paths=("nat",), samples=30, warmup=0), None, sqlite_store,
                         invoke_fn=throttled_every_third)
    df = sqlite_store.samples(job.run_id)
    assert (df["retries"] > 0).sum() == 10 == job.snapshot().retried
    row = stats.summarize(df).loc["nat"]
    assert (row["retried"], row["count"], row["client_ms_p99"]) == (10, 20, 10.0)


def test_a_worker_exception_fails_the_run_and_keeps_earlier_samples(sqlite_store: Store) -> None:
    calls = Counter()

    def quota_after_five(path: str, model_id: str, body: dict, api: str) -> InvocationResult:
        calls["n"] += 1
        if calls["n"] > 5:
            raise QuotaError("quota used up", field="MaxInvocations")
        return ok(path)

    job = run_comparison(settings(samples=10, concurrency=2), None, sqlite_store, invoke_fn=quota_after_five)
    assert job.status == "failed" and isinstance(job.error, QuotaError)
    assert len(sqlite_store.samples(job.run_id, include_warmup=True)) == 5
    assert sqlite_store.get_run(job.run_id).status == "failed"


def test_a_time_limit_stops_taking_calls_and_says_so(sqlite_store: Store) -> None:
    job = run_comparison(settings(samples=10, time_limit_s=1e-9), None, sqlite_store, invoke_fn=Gate())
    assert job.status == "complete" and "time limit" in (job.note or "")
    assert "time limit" in (sqlite_store.get_run(job.run_id).notes or "")


def test_cancel_interrupts_a_pause_between_calls(sqlite_store: Store) -> None:
    first_done = threading.Event()
    job = ComparisonJob(settings(paths=("nat",), samples=5, warmup=0, pause_ms=3_600_000), None, sqlite_store,
                        invoke_fn=Gate(), on_sample=lambda s: first_done.set()).start()
    # One call, then an hour's pause: cancel must end it now, not in an hour.
    assert first_done.wait(30)
    job.cancel()
    assert job.wait(30) and job.status == "cancelled"
    assert len(sqlite_store.samples(job.run_id)) == 1


# ---------------------------------------------------------------- real sandbox runs


def test_a_sandbox_run_stores_real_invocations_for_every_path(workbench, sqlite_store: Store) -> None:
    job = run_comparison(settings(samples=5, warmup=2, concurrency=4), workbench, sqlite_store)
    assert job.status == "complete", job.error
    df = sqlite_store.samples(job.run_id, include_warmup=True)
    assert len(df) == 21 and df["error_code"].isna().all()
    assert set(df["path"]) == set(PATHS) and df["request_id"].notna().all()
    assert sqlite_store.get_run(job.run_id).sandbox is True


KILLED_RUN = r"""
import sys
import threading
from workshop.compare import RunSettings, run_comparison
from workshop.store import Store
from workshop.workbench import Workbench
store = Store.open(sys.argv[1])
with Workbench.open(no_delay=True) as wb:
    settings = RunSettings(paths=("nat", "vpce"), model_id="amazon.nova-micro-v1:0",
                           body={"messages": [{"role": "user", "content": [{"text": "hi"}]}]},
                           samples=100000, warmup=1, concurrency=4)
    lock = threading.Lock()
    def reported(sample):  # called only after the store committed the sample
        with lock:
            sys.stdout.write(f"{sample.seq}\n")
            sys.stdout.flush()
    run_comparison(settings, wb, store, on_sample=reported)
"""


def test_a_killed_run_keeps_every_reported_sample_and_is_marked_incomplete(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'killed.db'}"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, url], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    reported = []
    assert proc.stdout is not None
    for line in proc.stdout:
        reported.append(int(line))
        if len(reported) == 50:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    proc.stdout.close()
    with Store.open(url) as store:
        (run,) = store.list_runs()
        assert run.status == "running"
        stored = set(store.samples(run.id, include_warmup=True)["seq"])
        assert set(reported) <= stored
        assert store.mark_stale_runs() == [run.id]
        assert store.get_run(run.id).status == "incomplete"


def network_only_profile() -> dict:
    """The sandbox's latency profile with model time made negligible: the paths' modelled
    network figures are untouched, and a run takes milliseconds per call instead of ~300."""
    from workshop.sandbox.latency import load_profile

    profile = copy.deepcopy(load_profile())
    for spec in [*profile["families"].values(), *profile.get("models", {}).values()]:
        spec["ttft_median_ms"] = 0.01
        spec["tokens_per_second"] = 1e9
    return profile


@pytest.mark.slow
def test_the_verdict_finds_the_sandbox_modelled_difference_between_nat_and_privatelink(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """latency.json models NAT at 1.8 ms + 0.7 ms hop and PrivateLink at 1.2 ms + 0.2 ms:
    about 1.1 ms less overhead on PrivateLink. Python's own jitter on a busy machine is a few
    ms, so it takes a few hundred interleaved samples per path: the point of the lesson."""
    from dataclasses import replace

    from workshop.config import default_config
    from workshop.workbench import Workbench

    profile = tmp_path / "network-only.json"
    profile.write_text(json.dumps(network_only_profile()))
    config = replace(default_config(), sandbox_settings={"LatencyProfile": str(profile), "Seed": "1"})
    with Workbench.open(config, no_delay=False) as wb:  # the sandbox in its own process, as the CLI has it
        job = run_comparison(
            RunSettings(paths=("nat", "vpce"), model_id=MODEL, body=BODY, samples=600, warmup=2, seed=1),
            wb, sqlite_store,
        )
    assert job.status == "complete", job.error
    (pair,) = stats.pairwise(sqlite_store.samples(job.run_id), "overhead_ms", seed=0)
    assert pair.significant and pair.difference < 0
    assert 0.3 < -pair.difference < 2.5
    assert stats.verdict(pair).startswith("PrivateLink overhead is ")

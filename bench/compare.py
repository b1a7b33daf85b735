"""Benchmarks for the comparison engine, statistics and store (issue 6). Prints figures.

1. Engine vs bare boto3: the same ~2,000 InvokeModel calls at concurrency 8 against the
   sandbox without delay, (a) through ComparisonJob with every sample committed to a
   SQLite store, (b) through a bare ThreadPoolExecutor loop calling the same boto3 clients.
   Goal: engine throughput >= 0.8x bare.
2. Statistics + every chart aggregate (stats.analyse) on 100k synthetic samples.
   Goal: <= 0.5 s.
3. Memory: peak RSS growth while storing, loading and analysing a 100k-sample run.

Run: .venv/bin/python bench/compare.py [--calls 2000] [--concurrency 8] [--rows 100000]
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshop import catalog, prompts, stats
from workshop import invoke as invoke_module
from workshop.compare import RunSettings, analyse_run, run_analysis, run_comparison
from workshop.results import InvocationResult
from workshop.store import Store
from workshop.workbench import Workbench

MODEL = "amazon.nova-micro-v1:0"
PATHS = ("nat", "vpce", "cross-account")


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


FAILED: dict[str, int] = {}
"""Failed calls per measured loop: never counted as throughput, reported under the figures."""


def _count_failures(name: str, failed: int) -> None:
    FAILED[name] = FAILED.get(name, 0) + failed


def bare_loop(wb: Workbench, body: dict, calls: list[str], concurrency: int) -> float:
    """Successful calls/s of a plain thread pool over the same boto3 clients, nothing stored or logged."""
    import json

    from botocore.exceptions import BotoCoreError, ClientError

    payload = json.dumps(body)
    clients = {p: wb.client(p).runtime for p in PATHS}

    def one(path: str) -> bool:
        try:
            response = clients[path].invoke_model(modelId=MODEL, body=payload, contentType="application/json")
            response["body"].read()
        except (ClientError, BotoCoreError):
            return False
        return True

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        ok = sum(pool.map(one, calls))
    elapsed = time.perf_counter() - t0
    _count_failures("bare boto3", len(calls) - ok)
    return ok / elapsed


def invoke_pool(wb: Workbench, body: dict, calls: list[str], concurrency: int) -> float:
    """Successful calls/s of a plain thread pool over workshop.invoke.invoke (timings, parsing), nothing stored."""
    clients = {p: wb.client(p) for p in PATHS}
    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        ok = sum(r.ok for r in pool.map(lambda p: invoke_module.invoke(clients[p], MODEL, body, "invoke"), calls))
    elapsed = time.perf_counter() - t0
    _count_failures("invoke.invoke pool", len(calls) - ok)
    return ok / elapsed


def engine_run(
    wb: Workbench, store: Store, body: dict, per_path: int, concurrency: int, *, log: bool = True
) -> tuple[float, int]:
    """The engine storing every sample; ``log``: through Workbench.invoke (invocation log too)."""
    settings = RunSettings(
        paths=PATHS, model_id=MODEL, body=body, samples=per_path, warmup=0, concurrency=concurrency
    )
    invoke_fn = None if log else (lambda p, m, b, a: invoke_module.invoke(wb.client(p), m, b, a))
    t0 = time.perf_counter()
    job = run_comparison(settings, wb, store, invoke_fn=invoke_fn)
    elapsed = time.perf_counter() - t0
    assert job.status == "complete", (job.status, job.error)
    samples = store.samples(job.run_id or "")
    stored = len(samples)
    ok = int(samples["error_code"].isna().sum())  # a failed call is stored, but it is not throughput
    _count_failures("engine" + (" + invocation log" if log else ""), stored - ok)
    # The finished job then analyses the run once and keeps the analysis (a one-off per
    # run, not per call): reported apart, so calls/s stays the measuring loop's figure.
    ANALYSIS_S.append(job.analysis_s or 0.0)
    return ok / (elapsed - (job.analysis_s or 0.0)), stored


ANALYSIS_S: list[float] = []
"""Seconds each finished engine run spent analysing itself and keeping the analysis."""


def bench_engine(calls: int, concurrency: int, rounds: int) -> None:
    family = catalog.family_of(MODEL)
    body = prompts.parse_body(prompts.template_text(family), family, "invoke")
    per_path = calls // len(PATHS)
    plan = [p for _ in range(per_path) for p in PATHS]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/bench.db")
        wb = Workbench.open(no_delay=True, pool_size=concurrency * 2, store=store)
        bare_loop(wb, body, plan[: 30 * len(PATHS)], concurrency)  # warm every pool
        bare, pooled, engine_only, engine = [], [], [], []
        for _ in range(rounds):  # alternate, so machine noise hits all alike
            bare.append(bare_loop(wb, body, plan, concurrency))
            pooled.append(invoke_pool(wb, body, plan, concurrency))
            rate, stored = engine_run(wb, store, body, per_path, concurrency, log=False)
            engine_only.append(rate)
            rate, stored = engine_run(wb, store, body, per_path, concurrency)
            engine.append(rate)
            assert stored == len(plan), (stored, len(plan))
        logged = len(store.invocation_log(limit=10**9))
        wb.close()
        store.close()

    def line(name: str, xs: list[float]) -> None:
        m = float(np.median(xs))
        print(
            f"  {name:<48}{m:7.0f} calls/s {m / float(np.median(bare)):5.2f}x"
            f"  (rounds: {', '.join(f'{x:.0f}' for x in xs)})"
        )

    print(
        f"engine vs bare boto3: {len(plan)} calls, concurrency {concurrency}, sandbox no delay, {rounds} rounds"
    )
    line("bare boto3 thread pool (the baseline)", bare)
    line("thread pool of invoke.invoke, nothing stored", pooled)
    line("engine + store, invoke.invoke", engine_only)
    line("engine + store, Workbench.invoke (+ invocation log)", engine)
    print(f"  goal: engine + store >= 0.80x bare; the last line also wrote {logged:,} invocation-log records")
    print("  (calls/s counts successful calls only; failed: "
          + (", ".join(f"{name} {n:,}" for name, n in FAILED.items()) if any(FAILED.values()) else "none") + ")")
    print(f"  then, once per finished run (not in calls/s): analysing it and keeping the analysis, median "
          f"{np.median(ANALYSIS_S):.3f} s (first {ANALYSIS_S[0]:.3f} s, Altair's import included)")


def synthetic_frame(rows: int, seed: int = 1) -> pd.DataFrame:
    """A samples frame shaped like Store.samples: three paths, a lognormal model time."""
    rng = np.random.default_rng(seed)
    paths = np.array(PATHS)[np.arange(rows) % 3]
    server = rng.lognormal(np.log(400), 0.3, rows)
    shift = np.select([paths == "vpce", paths == "cross-account"], [-1.0, 2.0], 0.0)
    overhead = rng.gamma(4, 1.5, rows) + shift
    return pd.DataFrame(
        {
            "seq": np.arange(rows),
            "path": paths,
            "warmup": np.arange(rows) < 6,
            "cold": np.arange(rows) < 3,
            "started_at": pd.Timestamp("2025-01-01", tz="UTC")
            + pd.to_timedelta(np.arange(rows) * 10, unit="ms"),
            "client_ms": server + overhead,
            "ttft_ms": np.nan,
            "server_ms": server,
            "overhead_ms": overhead,
            "credentials_ms": np.where(paths == "cross-account", 30.0, 5.0),
            "retries": pd.array(np.where(rng.random(rows) < 0.01, 1, 0), dtype="Int64"),
            "error_code": pd.Series([None] * rows, dtype=object),
            "output_tokens": pd.array(rng.integers(50, 200, rows), dtype="Int64"),
        }
    )


def bench_stats(rows: int, repeats: int = 5) -> None:
    df = synthetic_frame(rows)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        analysis = stats.analyse(df)
        times.append(time.perf_counter() - t0)
    points = len(analysis.ecdf) + len(analysis.box) + len(analysis.drift) + len(analysis.decomposition)
    print(
        f"stats + chart aggregates on {rows:,} samples: median {np.median(times):.3f} s, "
        f"best {min(times):.3f} s over {repeats} (goal <= 0.5 s); {points} chart rows in total"
    )


def bench_memory(rows: int) -> None:
    """Store a rows-sample run, load it and analyse it; report RSS growth."""
    df = synthetic_frame(rows)
    results = [
        InvocationResult(
            path=p,
            model_id=MODEL,
            api="invoke",
            started_at=t.to_pydatetime(),
            client_ms=c,
            server_ms=s,
            overhead_ms=o,
            credentials_ms=cr,
            output_tokens=int(tok),
            retries=int(r),
        )
        for p, t, c, s, o, cr, tok, r in zip(
            df["path"],
            df["started_at"],
            df["client_ms"],
            df["server_ms"],
            df["overhead_ms"],
            df["credentials_ms"],
            df["output_tokens"],
            df["retries"],
            strict=True,
        )
    ]
    del df
    gc.collect()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/mem.db")
        run_id = store.create_run({}, paths=PATHS, model_id=MODEL, api="invoke", sandbox=True)
        base = current_rss_mb()
        t0 = time.perf_counter()
        for seq, result in enumerate(results):
            store.add_sample(run_id, result, seq=seq)
        write_s = time.perf_counter() - t0
        del results
        gc.collect()
        t0 = time.perf_counter()
        loaded = store.samples(run_id)
        load_s = time.perf_counter() - t0
        analysis = stats.analyse(loaded)
        after = current_rss_mb()
        t0 = time.perf_counter()
        kept = analyse_run(store, run_id)  # what a finishing run does: load, analyse, chart specs, keep
        keep_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = run_analysis(store, run_id)  # what viewing the run does afterwards
        view_s = time.perf_counter() - t0
        assert again.sample_count == kept.sample_count == rows
        print(
            f"memory, {rows:,}-sample run: RSS {after:.0f} MB after load + analyse "
            f"({after - base:+.0f} MB over the empty store), process peak {peak_rss_mb():.0f} MB; "
            f"frame {loaded.memory_usage(deep=True).sum() / 2**20:.0f} MB"
        )
        print(
            f"  store writes {rows / write_s:,.0f} samples/s ({write_s * 1e6 / rows:.0f} us each, "
            f"one commit per sample); load {load_s:.2f} s"
        )
        print(
            f"  kept analysis: analyse + chart specs + keep {keep_s:.2f} s once (when the run finishes); "
            f"reading it back {view_s * 1000:.0f} ms (every later view, instead of loading the samples)"
        )
        assert len(analysis.summary) == 3
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--skip-engine", action="store_true")
    args = parser.parse_args()
    bench_stats(args.rows)
    if not args.skip_engine:
        bench_engine(args.calls, args.concurrency, args.rounds)
    bench_memory(args.rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

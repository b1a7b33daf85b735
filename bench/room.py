"""Benchmark: a room of participants on one PostgreSQL (issue 15). Prints figures.

1. Load. P participants — processes, each with its own store, workbench and name — open the
   room's fresh database at the same moment (so the migrations race too) and each run a
   3-path comparison of N samples per path on the sandbox without delay, all at once.
   Reports: samples written vs expected (must be equal), p99 of a sample's time from
   completion (its start + its client time) to commit (when the engine reports it stored),
   how long the room took, the database's size.
2. Board. The facilitator's refresh with the room's samples in: the first (each finished
   run summarised once from its kept analysis) and then the median of five (goal <= 1 s);
   also with the headline and the charts, as the Room page draws them.
3. Kill. The same room again; when about a third of the samples are in, PostgreSQL is
   stopped hard (``pg_ctl stop -m immediate``: no shutdown checkpoint, like a crash), left
   down for D seconds and started again. Reports what each participant was told was
   stored against what the database has (goal: nothing reported as stored is missing),
   and how the runs ended.

It starts its own throwaway PostgreSQL cluster (initdb in a temporary folder, loopback only,
``max_connections`` sized for the room), since phase 3 kills it. Needs Debian's postgresql
binaries (/usr/lib/postgresql/*/bin); run as root it runs them as the postgres user, as
.ci/run does. A quiet machine is needed for figures worth quoting:

    .venv/bin/python bench/room.py                       # 50 x 3 paths x 200 samples
    .venv/bin/python bench/room.py --participants 4 --samples 20 --down 2   # a quick check
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PATHS = ("nat", "vpce", "cross-account")
MODEL = "amazon.nova-micro-v1:0"


# ============================================================================ PostgreSQL


class Cluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1 that this bench may kill and restart."""

    def __init__(self, port: int, max_connections: int) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        if not bins:
            raise SystemExit("bench/room.py needs PostgreSQL's binaries (apt-get install postgresql)")
        self.bin = bins[-1]
        self.port = port
        self.max_connections = max_connections
        self.data = Path(tempfile.mkdtemp(prefix="workshop-room-bench."))
        self.as_postgres = os.geteuid() == 0  # initdb refuses root
        if self.as_postgres:
            shutil.chown(self.data, "postgres")

    def _run(self, *args: str) -> None:
        command = " ".join([str(self.bin / args[0]), *args[1:]])
        argv = ["su", "postgres", "-s", "/bin/sh", "-c", command] if self.as_postgres else ["/bin/sh", "-c", command]
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        options = (f"'-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data} "
                   f"-c max_connections={self.max_connections}'")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.data / "server.log"), "-w", "-o", options, "start")

    def kill(self) -> None:
        """Stop at once, without a checkpoint: what a crash or a pulled plug does."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.data, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    import sqlalchemy as sa

    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ============================================================================ a participant


def participant(name: str, url: str, sandbox: dict[str, Any], settings: dict[str, Any], barrier: Any,
                results: Any) -> None:
    """One participant's process: open the room (with everyone else), run one comparison,
    report what the engine said was stored and when."""
    from workshop import catalog
    from workshop.answer_limit import COMPARE_MAX_TOKENS, with_max_tokens
    from workshop.commands.invoke import build_body
    from workshop.compare import ComparisonJob, RunSettings
    from workshop.config import bind_sandbox, default_config
    from workshop.sandbox.process import RemoteSandbox
    from workshop.store import Store
    from workshop.workbench import Workbench

    remote = RemoteSandbox(sandbox)
    config = bind_sandbox(default_config(), remote)
    # The request the CLI would send: the model family's template with the short-answer cap.
    body = with_max_tokens(build_body(MODEL, "invoke", None), catalog.family_of(MODEL), "invoke", COMPARE_MAX_TOKENS)
    run = RunSettings(paths=PATHS, model_id=MODEL, body=body, max_tokens=COMPARE_MAX_TOKENS, **settings)
    reported: list[int] = []
    delays: list[float] = []

    def on_sample(s: Any) -> None:  # the writer thread, right after the commit
        now = time.time()
        completed = s.result.started_at.timestamp() + (s.result.client_ms or 0.0) / 1000.0
        delays.append(now - completed)
        reported.append(s.seq)

    barrier.wait()  # everyone opens the fresh database at once: the migrations race
    started = time.time()
    t0 = time.perf_counter()
    error = None
    job = None
    try:
        store = Store.open(url)
        bench = Workbench(config, sandbox=remote, owns_sandbox=False, store=store,
                          pool_size=max(10, run.concurrency))
        job = ComparisonJob(run, bench, store, on_sample=on_sample, participant=name, sandbox=True).start()
        job.wait()
        bench.close()
        store.close()
    except Exception as exc:  # reported, not raised: the parent prints every participant's outcome
        error = f"{type(exc).__name__}: {exc}"
    results.put({
        "name": name, "run_id": job.run_id if job else None, "status": job.status if job else "not started",
        "error": error or (str(job.error) if job and job.error else None), "note": job.note if job else None,
        "reported": reported, "delays": delays, "seconds": time.perf_counter() - t0, "started": started,
        "ended": time.time(),
    })


def run_room(url: str, sandboxes: list[Any], args: argparse.Namespace, *, during: Any = None) -> list[dict[str, Any]]:
    """Start every participant at once; ``during(expected)`` runs in this process meanwhile."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(args.participants)
    results = ctx.Queue()
    settings = {"samples": args.samples, "warmup": args.warmup, "concurrency": args.concurrency}
    procs = [ctx.Process(target=participant, args=(f"participant-{i:02d}", url, sandboxes[i % len(sandboxes)].describe(),
                                                   settings, barrier, results), daemon=True)
             for i in range(args.participants)]
    for p in procs:
        p.start()
    if during is not None:
        during(args.participants * len(PATHS) * (args.samples + args.warmup))
    out = [results.get(timeout=args.timeout) for _ in procs]
    for p in procs:
        p.join(30)
    return sorted(out, key=lambda r: r["name"])


# ============================================================================ figures


def count(url: str, sql: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql)).scalar_one())
    finally:
        engine.dispose()


def stored_seqs(url: str) -> dict[str, set[int]]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    out: dict[str, set[int]] = {}
    with engine.connect() as conn:
        for run_id, seq in conn.execute(sa.text("SELECT run_id, seq FROM samples")):
            out.setdefault(run_id, set()).add(int(seq))
    engine.dispose()
    return out


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def phase_load(cluster: Cluster, sandboxes: list[Any], args: argparse.Namespace) -> str:
    url = create_database(cluster.url, "room_load")
    results = run_room(url, sandboxes, args)
    took = max(r["ended"] for r in results) - min(r["started"] for r in results)  # from the common start
    expected = args.participants * len(PATHS) * (args.samples + args.warmup)
    written = count(url, "SELECT count(*) FROM samples")
    reported = sum(len(r["reported"]) for r in results)
    delays = [d for r in results for d in r["delays"]]
    migrations = count(url, "SELECT count(*) FROM schema_migrations")
    distinct = count(url, "SELECT count(DISTINCT name) FROM schema_migrations")
    size_mb = count(url, "SELECT pg_database_size(current_database())") / 2**20
    statuses = {s: sum(r["status"] == s for r in results) for s in {r["status"] for r in results}}
    print("1. load")
    print(f"   {args.participants} participants x {len(PATHS)} paths x ({args.samples} + {args.warmup} warm-up) samples, "
          f"concurrency {args.concurrency} each, {len(sandboxes)} sandbox process(es), no simulated delay")
    print(f"   samples expected {expected:,}, reported stored {reported:,}, in the database {written:,}: "
          + ("EQUAL" if expected == reported == written else "NOT EQUAL"))
    print(f"   completion -> commit: p50 {percentile(delays, 0.5) * 1000:.1f} ms, p90 {percentile(delays, 0.9) * 1000:.1f} ms, "
          f"p99 {percentile(delays, 0.99) * 1000:.1f} ms, max {max(delays, default=0) * 1000:.1f} ms")
    print(f"   the room took {took:.1f} s from the common start ({written / took:,.0f} samples/s, opening the "
          f"store included); runs: {statuses}")
    print(f"   migrations recorded {migrations} ({distinct} distinct): "
          + ("each once" if migrations == distinct else "SOME TWICE"))
    failed = count(url, "SELECT count(*) FROM samples WHERE error_code IS NOT NULL")
    if failed:
        print(f"   {failed:,} samples are failed calls (see the errors below)")
    print(f"   database size {size_mb:.1f} MB ({written:,} samples, "
          f"{count(url, 'SELECT count(*) FROM invocation_log'):,} invocation-log records)")
    for r in results:
        if r["error"]:
            print(f"   {r['name']}: {r['status']}: {r['error']}")
    return url


def phase_board(url: str) -> None:
    from workshop import room
    from workshop.room_charts import room_specs
    from workshop.store import Store

    with Store.open(url) as store:
        measured = count(url, "SELECT count(*) FROM samples WHERE NOT warmup")
        t0 = time.perf_counter()
        room.board(store)
        first = time.perf_counter() - t0
        warm = []
        page = []
        for _ in range(5):
            t0 = time.perf_counter()
            board = room.board(store)
            warm.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            board = room.board(store)
            room.room_answer(board)
            room_specs(board)
            page.append(time.perf_counter() - t0)
    print("2. board")
    print(f"   {measured:,} measured samples in the room, {len(board.participants)} participants, "
          f"{board.runs_pooled} runs pooled")
    print(f"   first refresh {first:.3f} s (each finished run summarised once); then median "
          f"{statistics.median(warm):.3f} s (goal <= 1 s); with headline and charts {statistics.median(page):.3f} s")
    print(f"   headline: {room.room_answer(board).headline}")


def phase_kill(cluster: Cluster, sandboxes: list[Any], args: argparse.Namespace) -> None:
    url = create_database(cluster.url, "room_kill")
    events: list[str] = []

    def kill_midway(expected: int) -> None:
        target = expected // 3
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            try:
                if count(url, "SELECT count(*) FROM samples") >= target:
                    break
            except Exception:
                pass  # the tables may not exist yet
            time.sleep(0.1)  # polling the database's own count; not a stand-in for an event
        at = count(url, "SELECT count(*) FROM samples")
        cluster.kill()
        events.append(f"killed PostgreSQL with {at:,} of {expected:,} samples stored")
        time.sleep(args.down)  # the outage itself
        cluster.start()
        events.append(f"started it again after {args.down:g} s")

    results = run_room(url, sandboxes, args, during=kill_midway)
    stored = stored_seqs(url)
    reported = sum(len(r["reported"]) for r in results)
    lost = {r["name"]: sorted(set(r["reported"]) - stored.get(r["run_id"], set())) for r in results}
    unreported = sum(len(stored.get(r["run_id"], set()) - set(r["reported"])) for r in results)
    written = sum(len(v) for v in stored.values())
    statuses = {s: sum(r["status"] == s for r in results) for s in {r["status"] for r in results}}
    print("3. kill")
    for line in events:
        print(f"   {line}")
    print(f"   reported stored {reported:,}, in the database {written:,}; reported but missing: "
          f"{sum(len(v) for v in lost.values())} (goal 0); in the database but never reported: {unreported}")
    print(f"   runs: {statuses}")
    for r in results:
        if lost[r["name"]] or r["error"] or r["status"] != "complete":
            print(f"   {r['name']}: {r['status']}, missing {lost[r['name']][:10]}, {r['error'] or r['note'] or ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--samples", type=int, default=200, help="measured samples per path per participant")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4, help="calls in flight per participant")
    parser.add_argument("--sandboxes", type=int, default=None, help="sandbox processes (default: one per 10)")
    parser.add_argument("--down", type=float, default=5.0, help="seconds PostgreSQL stays down in phase 3")
    parser.add_argument("--port", type=int, default=0, help="the throwaway cluster's port (default: a free one)")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--skip-kill", action="store_true")
    args = parser.parse_args()

    from workshop.sandbox.process import SandboxProcess
    from workshop.store import PG_CONNECTIONS_PER_PROCESS

    cluster = Cluster(args.port or free_port(), max_connections=PG_CONNECTIONS_PER_PROCESS * args.participants + 50)
    sandboxes: list[Any] = []
    try:
        cluster.init()
        cluster.start()
        print(f"PostgreSQL {cluster.bin.parent.name} on 127.0.0.1:{cluster.port} (max_connections "
              f"{cluster.max_connections}), {os.cpu_count()} CPUs")
        sandboxes = [SandboxProcess.start(no_delay=True, seed=i)
                     for i in range(args.sandboxes or max(1, args.participants // 10))]
        for s in sandboxes:
            s.wait_ready()
        url = phase_load(cluster, sandboxes, args)
        phase_board(url)
        if not args.skip_kill:
            phase_kill(cluster, sandboxes, args)
    finally:
        for s in sandboxes:
            s.stop()
        cluster.remove()


if __name__ == "__main__":
    main()

"""Benchmark: the Compare and History pages with a 100k-sample run, in headless Chromium.

Goals (issue 6): the page shows its charts in <= 3 s; the console process's peak memory
stays <= 500 MB. Prints the figures; asserts nothing (benchmarks print, tests assert).

What it does, all on 127.0.0.1 in a throwaway data folder:

1. writes a synthetic 100k-sample run (three paths, modelled latencies, warm-up flagged)
   into a fresh store (see :func:`write_run`) and, as ``ComparisonJob`` does when a run
   finishes, analyses it once and keeps the analysis in the store
   (``compare.analyse_run``; ``--no-kept-analysis`` skips that: the run then looks like
   one stored before analyses were kept, and the first view computes it);
2. for each page, starts a fresh ``streamlit run app.py`` on a free port (so each page's
   first load is a cold server: nothing imported, nothing cached; ``--one-server`` keeps
   one server for both, as this bench first did) and waits for ``/_stcore/health``;
3. opens ``pages/5_Compare_paths.py?run=<id>`` or ``pages/7_History.py?run=<id>`` in
   Chromium (Debian's, never a downloaded one), several times in one fresh browser
   context, and times navigation -> all four charts drawn (the first load: empty browser
   cache, cold server; later loads: the same browser, a warm server);
4. reads each server's peak RSS (``VmHWM`` in /proc) at the end.

Usage: ``.venv/bin/python bench/compare_page.py [--samples 100000] [--repeats 4] [--no-kept-analysis]``
"""

from __future__ import annotations

import argparse
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PATHS = ("nat", "vpce", "cross-account")
OVERHEAD_MS = {"nat": 14.0, "vpce": 9.0, "cross-account": 11.0}
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
GOAL_S = 3.0
GOAL_MB = 500.0


def isolated_env(tmp: Path) -> dict[str, str]:
    """The host environment minus AWS settings, with user folders inside ``tmp``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k.lower() not in (
        "http_proxy", "https_proxy", "workshop_store_url", "workshop_config_key")}
    env.update({
        "HOME": str(tmp / "home"), "WORKSHOP_DATA_DIR": str(tmp / "data"),
        "WORKSHOP_CONFIG_DIR": str(tmp / "config"), "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp / "aws-config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "aws-creds"),
        "NO_PROXY": "127.0.0.1,localhost",
    })
    (tmp / "home").mkdir(parents=True, exist_ok=True)
    return env


def write_run(url: str, samples: int, seed: int = 0) -> tuple[str, float]:
    """A synthetic run of ``samples`` measured samples (split across PATHS); returns (id, seconds).

    The run is created and finished through the Store's API; the samples go in as one bulk
    insert into the store's own ``samples`` table (same columns ``add_sample`` writes):
    committing 100k rows one by one, as a live run does, would take a minute of set-up
    that measures nothing this benchmark is about.
    """
    from workshop import store as store_module
    from workshop.store import Store

    rng = random.Random(seed)
    t0 = time.perf_counter()
    with Store.open(url) as store:
        per_path = math.ceil(samples / len(PATHS))
        run_id = store.create_run({"samples": per_path, "seed": seed, "synthetic": True}, paths=PATHS,
                                  model_id=MODEL, api="invoke", sandbox=True, label="bench 100k")
        start = datetime(2026, 1, 1, tzinfo=UTC)
        rows = []
        seq = 0
        for round_no in range(-1, per_path):
            for path in PATHS:
                server = rng.lognormvariate(math.log(300), 0.25)
                overhead = OVERHEAD_MS[path] + rng.expovariate(1 / 2.0)
                rows.append({
                    "run_id": run_id, "seq": seq, "path": path, "warmup": round_no < 0, "cold": round_no < 0,
                    "model_id": MODEL, "api": "invoke", "started_at": start + timedelta(milliseconds=40 * seq),
                    "client_ms": server + overhead, "ttft_ms": None, "server_ms": server, "overhead_ms": overhead,
                    "credentials_ms": 25.0 if round_no < 0 else 0.0, "retries": 0, "http_status": 200,
                    "error_code": None, "error_message": None, "error_hint": None, "input_tokens": 12,
                    "output_tokens": 64, "request_id": f"bench-{seq}", "output_text": None, "stop_reason": "end_turn",
                })
                seq += 1
        with store.engine.begin() as conn:
            conn.execute(store_module.samples.insert(), rows)
        store.finish_run(run_id, "complete")
    return run_id, time.perf_counter() - t0


def keep_analysis(url: str, run_id: str) -> float:
    """What ``ComparisonJob`` does once a run finishes: analyse it and keep the analysis
    (``compare.analyse_run``); returns the seconds it took."""
    from workshop.compare import analyse_run
    from workshop.store import Store

    t0 = time.perf_counter()
    with Store.open(url) as store:
        analyse_run(store, run_id)
    return time.perf_counter() - t0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_console(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as resp:
                if resp.status == 200:
                    return proc
        except OSError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"console exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
        time.sleep(0.1)  # polling a server's health endpoint, not waiting on the UI
    proc.kill()
    raise SystemExit("console did not become healthy in 60 s")


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of ``pid`` in MB, from /proc (VmRSS, VmHWM)."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


CHARTS_DRAWN = "n => document.querySelectorAll('.vega-embed canvas, .vega-embed svg.marks').length >= n"


def time_loads(browser, url: str, repeats: int, charts: int = 4) -> list[float]:
    """Seconds from navigation start to ``charts`` Vega charts drawn; the first load in a
    fresh browser context (empty HTTP cache: the console's JS bundle and Vega are fetched and
    parsed), then ``repeats - 1`` reloads in the same context (a returning participant).
    Every load is a new Streamlit session, so the page script runs in full each time.
    """
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    times: list[float] = []
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            page.goto(url, wait_until="commit")
            page.wait_for_function(CHARTS_DRAWN, arg=charts, timeout=60_000)
            times.append(time.perf_counter() - t0)
    finally:
        context.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--no-kept-analysis", action="store_true",
                        help="do not analyse the run up front (a run stored before analyses were kept)")
    parser.add_argument("--one-server", action="store_true",
                        help="one server for both pages (History's first load then finds it warm)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    results: dict[str, list[float]] = {}
    memory: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-compare-page-") as tmp_name:
        tmp = Path(tmp_name)
        env = isolated_env(tmp)
        url = f"sqlite:///{tmp / 'data' / 'workshop.db'}"
        (tmp / "data").mkdir(parents=True, exist_ok=True)
        run_id, write_s = write_run(url, args.samples)
        print(f"stored a {args.samples:,}-sample run in {write_s:.1f} s (run {run_id[:8]})")
        if args.no_kept_analysis:
            print("analysis not kept up front: each first load computes it from the samples")
        else:
            print(f"analysed and kept it in {keep_analysis(url, run_id):.2f} s (what a finishing run does)")
        env["WORKSHOP_STORE_URL"] = url
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            proc = None
            try:
                for name, path in (("Compare", "Compare_paths"), ("History", "History")):
                    if args.no_kept_analysis:  # each page's first load computes it again
                        from workshop.store import Store

                        with Store.open(url) as store, store.engine.begin() as conn:
                            conn.exec_driver_sql("DELETE FROM run_analyses")
                    if proc is None or not args.one_server:
                        if proc is not None:
                            proc.terminate()
                            proc.wait(10)
                        port = free_port()
                        proc = start_console(env, port)  # by default a cold server per page
                    results[name] = time_loads(browser, f"http://127.0.0.1:{port}/{path}?run={run_id}", args.repeats)
                    memory[name] = peak_rss_mb(proc.pid)
            finally:
                if proc is not None:
                    proc.terminate()
                    proc.wait(10)
                browser.close()
    print("seconds from navigation to all four charts drawn (each load a new session; "
          "first load = cold server + empty browser cache):")
    print(f"{'page':<8} {'first load (s)':>15} {'reload median (s)':>18}   goal <= {GOAL_S:.0f} s (first load)")
    for name, times in results.items():
        warm = statistics.median(times[1:]) if len(times) > 1 else times[0]
        verdict = "ok" if times[0] <= GOAL_S else "OVER GOAL"
        print(f"{name:<8} {times[0]:>15.2f} {warm:>18.2f}   {verdict} (reloads: {', '.join(f'{t:.2f}' for t in times[1:])})")
    for name, (rss, peak) in memory.items():
        verdict = "ok" if peak <= GOAL_MB else "OVER GOAL"
        print(f"console process ({name}) RSS: {rss:.0f} MB at the end, {peak:.0f} MB peak "
              f"(goal <= {GOAL_MB:.0f} MB) {verdict}")
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Why the comparison's defaults are what they are: concurrency, and short answers.

    .venv/bin/python bench/compare_defaults.py [--n 120] [--rounds 2]

On the sandbox with its modelled delays, interleaved over ``--rounds`` rounds:

* **concurrency**: the same three-path run at 1, 2, 4, 8 and 16 calls in flight. Prints
  calls per second and the overhead p50 per path. A level is safe when its overheads match
  concurrency 1's (the client's own threads do not queue behind each other) — the default
  is the fastest safe level.
* **answer size**: the same run with answers capped at 16 tokens and at 300. Prints calls
  per second, response bytes per call and the overhead p50 per path: a short answer measures
  the same overhead several times faster, while bytes on the wire (what the cost estimate
  counts) grow with the answer.

Quiet machine; nothing asserted. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PATHS = ("nat", "vpce", "cross-account")
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


def run(url: str, n: int, concurrency: int, max_tokens: int, seed: int) -> dict:
    out = subprocess.run([sys.executable, "-m", "workshop", "compare", "--model", MODEL, "--paths", ",".join(PATHS),
                          "-n", str(n),
                          "--concurrency", str(concurrency), "--max-tokens", str(max_tokens), "--seed", str(seed),
                          "--store", url, "--json"], capture_output=True, text=True, cwd=ROOT, check=True)
    report = json.loads(out.stdout)
    from workshop.store import Store

    with Store.open(url) as store:
        r = store.get_run(report["run_id"])
    seconds = (r.ended_at - r.started_at).total_seconds()
    return {"rate": len(PATHS) * n / seconds, "p50": {p: report["paths"][p]["overhead_ms_p50"] for p in PATHS},
            "bytes": statistics.mean(report["paths"][p]["response_bytes_mean"] for p in PATHS)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    url = f"sqlite:///{tempfile.mkdtemp(prefix='defaults-')}/runs.db"
    levels = (1, 2, 4, 8, 16)
    results: dict[int, list[dict]] = {k: [] for k in levels}
    for r in range(args.rounds):
        for k in (levels if r % 2 == 0 else levels[::-1]):
            results[k].append(run(url, args.n, k, 16, seed=100 * r + k))
            print(f"round {r + 1}: concurrency {k} done", flush=True)
    print(f"\nconcurrency (16-token answers, N={args.n} per path, median of {args.rounds} rounds):")
    print(f"{'K':>4}{'calls/s':>9}" + "".join(f"{p + ' p50':>18}" for p in PATHS) + f"{'vpce - nat':>12}")
    for k in levels:
        rate = statistics.median(x["rate"] for x in results[k])
        p50 = {p: statistics.median(x["p50"][p] for x in results[k]) for p in PATHS}
        print(f"{k:>4}{rate:9.1f}" + "".join(f"{p50[p]:18.2f}" for p in PATHS) + f"{p50['vpce'] - p50['nat']:+12.2f}")
    sizes = (16, 300)
    by_size: dict[int, list[dict]] = {t: [] for t in sizes}
    for r in range(args.rounds):
        for t in (sizes if r % 2 == 0 else sizes[::-1]):
            by_size[t].append(run(url, args.n, 8, t, seed=7 + r))
    print(f"\nanswer size (concurrency 8, N={args.n} per path):")
    print(f"{'max tokens':>11}{'calls/s':>9}{'bytes/call':>12}" + "".join(f"{p + ' p50':>18}" for p in PATHS))
    for t in sizes:
        rate = statistics.median(x["rate"] for x in by_size[t])
        size = statistics.median(x["bytes"] for x in by_size[t])
        p50 = {p: statistics.median(x["p50"][p] for x in by_size[t]) for p in PATHS}
        print(f"{t:>11}{rate:9.1f}{size:12.0f}" + "".join(f"{p50[p]:18.2f}" for p in PATHS))
    print("(overhead in ms; sandbox: modelled, not measured on AWS)")
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How long until the answer is clear: `compare --precision 0.5` on the sandbox, several seeds.

    .venv/bin/python bench/time_to_answer.py [--precision 0.5] [--seeds 5] [--model M]

The sandbox models PrivateLink about 1.1 ms cheaper than NAT and cross-account about 0.2 ms
dearer than NAT. Each seed runs the adaptive comparison with the CLI's defaults (short
answers, the default concurrency, 60 s at most) and the script prints, per seed, the time
from the run's start to its end, the samples per path it took, and whether it reached the
precision; then the median. Goal (issue 10): median ≤ 60 s. Quiet machine; nothing asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--precision", type=float, default=0.5)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--model", default="anthropic.claude-3-haiku-20240307-v1:0")
    args = parser.parse_args()
    from workshop.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="answer-"))
    url = f"sqlite:///{tmp / 'runs.db'}"
    rows = []
    for seed in range(1, args.seeds + 1):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "workshop", "compare", "--precision", str(args.precision),
                              "--model", args.model, "--seed", str(seed), "--store", url, "--json"],
                             capture_output=True, text=True, cwd=ROOT, check=True)
        wall = time.perf_counter() - t0
        report = json.loads(out.stdout)
        with Store.open(url) as store:
            run = store.get_run(report["run_id"])
        seconds = (run.ended_at - run.started_at).total_seconds()
        per_path = min(p["count"] for p in report["paths"].values())
        reached = "within" in (report["note"] or "") and "before" not in (report["note"] or "")
        rows.append((seconds, wall, per_path, reached, report["headline"]))
        print(f"seed {seed}: {seconds:5.1f} s run ({wall:5.1f} s command), {per_path} samples/path, "
              f"{'reached' if reached else 'NOT reached'} ±{args.precision:g} ms", flush=True)
        print(f"   {report['headline']}", flush=True)
    print(f"\nmedian time to a clear answer (±{args.precision:g} ms): {statistics.median(r[0] for r in rows):.1f} s"
          f" run, {statistics.median(r[1] for r in rows):.1f} s command; reached in "
          f"{sum(r[3] for r in rows)}/{len(rows)} (goal: median ≤ 60 s)")
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())

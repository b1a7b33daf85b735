"""The CLI's fixed start-up: from launching `python -m workshop compare` to its first call.

    .venv/bin/python bench/cli_startup.py [--runs 5]

Each run launches `compare -n 1 --warmup 0 --no-delay --paths nat` on the sandbox and reads the
first sample's `started_at` back from the store: the seconds between launching the process and
that call leaving are the start-up (interpreter, imports, config, the sandbox's own process,
the store, the client). Interleaved with a bare `python -c pass` as the floor. Prints medians.
Goal (issue 10): ≤ 1.5 s. Quiet machine; nothing asserted.
"""

from __future__ import annotations

import argparse
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
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from workshop.store import Store

    first_call, whole, floor = [], [], []
    for _ in range(args.runs):
        t0 = time.time()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        floor.append(time.time() - t0)
        url = f"sqlite:///{tempfile.mkdtemp(prefix='startup-')}/runs.db"
        t0 = time.time()
        subprocess.run([sys.executable, "-m", "workshop", "compare", "-n", "1", "--warmup", "0", "--no-delay",
                        "--paths", "nat", "--store", url, "--json"], check=True, capture_output=True, cwd=ROOT)
        whole.append(time.time() - t0)
        with Store.open(url) as store:
            run = store.list_runs()[0]
            started = store.samples(run.id, include_warmup=True)["started_at"].min().timestamp()
        first_call.append(started - t0)
    med = statistics.median
    print(f"launch -> first call: median {med(first_call):.2f} s (min {min(first_call):.2f}, max "
          f"{max(first_call):.2f}); whole command {med(whole):.2f} s; `python -c pass` {med(floor):.3f} s "
          f"(goal: first call ≤ 1.5 s)")
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())

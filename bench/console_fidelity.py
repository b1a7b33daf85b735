"""Does the console disturb what it measures? The same run from the page and from the CLI.

    .venv/bin/python bench/console_fidelity.py [--n 200] [--rounds 2] [--concurrency K]

The same seeded comparison (sandbox with its modelled delays, the three paths, N per path,
short answers) is run alternately:

* **console**: a real `streamlit run app.py` server, the Compare page open in headless
  Chromium, Start clicked; the page keeps refreshing its live progress while the runner
  process measures — exactly what a participant does;
* **CLI**: `python -m workshop compare` with the same settings.

Order alternates (console, CLI, CLI, console, ...) so drift hits both alike. Every run goes
to one temporary store; the script then prints overhead p50 and p90 per path for each side,
the differences of the p50s and the ratios of the p90s. Goals (issue 10): p90 ratio ≤ 1.2,
p50 within 0.5 ms. Run it on a quiet machine; nothing is asserted. Loopback only.
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

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, start_console  # noqa: E402

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
PATHS = ("nat", "vpce", "cross-account")


def console_run(url: str, page, n: int, concurrency: int, seed: int) -> None:
    from playwright.sync_api import expect

    page.goto(f"{url}/Compare_paths")
    expect(page.get_by_role("heading", name="5. Compare paths")).to_be_visible(timeout=60_000)
    # A new session: the settings are open; the form is drawn once the Start button is there.
    expect(page.get_by_role("button", name="Start comparison")).to_be_visible(timeout=60_000)
    page.locator("label", has_text="A fixed number of samples").click()
    expect(page.get_by_label("Samples per path (N)", exact=True)).to_be_visible(timeout=30_000)
    for label, value in (("Samples per path (N)", n), ("Warm-up calls per path", 2),
                         ("Concurrency", concurrency), ("Seed", seed)):
        box = page.get_by_label(label, exact=True)
        box.fill(str(value))
        box.press("Enter")
        expect(box).to_have_value(str(value))
    page.get_by_role("button", name="Start comparison").click()
    expect(page.get_by_test_id("stProgress")).to_be_visible(timeout=60_000)
    # The page stays open and refreshing while the run goes: that is the point.
    expect(page.get_by_role("heading", name="Results — run")).to_be_visible(timeout=1_800_000)


def cli_run(store_url: str, n: int, concurrency: int, seed: int, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "workshop", "compare", "--model", MODEL, "--paths", ",".join(PATHS),
                    "-n", str(n), "--warmup", "2",
                    "--concurrency", str(concurrency), "--seed", str(seed), "--store", store_url, "--json"],
                   check=True, capture_output=True, env=env, cwd=ROOT, timeout=3600)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="samples per path per run (default 200)")
    parser.add_argument("--rounds", type=int, default=2, help="console+CLI pairs (default 2)")
    parser.add_argument("--concurrency", type=int, default=None, help="default: the console's default")
    args = parser.parse_args()
    from workshop.compare import DEFAULT_CONCURRENCY
    from workshop.store import Store

    concurrency = args.concurrency or DEFAULT_CONCURRENCY
    tmp = Path(tempfile.mkdtemp(prefix="fidelity-"))
    from tests.conftest import isolate_environment

    env = dict(os.environ)
    isolate_environment(env, tmp)  # the console gets the same isolated folders (start_console)
    (tmp / "workshop-data").mkdir(mode=0o700, parents=True, exist_ok=True)
    store_url = f"sqlite:///{tmp / 'workshop-data' / 'workshop.db'}"  # both sides' default store
    sides: dict[str, list[str]] = {"console": [], "cli": []}
    from playwright.sync_api import sync_playwright

    server = start_console(tmp)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            order = []
            for r in range(args.rounds):
                order += ["console", "cli"] if r % 2 == 0 else ["cli", "console"]
            for i, side in enumerate(order):
                t0 = time.perf_counter()
                with Store.open(store_url) as store:
                    before = {run.id for run in store.list_runs()}
                if side == "console":  # a new tab, so a new session with the settings open
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    console_run(server.url, page, args.n, concurrency, seed=i)
                    page.close()
                else:
                    cli_run(store_url, args.n, concurrency, seed=i, env=env)
                with Store.open(store_url) as store:
                    new = [run.id for run in store.list_runs() if run.id not in before]
                sides[side] += new
                print(f"{side:8} run {new[0][:8]} ({time.perf_counter() - t0:.0f} s)", flush=True)
            browser.close()
    finally:
        server.stop()

    with Store.open(store_url) as store:
        table = {side: {p: ([], []) for p in PATHS} for side in sides}
        for side, ids in sides.items():
            for run_id in ids:
                df = store.samples(run_id)
                ok = df[df["error_code"].isna() & (df["retries"] == 0)]
                for path in PATHS:
                    values = ok.loc[ok["path"] == path, "overhead_ms"].dropna().tolist()
                    qs = statistics.quantiles(values, n=10)
                    table[side][path][0].append(statistics.median(values))
                    table[side][path][1].append(qs[8])
    print(f"\noverhead, median over {args.rounds} run(s) per side, N={args.n} per path, concurrency {concurrency}:")
    print(f"{'path':15}{'console p50':>13}{'CLI p50':>10}{'Δ p50':>9}{'console p90':>13}{'CLI p90':>10}{'p90 ratio':>11}")
    for path in PATHS:
        c50 = statistics.median(table["console"][path][0])
        l50 = statistics.median(table["cli"][path][0])
        c90 = statistics.median(table["console"][path][1])
        l90 = statistics.median(table["cli"][path][1])
        print(f"{path:15}{c50:13.2f}{l50:10.2f}{c50 - l50:+9.2f}{c90:13.2f}{l90:10.2f}{c90 / l90:11.2f}")
    print("(ms; goals: |Δ p50| ≤ 0.5 ms, p90 ratio ≤ 1.2; sandbox: modelled, not measured on AWS)")
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Console responsiveness in Debian's Chromium: server start -> first page visible, and page switch.

    .venv/bin/python bench/ui.py [--starts 5] [--switches 12]

* start: from launching `streamlit run app.py` (fresh process, fresh browser tab) until the
  Home page's heading and the sidebar's mode badge are visible. Goal <= 2 s.
* switch: from clicking a sidebar step link until the next page's heading is visible and the
  script run has finished. Goal <= 1.5 s. Cycles Home -> Setup -> Model & prompt -> Invoke.

Prints medians (and min/max) measured in this run; no assertions (figures depend on the machine
and on its load: run it on an idle box). Loopback only; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, start_console  # noqa: E402

STEPS = [("Setup", "2. Setup"), ("Model & prompt", "3. Model & prompt"), ("Invoke", "4. Invoke"),
         ("Home", "Reaching Amazon Bedrock")]


def _visible_home(page, url: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.get_by_role("heading", level=1).filter(has_text="Reaching Amazon Bedrock")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stSidebar").get_by_text(re.compile(r"\bSANDBOX\b")).first).to_be_visible(timeout=60_000)


def _idle(page) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)


def bench_start(browser, runs: int) -> tuple[list[float], list[float]]:
    """Seconds from process launch to Home visible (and to a healthy server), one fresh server per run."""
    figures, healthy = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            server = start_console(Path(tmp))
            try:
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                _visible_home(page, server.url)
                figures.append(time.perf_counter() - server.started_at)
                healthy.append(server.ready_at - server.started_at)
                context.close()
            finally:
                server.stop()
    return figures, healthy


def bench_switch(browser, switches: int) -> list[float]:
    """Seconds from clicking a sidebar step link to the next page visible and idle."""
    from playwright.sync_api import expect

    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        server = start_console(Path(tmp))
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            _visible_home(page, server.url)
            _idle(page)
            links = page.get_by_test_id("stSidebarUserContent")
            # one warm-up lap: first visits import modules and open the sandbox workbench
            for label, heading in STEPS:
                links.get_by_role("link", name=re.compile(re.escape(label))).click()
                expect(page.get_by_role("heading", level=1).filter(has_text=heading)).to_be_visible(timeout=60_000)
                _idle(page)
            for i in range(switches):
                label, heading = STEPS[i % len(STEPS)]
                t0 = time.perf_counter()
                links.get_by_role("link", name=re.compile(re.escape(label))).click()
                expect(page.get_by_role("heading", level=1).filter(has_text=heading)).to_be_visible(timeout=60_000)
                _idle(page)
                figures.append(time.perf_counter() - t0)
            context.close()
        finally:
            server.stop()
    return figures


def _line(name: str, figures: list[float], goal: float) -> str:
    median = statistics.median(figures)
    verdict = "meets" if median <= goal else "MISSES"
    return (f"{name:<32} median {median:6.2f} s  (min {min(figures):.2f}, max {max(figures):.2f}, "
            f"n={len(figures)})  goal <= {goal} s: {verdict}")


def _load() -> str:
    """1-minute load average: the figures mean little on a busy machine."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5, help="fresh server starts to time")
    parser.add_argument("--switches", type=int, default=12, help="page switches to time")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    load_before = _load()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            starts, healthy = bench_start(browser, args.starts)
            switches = bench_switch(browser, args.switches)
        finally:
            browser.close()
    print(f"load average before/after: {load_before} / {_load()}")
    print(_line("  of which: start -> /_stcore/health", healthy, 2.0))
    print(_line("server start -> Home visible", starts, 2.0))
    print(_line("page switch -> next page idle", switches, 1.5))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

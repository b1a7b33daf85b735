"""Console responsiveness in Debian's Chromium: server start -> first page visible, and page switch.

    .venv/bin/python bench/ui.py [--starts 5] [--switches 12] [--app-dir DIR]

* start: from launching `streamlit run app.py` (fresh process; a fresh browser tab opened
  beforehand, as a participant's browser already is) until the Home page's heading and the
  sidebar's mode badge are visible. Goal <= 2 s. Split into: server healthy, page HTML
  served, DOMContentLoaded (Streamlit's JS bundle fetched and run), visible (websocket
  session + first script run + first render).
* floor: the same for a one-line app (`st.title(...)`, same config.toml), started the same
  way and interleaved with the console's starts: what Streamlit's own server and frontend
  cost on this machine. The ratio console / floor is the honest figure to quote.
* switch: from clicking a sidebar step link until the next page's heading is visible and the
  script run has finished. Goal <= 1.5 s. Cycles Home -> Setup -> Model & prompt -> Invoke.

"Visible" is checked in the page on every animation frame (`wait_for_function(polling="raf")`),
not with `expect`, whose retries back off to 0.5 s steps and added up to that much to a figure.
Browser caches start cold each time (a new browser context per start), like a first visit.

Prints medians (and min/max) measured in this run; no assertions (figures depend on the machine
and on its load: run it on an idle box). Loopback only; nothing leaves 127.0.0.1.
`--app-dir` times another checkout of the console (e.g. `git archive HEAD~3 | tar -x -C /tmp/old`)
for a before/after with the same harness.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, start_console  # noqa: E402

HOME_HEADING = "Reaching Amazon Bedrock"
FLOOR_HEADING = "Trivial Streamlit app"
FLOOR_APP = f'import streamlit as st; st.title("{FLOOR_HEADING}")\n'
STEPS = [("Setup", "2. Setup"), ("Model & prompt", "3. Model & prompt"), ("Invoke", "4. Invoke"),
         ("Home", HOME_HEADING)]

# True once an <h1> containing `heading` is rendered with a non-empty box (Playwright's notion
# of visible) and, when `badge`, a text node in the sidebar matching \bSANDBOX\b is too; when
# `idle`, also the running-script indicator (stStatusWidget) must be gone.
_READY_JS = """([heading, badge, idle]) => {
  const shown = (el) => {
    if (!el) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  if (![...document.querySelectorAll('h1')].some((h) => h.textContent.includes(heading) && shown(h))) return false;
  if (idle && document.querySelector('[data-testid="stStatusWidget"]')) return false;
  if (!badge) return true;
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  if (!sidebar) return false;
  const walk = document.createTreeWalker(sidebar, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    if (/\\bSANDBOX\\b/.test(node.data) && shown(node.parentElement)) return true;
  }
  return false;
}"""

_NAV_JS = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  return {html: n.responseEnd, dcl: n.domContentLoadedEventEnd};
}"""


def _wait_ready(page, heading: str, *, badge: bool, idle: bool = False) -> None:
    page.wait_for_function(_READY_JS, arg=[heading, badge, idle], polling="raf", timeout=60_000)


@dataclass
class Start:
    """One fresh start, seconds since the server process was launched."""

    healthy: float
    html: float  # page HTML received
    dcl: float  # DOMContentLoaded: Streamlit's JS bundle fetched, parsed and run
    visible: float  # heading (and badge) rendered


def time_start(browser, app_dir: Path, script: str, heading: str, *, badge: bool) -> Start:
    """Launch a fresh server for ``script`` in ``app_dir`` and time it to the first page visible."""
    with tempfile.TemporaryDirectory() as tmp:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()  # the browser is up before the server starts, as for a user
        server = start_console(Path(tmp), script=script, cwd=app_dir)
        try:
            t_goto = time.perf_counter()
            page.goto(server.url, wait_until="commit")
            _wait_ready(page, heading, badge=badge)
            visible = time.perf_counter()
            nav = page.evaluate(_NAV_JS)
            context.close()
        finally:
            server.stop()
    base = server.started_at
    return Start(healthy=server.ready_at - base, html=t_goto - base + nav["html"] / 1000,
                 dcl=t_goto - base + nav["dcl"] / 1000, visible=visible - base)


def floor_app(where: Path, app_dir: Path) -> Path:
    """A one-line Streamlit app with the console's .streamlit/config.toml."""
    (where / ".streamlit").mkdir(parents=True, exist_ok=True)
    shutil.copy(app_dir / ".streamlit" / "config.toml", where / ".streamlit" / "config.toml")
    (where / "app.py").write_text(FLOOR_APP)
    return where


def bench_start(browser, runs: int, app_dir: Path) -> tuple[list[Start], list[Start]]:
    """Console and one-line-app starts, interleaved so both see the same machine load."""
    ours, floor = [], []
    with tempfile.TemporaryDirectory() as tmp:
        trivial = floor_app(Path(tmp), app_dir)
        for _ in range(runs):
            ours.append(time_start(browser, app_dir, "app.py", HOME_HEADING, badge=True))
            floor.append(time_start(browser, trivial, "app.py", FLOOR_HEADING, badge=False))
    return ours, floor


def bench_switch(browser, switches: int, app_dir: Path) -> list[float]:
    """Seconds from clicking a sidebar step link to the next page visible and idle."""
    import re

    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        server = start_console(Path(tmp), cwd=app_dir)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.goto(server.url)
            _wait_ready(page, HOME_HEADING, badge=True, idle=True)
            links = page.get_by_test_id("stSidebarUserContent")
            # one warm-up lap: first visits import modules and open the sandbox workbench
            for label, heading in STEPS:
                links.get_by_role("link", name=re.compile(re.escape(label))).click()
                _wait_ready(page, heading, badge=False, idle=True)
            for i in range(switches):
                label, heading = STEPS[i % len(STEPS)]
                t0 = time.perf_counter()
                links.get_by_role("link", name=re.compile(re.escape(label))).click()
                _wait_ready(page, heading, badge=False, idle=True)
                figures.append(time.perf_counter() - t0)
            context.close()
        finally:
            server.stop()
    return figures


def _stats(figures: list[float]) -> str:
    return (f"median {statistics.median(figures):5.2f} s  "
            f"(min {min(figures):.2f}, max {max(figures):.2f}, n={len(figures)})")


def _line(name: str, figures: list[float], goal: float | None = None) -> str:
    text = f"{name:<46} {_stats(figures)}"
    if goal is not None:
        text += f"  goal <= {goal} s: {'meets' if statistics.median(figures) <= goal else 'MISSES'}"
    return text


def _load() -> str:
    """1-minute load average: the figures mean little on a busy machine."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def _report_start(label: str, starts: list[Start], goal: float | None) -> None:
    print(_line(f"{label}: start -> /_stcore/health", [s.healthy for s in starts]))
    print(_line(f"{label}: start -> HTML served", [s.html for s in starts]))
    print(_line(f"{label}: start -> DOMContentLoaded", [s.dcl for s in starts]))
    print(_line(f"{label}: start -> first page visible", [s.visible for s in starts], goal))
    print(_line(f"{label}:   DOMContentLoaded -> visible", [s.visible - s.dcl for s in starts]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5, help="fresh server starts to time (each app)")
    parser.add_argument("--switches", type=int, default=12, help="page switches to time")
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="checkout of the console to time")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    app_dir = args.app_dir.resolve()
    load_before = _load()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            ours, floor = bench_start(browser, args.starts, app_dir)
            switches = bench_switch(browser, args.switches, app_dir) if args.switches else []
        finally:
            browser.close()
    print(f"load average before/after: {load_before} / {_load()}  (app: {app_dir})")
    _report_start("console", ours, 2.0)
    _report_start("floor (one-line app)", floor, None)
    ratios = [o.visible / f.visible for o, f in zip(ours, floor, strict=True)]
    extra = [o.visible - f.visible for o, f in zip(ours, floor, strict=True)]
    label = "console / floor, start -> visible"
    print(f"{label:<46} median {statistics.median(ratios):5.2f} x   "
          f"(console adds median {statistics.median(extra):+.2f} s over the one-line app)")
    if switches:
        print(_line("page switch -> next page idle", switches, 1.5))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

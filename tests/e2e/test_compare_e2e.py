"""Browser end-to-end: run a small three-path comparison in Chromium and see it live, then the charts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _browser_or_skip() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing (CI installs Debian's chromium)")
        pytest.skip(f"{CHROMIUM} is not installed")


@pytest.fixture()
def console() -> Iterator[str]:
    """``streamlit run app.py`` on a free loopback port; the sandbox keeps its modelled delays."""
    _browser_or_skip()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # the server's health endpoint, polled; the UI itself is awaited by Playwright
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the console did not start")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture()
def page(console: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


def _set_number(page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    from playwright.sync_api import expect

    expect(box).to_have_value(str(value))


def test_small_comparison_runs_live_and_ends_with_verdict_and_charts(console: str, page) -> None:
    from playwright.sync_api import expect

    page.goto(f"{console}/Compare_paths")
    expect(page.get_by_role("heading", name="5. Compare paths")).to_be_visible(timeout=30_000)
    _set_number(page, "Samples per path (N)", 6)
    _set_number(page, "Warm-up calls per path", 1)
    page.get_by_role("button", name="Start comparison").click()
    # Live: the fragment draws progress from snapshots while the worker runs.
    expect(page.get_by_test_id("stProgress")).to_be_visible(timeout=30_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "compare-live.png"), full_page=True)
    results = page.get_by_role("heading", name="Results — run")
    expect(results).to_be_visible(timeout=120_000)
    expect(page.get_by_text("Summary per path").first).to_be_visible()
    expect(page.get_by_text("Verdict").first).to_be_visible()
    expect(page.get_by_text("overhead").first).to_be_visible()
    charts = page.locator(".vega-embed")
    expect(charts).to_have_count(4, timeout=30_000)
    for i in range(4):
        expect(charts.nth(i).locator("canvas, svg").first).to_be_visible()
    expect(page.get_by_text("modelled, not measured on AWS").first).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    sidebar = page.get_by_test_id("stSidebar")
    # The checklist ticks "Paths compared" (a Material check_box icon, not the outline one).
    expect(sidebar.get_by_text("Paths compared").first).to_be_visible()
    checklist = sidebar.locator("p", has_text="Paths compared").last.inner_text()
    line = next(text for text in checklist.splitlines() if "Paths compared" in text)
    assert "check_box_outline_blank" not in line and "check_box" in line, line
    page.screenshot(path=str(ARTIFACTS / "compare-results.png"), full_page=True)

    # The run is in History too, with the same charts.
    page.goto(f"{console}/History")
    expect(page.get_by_role("heading", name="7. History")).to_be_visible(timeout=30_000)
    expect(page.locator(".vega-embed")).to_have_count(4, timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "history-after-compare.png"), full_page=True)


def test_bad_setting_names_the_field_in_the_browser(console: str, page) -> None:
    from playwright.sync_api import expect

    page.goto(f"{console}/Compare_paths")
    expect(page.get_by_role("heading", name="5. Compare paths")).to_be_visible(timeout=30_000)
    _set_number(page, "Samples per path (N)", 0)
    page.get_by_role("button", name="Start comparison").click()
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text("Samples per path (N)")

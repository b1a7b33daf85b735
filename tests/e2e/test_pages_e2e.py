"""Browser end-to-end: pages 5-7 opened by URL on a fresh server show the whole frame.

A deep link on a fresh server runs the page without app.py (Streamlit's pages-directory
convention), so each page must draw the frame itself: title, sidebar mode badge,
checklist and links. Screenshots go to test-artifacts/.
"""

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
PAGES = (
    ("Compare_paths", "5. Compare paths", "Start comparison"),
    ("Diagnostics", "6. Diagnostics", "Run diagnostics"),
    ("History", "7. History", "Invocation log"),
)


def _browser_or_skip() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing (CI installs Debian's chromium)")
        pytest.skip(f"{CHROMIUM} is not installed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def fresh_console(tmp_path: Path) -> Iterator[str]:
    """A fresh ``streamlit run app.py`` on a free loopback port (nothing has run in it yet)."""
    _browser_or_skip()
    port = _free_port()
    env = dict(os.environ)  # already isolated by tests/conftest.py's autouse fixture
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # poll the health endpoint (a server, not the UI: Playwright waits for the UI)
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
def browser() -> Iterator[object]:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.mark.parametrize(("slug", "title", "landmark"), PAGES)
def test_deep_link_on_a_fresh_server_shows_the_whole_frame(fresh_console: str, browser, slug: str, title: str,
                                                             landmark: str) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{fresh_console}/{slug}")
    expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=30_000)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Bedrock access-path workshop")).to_be_visible()
    expect(sidebar.get_by_text("SANDBOX", exact=False).first).to_be_visible()
    expect(sidebar.get_by_text("modelled, not measured on AWS").first).to_be_visible()
    expect(sidebar.get_by_text("Paths compared")).to_be_visible()  # the checklist
    for link in ("1. Home", "5. Compare paths", "6. Diagnostics", "7. History"):
        expect(sidebar.get_by_text(link, exact=True)).to_be_visible()
    expect(page.get_by_text(landmark).first).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"deep-link-{slug}.png"), full_page=True)
    page.close()


def test_diagnostics_in_the_browser_prove_cross_account_runs_as_account_b(fresh_console: str, browser) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{fresh_console}/Diagnostics")
    page.get_by_role("button", name="Run diagnostics").click()
    expect(page.get_by_role("tab", name="cross-account")).to_be_visible(timeout=60_000)
    page.get_by_role("tab", name="cross-account").click()
    expect(page.get_by_text("444455556666").first).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "diagnostics-cross-account.png"), full_page=True)
    page.close()


"""Browser end-to-end harness: the real console (`streamlit run app.py`) in headless Chromium.

* ``console_server`` starts the console on a free loopback port in an isolated environment
  (no AWS settings, user folders in tmp, NO_PROXY for loopback) and waits for
  ``/_stcore/health`` with a deadline — never a fixed sleep. Each test gets a fresh server,
  so a deep link is the first thing that server ever serves.
* ``browser`` is Debian's Chromium driven by Playwright (never ``playwright install``). Without
  /usr/bin/chromium the tests skip locally and FAIL when ``$CI`` is set.

Screenshots go to ``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import isolate_environment

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
STARTUP_DEADLINE_S = 60.0

# url path of each page (Streamlit's pages-directory convention drops the number prefix)
PAGE_URLS: dict[str, str] = {
    "app.py": "",
    "pages/2_Setup.py": "Setup",
    "pages/3_Model_and_prompt.py": "Model_and_prompt",
    "pages/4_Invoke.py": "Invoke",
    "pages/5_Compare_paths.py": "Compare_paths",
    "pages/6_Diagnostics.py": "Diagnostics",
    "pages/7_History.py": "History",
    "pages/8_Room.py": "Room",
}


def free_port() -> int:
    """A port nobody listens on right now (loopback only)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _no_proxy_opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class ConsoleServer:
    """A running `streamlit run app.py` subprocess."""

    process: subprocess.Popen
    port: int
    log_path: Path
    started_at: float  # perf_counter before the process was started
    ready_at: float  # perf_counter when /_stcore/health first answered ok

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def page_url(self, page: str) -> str:
        return f"{self.url}/{PAGE_URLS[page]}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_console(tmp: Path, *, deadline_s: float = STARTUP_DEADLINE_S, script: str = "app.py",
                  cwd: Path = ROOT, extra_env: dict[str, str] | None = None) -> ConsoleServer:
    """Start the console on a free port and return once it answers its health check.

    ``script``/``cwd`` start another app the same way (bench/ui.py times a one-line app
    next to the console, as the floor set by Streamlit's own frontend); ``extra_env`` is set
    after the isolation (a room's store URL, a lab's participant name)."""
    env = dict(os.environ)
    isolate_environment(env, tmp)
    env.update(extra_env or {})
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["PYTHONUNBUFFERED"] = "1"
    port = free_port()
    log_path = tmp / "streamlit.log"
    command = [
        sys.executable, "-m", "streamlit", "run", script,
        "--server.port", str(port), "--server.headless", "true", "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
    ]
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    opener = _no_proxy_opener()
    health = f"http://127.0.0.1:{port}/_stcore/health"
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with opener.open(health, timeout=1) as answer:
                if answer.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.perf_counter() - started > deadline_s:
            process.kill()
            raise RuntimeError(f"console not healthy after {deadline_s} s:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.01)  # polling interval of the readiness loop, not a wait for readiness
    return ConsoleServer(process, port, log_path, started, time.perf_counter())


@pytest.fixture
def console_server(tmp_path: Path) -> Iterator[ConsoleServer]:
    """A fresh console server for this test."""
    server = start_console(tmp_path)
    try:
        yield server
    finally:
        server.stop()


def chromium_or_skip() -> Path:
    """The browser binary; a missing one skips locally and fails in CI."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing and $CI is set: .ci/run installs Debian's chromium")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium under Playwright, shared by the session's tests."""
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser tab (own cookies and storage) with a wide viewport and firm timeouts."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

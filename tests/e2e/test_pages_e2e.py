"""Browser end-to-end: pages 5-7 opened by URL on a fresh server show the whole frame.

A deep link on a fresh server runs the page without app.py (Streamlit's pages-directory
convention), so each page must draw the frame itself: title, sidebar mode badge,
checklist and links. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PAGES = (
    ("Compare_paths", "5. Compare paths", "Start comparison"),
    ("Diagnostics", "6. Diagnostics", "Run diagnostics"),
    ("History", "7. History", "Invocation log"),
    ("Room", "8. Room", "The room's comparison"),
)


@pytest.fixture
def fresh_console(console_server) -> str:
    """A fresh console server (tests/e2e/conftest.py) for this test: deep links hit a cold server."""
    return console_server.url


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
    for link in ("1. Home", "5. Compare paths", "6. Diagnostics", "7. History", "8. Room"):
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


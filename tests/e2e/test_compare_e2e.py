"""Browser end-to-end: run a small three-path comparison in Chromium and see it live, then the charts."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def console(console_server) -> str:
    """``streamlit run app.py`` on a free loopback port (the sandbox keeps its modelled delays)."""
    return console_server.url


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

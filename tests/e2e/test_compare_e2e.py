"""Browser end-to-end: a comparison started in Chromium, measured in a runner process, seen live,
then the answer, the cost, the charts and the report — and a run that outlives its tab."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def console(console_server) -> str:
    """``streamlit run app.py`` on a free loopback port (the sandbox keeps its modelled delays)."""
    return console_server.url


def _set_number(page, label: str, value: float) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    from playwright.sync_api import expect

    expect(box).to_have_value(str(value))


def _open_compare(page, console: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{console}/Compare_paths")
    expect(page.get_by_role("heading", name="5. Compare paths")).to_be_visible(timeout=30_000)


def test_a_small_fixed_comparison_runs_live_and_ends_with_the_answer_charts_and_report(console: str, page) -> None:
    from playwright.sync_api import expect

    _open_compare(page, console)
    page.get_by_text("A fixed number of samples").click()
    _set_number(page, "Samples per path (N)", 6)
    _set_number(page, "Warm-up calls per path", 1)
    page.get_by_role("button", name="Start comparison").click()
    # Live: the fragment draws the runner's progress while the child process measures.
    expect(page.get_by_test_id("stProgress")).to_be_visible(timeout=30_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "compare-live.png"), full_page=True)
    results = page.get_by_role("heading", name="Results — run")
    expect(results).to_be_visible(timeout=120_000)
    # The answer first: the headline, then what each path costs.
    expect(page.get_by_role("heading", level=4).first).to_contain_text("overhead")
    expect(page.get_by_text("What each path costs").first).to_be_visible()
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
    # The stakeholder report downloads as one HTML file that fetches nothing.
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Stakeholder report (HTML)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and text.count("<figure>") == 4
    assert "https://" not in text.split("<footer>")[0].replace("http://www.w3.org", "")

    # The run is in History too, with the same charts.
    page.goto(f"{console}/History")
    expect(page.get_by_role("heading", name="7. History")).to_be_visible(timeout=30_000)
    expect(page.locator(".vega-embed")).to_have_count(4, timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "history-after-compare.png"), full_page=True)


def test_a_run_outlives_its_tab_and_a_new_tab_finds_it(console: str, browser) -> None:
    from playwright.sync_api import expect

    first = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    _open_compare(first, console)
    first.get_by_text("A fixed number of samples").click()
    _set_number(first, "Samples per path (N)", 40)
    first.get_by_role("button", name="Start comparison").click()
    expect(first.get_by_test_id("stProgress")).to_be_visible(timeout=30_000)
    first.context.close()  # the participant closes the tab mid-run

    second = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        _open_compare(second, console)
        # The new session adopts the running run and, once it ends, shows its results.
        expect(second.get_by_role("heading", name="Results — run")).to_be_visible(timeout=180_000)
        expect(second.get_by_text("(complete)").first).to_be_visible()
        expect(second.get_by_test_id("stException")).to_have_count(0)
    finally:
        second.context.close()


def test_bad_setting_names_the_field_in_the_browser(console: str, page) -> None:
    from playwright.sync_api import expect

    _open_compare(page, console)
    page.get_by_text("A fixed number of samples").click()
    _set_number(page, "Samples per path (N)", 0)
    page.get_by_role("button", name="Start comparison").click()
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text("Samples per path (N)")

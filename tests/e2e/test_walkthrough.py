"""The console in a real browser: deep links show the whole frame; setup -> model -> invoke streams."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import PAGE_URLS, ConsoleServer

pytestmark = pytest.mark.e2e

TITLES = {
    "app.py": "Reaching Amazon Bedrock",
    "pages/2_Setup.py": "2. Setup",
    "pages/3_Model_and_prompt.py": "3. Model & prompt",
    "pages/4_Invoke.py": "4. Invoke",
    "pages/5_Compare_paths.py": "Compare",
    "pages/6_Diagnostics.py": "Diagnostics",
    "pages/7_History.py": "History",
    "pages/8_Room.py": "Room",
}
PAGES = list(PAGE_URLS)  # every page, existing or not: a missing one must fail here, not vanish (tests/ui/test_page_list.py)


def wait_idle(page: object) -> None:
    """Wait until Streamlit has finished the current script run (its status widget is gone)."""
    from playwright.sync_api import expect

    expect(page.locator("[data-testid='stStatusWidget']")).to_have_count(0, timeout=30_000)


@pytest.mark.parametrize("target", PAGES)
def test_a_deep_link_on_a_fresh_server_shows_the_whole_frame(
    target: str, console_server: ConsoleServer, page: object, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    page.goto(console_server.page_url(target))
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(re.compile(r"\bSANDBOX\b")).first).to_be_visible()
    expect(sidebar.get_by_text("Progress")).to_be_visible()
    expect(page.get_by_role("heading", level=1).filter(has_text=TITLES[target])).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    wait_idle(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    name = PAGE_URLS[target] or "Home"
    page.screenshot(path=str(artifacts / f"deeplink-{name}.png"))


def test_walk_setup_model_invoke_streams_an_answer_with_timings(
    console_server: ConsoleServer, page: object, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    page.goto(console_server.url)
    expect(page.get_by_role("heading", level=1).filter(has_text="Reaching Amazon Bedrock")).to_be_visible()
    expect(page.locator("svg").filter(has_text="NAT gateway").first).to_be_visible()  # the paths diagram
    page.screenshot(path=str(artifacts / "walk-1-home.png"), full_page=True)

    # 2. Setup: the sandbox is preselected; test the cross-account path (AssumeRole + ExternalId)
    nav = page.get_by_test_id("stSidebarUserContent")  # the frame's own step links
    nav.get_by_role("link", name=re.compile("Setup")).click()
    expect(page.get_by_text("The built-in sandbox is selected.")).to_be_visible()
    page.get_by_test_id("stRadio").get_by_text("Cross-account (AssumeRole)").click()
    page.get_by_role("button", name="Test cross-account").click()
    expect(page.get_by_text(re.compile(r"Identity: signed in as arn:aws:sts::444455556666"))).to_be_visible()
    expect(page.get_by_test_id("stRadio").get_by_role("radio", name="Cross-account (AssumeRole)")).to_be_checked()
    page.screenshot(path=str(artifacts / "walk-2-setup.png"), full_page=True)

    # 3. Model & prompt: default model, its template, valid
    nav.get_by_role("link", name=re.compile("Model & prompt")).click()
    expect(page.get_by_text("Valid claude-messages request body.")).to_be_visible()
    expect(page.get_by_text("client = session.client(").first).to_be_visible()
    page.screenshot(path=str(artifacts / "walk-3-model.png"), full_page=True)

    # 4. Invoke with the streaming API: the answer arrives in pieces, then the timing breakdown
    nav.get_by_role("link", name=re.compile("Invoke")).click()
    expect(page.get_by_role("radio", name="invoke-stream")).to_be_checked()
    page.get_by_role("button", name="Invoke").click()
    expect(page.get_by_text("(streaming…)")).to_be_visible(timeout=10_000)
    page.screenshot(path=str(artifacts / "walk-4-streaming.png"), full_page=True)
    expect(page.get_by_text("Timing breakdown")).to_be_visible(timeout=30_000)
    for label in ("Credentials", "First byte", "First token", "Server time", "Network overhead", "Total"):
        expect(page.get_by_test_id("stMetricLabel").filter(has_text=label).first).to_be_visible()
    expect(page.get_by_text("modelled, not measured on AWS").first).to_be_visible()
    expect(page.get_by_text("(streaming…)")).to_have_count(0)
    progress = page.get_by_test_id("stSidebar").get_by_test_id("stMarkdownContainer").filter(has_text="Invoked")
    expect(progress).to_contain_text(re.compile(r"check_box\s*Invoked"))  # ticked, not ..._outline_blank
    wait_idle(page)
    page.screenshot(path=str(artifacts / "walk-5-answer.png"), full_page=True)

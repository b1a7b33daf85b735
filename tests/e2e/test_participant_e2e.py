"""Browser end-to-end for the participant's steps (Setup, Model & prompt, Invoke): streamed text
arrives in several visible steps, and every glyph on pages 1-4 and 6 is drawn by a font the CI
browser has (Material icons or plain text; no emoji that a Debian Chromium would draw as a box).
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.e2e

EMOJI_FONTS = ("Noto Color Emoji", "Twemoji", "Symbola", "Emoji")


@functools.cache
def text_font_covers(char: str) -> bool:
    """True when a font other than an emoji font has a glyph for ``char`` (fontconfig, as Chromium uses)."""
    families = subprocess.run(["fc-list", f":charset={ord(char):x}", "family"], capture_output=True, text=True,
                              check=True).stdout.splitlines()
    return any(f and not any(e in f for e in EMOJI_FONTS) for f in families)


def glyph_problems(page) -> list[str]:
    """What on the page would need an emoji font: emoji icons, or characters no text font has."""
    problems = [f"emoji icon {t!r}" for t in page.locator("[data-testid=stIconEmoji]").all_inner_texts()]
    fonts = page.eval_on_selector_all(
        "[data-testid=stIconMaterial]", "els => els.map(e => getComputedStyle(e).fontFamily)")
    problems += [f"icon drawn with {f!r}" for f in fonts if "Material" not in f]
    text = page.evaluate("document.body.innerText")
    problems += [f"{c!r} (U+{ord(c):04X})" for c in sorted(set(text)) if ord(c) > 127 and not text_font_covers(c)]
    return problems


def open_and_settle(page, url: str, landmark: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.get_by_text(landmark).first).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_pages_1_to_4_and_6_use_only_material_icons_and_text_fonts(console_server, page) -> None:
    from playwright.sync_api import expect

    if shutil.which("fc-list") is None:
        pytest.fail("fc-list (fontconfig, a dependency of chromium) is missing")
    checked = {}
    open_and_settle(page, console_server.url, "The three paths")
    checked["Home"] = glyph_problems(page)
    # Through the sidebar, as a participant walks it (a new URL would start a new session).
    for link, landmark in (("2. Setup", "Paths and credentials"), ("3. Model & prompt", "View as code"),
                           ("4. Invoke", "Access path"), ("6. Diagnostics", "Prove the path")):
        page.get_by_test_id("stSidebar").get_by_text(link, exact=True).click()
        expect(page.get_by_text(landmark).first).to_be_visible(timeout=60_000)
        if link == "3. Model & prompt":
            expect(page.get_by_text("Valid claude-messages request body.")).to_be_visible(timeout=30_000)
        if link == "4. Invoke":  # the result has the most icons: answer badge, metrics, chart
            page.get_by_role("button", name="Invoke", exact=True).click()
            expect(page.get_by_text("Timing breakdown")).to_be_visible(timeout=60_000)
        if link == "6. Diagnostics":
            page.get_by_role("button", name="Run diagnostics").click()
            expect(page.get_by_role("tab", name="cross-account")).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stException")).to_have_count(0)
        checked[link] = glyph_problems(page)
    assert checked == {name: [] for name in checked}


@pytest.fixture
def slow_stream_console(tmp_path):
    """The console on the built-in sandbox, with Claude 2.1 slowed to 12 tokens/s: its placeholder
    answers (40-140 tokens) stream for 3-12 s, long enough that a browser on a loaded CI machine
    (which draws an update every second or so) still shows the answer grow several times."""
    from tests.e2e.conftest import start_console
    from workshop.sandbox.latency import load_profile

    profile = load_profile()
    profile.setdefault("models", {})["anthropic.claude-v2:1"] = {"ttft_median_ms": 300, "tokens_per_second": 12}
    (tmp_path / "slow.json").write_text(json.dumps(profile))
    (tmp_path / "slow.ini").write_text(f"[workshop]\nSandbox = true\n\n[sandbox]\nLatencyProfile = {tmp_path / 'slow.json'}\n")
    server = start_console(tmp_path, extra_env={"WORKSHOP_CONFIG": str(tmp_path / "slow.ini")})
    try:
        yield server
    finally:
        server.stop()


def test_streamed_text_arrives_in_several_visible_steps(slow_stream_console, page, artifacts) -> None:
    from playwright.sync_api import expect

    console_server = slow_stream_console
    page.set_viewport_size({"width": 1280, "height": 720})
    open_and_settle(page, f"{console_server.url}/Model_and_prompt", "View as code")
    page.get_by_test_id("stSelectbox").filter(has_text="Model").get_by_role("combobox").click()
    page.get_by_role("option", name="Claude 2.1").click()
    expect(page.get_by_text("Valid claude-text request body.")).to_be_visible(timeout=30_000)
    body = {"prompt": "\n\nHuman: Tell me a story about a lighthouse keeper\n\nAssistant:",
            "max_tokens_to_sample": 300}
    editor = page.get_by_role("textbox", name="Request body (JSON)")
    editor.fill(json.dumps(body, indent=2))
    editor.press("Control+Enter")
    expect(page.get_by_text("Valid claude-text request body.")).to_be_visible(timeout=30_000)
    page.get_by_test_id("stSidebar").get_by_text("4. Invoke", exact=True).click()
    expect(page.get_by_role("button", name="Invoke", exact=True)).to_be_enabled(timeout=30_000)
    page.get_by_text("invoke-stream", exact=True).click()
    # A first call opens the path's client and the results store; the second is the one watched
    # (as in a workshop, where the first call of a session pays for what every later one reuses).
    page.get_by_role("button", name="Invoke", exact=True).click()
    expect(page.get_by_text("Timing breakdown")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("button", name="Invoke", exact=True)).to_be_enabled(timeout=30_000)
    # Every length the live answer shows, as the browser draws it (not as the server sends it).
    page.evaluate("""() => {
        window.__lengths = [];
        new MutationObserver(() => {
            const live = document.querySelector('.st-key-live_answer');
            const n = live ? live.innerText.length : null;
            const seen = window.__lengths;
            if (n !== null && seen[seen.length - 1] !== n) seen.push(n);
        }).observe(document.body, {subtree: true, childList: true, characterData: true});
    }""")
    page.get_by_role("button", name="Invoke", exact=True).click()
    page.locator(".st-key-live_answer").wait_for(timeout=30_000)
    expect(page.get_by_text("Timing breakdown")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("[Sandbox placeholder for anthropic.claude-v2:1").first).to_be_visible()
    expect(page.get_by_text("sandbox answer").first).to_be_visible()
    lengths = page.evaluate("window.__lengths")
    # The placeholder line before the first token is short; the answer then grows chunk by chunk.
    growing = [n for n in lengths if n > len("waiting for the first token…")]
    assert len(set(growing)) >= 3, lengths
    assert growing == sorted(growing), lengths
    page.screenshot(path=str(artifacts / "invoke-streamed.png"), full_page=True)

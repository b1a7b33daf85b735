"""README's pictures of the Compare page, taken from a real default run in Debian's Chromium.

    .venv/bin/python bench/screenshots.py [--out docs/screenshots]

Starts the console on the built-in sandbox (its modelled delays on), opens step 5 at
1280x720, clicks Start with the page's defaults (the direct paths, until ±0.5 ms or 60 s,
short answers) and saves:

* ``compare-live.png``: the page while the runner measures (progress, time remaining);
* ``compare-results.png``: the finished page from the top — the answer, the cost, the table
  and the charts — as a stakeholder sees it (full page).

Take them on a quiet machine (nothing else loading the cores): the figures in the picture
are the run's own. Prints where it wrote them and the run's headline.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, start_console  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    from playwright.sync_api import expect, sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = start_console(Path(tmp))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                page.goto(f"{server.url}/Compare_paths")
                expect(page.get_by_role("heading", name="5. Compare paths")).to_be_visible(timeout=60_000)
                page.get_by_role("button", name="Start comparison").click()
                progress = page.get_by_test_id("stProgress")
                expect(progress).to_be_visible(timeout=60_000)
                # Let the estimate settle: wait until the progress line shows the time left.
                expect(page.get_by_text("s left").first).to_be_visible(timeout=60_000)
                page.screenshot(path=str(args.out / "compare-live.png"))
                expect(page.get_by_role("heading", name="Results — run")).to_be_visible(timeout=600_000)
                expect(page.locator(".vega-embed")).to_have_count(4, timeout=60_000)
                for i in range(4):
                    expect(page.locator(".vega-embed").nth(i).locator("canvas, svg").first).to_be_visible()
                headline = page.get_by_role("heading", level=4).first.inner_text()
                # The cost and summary tables are canvases: wait until each has drawn.
                tables = page.get_by_test_id("stDataFrame")
                for i in range(tables.count()):
                    expect(tables.nth(i).locator("canvas").first).to_be_visible(timeout=30_000)
                page.get_by_role("heading", level=4).first.scroll_into_view_if_needed()
                page.screenshot(path=str(args.out / "compare-results.png"))
                browser.close()
        finally:
            server.stop()
    print(f"headline: {headline}")
    print(f"wrote {args.out / 'compare-live.png'} and {args.out / 'compare-results.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

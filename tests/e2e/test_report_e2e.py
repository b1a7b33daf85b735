"""The stakeholder report opens in Chromium from a file: four drawn charts, no request made."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compare.test_kept_analysis import stored_run
from workshop import answer as answers
from workshop.compare import analyse_run
from workshop.report import write_report
from workshop.store import Store

pytestmark = pytest.mark.e2e


def test_the_report_opens_offline_with_four_drawn_charts(page, tmp_path: Path, artifacts: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 's.db'}") as store:
        run_id = stored_run(store, n=40)
        result = analyse_run(store, run_id)
        run = store.get_run(run_id)
        path = write_report(tmp_path / "report.html", run, result, answers.for_run(run, result.analysis))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    figures = page.locator("figure svg")
    assert figures.count() == 4
    for i in range(4):
        # each chart has drawn marks (paths / lines / rects with geometry), not an empty frame
        assert figures.nth(i).locator("path, line, rect").count() > 10
        assert figures.nth(i).bounding_box()["height"] > 80
    assert [u for u in requests if not u.startswith("file:")] == []  # nothing fetched from anywhere
    assert "adds the least overhead" in page.locator("h1").inner_text()
    page.screenshot(path=str(artifacts / "report.png"), full_page=True)

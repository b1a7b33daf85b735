"""The stakeholder report: one self-contained HTML file (no URL to fetch), everything in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.compare.test_kept_analysis import stored_run
from workshop import answer as answers
from workshop.compare import analyse_run
from workshop.report import render_report, write_report
from workshop.store import Store

FETCHING = re.compile(r"""\b(?:src|href|xlink:href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture
def report_parts(store: Store) -> tuple[object, object, object]:
    run_id = stored_run(store, n=30)
    result = analyse_run(store, run_id)
    run = store.get_run(run_id)
    return run, result, answers.for_run(run, result.analysis, calls_per_month=250_000)


def test_the_report_fetches_nothing_and_holds_the_answer_cost_charts_and_settings(report_parts) -> None:
    run, result, answer = report_parts
    html = render_report(run, result, answer)
    assert not FETCHING.search(html), FETCHING.search(html)
    assert "<script" not in html and "@import" not in html and "url(" not in html
    assert answer.headline.split(":")[0] in html  # "PrivateLink adds the least overhead"
    assert html.count("<svg") >= 4 and html.count("<figure>") == 4
    assert "A month at 250,000 calls" in html and "list prices as of" in html
    assert "every latency here is modelled, not measured on AWS" in html  # a sandbox run says so
    for setting in ("run", "model", "stopping rule", "measured on"):
        assert f"<dt>{setting}</dt>" in html


def test_the_report_is_written_as_utf8(report_parts, tmp_path: Path) -> None:
    run, result, answer = report_parts
    path = write_report(tmp_path / "r.html", run, result, answer)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and "–" in text  # an en dash in the intervals, intact

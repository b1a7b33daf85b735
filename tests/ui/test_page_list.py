"""The pages the tests walk are the pages there are: no browser walk may silently drop a page
that does not exist, and no page may exist that the walk and the sidebar do not know."""

from __future__ import annotations

from tests.e2e.conftest import PAGE_URLS, ROOT
from tests.e2e.test_walkthrough import PAGES, TITLES
from workshop.ui.frame import PAGES as SIDEBAR


def test_every_page_the_walk_names_exists() -> None:
    missing = [p for p in PAGE_URLS if not (ROOT / p).is_file()]
    assert missing == []


def test_every_page_file_is_walked_titled_and_linked() -> None:
    files = {"app.py", *(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))}
    assert files == set(PAGE_URLS) == set(PAGES) == set(TITLES)
    assert files == {p.file for p in SIDEBAR}

"""The Room page in Chromium on a real PostgreSQL: the room's answer fills in on the open page
as participants finish, the lab's name is fixed, and nothing breaks while it refreshes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ConsoleServer, start_console
from tests.pg import fresh_pg_database, pg_server_or_skip
from tests.room.conftest import PROMPT, finished_run, log_call
from workshop.store import Store

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture
def room_url() -> Iterator[str]:
    yield from fresh_pg_database(pg_server_or_skip())


@pytest.fixture
def room_console(tmp_path: Path, room_url: str) -> Iterator[ConsoleServer]:
    server = start_console(tmp_path, extra_env={"WORKSHOP_STORE_URL": room_url,
                                                "WORKSHOP_PARTICIPANT": "participant-02"})
    try:
        yield server
    finally:
        server.stop()


def test_the_rooms_answer_fills_in_on_the_projector_as_participants_finish(
    room_console: ConsoleServer, room_url: str, page: object, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    runs = {"nat": [9.0, 9, 10, 10, 11], "vpce": [5.0, 5, 6, 6, 7], "cross-account": [7.0, 8, 8, 9, 9]}
    with Store.open(room_url) as store:
        for i in range(7):
            finished_run(store, f"participant-{i:02d}", runs)
            log_call(store, f"participant-{i:02d}")
        page.goto(f"{room_console.url}/Room")
        expect(page.get_by_role("heading", level=1).filter(has_text="8. Room")).to_be_visible()
        expect(page.get_by_text("Too few participants for the room's answer yet: 7 compared")).to_be_visible()
        field = page.get_by_test_id("stMain").get_by_role("textbox", name="Your name")
        expect(field).to_have_value("participant-02")
        expect(field).to_be_disabled()
        for i in range(7, 11):  # while the page is open, four more finish; one is stuck
            finished_run(store, f"participant-{i:02d}", runs)
        log_call(store, "participant-10", error="AccessDeniedException")
    # The page redraws itself: no click, no reload.
    expect(page.get_by_text("Across 11 participants' instances: PrivateLink adds the least overhead")).to_be_visible(
        timeout=30_000)
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("11")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text(PROMPT.split(":")[0])).to_have_count(0)
    page.screenshot(path=str(artifacts / "room.png"), full_page=True)

"""Room page (AppTest), on both engines: the board fills in as participants finish, the name
field, and no participant's prompt anywhere on it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.pg import ENGINES, engine_url
from tests.room.conftest import PROMPT, finished_run, log_call
from tests.ui.conftest import texts
from workshop.participants import PARTICIPANT_ENV
from workshop.store import STORE_URL_ENV, Store

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/8_Room.py"
SECRET_WORD = PROMPT.split(":")[0]

@pytest.fixture(params=ENGINES)
def room(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The room's store on each engine (PostgreSQL fails under $CI without a server), which the
    console opens through $WORKSHOP_STORE_URL as a lab instance would."""
    urls = engine_url(request.param, tmp_path)
    url = next(urls)
    monkeypatch.setenv(STORE_URL_ENV, url)
    try:
        with Store.open(url) as store:
            yield store
    finally:
        next(urls, None)  # drops the PostgreSQL database


def open_room(name: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if name is not None:
        at.session_state["participant.name"] = name
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def refresh(at: AppTest) -> AppTest:
    """What the page's timer does every few seconds (run_every never ticks in AppTest)."""
    from workshop.ui.room_view import _cached_board

    _cached_board.clear()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def every_value(at: AppTest) -> str:
    frames = [d.value.to_json() for d in at.dataframe]
    return texts(at) + "\n".join(frames) + json.dumps([c.proto.spec for c in at.get("vega_lite_chart")])


def test_an_empty_room_says_so_and_shows_the_name_field(room: Store) -> None:
    at = open_room()
    assert at.title[0].value.endswith("8. Room")
    assert "No room answer yet" in texts(at) and "Nobody has made a call yet" in texts(at)
    assert {t.key for t in at.text_input} >= {"w:participant.sidebar", "w:participant.room"}


def test_the_board_fills_in_as_participants_finish(room: Store) -> None:
    for i in range(6):
        finished_run(room, f"participant-{i:02d}", {"nat": [9.0, 9, 10, 10, 11], "vpce": [5.0, 5, 6, 6, 7]})
    at = open_room("participant-02")
    assert "Too few participants for the room's answer yet: 6 compared NAT and PrivateLink, 8 are needed" in texts(at)
    for i in range(6, 10):
        finished_run(room, f"participant-{i:02d}", {"nat": [9.0, 9, 10, 10, 11], "vpce": [5.0, 5, 6, 6, 7]})
    log_call(room, "participant-09", error="AccessDeniedException")
    refresh(at)
    assert "Across 10 participants' instances: PrivateLink adds the least overhead: 4.0 ms less than NAT" in texts(at)
    people = at.dataframe[0].value
    assert len(people) == 10 and "participant-02 (you)" in people["participant"].tolist()
    stuck = people.set_index("participant").loc["participant-09", "stuck"]
    assert stuck == "last call failed: AccessDeniedException"
    assert at.metric[0].value == "10" and at.metric[2].value == "1"  # participants, stuck
    assert "stay valid however often the board is refreshed" in texts(at)
    assert len(at.get("vega_lite_chart")) == 2
    assert "Room report (HTML)" in {b.label for b in at.get("download_button")}


def test_no_participants_prompt_or_answer_is_on_the_page(room: Store) -> None:
    for i in range(9):
        finished_run(room, f"participant-{i}", {"nat": [9.0] * 5, "vpce": [5.0] * 5}, prompt=f"{PROMPT} {i}")
        log_call(room, f"participant-{i}", prompt=f"{PROMPT} {i}")
    at = open_room()
    shown = every_value(at)
    assert "participant-8" in shown and SECRET_WORD not in shown


def test_the_name_typed_on_the_room_page_is_the_sidebars_too(room: Store) -> None:
    at = open_room()
    at.text_input(key="w:participant.room").input("Ana Silva").run()
    assert at.session_state["participant.name"] == "Ana Silva"
    at.switch_page("pages/7_History.py").run()
    assert at.text_input(key="w:participant.sidebar").value == "Ana Silva"


def test_a_bad_name_is_one_line_naming_the_field(room: Store) -> None:
    at = open_room()
    at.text_input(key="w:participant.room").input("no;way").run()
    errors = [e.value for e in at.error]
    assert any(e.startswith("Your name: 'no;way' is not a participant name") for e in errors)


def test_on_a_lab_instance_the_name_is_the_labs_and_cannot_be_changed(room: Store, monkeypatch) -> None:
    monkeypatch.setenv(PARTICIPANT_ENV, "participant-7")
    at = open_room()
    field = at.text_input(key="w:participant.room")
    assert field.value == "participant-7" and field.disabled

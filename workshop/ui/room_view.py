"""Step 8 — Room: the facilitator's board, for the projector and for every participant.

Read-only: it writes nothing a participant made, and it shows no prompt or answer (only the
invocation log's metadata and runs' figures; workshop/room.py). It refreshes itself every
few seconds from a board computed at most once per refresh for all sessions of this server
(a room has one projector and fifty laptops on this page), and each refresh reads a row
per participant and per finished run and path, never the samples.
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from workshop import participants
from workshop.errors import WorkshopError
from workshop.ui import alerts, state
from workshop.ui.participant import current_or_unnamed, participant_field

if TYPE_CHECKING:
    from workshop.room import Board
    from workshop.store import Store
    from workshop.ui.frame import Context

REFRESH_S = 3.0
"""How often the board redraws itself (and at most how stale a shared board is)."""
SOURCES: dict[str, str] = {"auto": "AWS if any, else sandbox", "aws": "AWS", "sandbox": "Sandbox", "all": "All"}
SOURCE = state.register("room.source", lambda: "auto")
"""Which runs the board pools (``workshop.commands.room.SOURCES``)."""


def room_page(ctx: Context) -> None:
    """The Room page body (the page file has already called the frame)."""
    st.caption("Everyone's runs on one database: who is active and who is stuck, and the room's answer, "
               "with each participant compared with themselves first. Figures only — nobody's prompts or "
               "answers are shown here.")
    left, right = st.columns([2, 3])
    with left:
        participant_field(where="room")
    try:
        from workshop.ui.compare_view import open_store

        store = open_store(ctx)
    except WorkshopError as err:
        alerts.error(str(err), icon=":material/warning:")
        return
    with right:
        choice = st.segmented_control("Runs pooled", list(SOURCES), format_func=SOURCES.get,
                                      default=state.get(SOURCE), key="w:room.source",
                                      help="Sandbox figures are modelled and AWS figures measured: the room "
                                      "never mixes them.")
        state.put(SOURCE, choice or "auto")
    if store.is_sqlite:
        st.info("This console's store is a local file, so the room is just this machine. A facilitator points "
                "every console at one PostgreSQL (StoreURL, or $WORKSHOP_STORE_URL): docs/room.md.",
                icon=":material/info:")
    _board_fragment(ctx, store)


@st.fragment(run_every=REFRESH_S)
def _board_fragment(ctx: Context, store: Store) -> None:
    try:
        board, answer = shared_board(store, state.get(SOURCE), getattr(ctx.config, "quota", None))
    except WorkshopError as err:
        alerts.error(str(err), icon=":material/warning:")
        return
    except Exception as err:  # the database went away: say so, keep the page alive
        from sqlalchemy.exc import SQLAlchemyError

        if not isinstance(err, SQLAlchemyError):
            raise
        alerts.warning(f"The room's database is not answering ({type(err).__name__}); the board retries every "
                   f"{REFRESH_S:g} s.", icon=":material/cloud_off:")
        return
    draw_board(ctx, board, answer)


@st.cache_resource(ttl=REFRESH_S, max_entries=8, show_spinner=False)
def _cached_board(url: str, source: str, quota_key: str, _store: Store, _quota: Any) -> tuple[Board, Any]:
    from workshop import room
    from workshop.commands.room import source_filter

    board = room.board(_store, room.RoomFilter(sandbox=source_filter(_store, source)), quota=_quota)
    return board, room.room_answer(board)


def shared_board(store: Store, source: str, quota: Any) -> tuple[Board, Any]:
    """The board and its answer, computed once per refresh interval for every session."""
    return _cached_board(store.url, source, repr(quota), store, quota)


# ---------------------------------------------------------------------------- drawing


def participants_table(board: Board, me: str | None = None) -> pd.DataFrame:
    """One row per participant, as the page shows it (``me`` is marked "(you)")."""
    from workshop import room
    from workshop.stats import path_label

    rows = []
    for p in board.participants:
        row: dict[str, Any] = {
            "participant": p.name + (" (you)" if me and p.participant == me else ""),
            "last (UTC)": p.last_activity.strftime("%H:%M:%S") if p.last_activity else "–",
            "step": p.step,
            "stuck": p.stuck or "",
            "calls": p.calls,
            "errors": p.errors,
        }
        if any(x.quota for x in board.participants):
            row["quota used"] = p.quota or "–"
        for path in board.paths:
            row[f"{path_label(path)} overhead"] = room.fmt_ms(p.overhead_ms.get(path))
        row["where"] = " · ".join(x for x in (p.region, p.az) if x) or "–"
        rows.append(row)
    return pd.DataFrame(rows)


def paths_table(board: Board) -> pd.DataFrame:
    """The room's figures per path."""
    from workshop import room
    from workshop.stats import path_label

    rows = []
    for path, r in board.summary.iterrows():
        rows.append({
            "path": path_label(str(path)), "participants": int(r["participants"]), "runs": int(r["runs"]),
            "samples": int(r["count"]), "errors": int(r["errors"]),
            "overhead p50 (ms)": room.fmt_ms(r["overhead_ms_p50"]),
            "participants' spread q1–q3": f"{room.fmt_ms(r['overhead_ms_q1'])}–{room.fmt_ms(r['overhead_ms_q3'])}",
            "client p50 (ms)": room.fmt_ms(r["client_ms_p50"]),
        })
    return pd.DataFrame(rows)


def groups_table(board: Board) -> pd.DataFrame:
    from workshop import room
    from workshop.stats import path_label

    return pd.DataFrame([
        {"region · AZ": g.label, "participants": g.participants,
         **{f"{path_label(p)} (ms)": room.fmt_ms(g.overhead_ms.get(p)) for p in board.paths}}
        for g in board.groups
    ])


def _chart(spec: dict[str, Any], name: str, sandbox: bool) -> None:
    """A room chart with its title as text: the page stretches a chart to its column and
    keeps the spec's height, which a two-line title would otherwise eat into."""
    from workshop.room_charts import ROOM_CHARTS

    title, caption = ROOM_CHARTS[name]
    if name != "groups":  # the groups chart sits under a heading of the same words
        st.markdown(f"**{title}**")
    st.vega_lite_chart(spec={k: v for k, v in spec.items() if k != "title"}, key=f"room-{name}")
    st.caption(caption + (" :orange[Sandbox: modelled, not measured on AWS.]" if sandbox else ""))


def draw_board(ctx: Context, board: Board, answer: Any) -> None:
    """Headline, counts, participants, the pooled comparison, regions / AZs, the report."""
    from workshop.room_charts import ROOM_CHARTS, room_specs
    from workshop.stats import interval_note

    with st.container(border=True):
        st.markdown(f"#### {answer.headline}")
        if board.sandbox:
            st.caption(":orange[Sandbox runs: modelled, not measured on AWS.]")
    cols = st.columns(5)
    cols[0].metric("Participants", len(board.participants))
    cols[1].metric("Running now", board.runs_running)
    cols[2].metric("Stuck", len(board.stuck))
    cols[3].metric("Runs pooled", board.runs_pooled)
    cols[4].metric("Samples pooled", f"{board.samples_pooled:,}")

    st.subheader("Participants")
    if board.participants:
        me = current_or_unnamed()
        st.dataframe(participants_table(board, me), hide_index=True)
        st.caption("From each participant's invocation log and runs: times, paths, error codes — never a prompt. "
                   "Overhead: their own median per path (ms), over their finished runs.")
    else:
        st.info("Nobody has made a call yet.", icon=":material/hourglass_empty:")

    st.subheader("The room's comparison")
    if len(board.summary):
        st.dataframe(paths_table(board), hide_index=True)
        for line in board.verdicts():
            st.markdown(f"- {line}")
        if board.pooled.pairs:
            st.caption(interval_note(board.pooled.pairs))
        specs = room_specs(board)
        for name in (n for n in ROOM_CHARTS if n in specs and n != "groups"):
            with st.container(border=True):  # full width: read from the back of the room
                _chart(specs[name], name, board.sandbox)
    else:
        st.info(f"No finished comparison yet ({board.filter.describe()}).", icon=":material/hourglass_empty:")
        specs = {}

    if board.groups:
        st.subheader("By region and Availability Zone")
        st.dataframe(groups_table(board), hide_index=True)
        if "groups" in specs:
            _chart(specs["groups"], "groups", board.sandbox)

    def build() -> str:
        from workshop.report import render_room_report

        return render_room_report(board, answer, specs or None)

    st.download_button("Room report (HTML)", data=build, file_name="bedrock-paths-room.html", mime="text/html",
                       key="room-report", on_click="ignore", type="primary", icon=":material/description:",
                       help="One self-contained file: the room's answer, its charts and its numbers. Opens offline.")
    st.caption(f"Refreshed {board.generated_at.astimezone(UTC):%H:%M:%S} UTC, every {REFRESH_S:g} s · "
               f"{board.filter.describe()} · store `{board.store}` · "
               f"{participants.display(current_or_unnamed())} is you on this console.")



"""``python -m workshop room``: the facilitator's board in a terminal (the Room page's twin).

Reads the room's store (``--store``, ``$WORKSHOP_STORE_URL`` or the config's ``StoreURL``):
who is active and where they are, who looks stuck, and the room's pooled comparison with its
headline — never a prompt or an answer. ``--report F.html`` writes the room report,
``--json`` prints everything as JSON, ``--watch S`` redraws every S seconds until Ctrl-C.
``--encrypt-url URL`` prints the store URL as an ``enc:`` token for a config's StoreURL.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from typing import Any, TextIO

from workshop.commands.common import add_config_arguments
from workshop.errors import InputError

SOURCES = ("auto", "aws", "sandbox", "all")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``room`` command."""
    p = subparsers.add_parser(
        "room",
        help="the facilitator's board: participants, who is stuck, the room's pooled comparison",
        description="The room's board from its shared store: every participant's activity (from their "
        "invocation log and runs, never their prompts), and the room's comparison of the paths, with each "
        "participant as a block (paths compared within a participant, then across participants), per region "
        "and AZ where known. Figures come from finished runs; running runs show as progress.",
    )
    add_config_arguments(p, config_help="read StoreURL and the [quota] from this config", no_delay=False)
    p.add_argument("--store", metavar="URL", help="the room's store URL (default $WORKSHOP_STORE_URL, the "
                   "config's StoreURL, then the local SQLite file)")
    p.add_argument("--source", choices=SOURCES, default="auto",
                   help="pool runs on aws, on the sandbox, or all (default auto: aws when there are any)")
    p.add_argument("--model", metavar="M", help="pool only runs of this model")
    p.add_argument("--since", metavar="TIME", help="pool only runs started at or after TIME (ISO 8601, UTC), "
                   "e.g. the workshop's start: 2026-03-02T09:00")
    p.add_argument("--json", action="store_true", help="print the board as JSON")
    p.add_argument("--report", metavar="FILE", help="also write the room report (.html, self-contained)")
    p.add_argument("--watch", type=float, metavar="S", help="redraw every S seconds until Ctrl-C")
    p.add_argument("--encrypt-url", metavar="URL", help="print URL as an enc: token for StoreURL (uses the "
                   "config key, see --key-file) and exit")
    p.set_defaults(handler=run)


def parse_since(text: str | None) -> datetime | None:
    """``--since`` as a UTC datetime (InputError naming the flag)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"{text!r} is not a time", field="--since",
                         fix="use ISO 8601 in UTC, e.g. 2026-03-02T09:00") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def source_filter(store: Any, source: str) -> bool | None:
    """``--source`` as the board's sandbox filter (``auto``: AWS runs when the room has any)."""
    if source == "aws":
        return False
    if source == "sandbox":
        return True
    if source == "all":
        return None
    from workshop import room

    return room.default_sandbox(store)


def run(args: argparse.Namespace) -> int:
    if args.encrypt_url:
        return _encrypt_url(args)
    if args.watch is not None and args.watch <= 0:
        raise InputError(f"--watch {args.watch}", field="--watch", fix="a number of seconds above 0, e.g. 5")
    if args.report and not args.report.lower().endswith((".html", ".htm")):
        raise InputError("unknown report format", field="--report", source=args.report, fix="name a .html file")
    since = parse_since(args.since)
    config = None
    if args.config:
        from workshop.config import load_config

        config = load_config(args.config, key_file=args.key_file)
    from workshop import room
    from workshop.store import Store

    with Store.open(args.store, config_url=getattr(config, "store_url", None)) as store:
        store.mark_stale_runs()
        quota = getattr(config, "quota", None)
        while True:
            room_filter = room.RoomFilter(sandbox=source_filter(store, args.source), model_id=args.model, since=since)
            board = room.board(store, room_filter, quota=quota)
            answer = room.room_answer(board)
            if args.watch is not None:
                sys.stdout.write("\x1b[H\x1b[2J")  # redraw in place, like `watch`
            if args.json:
                print(json.dumps(board.to_dict(answer), indent=2, default=str))
            else:
                print_board(board, answer, sys.stdout)
            if args.report:
                from workshop.report import write_room_report

                write_room_report(args.report, board, answer)
                if not args.json:
                    print(f"room report written to {args.report}")
            if args.watch is None:
                return 0
            sys.stdout.flush()
            try:
                time.sleep(args.watch)
            except KeyboardInterrupt:
                return 0


def _encrypt_url(args: argparse.Namespace) -> int:
    from workshop import secrets
    from workshop.store import decrypt_url

    decrypt_url(args.encrypt_url)  # a malformed URL: one line, before anything is printed
    keyring = secrets.load_keyring(args.key_file, create=True)
    print(keyring.encrypt(args.encrypt_url))
    print(f"(encrypted with the key from {keyring.source}; put it in [workshop] StoreURL)", file=sys.stderr)
    return 0


def _cell(text: Any, width: int, right: bool = False) -> str:
    text = str(text)
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text.rjust(width) if right else text.ljust(width)


def print_board(board: Any, answer: Any, out: TextIO) -> None:
    """The board as text: the headline, participants, the pooled comparison, regions / AZs."""
    from workshop import room
    from workshop.stats import interval_note, path_label

    w = out.write
    w(answer.headline + "\n")
    if board.sandbox:
        w("(sandbox: figures are modelled, not measured on AWS)\n")
    w("\n")
    stuck = len(board.stuck)
    w(f"room: {board.store} · {len(board.participants)} participant(s) · {board.runs_pooled} run(s) pooled "
      f"({board.filter.describe()}) · {board.runs_running} running · {board.samples_pooled:,} samples"
      + (f" · {stuck} stuck" if stuck else "") + "\n")
    if not board.shared:
        w("note: this store is a local SQLite file, so the room is this machine only; point StoreURL (or "
          "--store) at the room's PostgreSQL\n")
    paths = board.paths
    w("\n")
    header = (_cell("participant", 22) + _cell("last (UTC)", 11) + _cell("step", 30) + _cell("calls", 8, True)
              + _cell("errors", 7, True) + ("  " + _cell("quota", 14) if any(p.quota for p in board.participants)
                                            else "")
              + "".join(_cell(path_label(p), 14, True) for p in paths) + "  stuck")
    w(header + "\n" + "-" * len(header) + "\n")
    for p in board.participants:
        last = p.last_activity.strftime("%H:%M:%S") if p.last_activity else "–"
        line = (_cell(p.name, 22) + _cell(last, 11) + _cell(p.step, 30) + _cell(f"{p.calls:,}", 8, True)
                + _cell(f"{p.errors:,}", 7, True))
        if any(q.quota for q in board.participants):
            line += "  " + _cell(p.quota or "–", 14)
        line += "".join(_cell(room.fmt_ms(p.overhead_ms.get(path)), 14, True) for path in paths)
        line += f"  {p.stuck}" if p.stuck else ""
        w(line.rstrip() + "\n")
    if not board.participants:
        w("(no participant has made a call yet)\n")
    w("(per-path figures: each participant's median overhead, ms, over their finished runs)\n\n")
    s = board.summary
    if len(s):
        head = (_cell("path", 16) + _cell("participants", 13, True) + _cell("runs", 6, True)
                + _cell("samples", 9, True) + _cell("errors", 7, True) + _cell("overhead p50", 14, True)
                + _cell("spread q1–q3", 17, True) + _cell("client p50", 12, True))
        w(head + "\n" + "-" * len(head) + "\n")
        for path, row in s.iterrows():
            spread = f"{room.fmt_ms(row['overhead_ms_q1'])}–{room.fmt_ms(row['overhead_ms_q3'])}"
            w(_cell(path, 16) + _cell(int(row["participants"]), 13, True) + _cell(int(row["runs"]), 6, True)
              + _cell(f"{int(row['count']):,}", 9, True) + _cell(int(row["errors"]), 7, True)
              + _cell(room.fmt_ms(row["overhead_ms_p50"]), 14, True) + _cell(spread, 17, True)
              + _cell(room.fmt_ms(row["client_ms_p50"]), 12, True) + "\n")
        w("(overhead p50: the median over participants of each participant's median, ms)\n\n")
    if board.pooled.pairs:
        w("overhead, path against path (within each participant, then across participants):\n")
        for line in board.verdicts():
            w(f"  {line}\n")
        w(f"({interval_note(board.pooled.pairs)})\n")
    if board.groups:
        w("\nby region · AZ (median overhead over the group's participants, ms):\n")
        for g in board.groups:
            cells = "  ".join(f"{path_label(p)} {room.fmt_ms(g.overhead_ms.get(p))}" for p in paths)
            w(f"  {_cell(g.label, 34)} {g.participants:>3} participant(s)  {cells}\n")

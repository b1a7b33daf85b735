"""``python -m workshop export``: list stored runs, or write one run as CSV or JSONL."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from workshop.commands.common import add_config_arguments, add_participant_argument, participant_of
from workshop.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``export`` command."""
    p = subparsers.add_parser(
        "export",
        help="list stored comparison runs, or export one as CSV / JSONL",
        description="Export a stored comparison run: CSV (one row per sample, warm-up rows flagged) or "
        "JSONL (a run line with the settings, then one line per sample). No secret is ever stored, "
        "so none is exported. RUN_ID may be a unique prefix. On a room's shared store you list and "
        "export your own runs only (they hold your prompts); `python -m workshop room` shows the room's "
        "pooled figures.",
    )
    p.add_argument("run_id", nargs="?", metavar="RUN_ID", help="the run to export (see --list)")
    p.add_argument(
        "--format", choices=("csv", "jsonl"), default=None, help="default: from --out's suffix, else csv"
    )
    p.add_argument("--out", metavar="F", help="write to F instead of stdout")
    p.add_argument("--list", action="store_true", help="list stored runs, newest first")
    p.add_argument("--json", action="store_true", help="with --list: print the runs as JSON")
    p.add_argument(
        "--store",
        metavar="URL",
        help="results store URL (default $WORKSHOP_STORE_URL, then the local SQLite file)",
    )
    add_config_arguments(p, config_help="read StoreURL from this config", no_delay=False)
    add_participant_argument(p, help="whose runs (default $WORKSHOP_PARTICIPANT, else your unnamed runs)")
    p.set_defaults(handler=run)


def resolve_run_id(store: object, text: str, *, participant: str | None = None) -> str:
    """The full id of the run ``text`` names (an id or a unique prefix) among the runs
    ``participant`` may open (all runs when None)."""
    from workshop.store import EVERYONE

    visible = EVERYONE if participant is None else participant
    runs = [r.id for r in store.list_runs(visible_to=visible) if r.id.startswith(text)]  # type: ignore[attr-defined]
    if len(runs) == 1:
        return runs[0]
    if not runs:
        # Someone else's run is "not found" too: whether it exists is not this participant's business.
        raise InputError(
            f"no stored run {text!r} of yours", field="RUN_ID",
            fix="list your runs with `python -m workshop export --list`",
        )
    raise InputError(
        f"{text!r} matches {len(runs)} runs", field="RUN_ID", fix="give more characters of the id"
    )


def run(args: argparse.Namespace) -> int:
    from workshop.store import Store

    who = participant_of(args)
    config_url = None
    if args.config:
        from workshop.config import load_config

        config_url = load_config(args.config, key_file=args.key_file).store_url
    if not args.list and not args.run_id:
        raise InputError(
            "no run given", field="RUN_ID", fix="pass a run id, or --list to see the stored runs"
        )
    with Store.open(args.store, config_url=config_url) as store:
        store.mark_stale_runs()
        if args.list:
            runs = store.list_runs(visible_to=who)
            if args.json:
                print(json.dumps([r.to_dict() for r in runs], indent=2, default=str))
                return 0
            if not runs:
                print("no stored runs")
                return 0
            for r in runs:
                where = "sandbox" if r.sandbox else "aws"
                label = f"  {r.label}" if r.label else ""
                print(
                    f"{r.id}  {r.created_at:%Y-%m-%d %H:%M}  {r.status:<10} {r.sample_count:>6} samples  "
                    f"{','.join(r.paths)}  {r.model_id}  {r.api}  {where}{label}"
                )
            return 0
        run_id = resolve_run_id(store, args.run_id, participant=who)
        out = Path(args.out) if args.out else None
        fmt = args.format or (
            out.suffix.lower().lstrip(".") if out and out.suffix.lower() in (".csv", ".jsonl") else "csv"
        )
        text = store.export_run(run_id, fmt)
    if out is None:
        sys.stdout.write(text)
    else:
        from workshop.secrets.files import atomic_write

        atomic_write(out, text, mode=0o600)  # prompts and identities: private, like the store
        print(f"wrote {out} ({fmt}, run {run_id})", file=sys.stderr)
    return 0

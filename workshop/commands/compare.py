"""``python -m workshop compare``: a comparison run across paths, headless.

Prints a progress bar on a terminal (stderr), then the per-path summary and the verdicts;
``--json`` prints per-path statistics and the pairwise intervals instead. Ctrl-C cancels
cleanly: calls in flight finish, every sample taken is kept and summarised, the run is
stored as ``cancelled`` and the exit status is 130.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, TextIO

from workshop import APIS, PATH_LABELS
from workshop.errors import InputError

SANDBOX_NOTE = "sandbox: figures are modelled, not measured on AWS"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``compare`` command."""
    from workshop.commands.common import add_config_arguments

    p = subparsers.add_parser(
        "compare",
        help="compare latency across access paths (interleaved, warmed up, with verdicts)",
        description="Run the same request N times through each path, interleaved so drift hits every "
        "path alike, after a warm-up per path. Every sample is stored as it completes (see "
        "`export`). Prints p50/p90/p99 per path and the difference of medians between paths with "
        "a bootstrap 95%% interval.",
    )
    add_config_arguments(p)
    p.add_argument(
        "--paths",
        default="nat,vpce,cross-account",
        metavar="P1,P2",
        help="comma-separated paths (default nat,vpce,cross-account)",
    )
    p.add_argument("--model", metavar="M", help="model id (default: the config's DefaultModel)")
    p.add_argument(
        "--body", metavar="F", help="request body JSON file, '-' for stdin (default: the template)"
    )
    p.add_argument("--api", default="invoke", metavar="API", help="|".join(APIS) + " (default invoke)")
    p.add_argument(
        "-n", "--samples", type=int, default=30, metavar="N", help="measured samples per path (default 30)"
    )
    p.add_argument(
        "--warmup",
        type=int,
        metavar="W",
        help="warm-up calls per path, the first timed alone as the cold call (default max(2, K))",
    )
    p.add_argument(
        "--concurrency", type=int, default=1, metavar="K", help="calls in flight at once (default 1)"
    )
    p.add_argument("--pause-ms", type=float, default=0.0, metavar="P", help="pause between a worker's calls")
    p.add_argument("--time-limit", type=float, metavar="S", help="stop taking new calls after S seconds")
    p.add_argument(
        "--schedule",
        choices=("round-robin", "shuffled"),
        default="round-robin",
        help="order of paths within each round (shuffled: seeded random blocks)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed for the shuffled schedule and the bootstrap")
    p.add_argument("--keep-text", action="store_true", help="store each answer's text with its sample")
    p.add_argument("--label", help="a name for the run in History")
    p.add_argument(
        "--store",
        metavar="URL",
        help="results store URL (default $WORKSHOP_STORE_URL, the "
        "config's StoreURL, then the local SQLite file)",
    )
    p.add_argument("--out", metavar="FILE", help="also write the run's samples to FILE (.csv or .jsonl)")
    p.add_argument(
        "--json", action="store_true", help="print per-path statistics and pairwise intervals as JSON"
    )
    p.set_defaults(handler=run)


def parse_paths(text: str) -> tuple[str, ...]:
    paths = tuple(p.strip() for p in text.split(",") if p.strip())
    if not paths:
        raise InputError("no paths given", field="--paths", fix="e.g. --paths nat,vpce,cross-account")
    return paths


def run(args: argparse.Namespace) -> int:
    from workshop import catalog
    from workshop.commands.invoke import build_body
    from workshop.compare import RunSettings, run_analysis, run_comparison
    from workshop.config import load_or_default
    from workshop.paths import DEFAULT_POOL_SIZE
    from workshop.store import Store
    from workshop.workbench import Workbench

    config = load_or_default(args.config, args.key_file)
    paths = parse_paths(args.paths)
    for name in paths:
        config.path(name)  # unknown path: one line before anything starts
    model_id = args.model or config.default_model
    if not model_id:
        raise InputError(
            "no model given", field="--model", fix="pass --model or set DefaultModel in the config"
        )
    model_id = catalog.validate_model_id(model_id)
    if args.api not in APIS:
        raise InputError(f"unknown API {args.api!r}", field="--api", fix="use one of: " + ", ".join(APIS))
    body = build_body(model_id, args.api, args.body)
    warmup = args.warmup if args.warmup is not None else max(2, args.concurrency)
    settings = RunSettings(
        paths=paths,
        model_id=model_id,
        body=body,
        api=args.api,
        samples=args.samples,
        warmup=warmup,
        concurrency=args.concurrency,
        pause_ms=args.pause_ms,
        time_limit_s=args.time_limit,
        schedule=args.schedule,
        seed=args.seed,
        keep_text=args.keep_text,
        label=args.label,
    )
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() not in (".csv", ".jsonl"):
        raise InputError(
            "unknown output format", field="--out", source=str(out), fix="name a .csv or .jsonl file"
        )

    store = Store.open(args.store, config_url=config.store_url)
    try:
        store.mark_stale_runs()
        pool = max(DEFAULT_POOL_SIZE, settings.concurrency)
        # One store for samples and the invocation log: two Store objects on one SQLite file
        # would contend through SQLite's busy handler instead of the store's lock.
        with Workbench.open(
            config, no_delay=True if args.no_delay else None, pool_size=pool, store=store
        ) as wb:
            for warning in getattr(config, "warnings", ()):
                print(f"warning: {warning}", file=sys.stderr)
            bar = ProgressBar(sys.stderr) if sys.stderr.isatty() and not args.json else None
            job = run_comparison(settings, wb, store, on_progress=bar.update if bar else None)
            if bar:
                bar.close()
            sandbox = wb.is_sandbox
        if job.error is not None:
            # A WorkshopError (credentials, quota) is one line from cli.main; anything else is a bug.
            raise job.error
        assert job.run_id is not None
        # The finished job kept its analysis in the store: read it back instead of analysing twice.
        analysis = run_analysis(store, job.run_id, seed=settings.seed, sandbox=sandbox).analysis
        if out is not None:
            out.write_text(store.export_run(job.run_id, out.suffix.lower().lstrip(".")), encoding="utf-8")
        if args.json:
            print(json.dumps(json_report(job, settings, analysis, sandbox=sandbox), indent=2, default=str))
        else:
            print_report(job, settings, analysis, sandbox=sandbox, out=out)
    finally:
        store.close()
    return 130 if job.status == "cancelled" else 0


class ProgressBar:
    """One self-rewriting line on a terminal: bar, counts, rate, errors."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width

    def update(self, progress: Any) -> None:
        filled = int(self.width * progress.fraction)
        bar = "#" * filled + "." * (self.width - filled)
        phase = "warm-up" if progress.phase in ("starting", "warm-up") else progress.phase
        line = (
            f"\r[{bar}] {progress.done}/{progress.total} {phase}  {progress.rate_per_s:5.1f}/s"
            f"  errors {progress.errors}  retried {progress.retried}"
        )
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def _f(value: float, digits: int = 1) -> str:
    return (
        "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.{digits}f}"
    )


def print_report(job: Any, settings: Any, analysis: Any, *, sandbox: bool, out: Path | None) -> None:
    """The human summary: a table per path, then one verdict per pair of paths."""
    s = analysis.summary
    print(f"run {job.run_id} · {settings.model_id} · {settings.api} · {job.status}")
    if job.note:
        print(job.note)
    header = f"{'path':<15}{'n':>6}{'err':>5}{'retry':>6}{'cold':>9}{'p50':>9}{'p90':>9}{'p99':>9}{'overhead p50':>14}{'server p50':>12}"
    print(header)
    print("-" * len(header))
    for path, row in s.iterrows():
        print(
            f"{path:<15}{row['count']:>6}{row['errors']:>5}{row['retried']:>6}{_f(row['cold_client_ms']):>9}"
            f"{_f(row['client_ms_p50']):>9}{_f(row['client_ms_p90']):>9}{_f(row['client_ms_p99']):>9}"
            f"{_f(row['overhead_ms_p50'], 2):>14}{_f(row['server_ms_p50']):>12}"
        )
    print(
        "(client latency in ms; cold = first call, not in the statistics; retried and failed samples "
        "are counted, not in the statistics)"
    )
    warned = {w for ws in s["warnings"] for w in ws}
    if warned:
        n = int(s["count"].min()) if len(s) else 0
        print(
            f"note: {len(warned)} sample-size warning(s): p90 wants ~50 samples per path and p99 ~500 (have {n})"
        )
    print()
    print("overhead (client − server: network, TLS, auth, SDK):")
    for line in analysis.verdicts("overhead_ms"):
        print(f"  {line}")
    print("client latency (includes model time, which varies far more):")
    for line in analysis.verdicts("client_ms"):
        print(f"  {line}")
    from workshop.stats import interval_note

    print(f"({interval_note(analysis.pairs.get('overhead_ms', []))})")
    if sandbox:
        print(f"\n({SANDBOX_NOTE}; paths: {', '.join(PATH_LABELS.get(p, p) for p in settings.paths)})")
    if out is not None:
        print(f"samples written to {out}")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def json_report(job: Any, settings: Any, analysis: Any, *, sandbox: bool) -> dict[str, Any]:
    """Per-path statistics and pairwise intervals, JSON-safe (NaN -> null)."""
    per_path = {
        str(path): {k: (_clean(v) if k != "warnings" else list(v)) for k, v in row.items()}
        for path, row in analysis.summary.iterrows()
    }
    return {
        "run_id": job.run_id,
        "status": job.status,
        "note": job.note,
        "sandbox": sandbox,
        "measured_on": "sandbox (modelled, not measured on AWS)" if sandbox else "aws",
        "settings": {k: v for k, v in settings.to_dict().items() if k != "body"},
        "paths": per_path,
        "pairwise": {
            metric: [{k: _clean(v) for k, v in p.to_dict().items()} for p in pairs]
            for metric, pairs in analysis.pairs.items()
        },
    }

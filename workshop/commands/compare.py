"""``python -m workshop compare``: a comparison run across paths, headless.

The first line printed is the answer (which path adds least overhead, by how much, whether
it matters), then the cost at a stated volume, the one-time costs, the per-path table and
every pairwise interval; ``--json`` prints the same as JSON (``headline``, ``pairs`` with
``equivalent`` and ``share_of_call``, ``cost`` per path) and ``--report F.html`` writes the
stakeholder report. Ctrl-C cancels cleanly: calls in flight get half a second, every sample
taken is kept and summarised, the run is stored as ``cancelled`` and the exit status is 130.

Start-up is ordered for the first call: the sandbox's process is started first and boots
while this one imports SQLAlchemy and boto3; pandas and Altair are imported only to analyse
the finished run.
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
    from workshop.answer_limit import COMPARE_MAX_TOKENS
    from workshop.commands.common import add_config_arguments, add_participant_argument
    from workshop.compare import DEFAULT_CONCURRENCY

    p = subparsers.add_parser(
        "compare",
        help="compare latency across access paths: the answer, its cost, every interval",
        description="Send the same request through each path, interleaved so drift hits every path alike, "
        "after a warm-up per path, and say which path adds least overhead, by how much, whether it "
        "matters, and what each costs. Either N samples per path (-n), or --precision MS: sample until "
        "every pairwise overhead interval is within ±MS (intervals valid however early the run stops), "
        "or --max-time passes. Every sample is stored as it completes (see `export`).",
    )
    add_config_arguments(p)
    p.add_argument("--paths", default=None, metavar="P1,P2",
                   help="comma-separated paths (default: the config's direct paths; gateway paths when named)")
    p.add_argument("--model", metavar="M", help="model id (default: the config's DefaultModel)")
    p.add_argument("--body", metavar="F", help="request body JSON file, '-' for stdin (default: the template)")
    p.add_argument("--api", default="invoke", metavar="API", help="|".join(APIS) + " (default invoke)")
    p.add_argument("-n", "--samples", type=int, default=None, metavar="N",
                   help="measured samples per path (default 30; with --precision, the ceiling: 10,000)")
    p.add_argument("--precision", type=float, metavar="MS",
                   help="adaptive: stop once every pairwise overhead interval is within ±MS milliseconds")
    p.add_argument("--max-time", "--time-limit", dest="time_limit", type=float, metavar="S",
                   help="stop taking new calls after S seconds (default with --precision: 60)")
    p.add_argument("--warmup", type=int, metavar="W",
                   help="warm-up calls per path, the first timed alone as the cold call (default max(2, K))")
    p.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, metavar="K",
                   help=f"calls in flight at once (default {DEFAULT_CONCURRENCY}: docs/statistics.md says why)")
    p.add_argument("--max-tokens", type=int, default=COMPARE_MAX_TOKENS, metavar="T",
                   help=f"short answers: cap the output at T tokens (default {COMPARE_MAX_TOKENS}; the path's "
                   "cost does not grow with the answer, run time does); 0 keeps the body's own limit")
    p.add_argument("--pause-ms", type=float, default=0.0, metavar="P", help="pause between a worker's calls")
    p.add_argument("--schedule", choices=("round-robin", "shuffled"), default="round-robin",
                   help="order of paths within each round (shuffled: seeded random blocks)")
    p.add_argument("--seed", type=int, default=0, help="seed for the shuffled schedule and the bootstrap")
    p.add_argument("--keep-text", action="store_true", help="store each answer's text with its sample")
    p.add_argument("--label", help="a name for the run in History")
    p.add_argument("--volume", type=int, metavar="CALLS", help="calls per month the cost is for "
                   "(default: the config's [cost] CallsPerMonth, else 1,000,000)")
    p.add_argument("--store", metavar="URL", help="results store URL (default $WORKSHOP_STORE_URL, the "
                   "config's StoreURL, then the local SQLite file)")
    add_participant_argument(p)
    p.add_argument("--out", metavar="FILE", help="also write the run's samples to FILE (.csv or .jsonl)")
    p.add_argument("--report", metavar="FILE", help="also write the stakeholder report to FILE (.html, "
                   "self-contained: charts inline, no external URL)")
    p.add_argument("--json", action="store_true", help="print the answer, statistics and intervals as JSON")
    p.set_defaults(handler=run)


def parse_paths(text: str) -> tuple[str, ...]:
    paths = tuple(p.strip() for p in text.split(",") if p.strip())
    if not paths:
        raise InputError("no paths given", field="--paths", fix="e.g. --paths nat,vpce,cross-account")
    return paths


def _check_output(value: str | None, flag: str, suffixes: tuple[str, ...]) -> Path | None:
    """An output file's path, checked before the run (not after it, when it is too late)."""
    if not value:
        return None
    path = Path(value)
    if path.suffix.lower() not in suffixes:
        raise InputError("unknown output format", field=flag, source=value,
                         fix="name a " + " or ".join(suffixes) + " file")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"the folder {folder} does not exist", field=flag, source=value,
                         fix="create the folder first, or write somewhere that exists")
    return path


def run(args: argparse.Namespace) -> int:
    from workshop.commands.common import participant_of
    from workshop.config import load_or_default

    who = participant_of(args)  # a bad name: one line before anything starts
    config = load_or_default(args.config, args.key_file)
    # The sandbox's process boots while this one imports the store and boto3 below.
    sandbox = None
    if config.sandbox:
        from workshop.workbench import start_configured_sandbox

        sandbox = start_configured_sandbox(config, no_delay=True if args.no_delay else None)
    try:
        return _run(args, config, sandbox, who)
    finally:
        if sandbox is not None:
            sandbox.stop()


def _settings(args: argparse.Namespace, config: Any) -> Any:
    from workshop import catalog
    from workshop.answer_limit import with_max_tokens
    from workshop.commands.invoke import build_body
    from workshop.compare import RunSettings, path_facts

    left: tuple[str, ...] = ()
    if args.paths is not None:
        paths = parse_paths(args.paths)
    else:
        from workshop.compare import default_paths

        paths, left = default_paths(config, args.api)
    if args.paths is not None and not args.paths.strip():
        raise InputError("--paths is empty", field="--paths", fix="e.g. --paths nat,vpce,cross-account")
    for name in paths:
        config.path(name)  # unknown path: one line before anything starts
    if args.model is not None and not args.model.strip():
        raise InputError("--model is empty", field="--model", fix="name a model id, e.g. amazon.nova-micro-v1:0")
    model_id = args.model or config.default_model
    if not model_id:
        raise InputError("no model given", field="--model", fix="pass --model or set DefaultModel in the config")
    model_id = catalog.validate_model_id(model_id)
    if args.api not in APIS:
        raise InputError(f"unknown API {args.api!r}", field="--api", fix="use one of: " + ", ".join(APIS))
    if args.max_tokens < 0:
        raise InputError(f"--max-tokens {args.max_tokens}", field="--max-tokens",
                         fix="a positive number of tokens, or 0 to keep the body's own limit")
    body = build_body(model_id, args.api, args.body)
    if args.max_tokens:
        body = with_max_tokens(body, catalog.family_of(model_id), args.api, args.max_tokens)
    if left:  # said once the settings are known to be good (a user mistake stays one line)
        print(f"note: {', '.join(left)} left out by default (gateway paths, and paths that cannot carry "
              f"{args.api}, join when named: --paths {','.join((*paths, *left))})", file=sys.stderr)
    adaptive = args.precision is not None
    samples = args.samples if args.samples is not None else (10_000 if adaptive else 30)
    warmup = args.warmup if args.warmup is not None else max(2, args.concurrency)
    return RunSettings(
        paths=paths, model_id=model_id, body=body, api=args.api, samples=samples, warmup=warmup,
        concurrency=args.concurrency, pause_ms=args.pause_ms, time_limit_s=args.time_limit,
        schedule=args.schedule, seed=args.seed, keep_text=args.keep_text, label=args.label,
        precision_ms=args.precision, max_tokens=args.max_tokens or None, **path_facts(config, paths),
    )


def _run(args: argparse.Namespace, config: Any, sandbox: Any, who: str) -> int:
    out = _check_output(args.out, "--out", (".csv", ".jsonl"))
    report = _check_output(args.report, "--report", (".html", ".htm"))
    if args.volume is not None and args.volume < 0:
        raise InputError(f"--volume {args.volume}", field="--volume", fix="calls per month, 0 or more")
    settings = _settings(args, config)

    from workshop.commands.common import say
    from workshop.compare import run_comparison
    from workshop.config import bind_sandbox
    from workshop.paths import DEFAULT_POOL_SIZE
    from workshop.store import Store
    from workshop.workbench import Workbench

    store = Store.open(args.store, config_url=config.store_url)
    try:
        store.mark_stale_runs()
        pool = max(DEFAULT_POOL_SIZE, settings.concurrency)
        bound = bind_sandbox(config, sandbox) if sandbox is not None else config
        # One store for samples and the invocation log: two Store objects on one SQLite file
        # would contend through SQLite's busy handler instead of the store's lock.
        workbench = Workbench(bound, sandbox=sandbox, owns_sandbox=False, pool_size=pool, store=store)
        with workbench:
            for warning in getattr(config, "warnings", ()):
                say(warning)
            bar = ProgressBar(sys.stderr) if sys.stderr.isatty() and not args.json else None
            job = run_comparison(settings, workbench, store, on_progress=bar.update if bar else None,
                                 participant=who)
            if bar:
                bar.close()
        if job.error is not None:
            # A WorkshopError (credentials, quota) is one line from cli.main; anything else is a bug.
            raise job.error
        assert job.run_id is not None
        _no_samples(job, store)
        result = _explain(store, job.run_id, config, args.volume)
        if out is not None:
            from workshop.secrets.files import atomic_write

            atomic_write(out, store.export_run(job.run_id, out.suffix.lower().lstrip(".")), mode=0o600)
        if report is not None:
            from workshop.report import write_report

            write_report(report, store.get_run(job.run_id), result.result, result.answer)
        if args.json:
            print(json.dumps(json_report(job, settings, result.analysis, result.answer, sandbox=sandbox is not None),
                             indent=2, default=str))
        else:
            print_report(job, settings, result.analysis, result.answer, sandbox=sandbox is not None, out=out,
                         report=report)
    finally:
        store.close()
    return 130 if job.status == "cancelled" else 0


def _no_samples(job: Any, store: Any) -> None:
    """Every measured call failed: say why in one line (exit 2), instead of a hollow summary.

    Failed calls are measured calls too (``done_measured`` counts them), so the test is on the
    samples: no measured one without an error code."""
    samples = store.samples(job.run_id)
    df_errors = samples[~samples["warmup"].astype(bool)] if "warmup" in samples else samples
    codes = df_errors["error_code"].dropna()
    if codes.empty or len(codes) < len(df_errors):
        return  # nothing measured (a cancel before the first call), or something succeeded
    top = codes.mode().iat[0]
    row = df_errors[df_errors["error_code"] == top].iloc[0]
    raise InputError(
        f"every call failed ({len(codes)} of {len(df_errors)}), mostly {top}: {row['error_message']}",
        field="run", fix=row["error_hint"] or "see `python -m workshop invoke` for one call", source=job.run_id,
    )


class _Explained:
    def __init__(self, result: Any, answer: Any) -> None:
        self.result = result  # compare.RunAnalysis: the statistics and the chart specs
        self.analysis = result.analysis
        self.answer = answer


def _explain(store: Any, run_id: str, config: Any, volume: int | None) -> _Explained:
    from workshop import answer as answers
    from workshop.compare import run_analysis

    run = store.get_run(run_id)
    result = run_analysis(store, run_id)  # kept by the finished job: read, not recomputed
    return _Explained(result, answers.for_run(run, result.analysis, cost_settings=config.cost_settings,
                                              calls_per_month=volume))


class ProgressBar:
    """One self-rewriting line on a terminal: bar, counts, rate, precision, time left."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width

    def update(self, progress: Any) -> None:
        filled = int(self.width * progress.fraction)
        bar = "#" * filled + "." * (self.width - filled)
        phase = "warm-up" if progress.phase in ("starting", "warm-up") else progress.phase
        line = f"\r[{bar}] {progress.done}/{progress.total} {phase}  {progress.rate_per_s:5.1f}/s"
        if progress.precision is not None and math.isfinite(progress.precision.widest_ms):
            line += f"  ±{progress.precision.widest_ms:.2f}/{progress.precision.target_ms:g} ms"
        if progress.eta_s is not None:
            line += f"  ~{progress.eta_s:.0f} s left"
        line += f"  errors {progress.errors}  "
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def _f(value: float, digits: int = 1) -> str:
    return (
        "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.{digits}f}"
    )


def print_report(job: Any, settings: Any, analysis: Any, answer: Any, *, sandbox: bool, out: Path | None,
                 report: Path | None = None) -> None:
    """The human summary: the answer first, then the table and every interval."""
    for line in answer.lines:
        print(line)
    if sandbox:
        print(f"({SANDBOX_NOTE})")
    print()
    s = analysis.summary
    print(f"run {job.run_id} · {settings.model_id} · {settings.api} · {job.status}"
          + (f" · answers capped at {settings.max_tokens} tokens" if settings.max_tokens else ""))
    if job.note:
        print(job.note)
    header = (f"{'path':<15}{'n':>6}{'err':>5}{'retry':>6}{'cold':>9}{'p50':>9}{'p90':>9}{'p99':>9}"
              f"{'overhead p50':>14}{'server p50':>12}")
    if sandbox:
        header += f"{'modelled net':>14}"
    print(header)
    print("-" * len(header))
    for path, row in s.iterrows():
        line = (
            f"{path:<15}{row['count']:>6}{row['errors']:>5}{row['retried']:>6}{_f(row['cold_client_ms']):>9}"
            f"{_f(row['client_ms_p50']):>9}{_f(row['client_ms_p90']):>9}{_f(row['client_ms_p99']):>9}"
            f"{_f(row['overhead_ms_p50'], 2):>14}{_f(row['server_ms_p50']):>12}"
        )
        if sandbox:
            line += f"{_f(row.get('modelled_network_ms_p50'), 2):>14}"
        print(line)
    print("(client latency in ms; cold = first call, not in the statistics; retried and failed samples "
          "are counted, not in the statistics" + ("; modelled net = the sandbox's planned network delay, "
                                                   "which overhead includes" if sandbox else "") + ")")
    warned = {w for ws in s["warnings"] for w in ws}
    if warned:
        n = int(s["count"].min()) if len(s) else 0
        print(f"note: {len(warned)} sample-size warning(s): p90 wants ~50 samples per path and p99 ~500 (have {n})")
    print()
    print("overhead (client − server: network, TLS, auth, SDK):")
    for line in answer.details:
        print(f"  {line}")
    print("client latency (includes model time, which varies far more):")
    for line in analysis.verdicts("client_ms"):
        print(f"  {line}")
    from workshop.stats import interval_note

    print(f"({interval_note(analysis.pairs.get('overhead_ms', []))})")
    for caveat in answer.caveats:
        if not caveat.startswith("sandbox"):
            print(f"note: {caveat}")
    if sandbox:
        print(f"\n({SANDBOX_NOTE}; paths: {', '.join(PATH_LABELS.get(p, p) for p in settings.paths)})")
    if out is not None:
        print(f"samples written to {out}")
    if report is not None:
        print(f"report written to {report}")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def json_report(job: Any, settings: Any, analysis: Any, answer: Any, *, sandbox: bool) -> dict[str, Any]:
    """The answer, per-path statistics, pairwise intervals and cost, JSON-safe (NaN -> null)."""
    per_path = {
        str(path): {k: (_clean(v) if k != "warnings" else list(v)) for k, v in row.items()}
        for path, row in analysis.summary.iterrows()
    }
    return {
        "headline": answer.headline,
        "one_time": answer.one_time,
        "best_path": answer.best,
        "run_id": job.run_id,
        "status": job.status,
        "note": job.note,
        "sandbox": sandbox,
        "measured_on": "sandbox (modelled, not measured on AWS)" if sandbox else "aws",
        "settings": {k: v for k, v in settings.to_dict().items() if k != "body"},
        "median_call_ms": _clean(answer.median_call_ms),
        "pairs": [p.to_dict() for p in answer.pairs],
        "cost": answer.cost.to_dict() if answer.cost is not None else None,
        "paths": per_path,
        "pairwise": {
            metric: [{k: _clean(v) for k, v in p.to_dict().items()} for p in pairs]
            for metric, pairs in analysis.pairs.items()
        },
        "caveats": list(answer.caveats),
    }

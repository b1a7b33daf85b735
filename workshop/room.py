"""The room: many participants on one database, and the facilitator's board.

A workshop is 20-200 participants, each with their own instance, all writing to one
PostgreSQL. The question a facilitator puts on the projector is the room's: do the paths
differ across everyone's instances, AZs and regions — and who is stuck. :func:`board`
answers both from the store, and is what the Room page (8) and ``python -m workshop room``
draw.

**Pooling with the participant as a blocking factor.** Instances differ: one participant's
box may be slow on every path, another may have run only two of the three paths, or ten
times as many samples. Pooling everyone's samples per path would let those decide the
verdict (tests/room/test_pooled_stats.py shows the pooled bootstrap calling identical paths
different in most such rooms). So the room compares paths *within* each participant and
only then across participants:

* per finished run and path, the median overhead of its measured samples (the figure the
  participant's own run shows; warm-up, failed and retried calls left out) — kept once per
  run in ``run_path_stats`` from the run's kept analysis, so a refresh never reads samples;
* per participant and pair of paths, their difference: the median over that participant's
  runs of the within-run difference of medians (runs interleave paths, so drift cancels);
* across participants, the median of those differences, with an interval from the sign
  test over participants (one participant, one vote: a slow instance moves the median by
  at most one rank). The interval is a *confidence sequence* (the sign-test mixture of
  workshop/sequential.py, over participants instead of samples): the board is refreshed
  again and again as participants finish, and it stays valid however often one looks and
  whenever one stops. Bonferroni over the pairs makes the three intervals hold together.

What it estimates: the median, over the room's instances, of a participant's difference of
medians. Nothing about the shape of either distribution is assumed; what is assumed is
that participants are independent of each other (one instance each).

**The participant boundary.** Nothing here reads a prompt or an answer: the board uses the
invocation log's metadata columns (time, path, operation, error code), never its ``record``,
and runs' figures, never their settings' body or samples' text.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

import sqlalchemy as sa

from workshop import participants, sequential

log = logging.getLogger(__name__)

CONFIDENCE = 0.95
ROOM_PRIOR_A = 1.0
"""Beta(a, a) prior of the sign-test mixture over participants. A room is 10-200 people:
a = 1 gives a bounded interval from 10 participants with three paths (a = 8, tuned for the
hundreds of samples of one run, would need 15) and is within a rank of the narrowest up to
200 (docs/room.md has the table)."""
MIN_SAMPLES = 5
"""Measured samples a path needs in a run for the run's median to count (stats' verdict rule)."""
RECENT = timedelta(minutes=5)
IDLE_AFTER = timedelta(minutes=10)
STUCK_ERRORS = 3
"""Failed calls within ``RECENT`` that mark a participant as stuck."""
METHOD = "participants"
"""``stats.Pairwise.method`` of the room's intervals (stats.interval_note words it)."""


# ============================================================================ pooling (pure)


@dataclass(frozen=True)
class RunPath:
    """One finished run's figures on one path (a ``run_path_stats`` row with its run's facts)."""

    run_id: str
    participant: str
    path: str
    n: int  # measured samples
    errors: int = 0
    retried: int = 0
    overhead_p50: float | None = None
    client_p50: float | None = None
    server_p50: float | None = None
    region: str | None = None
    az: str | None = None

    @property
    def usable(self) -> bool:
        """Enough measured samples for its median to count in the room's comparison."""
        return self.n >= MIN_SAMPLES and _finite(self.overhead_p50)


@dataclass(frozen=True)
class Pooled:
    """The room's comparison: per path, per pair, per participant."""

    summary: Any  # pandas DataFrame indexed by path (columns: see :func:`pool`)
    pairs: list[Any]  # stats.Pairwise, method "participants"
    differences: dict[tuple[str, str], dict[str, float]]  # (a, b) -> participant -> median_b - median_a
    per_participant: dict[str, dict[str, float]]  # participant -> path -> median overhead
    needed: int  # participants a pair needs for a bounded interval

    @property
    def bounded(self) -> bool:
        """True when every pair's interval is finite (enough participants)."""
        return bool(self.pairs) and all(math.isfinite(p.ci_low) and math.isfinite(p.ci_high) for p in self.pairs)

    def verdicts(self, metric: str = "overhead_ms") -> list[str]:  # the stats.Analysis surface
        return [pair_sentence(p) for p in self.pairs] if metric == "overhead_ms" else []


def pair_alpha(pairs: int, confidence: float = CONFIDENCE) -> float:
    """Each pair's share of the error budget (Bonferroni: the pairs hold together)."""
    return (1.0 - confidence) / max(1, pairs)


def participants_needed(pairs: int, confidence: float = CONFIDENCE) -> int:
    """The fewest participants whose differences give a bounded interval."""
    alpha = pair_alpha(pairs, confidence)
    n = 1
    while sequential.lower_rank(n, alpha, ROOM_PRIOR_A) < 1:
        n += 1
    return n


def room_interval(differences: Iterable[float], *, alpha: float) -> tuple[float, float, float]:
    """Median of the participants' differences and its anytime-valid interval (lo, hi)."""
    xs = sorted(float(d) for d in differences if _finite(d))
    if not xs:
        return math.nan, -math.inf, math.inf
    low, high = sequential.median_interval(xs, alpha, ROOM_PRIOR_A)
    return float(median(xs)), low, high


def pool(rows: Iterable[RunPath], *, confidence: float = CONFIDENCE, paths: Sequence[str] | None = None) -> Pooled:
    """The room's comparison from per-run, per-path figures (see the module docstring).

    Summary columns, per path: ``participants``, ``runs``, ``samples`` (every measured
    sample), ``count`` (samples in usable runs), ``errors``, ``retried``, and for overhead,
    client and server time the median over participants of each participant's median
    (``overhead_ms_p50``, ``client_ms_p50``, ``server_ms_p50``) with the spread of the
    participants' medians (``overhead_ms_q1`` / ``_q3``, ``_min`` / ``_max``).
    """
    import numpy as np
    import pandas as pd

    from workshop import stats

    rows = list(rows)
    names = stats.ordered_paths(paths if paths is not None else (r.path for r in rows))
    by_run: dict[str, dict[str, RunPath]] = defaultdict(dict)
    for r in rows:
        by_run[r.run_id][r.path] = r
    # participant -> path -> [run medians]; participant -> pair -> [within-run differences]
    medians: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    diffs: dict[str, dict[tuple[str, str], list[float]]] = defaultdict(lambda: defaultdict(list))
    totals: dict[str, dict[str, int]] = {p: {"runs": 0, "samples": 0, "count": 0, "errors": 0, "retried": 0}
                                         for p in names}
    for run in by_run.values():
        for r in run.values():
            if r.path not in totals:
                continue
            t = totals[r.path]
            t["runs"] += 1
            t["samples"] += r.n
            t["errors"] += r.errors
            t["retried"] += r.retried
            if r.usable:
                t["count"] += r.n
                for metric, value in (("overhead", r.overhead_p50), ("client", r.client_p50),
                                      ("server", r.server_p50)):
                    if _finite(value):
                        medians[r.participant][r.path][metric].append(float(value))
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                ra, rb = run.get(a), run.get(b)
                if ra is not None and rb is not None and ra.usable and rb.usable:
                    diffs[ra.participant][(a, b)].append(float(rb.overhead_p50) - float(ra.overhead_p50))

    per_participant = {
        who: {p: median(m["overhead"]) for p, m in by_path.items() if m["overhead"]}
        for who, by_path in medians.items()
    }
    summary_rows = []
    for p in names:
        figures = {metric: [median(m[p][metric]) for m in medians.values() if m.get(p) and m[p][metric]]
                   for metric in ("overhead", "client", "server")}
        over = np.asarray(figures["overhead"], dtype=float)
        row: dict[str, Any] = {"path": p, "participants": len(over), **totals[p]}
        for metric in ("overhead", "client", "server"):
            values = figures[metric]
            row[f"{metric}_ms_p50"] = float(median(values)) if values else math.nan
        row["overhead_ms_q1"] = float(np.percentile(over, 25)) if len(over) else math.nan
        row["overhead_ms_q3"] = float(np.percentile(over, 75)) if len(over) else math.nan
        row["overhead_ms_min"] = float(over.min()) if len(over) else math.nan
        row["overhead_ms_max"] = float(over.max()) if len(over) else math.nan
        summary_rows.append(row)
    columns = ["path", "participants", "runs", "samples", "count", "errors", "retried", "overhead_ms_p50",
               "client_ms_p50", "server_ms_p50", "overhead_ms_q1", "overhead_ms_q3", "overhead_ms_min",
               "overhead_ms_max"]
    summary = pd.DataFrame(summary_rows, columns=columns).set_index("path")

    n_pairs = len(names) * (len(names) - 1) // 2
    alpha = pair_alpha(n_pairs, confidence)
    differences: dict[tuple[str, str], dict[str, float]] = {}
    pairs = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            per = {who: float(median(d[(a, b)])) for who, d in diffs.items() if d.get((a, b))}
            differences[(a, b)] = per
            mid, low, high = room_interval(per.values(), alpha=alpha)
            both = [who for who in per if a in per_participant.get(who, {}) and b in per_participant.get(who, {})]
            med_a = median([per_participant[w][a] for w in both]) if both else math.nan
            med_b = median([per_participant[w][b] for w in both]) if both else math.nan
            pairs.append(stats.Pairwise(
                metric="overhead_ms", a=a, b=b, n_a=len(per), n_b=len(per), median_a=float(med_a),
                median_b=float(med_b), difference=mid, ci_low=low, ci_high=high, confidence=confidence,
                n_boot=0, comparisons=max(1, n_pairs), method=METHOD,
            ))
    return Pooled(summary, pairs, differences, per_participant, participants_needed(n_pairs, confidence))


def pair_sentence(pair: Any) -> str:
    """One line per pair for the CLI and the page, in the room's words."""
    from workshop.answer import fmt_interval, fmt_ms, label

    a, b = label(pair.a), label(pair.b)
    who = f"{pair.n_a} participant{'s' if pair.n_a != 1 else ''}"
    if not (math.isfinite(pair.ci_low) and math.isfinite(pair.ci_high)):
        return f"{b} vs {a}: {who} compared both so far — too few for an interval yet"
    if pair.significant:
        lower, higher = (b, a) if pair.difference < 0 else (a, b)
        lo, hi = sorted((abs(pair.ci_low), abs(pair.ci_high)))
        return (f"{lower} adds {fmt_ms(abs(pair.difference))} ms less overhead than {higher} "
                f"({fmt_interval(lo, hi)}; {who})")
    return (f"{b} vs {a}: no difference detectable across {who} "
            f"(median {'+' if pair.difference >= 0 else '−'}{fmt_ms(pair.difference)} ms, "
            f"{fmt_interval(pair.ci_low, pair.ci_high)})")


# ============================================================================ the board


@dataclass(frozen=True)
class RoomFilter:
    """Which finished runs the room pools."""

    sandbox: bool | None = None  # True: sandbox runs only; False: AWS only; None: both
    model_id: str | None = None
    since: datetime | None = None

    def describe(self) -> str:
        parts = [{True: "sandbox runs", False: "runs on AWS", None: "every run"}[self.sandbox]]
        if self.model_id:
            parts.append(f"model {self.model_id}")
        if self.since:
            parts.append(f"since {self.since:%Y-%m-%d %H:%M} UTC")
        return ", ".join(parts)


@dataclass(frozen=True)
class ParticipantRow:
    """One participant on the board: activity from their invocation log and runs, never content."""

    participant: str
    name: str  # as shown ("unnamed (cli alice)" for an unnamed id)
    last_activity: datetime | None
    calls: int  # invocations logged: what the quota counts
    errors: int
    recent_errors: int
    runs: int
    running: int
    step: str
    stuck: str | None
    quota: str | None
    region: str | None
    az: str | None
    overhead_ms: dict[str, float] = field(default_factory=dict)  # the participant's median per path

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["last_activity"] = self.last_activity.isoformat() if self.last_activity else None
        out["overhead_ms"] = {p: _json(v) for p, v in self.overhead_ms.items()}
        return out


@dataclass(frozen=True)
class GroupRow:
    """The room's figures for one region / AZ."""

    region: str | None
    az: str | None
    participants: int
    overhead_ms: dict[str, float]  # median over the group's participants of their medians
    differences: dict[tuple[str, str], tuple[float, int]]  # (a, b) -> (median difference, participants)

    @property
    def label(self) -> str:
        return f"{self.region or 'region unknown'} · {self.az or 'AZ unknown'}"


@dataclass(frozen=True)
class Board:
    """Everything the board shows, computed in one refresh."""

    generated_at: datetime
    store: str  # the store's URL, password hidden
    shared: bool  # a server many consoles write to (False: a local SQLite file)
    filter: RoomFilter
    participants: list[ParticipantRow]
    pooled: Pooled
    groups: list[GroupRow]
    runs_pooled: int
    runs_running: int
    sandbox: bool  # every pooled run was a sandbox run (figures are modelled)

    @property
    def summary(self) -> Any:
        """The per-path table (the ``stats.Analysis`` surface answer.answer reads)."""
        return self.pooled.summary

    @property
    def pairs(self) -> dict[str, list[Any]]:
        return {"overhead_ms": self.pooled.pairs}

    def verdicts(self, metric: str = "overhead_ms") -> list[str]:
        return self.pooled.verdicts(metric)

    @property
    def paths(self) -> list[str]:
        return [str(p) for p in self.pooled.summary.index]

    @property
    def stuck(self) -> list[ParticipantRow]:
        return [p for p in self.participants if p.stuck]

    @property
    def samples_pooled(self) -> int:
        return int(self.pooled.summary["count"].sum()) if len(self.pooled.summary) else 0

    def to_dict(self, answer: Any = None) -> dict[str, Any]:
        """JSON-safe: headline, per path, per pair, per participant, per group."""
        s = self.pooled.summary
        return {
            "generated_at": self.generated_at.isoformat(),
            "store": self.store,
            "filter": self.filter.describe(),
            "sandbox": self.sandbox,
            "measured_on": "sandbox (modelled, not measured on AWS)" if self.sandbox else "aws",
            "headline": answer.headline if answer is not None else None,
            "runs_pooled": self.runs_pooled,
            "runs_running": self.runs_running,
            "samples_pooled": self.samples_pooled,
            "participants_needed": self.pooled.needed,
            "paths": {str(p): {k: _json(v) for k, v in row.items()} for p, row in s.iterrows()},
            "pairs": [{**{k: _json(v) for k, v in p.to_dict().items() if k != "verdict"},
                       "sentence": pair_sentence(p),
                       "participant_differences": {w: _json(d) for w, d in
                                                   self.pooled.differences.get((p.a, p.b), {}).items()}}
                      for p in self.pooled.pairs],
            "participants": [p.to_dict() for p in self.participants],
            "groups": [{"region": g.region, "az": g.az, "participants": g.participants,
                        "overhead_ms": {k: _json(v) for k, v in g.overhead_ms.items()},
                        "differences": [{"a": a, "b": b, "median_ms": _json(d), "participants": n}
                                        for (a, b), (d, n) in g.differences.items()]} for g in self.groups],
        }


def default_sandbox(store: Any) -> bool | None:
    """Which runs the board pools by default: AWS runs when the room has any finished one,
    else sandbox runs (never both: modelled and measured figures do not mix)."""
    from workshop.store import runs

    with store.engine.connect() as conn:
        kinds = {bool(k) for k in conn.execute(
            sa.select(runs.c.sandbox).distinct().where(runs.c.status != "running")).scalars()}
    if False in kinds:
        return False
    return True if kinds else None


def board(store: Any, room_filter: RoomFilter | None = None, *, quota: Any = None,
          now: datetime | None = None) -> Board:
    """The board for ``store``: participants, the pooled comparison, regions / AZs.

    Reads a row per participant (invocation log and runs, aggregated in the database), a
    row per finished run and path (``run_path_stats``; a run seen for the first time is
    summarised once from its kept analysis), and the running runs' sample counts — never a
    sample's values, never a prompt. ``quota`` (the config's QuotaSettings) adds "used of
    allowed" per participant.
    """
    room_filter = room_filter or RoomFilter()
    now = now or datetime.now(UTC)
    finished = _finished_runs(store, room_filter)
    keep_path_stats(store, [r["id"] for r in finished])
    rows = _run_paths(store, [r["id"] for r in finished])
    pooled = pool(rows)
    activity = _participants(store, now=now, quota=quota, pooled=pooled)
    return Board(
        generated_at=now,
        store=store.url,
        shared=not store.is_sqlite,
        filter=room_filter,
        participants=activity,
        pooled=pooled,
        groups=_groups(rows),
        runs_pooled=len({r.run_id for r in rows if r.usable}),
        runs_running=sum(p.running for p in activity),
        sandbox=bool(finished) and all(r["sandbox"] for r in finished),
    )


def room_answer(b: Board) -> Any:
    """The room's headline (``answer.Answer``), from the same code as a single run's."""
    from workshop import answer

    result = answer.answer(b, sandbox=b.sandbox)
    n = max((p.n_a for p in b.pooled.pairs), default=0)
    if not b.pooled.pairs:
        headline = ("No room answer yet: no participant has finished a comparison of two paths "
                    f"({b.filter.describe()}).")
    elif not b.pooled.bounded:
        short = min(b.pooled.pairs, key=lambda p: p.n_a)
        headline = (f"Too few participants for the room's answer yet: {short.n_a} compared "
                    f"{answer.label(short.a)} and {answer.label(short.b)}, {b.pooled.needed} are needed "
                    "(a participant counts once however many samples they took).")
    elif not any(p.significant for p in b.pooled.pairs) and any(not p.equivalent for p in result.pairs):
        # A run says "run longer"; a room narrows as more participants finish.
        widest = max((p for p in result.pairs if not p.equivalent), key=lambda p: p.margin_ms)
        headline = (f"Across {n} participants' instances: no clear answer yet — the overhead difference between "
                    f"{answer.label(widest.better)} and {answer.label(widest.other)} could be anywhere from "
                    f"{answer.fmt_interval(widest.low_ms, widest.high_ms)}; it narrows as more participants finish.")
    else:
        text = result.headline
        if text.startswith(("The ", "These ", "Only ")):  # not a path's name: the sentence goes on
            text = text[0].lower() + text[1:]
        headline = f"Across {n} participants' instances: {text}"
    return replace(result, headline=headline, details=tuple(pair_sentence(p) for p in b.pooled.pairs),
                   method=METHOD)


# ============================================================================ store access


def _finished_runs(store: Any, f: RoomFilter) -> list[dict[str, Any]]:
    from workshop.store import runs

    q = sa.select(runs.c.id, runs.c.participant, runs.c.sandbox, runs.c.region, runs.c.az).where(
        runs.c.status != "running")
    if f.sandbox is not None:
        q = q.where(runs.c.sandbox == sa.true() if f.sandbox else runs.c.sandbox == sa.false())
    if f.model_id:
        q = q.where(runs.c.model_id == f.model_id)
    if f.since is not None:
        q = q.where(runs.c.created_at >= f.since)
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def keep_path_stats(store: Any, run_ids: Sequence[str]) -> int:
    """Summarise the finished runs in ``run_ids`` that have no ``run_path_stats`` rows yet,
    from their kept analyses (computing one where it is missing or stale); returns how many.

    Derived data, safe to write from any console: the same run always gives the same rows.
    """
    from workshop.store import run_path_stats, runs

    if not run_ids:
        return 0
    with store.engine.connect() as conn:
        have = set(conn.execute(sa.select(run_path_stats.c.run_id).distinct()
                                .where(run_path_stats.c.run_id.in_(run_ids))).scalars())
        missing = [r for r in run_ids if r not in have]
        if not missing:
            return 0
        info = {row.id: row for row in conn.execute(
            sa.select(runs.c.id, runs.c.participant, runs.c.paths).where(runs.c.id.in_(missing)))}
    done = 0
    for run_id in missing:
        row = info.get(run_id)
        if row is None:
            continue  # deleted meanwhile
        try:
            summary = _run_summary(store, run_id)
        except Exception:  # a run the analysis cannot read: it counts with no samples, once
            log.warning("run %s cannot be summarised for the room", run_id[:8], exc_info=True)
            summary = None
        figures = []
        for path in list(row.paths or []):
            line = summary.loc[path] if summary is not None and path in summary.index else None
            figures.append({
                "path": path,
                "n": int(line["count"]) if line is not None else 0,
                "errors": int(line["errors"]) if line is not None else 0,
                "retried": int(line["retried"]) if line is not None else 0,
                "overhead_p50": _num(line, "overhead_ms_p50"),
                "client_p50": _num(line, "client_ms_p50"),
                "server_p50": _num(line, "server_ms_p50"),
            })
        store.save_path_stats(run_id, row.participant, figures)
        done += 1
    return done


def _run_summary(store: Any, run_id: str) -> Any:
    """A finished run's per-path summary: from its kept analysis when current (what its
    participant saw), else from its samples (``stats.summarize``: the same figures, without
    the charts a kept analysis carries)."""
    from workshop import stats
    from workshop.compare import RunAnalysis, analysis_version

    text = store.load_analysis(run_id, version=analysis_version())
    if text is not None:
        try:
            return RunAnalysis.from_json(run_id, text).analysis.summary
        except (ValueError, KeyError, TypeError):
            pass  # damaged: the samples say the same
    return stats.summarize(store.samples(run_id, include_warmup=True))


def _run_paths(store: Any, run_ids: Sequence[str]) -> list[RunPath]:
    from workshop.store import run_path_stats, runs

    if not run_ids:
        return []
    t = run_path_stats
    q = (sa.select(t.c.run_id, t.c.path, t.c.n, t.c.errors, t.c.retried, t.c.overhead_p50, t.c.client_p50,
                   t.c.server_p50, runs.c.participant, runs.c.region, runs.c.az)
         .join(runs, runs.c.id == t.c.run_id).where(t.c.run_id.in_(run_ids)))
    with store.engine.connect() as conn:
        return [RunPath(run_id=r.run_id, participant=r.participant or "unnamed", path=r.path, n=int(r.n),
                        errors=int(r.errors), retried=int(r.retried), overhead_p50=r.overhead_p50,
                        client_p50=r.client_p50, server_p50=r.server_p50, region=r.region, az=r.az)
                for r in conn.execute(q)]


def _participants(store: Any, *, now: datetime, quota: Any, pooled: Pooled) -> list[ParticipantRow]:
    """One row per participant: invocation-log metadata and runs, aggregated in the database."""
    from workshop.store import invocation_log, runs, samples

    log = invocation_log
    recent = now - RECENT
    calls = (sa.select(
        log.c.participant, sa.func.count().label("calls"), sa.func.count(log.c.error_code).label("errors"),
        sa.func.max(log.c.timestamp).label("last"), sa.func.max(log.c.id).label("last_id"),
        sa.func.sum(sa.case((sa.and_(log.c.timestamp >= recent, log.c.error_code.is_not(None)), 1),
                            else_=0)).label("recent_errors"),
    ).group_by(log.c.participant))
    per_run = (sa.select(
        runs.c.participant, sa.func.count().label("runs"),
        sa.func.sum(sa.case((runs.c.status == "running", 1), else_=0)).label("running"),
        sa.func.max(runs.c.created_at).label("last_run"),
    ).group_by(runs.c.participant))
    running_q = sa.select(runs.c.id, runs.c.participant, runs.c.settings, runs.c.paths).where(
        runs.c.status == "running")
    latest_q = (sa.select(runs.c.participant, runs.c.region, runs.c.az, runs.c.created_at)
                .order_by(runs.c.created_at))
    with store.engine.connect() as conn:
        by_calls = {r.participant: r for r in conn.execute(calls)}
        last_ids = [r.last_id for r in by_calls.values()]
        last_call = {r.participant: r for r in conn.execute(
            sa.select(log.c.participant, log.c.operation, log.c.path, log.c.error_code).where(log.c.id.in_(last_ids))
        )} if last_ids else {}
        by_runs = {r.participant: r for r in conn.execute(per_run)}
        running = list(conn.execute(running_q))
        done = {}
        if running:
            done = dict(conn.execute(
                sa.select(samples.c.run_id, sa.func.count()).where(
                    samples.c.run_id.in_([r.id for r in running]), samples.c.warmup == sa.false())
                .group_by(samples.c.run_id)).all())
        where = {r.participant: (r.region, r.az) for r in conn.execute(latest_q)}  # the latest run wins
    progress: dict[str, list[str]] = defaultdict(list)
    for r in running:
        settings = r.settings or {}
        planned = int(settings.get("samples") or 0) * len(r.paths or [])
        progress[r.participant].append(f"{done.get(r.id, 0):,}/{planned:,}" if planned else f"{done.get(r.id, 0):,}")
    out = []
    for who in sorted(set(by_calls) | set(by_runs), key=lambda w: (not participants.is_named(w), str(w))):
        if who is None:
            continue
        c, r = by_calls.get(who), by_runs.get(who)
        last = max([t for t in ((c.last if c else None), (r.last_run if r else None)) if t is not None],
                   default=None)
        last = last.replace(tzinfo=UTC) if last is not None and last.tzinfo is None else last
        n_running = int(r.running or 0) if r else 0
        n_runs = int(r.runs or 0) if r else 0
        latest = last_call.get(who)
        recent_errors = int(c.recent_errors or 0) if c else 0
        step = _step(n_runs, n_running, c is not None, progress.get(who), latest)
        stuck = _stuck(latest, recent_errors, last, now, n_running, n_runs)
        used = int(c.calls) if c else 0
        region, az = where.get(who, (None, None))
        out.append(ParticipantRow(
            participant=who, name=participants.display(who), last_activity=last, calls=used,
            errors=int(c.errors) if c else 0, recent_errors=recent_errors, runs=n_runs, running=n_running,
            step=step, stuck=stuck, quota=_quota(quota, used), region=region, az=az,
            overhead_ms=dict(pooled.per_participant.get(who, {})),
        ))
    return out


def _step(runs: int, running: int, invoked: bool, progress: list[str] | None, latest: Any) -> str:
    """Where a participant is in the walk-through, from what their log and runs show."""
    if running:
        return f"5 · comparing ({', '.join(progress or [])})"
    if runs:
        return f"5 · compared ({runs} run{'s' if runs != 1 else ''})"
    if invoked:
        from workshop.stats import path_label

        path = path_label(latest.path) if latest is not None and latest.path else ""
        return f"4 · invoking{f' ({path})' if path else ''}"
    return "2 · setting up"


def _stuck(latest: Any, recent_errors: int, last: datetime | None, now: datetime, running: int, runs: int) -> str | None:
    """Why a participant looks stuck (None: they do not)."""
    if latest is not None and latest.error_code:
        return f"last call failed: {latest.error_code}"
    if recent_errors >= STUCK_ERRORS:
        return f"{recent_errors} failed calls in the last {int(RECENT.total_seconds() // 60)} min"
    if last is not None and not running and not runs and now - last >= IDLE_AFTER:
        return f"no call for {int((now - last).total_seconds() // 60)} min, no comparison yet"
    return None


def _quota(quota: Any, used: int) -> str | None:
    limit = getattr(quota, "max_invocations", None)
    return f"{used:,} of {limit:,}" if limit is not None else None


def _groups(rows: Sequence[RunPath]) -> list[GroupRow]:
    """Per region / AZ (where a run said), the participants' medians and differences; none
    when the whole room is one region and no AZ is known (nothing to break down)."""
    if len({(r.region, r.az) for r in rows}) < 2 and not any(r.az for r in rows):
        return []
    place: dict[str, tuple[str | None, str | None]] = {}
    for r in rows:  # a participant's group: their runs' (the last one seen wins; one instance each)
        place[r.participant] = (r.region, r.az)
    members: dict[tuple[str | None, str | None], list[str]] = defaultdict(list)
    for who, key in place.items():
        members[key].append(who)
    out = []
    for (region, az), who in sorted(members.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        sub = pool([r for r in rows if r.participant in set(who)])
        overhead = {str(p): float(v) for p, v in sub.summary["overhead_ms_p50"].items() if _finite(v)}
        differences = {(p.a, p.b): (p.difference, p.n_a) for p in sub.pairs if p.n_a}
        out.append(GroupRow(region, az, len(who), overhead, differences))
    return out


# ============================================================================ helpers


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _num(line: Any, column: str) -> float | None:
    if line is None:
        return None
    try:
        value = float(line[column])
    except (KeyError, TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _json(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, tuple):
        return list(value)
    return value


def fmt_ms(value: float | None) -> str:
    """Milliseconds for the board's tables (``–`` when unknown)."""
    if value is None or not _finite(value):
        return "–"
    from workshop.answer import fmt_ms as fmt

    return f"{'−' if value < 0 else ''}{fmt(value)}"


__all__ = [
    "Board", "GroupRow", "ParticipantRow", "Pooled", "RoomFilter", "RunPath", "board", "keep_path_stats",
    "pair_sentence", "participants_needed", "pool", "room_answer", "room_interval",
]

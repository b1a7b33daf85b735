"""Comparison runs across access paths: scheduling, warm-up, concurrency, cancel, progress.

A run is paths x model x body x API x N samples per path. Honest-comparison rules from
DESIGN.md, and where each lives here:

* paths are interleaved (round-robin, or shuffled blocks with a seed), so drift in model
  time hits every path alike: :func:`schedule`;
* each path is warmed up first; its very first call is timed alone and flagged ``cold``
  (shown apart), all warm-up samples are stored with ``warmup=True`` and never enter the
  statistics: :func:`plan`, :class:`ComparisonJob`;
* every sample is committed to the store as soon as it completes (a writer thread
  group-commits whatever completed during the previous commit, typically within a
  millisecond), and nothing is reported before it is committed: a cancelled run keeps
  every sample, a killed one every sample it reported;
* throttling is retried by botocore; the result's ``retries`` is stored, and statistics
  leave retried samples out (see workshop/stats.py);
* an adaptive run (``precision_ms``) keeps sampling until every pairwise overhead interval
  is narrower than the precision asked for, or its time is up; its intervals are
  confidence sequences (workshop/sequential.py), valid however early it stops.

Cancel stops taking calls at once and waits a moment (``CANCEL_GRACE_S``) for calls in
flight; one still going then is abandoned, not stored: nothing is lost that was reported.

:class:`ComparisonJob` runs in worker threads and never touches Streamlit: the console
starts it from a callback and polls :meth:`ComparisonJob.snapshot` from a fragment; the
CLI uses :func:`run_comparison`.
"""

from __future__ import annotations

import json
import logging
import math
import queue
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from workshop import APIS
from workshop.errors import InputError, StoreError
from workshop.results import InvocationResult
from workshop.sequential import PrecisionMonitor, PrecisionStatus, RunningStats

if TYPE_CHECKING:
    from workshop import stats

log = logging.getLogger(__name__)

SCHEDULES: tuple[str, ...] = ("round-robin", "shuffled")
RECENT_SAMPLES = 200  # kept for the live chart
MAX_BATCH = 500  # samples per group commit at most
MAX_SAMPLES_PER_PATH = 100_000
"""The most measured samples per path a run may ask for (an adaptive run's ceiling too)."""
DEFAULT_PRECISION_TIME_S = 60.0
"""An adaptive run without a time limit stops after this long."""
CANCEL_GRACE_S = 0.5
"""After a cancel, how long calls in flight may take to finish and be kept."""
DEFAULT_CONCURRENCY = 8
"""Calls in flight by default: fast, without moving overhead (bench/concurrency.py measures
overhead at 1-16 calls in flight; docs/statistics.md quotes it)."""
_STOP = object()

InvokeFn = Callable[[str, str, dict[str, Any], str], InvocationResult]
"""``invoke_fn(path, model_id, body, api) -> InvocationResult`` (errors as data)."""


class SampleStore(Protocol):
    """The part of workshop.store.Store a run writes to."""

    def create_run(
        self,
        settings: dict[str, Any],
        *,
        paths: Sequence[str],
        model_id: str,
        api: str,
        sandbox: bool,
        label: str | None = None,
        notes: str | None = None,
        participant: str | None = None,
        az: str | None = None,
    ) -> str: ...

    def add_samples(
        self,
        run_id: str,
        items: Sequence[tuple[InvocationResult, int, bool, bool]],
        *,
        keep_text: bool = False,
    ) -> None: ...

    def finish_run(self, run_id: str, status: str, *, notes: str | None = None) -> None: ...


# --------------------------------------------------------------------------------------
# Settings and schedule


@dataclass(frozen=True)
class RunSettings:
    """What to compare and how. Validated on creation (InputError naming the field)."""

    paths: tuple[str, ...]
    model_id: str
    body: dict[str, Any] = field(default_factory=dict, hash=False)
    api: str = "invoke"
    samples: int = 30  # measured samples per path (N)
    warmup: int = 2  # warm-up calls per path (W), the first of them the cold call
    concurrency: int = 1  # K calls in flight at once
    pause_ms: float = 0.0  # each worker's pause between calls
    time_limit_s: float | None = None
    schedule: str = "round-robin"
    seed: int = 0
    keep_text: bool = False
    label: str | None = None
    precision_ms: float | None = None
    """Adaptive run: stop once every pairwise overhead interval's half-width is below this
    (``samples`` is then the ceiling per path, ``time_limit_s`` defaults to 60 s)."""
    max_tokens: int | None = None
    """The short-answer limit applied to the body (workshop.answer_limit); None: the body's own."""
    region: str | None = None
    path_kinds: dict[str, str] = field(default_factory=dict, hash=False)
    """Path name -> kind (nat, vpce, cross-account, ...): what the cost estimate prices."""
    session_s: dict[str, int] = field(default_factory=dict, hash=False)
    """Path name -> assumed-role session length (s), for paths that assume a role."""
    shared_endpoints: list[dict[str, Any]] = field(default_factory=list, hash=False)
    """Groups of paths that reach one endpoint (``diagnostics.shared_endpoints`` at the start:
    ``{"paths": [...], "reason": "..."}``): the answer never calls them different."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "paths", tuple(self.paths))
        if not self.paths:
            raise InputError(
                "no paths to compare", field="paths", fix="name at least one path, e.g. nat,vpce"
            )
        if len(set(self.paths)) != len(self.paths):
            raise InputError(
                "a path is listed twice",
                field="paths",
                fix="name each path once (the schedule interleaves them)",
            )
        if not self.model_id:
            raise InputError("no model id", field="model", fix="choose a model, e.g. amazon.nova-micro-v1:0")
        if self.api not in APIS:
            raise InputError(f"unknown API {self.api!r}", field="api", fix="one of: " + ", ".join(APIS))
        _check_int("samples", self.samples, minimum=1, maximum=MAX_SAMPLES_PER_PATH,
                   fix=f"1 to {MAX_SAMPLES_PER_PATH:,} samples per path; 50+ for a p90")
        _check_int("warmup", self.warmup, minimum=0, fix="0 or more warm-up calls per path")
        _check_int("concurrency", self.concurrency, minimum=1, fix="1 or more calls in flight", maximum=256)
        if not (
            isinstance(self.pause_ms, int | float) and math.isfinite(self.pause_ms) and self.pause_ms >= 0
        ):
            raise InputError(f"pause {self.pause_ms!r} ms", field="pause_ms", fix="0 or more milliseconds")
        if self.precision_ms is not None:
            if isinstance(self.precision_ms, bool) or not (
                isinstance(self.precision_ms, int | float) and math.isfinite(self.precision_ms)
                and self.precision_ms > 0
            ):
                raise InputError(f"precision {self.precision_ms!r} ms", field="precision_ms",
                                 fix="a positive number of milliseconds, e.g. 0.5")
            if self.time_limit_s is None:
                object.__setattr__(self, "time_limit_s", DEFAULT_PRECISION_TIME_S)
        if self.time_limit_s is not None and not (
            isinstance(self.time_limit_s, int | float) and not isinstance(self.time_limit_s, bool)
            and math.isfinite(self.time_limit_s) and self.time_limit_s > 0
        ):
            raise InputError(
                f"time limit {self.time_limit_s!r} s",
                field="time_limit_s",
                fix="a positive number of seconds",
            )
        if self.schedule not in SCHEDULES:
            raise InputError(
                f"unknown schedule {self.schedule!r}", field="schedule", fix="round-robin or shuffled"
            )
        if not isinstance(self.body, dict):
            raise InputError("the request body must be a JSON object", field="body")
        from workshop.gateway import PROXY_APIS  # the api-gateway path carries no streams (issue 12)

        proxied = [p for p in self.paths if self.path_kinds.get(p) == "api-gateway"]
        if proxied and self.api not in PROXY_APIS:
            raise InputError(f"the {proxied[0]} path (API Gateway + Lambda proxy) carries invoke and converse, "
                             f"not {self.api}", field="api",
                             fix=f"use invoke or converse, or leave {', '.join(proxied)} out of the paths")

    @property
    def total(self) -> int:
        """Measured samples in the whole run (an adaptive run's ceiling)."""
        return self.samples * len(self.paths)

    @property
    def adaptive(self) -> bool:
        """True when the run stops on precision rather than on a sample count."""
        return self.precision_ms is not None

    @property
    def warmup_total(self) -> int:
        return self.warmup * len(self.paths)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe settings as stored with the run (the body included; it holds no secret)."""
        data = asdict(self)
        data["paths"] = list(self.paths)
        data["path_kinds"] = dict(self.path_kinds)
        data["session_s"] = dict(self.session_s)
        data["shared_endpoints"] = [dict(g) for g in self.shared_endpoints]
        return data


def default_paths(config: Any, api: str = "invoke") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The paths a comparison takes when none are named, and the config's paths it leaves out.

    The direct paths (NAT, PrivateLink, cross-account) that can carry ``api``: the question a
    comparison answers by default. Gateway paths join when named: what a gateway costs per call
    is its own question, and each path in a run costs every other pair samples (on the sandbox,
    three paths reached ±0.5 ms in a median of 50 s, five not within 60 s). A config of gateway paths only
    compares those. Paths that cannot carry ``api`` (a Lambda proxy has no streams) are left out.
    """
    from workshop.gateway import carries

    carrying = [n for n, p in config.paths.items() if carries(p, api)]
    direct = [n for n in carrying if not getattr(config.paths[n], "is_gateway", False)]
    chosen = tuple(direct if len(direct) >= 2 else carrying)
    return chosen, tuple(n for n in config.paths if n not in chosen)


def path_facts(config: Any, paths: Sequence[str], *, resolver: Any = None) -> dict[str, Any]:
    """``region``, ``path_kinds``, ``session_s`` and ``shared_endpoints`` for RunSettings,
    from a config (the last resolves the paths' endpoint names: the private-DNS trap)."""
    kinds: dict[str, str] = {}
    sessions: dict[str, int] = {}
    for name in paths:
        path = getattr(config, "paths", {}).get(name)
        if path is None:
            continue
        kinds[name] = path.kind
        creds = path.credentials
        if creds.kind in ("assume-role", "access-keys"):
            sessions[name] = int(creds.duration_seconds)
    shared: list[dict[str, Any]] = []
    if len(kinds) > 1:
        from workshop import diagnostics

        try:
            groups = diagnostics.shared_endpoints(config, list(kinds), resolver=resolver)
        except Exception as exc:  # a check that cannot run must not stop the run: say so in the log
            log.warning("could not check whether paths share an endpoint: %s", exc)
            groups = []
        shared = [{"paths": list(g.paths), "reason": g.reason} for g in groups]
    return {"region": getattr(config, "region", None), "path_kinds": kinds, "session_s": sessions,
            "shared_endpoints": shared}


def _check_int(name: str, value: Any, *, minimum: int, fix: str, maximum: int | None = None) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < minimum
        or (maximum and value > maximum)
    ):
        raise InputError(f"{name} = {value!r}", field=name, fix=fix)


@dataclass(frozen=True)
class Planned:
    """One call of a run: its sequence number, path, and whether it is warm-up / cold."""

    seq: int
    path: str
    warmup: bool = False
    cold: bool = False


def iter_schedule(settings: RunSettings) -> Iterator[tuple[int, str]]:
    """The measured calls in order, as ``(seq, path)``, made as they are taken (a run of
    100,000 samples per path never holds its plan in memory); seq continues after warm-up.

    Round-robin: rounds of every path in the given order. Shuffled: rounds (blocks) of
    every path in a random order drawn from ``settings.seed``, so the same seed gives the
    same schedule. Either way each path's k-th sample is taken in the same round, which is
    what makes drift cancel out between paths.
    """
    rng = random.Random(settings.seed)
    order = list(settings.paths)
    seq = settings.warmup_total
    for _ in range(settings.samples):
        if settings.schedule == "shuffled":
            rng.shuffle(order)
        for path in order:
            yield seq, path
            seq += 1


def schedule(settings: RunSettings) -> list[tuple[int, str]]:
    """:func:`iter_schedule` as a list (for small runs and tests)."""
    return list(iter_schedule(settings))


def iter_warmup(settings: RunSettings) -> Iterator[Planned]:
    """Warm-up rounds, the first one cold."""
    seq = 0
    for round_no in range(settings.warmup):
        for path in settings.paths:
            yield Planned(seq, path, warmup=True, cold=round_no == 0)
            seq += 1


def plan(settings: RunSettings) -> list[Planned]:
    """The whole run: warm-up rounds (the first round cold), then :func:`schedule`."""
    calls = list(iter_warmup(settings))
    calls.extend(Planned(s, p) for s, p in iter_schedule(settings))
    return calls


# --------------------------------------------------------------------------------------
# Progress


@dataclass(frozen=True)
class RecentSample:
    """A completed sample, as the live chart draws it."""

    seq: int
    path: str
    elapsed_s: float  # since the run started
    client_ms: float | None
    overhead_ms: float | None
    ok: bool
    retried: bool
    warmup: bool


@dataclass(frozen=True)
class PathProgress:
    done: int = 0
    errors: int = 0
    retried: int = 0
    p50_client_ms: float = math.nan
    p50_overhead_ms: float = math.nan
    cold_client_ms: float | None = None


@dataclass(frozen=True)
class Progress:
    """A consistent picture of a running (or finished) job, safe to read from any thread."""

    run_id: str | None
    phase: str  # starting, warm-up, measuring, cancelling, analysing, finished
    status: str  # the run's status in the store: running, complete, cancelled, failed, ...
    done: int  # measured samples completed
    total: int  # measured samples planned (an adaptive run's ceiling)
    warmup_done: int
    warmup_total: int
    errors: int
    retried: int
    rate_per_s: float  # completions per second over the last few seconds
    elapsed_s: float
    per_path: dict[str, PathProgress]
    recent: tuple[RecentSample, ...]
    error: str | None = None
    note: str | None = None
    precision: PrecisionStatus | None = None  # adaptive runs: where the widest interval stands
    time_limit_s: float | None = None
    eta_s: float | None = None  # estimated seconds until the run ends (None: unknown)

    @property
    def fraction(self) -> float:
        """How far along the run is, 0..1 (an adaptive run: towards its precision or its
        time limit, whichever it will reach first)."""
        if self.phase == "finished":
            return 1.0
        if self.eta_s is not None and self.elapsed_s > 0 and self.phase == "measuring":
            return min(1.0, self.elapsed_s / (self.elapsed_s + self.eta_s))
        total = self.total + self.warmup_total
        return min(1.0, (self.done + self.warmup_done) / total) if total else 1.0

    @property
    def finished(self) -> bool:
        return self.phase == "finished"


@dataclass(frozen=True)
class Sample:
    """What ``on_sample`` receives once a sample is committed to the store."""

    seq: int
    path: str
    warmup: bool
    cold: bool
    result: InvocationResult


class _Tracker:
    """Mutable progress counters, updated by the writer thread under one lock."""

    def __init__(self, settings: RunSettings) -> None:
        self.lock = threading.Lock()
        self.t0 = time.perf_counter()
        self.done = 0
        self.warmup_done = 0
        self.errors = 0
        self.retried = 0
        self.per_path = {p: {"done": 0, "errors": 0, "retried": 0, "cold": None} for p in settings.paths}
        self.client = {p: RunningStats() for p in settings.paths}
        self.overhead = {p: RunningStats() for p in settings.paths}
        self.recent: deque[RecentSample] = deque(maxlen=RECENT_SAMPLES)
        self.completions: deque[float] = deque(maxlen=512)
        self.monitor = PrecisionMonitor(settings.paths, settings.precision_ms) if settings.adaptive else None
        self.precision: PrecisionStatus | None = None

    def record(self, call: Planned, result: InvocationResult) -> None:
        now = time.perf_counter()
        retried = (result.retries or 0) > 0
        with self.lock:
            self.completions.append(now)
            self.recent.append(
                RecentSample(
                    call.seq,
                    call.path,
                    now - self.t0,
                    result.client_ms,
                    result.overhead_ms,
                    result.ok,
                    retried,
                    call.warmup,
                )
            )
            counts = self.per_path[call.path]
            if call.cold:
                counts["cold"] = result.client_ms
            if call.warmup:
                self.warmup_done += 1
                return
            self.done += 1
            counts["done"] += 1
            if not result.ok:
                self.errors += 1
                counts["errors"] += 1
            elif retried:
                self.retried += 1
                counts["retried"] += 1
            else:
                # Running medians use the same samples the final statistics use.
                self.client[call.path].add(result.client_ms)
                self.overhead[call.path].add(result.overhead_ms)
                if self.monitor is not None:
                    self.monitor.add(call.path, result.overhead_ms)
            if retried and not result.ok:
                self.retried += 1
                counts["retried"] += 1

    def check_precision(self) -> PrecisionStatus | None:
        """Recompute where the widest pairwise interval stands (after each committed batch)."""
        if self.monitor is None:
            return None
        with self.lock:
            self.precision = self.monitor.status()
            return self.precision

    def rate(self, now: float) -> float:
        window = [t for t in self.completions if now - t <= 5.0]
        if len(window) < 2:
            return 0.0
        span = window[-1] - window[0]
        return (len(window) - 1) / span if span > 0 else 0.0


# --------------------------------------------------------------------------------------
# The job


class ComparisonJob:
    """One comparison run in background threads; cancel, snapshot and wait from any thread.

    ``start()`` checks the run's whole quota (QuotaError before anything is sent), records
    the run (``run_id`` is set when it returns; a caller may choose it) and returns at once;
    K worker threads then warm up and measure. ``invoke_fn(path, model_id, body, api)``
    defaults to ``workbench.invoke``. ``on_sample`` is called in the writer thread after each
    sample is committed. An exception in a worker (a bug, a quota refusal, the store going
    away) stops the run: ``error`` holds it and the run is marked ``failed``.
    """

    def __init__(
        self,
        settings: RunSettings,
        workbench: Any,
        store: SampleStore,
        *,
        invoke_fn: InvokeFn | None = None,
        on_sample: Callable[[Sample], None] | None = None,
        participant: str | None = None,
        sandbox: bool | None = None,
        run_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.workbench = workbench
        self.store = store
        self.on_sample = on_sample
        self.participant = participant
        self.sandbox = bool(getattr(workbench, "is_sandbox", False)) if sandbox is None else sandbox
        self.invoke_fn: InvokeFn = invoke_fn or self._workbench_invoke
        self.run_id: str | None = run_id
        self.error: BaseException | None = None
        self.status = "running"
        self.note: str | None = None
        self.abandoned = 0
        """Calls still in flight when a cancel's grace ran out: sent, never stored."""
        self._cancel = threading.Event()
        self._precise = threading.Event()
        self._finished = threading.Event()
        self._phase = "starting"
        self._tracker = _Tracker(settings)
        self._thread: threading.Thread | None = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._deadline: float | None = None
        self.analysis_s: float | None = None
        """Seconds spent analysing the finished run and keeping the analysis (None: not done)."""

    def _workbench_invoke(self, path: str, model_id: str, body: dict[str, Any], api: str) -> InvocationResult:
        # The whole run's quota was checked in start(); each call is still logged.
        return self.workbench.invoke(
            path, model_id, body, api, participant=self.who, enforce_quota=False
        )

    @property
    def who(self) -> str:
        """The participant the run, its samples and its calls are attributed to: the name
        given, else ``quotas.participant_id`` (``$WORKSHOP_PARTICIPANT``, else unnamed)."""
        if self.participant:
            return self.participant
        from workshop import quotas

        return quotas.participant_id("cli")

    def _check_quota(self) -> None:
        """Refuse the whole run up front (QuotaError, nothing sent) if it would exceed the
        facilitator's quota, instead of failing halfway through."""
        config = getattr(self.workbench, "config", None)
        quota = getattr(config, "quota", None)
        if quota is None:
            return
        from workshop import quotas

        if not quotas.is_limited(quota):
            return
        who = self.who
        cost = self.settings.total + self.settings.warmup_total
        quotas.check_quota(quota, self.workbench.store, who, cost=cost)

    # ------------------------------------------------------------ control

    def start(self) -> ComparisonJob:
        """Record the run and start measuring in the background; returns self."""
        if self._thread is not None:
            raise RuntimeError("job already started")
        s = self.settings
        if self.invoke_fn == self._workbench_invoke:
            self._check_quota()
        from workshop.participants import availability_zone

        self.run_id = self.store.create_run(
            s.to_dict(), paths=s.paths, model_id=s.model_id, api=s.api, sandbox=self.sandbox, label=s.label,
            participant=self.who, az=availability_zone(),
            **({"run_id": self.run_id} if self.run_id else {}),
        )
        self._thread = threading.Thread(target=self._run, name=f"compare-{self.run_id[:8]}", daemon=True)
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Stop taking new calls; calls in flight get ``CANCEL_GRACE_S`` to finish and be kept.
        Returns at once; the phase reads ``cancelling`` until the run is closed."""
        self._cancel.set()
        with self._tracker.lock:
            if self._phase not in ("finished", "analysing"):
                self._phase = "cancelling"

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run has finished (True) or ``timeout`` passed (False)."""
        return self._finished.wait(timeout)

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def done_measured(self) -> int:
        """Measured samples committed so far (warm-up not counted)."""
        with self._tracker.lock:
            return self._tracker.done

    def snapshot(self) -> Progress:
        """Counts, rates, running medians per path, the precision reached and the last
        samples; cheap, any thread."""
        t = self._tracker
        now = time.perf_counter()
        with t.lock:
            per_path = {
                p: PathProgress(
                    done=c["done"],
                    errors=c["errors"],
                    retried=c["retried"],
                    p50_client_ms=t.client[p].median,
                    p50_overhead_ms=t.overhead[p].median,
                    cold_client_ms=c["cold"],
                )
                for p, c in t.per_path.items()
            }
            rate = t.rate(now)
            elapsed = now - t.t0
            return Progress(
                run_id=self.run_id,
                phase=self._phase,
                status=self.status,
                done=t.done,
                total=self.settings.total,
                warmup_done=t.warmup_done,
                warmup_total=self.settings.warmup_total,
                errors=t.errors,
                retried=t.retried,
                rate_per_s=rate,
                elapsed_s=elapsed,
                per_path=per_path,
                recent=tuple(t.recent),
                error=str(self.error) if self.error else None,
                note=self.note,
                precision=t.precision,
                time_limit_s=self.settings.time_limit_s,
                eta_s=self._eta(t, rate, elapsed),
            )

    def _eta(self, t: _Tracker, rate: float, elapsed: float) -> float | None:
        """Seconds left: by the precision's 1/sqrt(n) trend (adaptive), else by the samples
        left at the current rate; never past the time limit."""
        if self._phase != "measuring" or rate <= 0:
            return None
        left: float | None = None
        paths = len(self.settings.paths)
        if t.precision is not None and t.precision.needed_per_path is not None:
            needed = min(t.precision.needed_per_path, self.settings.samples)
            left = max(0, needed - t.precision.samples_per_path) * paths / rate
        elif not self.settings.adaptive:
            left = (self.settings.total - t.done) / rate
        limit = self.settings.time_limit_s
        if limit is not None:
            to_limit = max(0.0, limit - elapsed)
            left = to_limit if left is None else min(left, to_limit)
        return left

    # ------------------------------------------------------------ work

    def _run(self) -> None:
        s = self.settings
        t = self._tracker
        t.t0 = time.perf_counter()
        if s.time_limit_s is not None:
            self._deadline = t.t0 + s.time_limit_s
        warm = list(iter_warmup(s))  # paths x W: small
        cold = [c for c in warm if c.cold]
        rest = [c for c in warm if not c.cold]
        measured = (Planned(seq, path) for seq, path in iter_schedule(s))
        writer = threading.Thread(target=self._write_loop, name="compare-writer", daemon=True)
        writer.start()
        try:
            for path in s.paths:  # credentials and clients before the clock matters
                if self._stopping():
                    break
                client = getattr(self.workbench, "client", None)
                if client is not None and self.invoke_fn == self._workbench_invoke:
                    client(path)
            self._set_phase("warm-up")
            # The cold call per path runs alone, so its time is not mixed with other traffic.
            self._work(iter(cold), workers=1)
            self._work(iter(rest), workers=s.concurrency)
            self._set_phase("measuring")
            self._work(measured, workers=s.concurrency)
        except BaseException as exc:  # a worker raised: keep what was taken, say why
            self._cancel_internal(exc)
        finally:
            # Every call that completed is queued by now; the writer commits the rest, then ends.
            self._queue.put(_STOP)
            writer.join()
            self._finish()

    def _write_loop(self) -> None:
        """Group commit: write whatever completed while the previous commit ran, in one
        transaction, then count and report those samples. Nothing is reported (progress,
        ``on_sample``) before it is committed, so a kill loses only samples nobody saw; a
        cancel loses nothing, because the job waits for this loop to drain."""
        assert self.run_id is not None
        keep_text = self.settings.keep_text
        stopped = write_failed = False
        while not stopped:
            batch: list[tuple[Planned, InvocationResult]] = []
            item = self._queue.get()
            while True:
                if item is _STOP:
                    stopped = True
                    break
                batch.append(item)
                if len(batch) >= MAX_BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if not batch or write_failed:
                continue  # after a failed write, drain without writing (the run is failing)
            try:
                self.store.add_samples(
                    self.run_id, [(r, c.seq, c.warmup, c.cold) for c, r in batch], keep_text=keep_text
                )
                for call, result in batch:
                    self._tracker.record(call, result)
                    if self.on_sample is not None:
                        self.on_sample(Sample(call.seq, call.path, call.warmup, call.cold, result))
                status = self._tracker.check_precision()
                if status is not None and status.reached and not self._precise.is_set():
                    self._precise.set()  # workers take no new call; those in flight are kept
            except BaseException as exc:
                write_failed = True
                self._cancel_internal(exc)

    def _stopping(self) -> bool:
        if self._cancel.is_set() or self._precise.is_set() or self.error is not None:
            return True
        return self._deadline is not None and time.perf_counter() >= self._deadline

    def _work(self, calls: Iterator[Planned], *, workers: int) -> None:
        """Run ``calls`` on ``workers`` threads until they are used up or the run stops.

        The calling thread only waits: after a cancel it gives calls in flight
        ``CANCEL_GRACE_S`` and then leaves them behind (their results are never queued), so
        a cancel acts within a second however long a call takes.
        """
        lock = threading.Lock()
        errors: list[BaseException] = []
        abandon = threading.Event()

        def next_call() -> Planned | None:
            with lock:
                return next(calls, None)

        def worker() -> None:
            first = True
            try:
                while not self._stopping():
                    # An Event wait, so cancel interrupts the pause.
                    if (
                        not first
                        and self.settings.pause_ms
                        and self._cancel.wait(self.settings.pause_ms / 1000.0)
                    ):
                        return
                    first = False
                    call = next_call()
                    if call is None:
                        return
                    self._one(call, abandon)
            except BaseException as exc:
                errors.append(exc)
                self._cancel_internal(exc)

        threads = [
            threading.Thread(target=worker, name=f"compare-worker-{i}", daemon=True) for i in range(workers)
        ]
        for th in threads:
            th.start()
        while alive := [th for th in threads if th.is_alive()]:
            if self._cancel.is_set():
                grace_end = time.perf_counter() + CANCEL_GRACE_S
                for th in alive:
                    th.join(max(0.0, grace_end - time.perf_counter()))
                stuck = sum(th.is_alive() for th in alive)
                if stuck:
                    abandon.set()
                    with self._tracker.lock:
                        self.abandoned += stuck
                break
            alive[0].join(0.05)  # a short wait, so a cancel is noticed within 50 ms
        if errors:
            raise errors[0]

    def _cancel_internal(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc

    def _one(self, call: Planned, abandon: threading.Event) -> None:
        s = self.settings
        result = self.invoke_fn(call.path, s.model_id, s.body, s.api)
        if abandon.is_set():
            return  # the run was closed without this call: it is not reported, so not stored
        # Handed to the writer thread: workers never wait on the database.
        self._queue.put((call, result))

    def _set_phase(self, phase: str) -> None:
        with self._tracker.lock:
            if self._phase != "cancelling" or phase in ("analysing", "finished"):
                self._phase = phase

    def _keep_analysis(self) -> None:
        """Analyse the finished run once, now, and keep it with the run: the console then
        draws it from one small row instead of every sample. Best effort: if it fails, the
        first view of the run computes it (and says what went wrong if it fails again)."""
        if self.run_id is None or not callable(getattr(self.store, "save_analysis", None)):
            return  # a store that only takes samples (SampleStore)
        self._set_phase("analysing")
        t0 = time.perf_counter()
        try:
            analyse_run(self.store, self.run_id, seed=self.settings.seed, sandbox=self.sandbox)  # type: ignore[arg-type]
        except Exception:
            log.warning("could not keep the analysis of run %s; it is computed when viewed",
                        self.run_id[:8], exc_info=True)
        self.analysis_s = time.perf_counter() - t0

    def _end_note(self) -> str | None:
        """Why the run ended where it did, in a sentence (None: it simply ran to the end)."""
        s, t = self.settings, self._tracker
        per_path = min((c["done"] for c in t.per_path.values()), default=0)
        if s.adaptive:
            precision = t.precision
            widest = f"±{precision.widest_ms:.2g} ms" if precision and math.isfinite(precision.widest_ms) else "unbounded"
            if self._precise.is_set():
                return f"stopped when every interval was within ±{s.precision_ms:g} ms, after {per_path} samples per path"
            if per_path >= s.samples:
                return (f"stopped at the {s.samples:,}-sample ceiling per path before ±{s.precision_ms:g} ms "
                        f"(widest interval {widest})")
            return (f"stopped by the {s.time_limit_s:g} s time limit after {per_path} samples per path, "
                    f"before ±{s.precision_ms:g} ms (widest interval {widest})")
        if t.done < s.total:
            return f"stopped by the {s.time_limit_s:g} s time limit after {t.done} of {s.total} samples"
        return None

    def _finish(self) -> None:
        t = self._tracker
        note = None
        if self.error is not None:
            status = "failed"
            note = f"stopped by an error: {self.error}"
        elif self._cancel.is_set():
            status = "cancelled"
            if self.abandoned:
                note = f"cancelled with {self.abandoned} call(s) still in flight; those were not stored"
        else:
            status = "complete"
            note = self._end_note()
        self.note = note
        try:
            if self.run_id is not None:
                self.store.finish_run(self.run_id, status, notes=self.note)
        except BaseException as exc:
            if self.error is None:
                self.error = exc
            status = "failed"
        else:
            self._keep_analysis()
        finally:
            with t.lock:
                self.status = status
                self._phase = "finished"
            self._finished.set()


def run_comparison(
    settings: RunSettings,
    workbench: Any,
    store: SampleStore,
    *,
    invoke_fn: InvokeFn | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_sample: Callable[[Sample], None] | None = None,
    participant: str | None = None,
    interval_s: float = 0.2,
) -> ComparisonJob:
    """Run a comparison to the end in this thread's control (the CLI's entry point).

    ``on_progress`` gets a snapshot every ``interval_s`` and once at the end. Ctrl-C
    (KeyboardInterrupt) cancels the run cleanly: calls in flight finish, every sample is
    kept, the run is marked ``cancelled``, and the finished job is returned.
    """
    job = ComparisonJob(
        settings, workbench, store, invoke_fn=invoke_fn, on_sample=on_sample, participant=participant
    )
    job.start()
    try:
        while not job.wait(interval_s):
            if on_progress is not None:
                on_progress(job.snapshot())
    except KeyboardInterrupt:
        job.cancel()
        job.wait()
    if on_progress is not None:
        on_progress(job.snapshot())
    return job


# --------------------------------------------------------------------------------------
# A run's analysis, computed once and kept with the run


def analysis_version() -> str:
    """What a kept analysis is computed with; a kept one of another version is computed again.
    (Also ``ANALYSIS_VERSION``, computed on first use: stats and charts import pandas and
    Altair, which a run must not wait for before its first call.)"""
    from workshop import charts, stats

    return f"stats{stats.ANALYSIS_FORMAT}.charts{charts.SPEC_VERSION}"


def __getattr__(name: str) -> Any:  # PEP 562: ANALYSIS_VERSION without importing stats at load
    if name == "ANALYSIS_VERSION":
        return analysis_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class RunAnalysis:
    """A stored run's statistics and its four charts, as kept in the store.

    ``analysis`` is ``stats.analyse`` of every sample of the run (warm-up rows included:
    the cold first call is shown apart), seeded with the run's seed; ``charts`` maps each of
    ``charts.CHART_NAMES`` to its Vega-Lite spec (data inline: a few thousand rows at most);
    ``sample_count`` is how many samples it was computed from.
    """

    run_id: str
    sample_count: int
    analysis: stats.Analysis
    charts: dict[str, dict[str, Any]]

    def to_json(self) -> str:
        return json.dumps(
            {"sample_count": self.sample_count, "analysis": self.analysis.to_dict(), "charts": self.charts},
            allow_nan=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, run_id: str, text: str) -> RunAnalysis:
        from workshop import charts, stats

        data = json.loads(text)
        return cls(
            run_id=run_id,
            sample_count=int(data["sample_count"]),
            analysis=stats.Analysis.from_dict(data["analysis"]),
            charts={name: data["charts"][name] for name in charts.CHART_NAMES},
        )


def analyse_run(store: Any, run_id: str, *, seed: int | None = None, sandbox: bool | None = None) -> RunAnalysis:
    """Analyse a stored run from all its samples and keep the result in the store.

    ``seed`` and ``sandbox`` default to the run's own (settings ``seed``, ``sandbox``); an
    adaptive run (settings ``precision_ms``) gets confidence-sequence intervals. The result
    is returned even when it cannot be kept (a read-only store, the run deleted meanwhile):
    that is logged, and the next view computes it again.
    """
    run = store.get_run(run_id)
    settings = run.settings or {}
    seed = int(settings.get("seed", 0) or 0) if seed is None else seed
    sandbox = run.sandbox if sandbox is None else sandbox
    from workshop import charts, stats

    df = store.samples(run_id, include_warmup=True)
    analysis = stats.analyse(df, seed=seed, sequential=settings.get("precision_ms") is not None)
    result = RunAnalysis(run_id, len(df), analysis, charts.vega_lite_specs(analysis, sandbox=sandbox))
    try:
        store.save_analysis(run_id, result.to_json(), version=analysis_version(), sample_count=len(df))
    except StoreError as err:
        log.warning("the analysis of run %s is not kept: %s", run_id[:8], err)
    return result


def run_analysis(store: Any, run_id: str, *, seed: int | None = None, sandbox: bool | None = None) -> RunAnalysis:
    """The run's kept analysis when it is current (same ``ANALYSIS_VERSION``, same number
    of samples), else :func:`analyse_run` (an older run, one still going, or one whose
    samples changed): viewing a run reads one small row, not its samples."""
    text = store.load_analysis(run_id, version=analysis_version())
    if text is not None:
        try:
            return RunAnalysis.from_json(run_id, text)
        except (ValueError, KeyError, TypeError) as exc:  # a damaged row: compute it again
            log.warning("the kept analysis of run %s is unreadable (%s); computing it again", run_id[:8], exc)
    return analyse_run(store, run_id, seed=seed, sandbox=sandbox)

"""Step 5 — Compare paths: the answer first, then the settings that produced it.

Nothing is measured in this process. Start hands the run to a runner process
(``workshop.runner``: the same engine the CLI runs) and keeps its handle in
``st.session_state`` and in a server-wide registry; a ``@st.fragment(run_every=...)`` draws
the handle's snapshots while the child measures. A click anywhere never aborts a run, a
browser refresh finds the run again, and a closed tab does not stop it.

The default run is adaptive: it stops when every pairwise overhead interval is within
±0.5 ms (or after 60 s), with short answers, so a participant has the answer within a
minute. A finished run is drawn by :func:`show_run` from its kept analysis: the headline,
the cost at a stated volume, the one-time costs, the four charts, the table and the
stakeholder report. History draws stored runs with the same function.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from workshop import APIS, PATH_LABELS
from workshop.errors import InputError, WorkshopError
from workshop.ui import alerts, state
from workshop.ui.widgets import bind, show_sandbox_label

if TYPE_CHECKING:
    from workshop.store import RunInfo, Store
    from workshop.ui.frame import Context

# --- page-local state (declared through state.register: typo-checked, seeded by the frame)
PATHS = state.register("compare.paths", lambda: None)
"""Chosen paths; None until the page first runs (then: every path of the config)."""
MODEL = state.register("compare.model", lambda: None)
API = state.register("compare.api", lambda: "invoke")
BODY = state.register("compare.body", lambda: None)
"""Request body text; seeded from the Model & prompt page, else the family template."""
BODY_FOR = state.register("compare.body_for", lambda: None)
"""(model family, api) the body was seeded for; a change reseeds an untouched body."""
MODE = state.register("compare.mode", lambda: "precision")
"""``precision``: until the answer is clear (or the time is up); ``fixed``: N samples per path."""
PRECISION = state.register("compare.precision", lambda: 0.5)
MAX_TIME = state.register("compare.max_time", lambda: 60)
N = state.register("compare.n", lambda: 100)
WARMUP = state.register("compare.warmup", lambda: 2)
CONCURRENCY = state.register("compare.concurrency", lambda: _default_concurrency())
SHORT = state.register("compare.short", lambda: True)
"""Cap answers at ``answer_limit.COMPARE_MAX_TOKENS`` tokens (the path's cost does not grow with them)."""
SCHEDULE = state.register("compare.schedule", lambda: "round-robin")
SEED = state.register("compare.seed", lambda: 0)
VOLUME = state.register("compare.volume", lambda: None)
"""Calls per month the cost is shown for (None: the config's [cost] CallsPerMonth, else a million)."""
ALL_COLUMNS = state.register("compare.all_columns", lambda: False)
JOB = state.register("compare.job", lambda: None)
"""The running (or last) run's handle: a ``runner.RunnerProcess``."""
RUN_ID = state.register("compare.run_id", lambda: None)
"""Id of the last run started (or opened) here; its results are shown first."""
PROBLEM = state.register("compare.problem", lambda: None)
"""The one-line message of the last refused Start (names the field)."""

SCHEDULES: dict[str, str] = {
    "round-robin": "Round-robin (nat, vpce, cross-account, nat, …)",
    "shuffled": "Shuffled blocks (each block has every path once, order seeded)",
}
MODES: dict[str, str] = {
    "precision": "Until the answer is clear",
    "fixed": "A fixed number of samples",
}
LIVE_INTERVAL_S = 1.0
# The live chart is rebuilt this often (its spec is re-sent unchanged in between, which the
# browser does not redraw): building and drawing a chart every second took CPU from the
# measuring processes on a 2-core instance.
LIVE_CHART_EVERY_S = 5.0
LIVE_CHART = state.register("compare.live_chart", lambda: None)
MAX_N = 100_000


def _default_concurrency() -> int:
    from workshop.compare import DEFAULT_CONCURRENCY

    return DEFAULT_CONCURRENCY


# ==================================================================================== store


@st.cache_resource(show_spinner=False, max_entries=4)
def _store_at(url: str) -> Store:
    from workshop.store import Store

    return Store.open(url)


def open_store(ctx: Context) -> Store:
    """The results store for the active config (StoreURL, $WORKSHOP_STORE_URL or the default)."""
    from workshop.store import resolve_url

    return _store_at(resolve_url(getattr(ctx.config, "store_url", None)))


@st.cache_resource(show_spinner=False)
def _live_runs() -> dict[str, Any]:
    """Every run this server started, by id: a refreshed or reopened page finds its run here."""
    return {}


# ==================================================================================== page


def compare_page(ctx: Context) -> None:
    """The Compare page body (the page file has already called the frame)."""
    _adopt_live_run()
    _record_finished_run(ctx)
    _run_from_link()
    paths = ctx.path_names()
    if not paths:
        return
    job = state.get(JOB)
    running = _job_running(job)
    run_id = state.get(RUN_ID)
    if running:
        _controls(ctx)
        from workshop.ui.runner import follow

        follow(JOB, lambda j: _draw_live(ctx, j), interval=LIVE_INTERVAL_S, is_running=_job_running)
    elif run_id:
        _show_last_run(ctx, run_id)
    else:
        st.markdown(
            "Send the same request through every access path, interleaved so drift hits them alike, "
            "and get **the answer**: which path adds the least network overhead, by how much, whether "
            "it matters, and what each path costs. The run stops by itself once the answer is clear."
        )
    with st.expander("Run settings", expanded=not run_id or running, icon=":material/tune:"):
        _settings_form(ctx, paths)
    if not running:
        _controls(ctx)


def _show_last_run(ctx: Context, run_id: str) -> None:
    try:
        store = open_store(ctx)
        run = store.get_run(run_id)
    except WorkshopError as err:
        alerts.error(str(err), icon=":material/error:")
        return
    job = state.get(JOB)
    if job is not None and getattr(job, "run_id", None) == run_id and job.error and job.status == "failed":
        alerts.error(f"The run stopped: {job.error}", icon=":material/error:")
    show_run(ctx, store, run, key="compare")


def _adopt_live_run() -> None:
    """After a browser refresh (a new session), pick up a run this server is still measuring."""
    if _job_running(state.get(JOB)):
        return
    live = [h for h in _live_runs().values() if not h.finished]
    if live:
        handle = max(live, key=lambda h: h.started)
        state.put(JOB, handle)
        state.put(RUN_ID, handle.run_id)


def _run_from_link() -> None:
    """``?run=<id>`` opens that stored run's results (a link a facilitator can share)."""
    linked = st.query_params.get("run")
    if linked and linked != state.get(RUN_ID) and not _job_running(state.get(JOB)):
        state.put(RUN_ID, linked)


def _record_finished_run(ctx: Context) -> None:
    """Tick "Paths compared" once a run finished complete, and redraw the sidebar checklist."""
    job = state.get(JOB)
    if job is None or not job.finished or state.get(state.COMPARED):
        return
    if job.snapshot().status == "complete":
        state.put(state.COMPARED, True)
        refresh = getattr(ctx, "refresh", None)
        if callable(refresh):
            refresh()


# ---------------------------------------------------------------------------- settings


def _default_model(ctx: Context) -> str:
    return state.get(state.MODEL_ID) or getattr(ctx.config, "default_model", None) or next(
        iter(getattr(ctx.config, "models", {}).values()), "anthropic.claude-3-haiku-20240307-v1:0"
    )


def _model_options(ctx: Context) -> list[str]:
    """The config's models plus whatever the participant chose on step 3 (first)."""
    options: list[str] = []
    for candidate in (state.get(state.MODEL_ID), *getattr(ctx.config, "models", {}).values()):
        if candidate and candidate not in options:
            options.append(candidate)
    return options or [_default_model(ctx)]


def _family(model_id: str) -> str | None:
    from workshop.catalog import family_of

    try:
        return family_of(model_id)
    except WorkshopError:
        return None


def seed_body(model_id: str, api: str) -> str:
    """The body to start from: step 3's text when it was written for this family, else the template."""
    from workshop.prompts import template_text

    family = _family(model_id)
    mine = state.get(state.BODY_TEXT)
    converse = api.startswith("converse")
    if mine and family and state.get(state.BODY_FAMILY) == family and not converse \
            and state.get(state.API) in ("invoke", "invoke-stream"):
        return mine
    if mine and converse and state.get(state.API) in ("converse", "converse-stream"):
        return mine
    if family is None:
        return "{}"
    return template_text(family, api)


def _reseed_body(ctx: Context) -> None:
    """When the model family or API shape changes, start from the matching body."""
    model, api = state.get(MODEL), state.get(API)
    target = (_family(model), "converse" if api.startswith("converse") else "invoke")
    if state.get(BODY) is None or state.get(BODY_FOR) != target:
        state.put(BODY, seed_body(model, api))
        state.put(BODY_FOR, target)


def _settings_form(ctx: Context, paths: list[str]) -> None:
    from workshop.answer_limit import COMPARE_MAX_TOKENS

    if state.get(PATHS) is None:  # default: the direct paths (gateway paths join when chosen)
        from workshop.compare import default_paths

        state.put(PATHS, list(default_paths(ctx.config, state.get(API) or "invoke")[0]))
    state.put(PATHS, [p for p in state.get(PATHS) if p in paths])
    if state.get(MODEL) is None:
        state.put(MODEL, _default_model(ctx))
    running = _job_running(state.get(JOB))

    left, right = st.columns([3, 2])
    with left:
        st.multiselect("Paths", paths,
                       help="Every chosen path gets the same request, interleaved. Gateway paths are not chosen "
                       "by default: add them to see what a gateway costs per call (each path added lengthens the "
                       "run). "
                       + "; ".join(f"{p}: {PATH_LABELS.get(p, p)}" for p in paths), disabled=running,
                       **bind(PATHS))
        models = _model_options(ctx)
        if state.get(MODEL) not in models:
            models.insert(0, state.get(MODEL))
        st.selectbox("Model", models, help="From the Model & prompt page, else the config's models.",
                     disabled=running, **bind(MODEL, on_change=lambda: _reseed_body(ctx)))
        st.selectbox("API", list(APIS), disabled=running, **bind(API, on_change=lambda: _reseed_body(ctx)))
        _reseed_body(ctx)
        st.text_area("Request body (JSON)", height=160, disabled=running,
                     help="Seeded from the Model & prompt page when it fits this model, else the family "
                     "template.", **bind(BODY))
        st.checkbox(f"Short answers (at most {COMPARE_MAX_TOKENS} tokens)", disabled=running,
                    help="What a path adds is paid once per call, not per token, so a short answer measures "
                    "the same overhead several times faster (docs/statistics.md shows the measurement). "
                    "Untick to send the body exactly as written.", **bind(SHORT))
        st.button("Reset body to the template", key="compare-reset-body", disabled=running,
                  on_click=lambda: state.put(BODY, _template_or_empty(state.get(MODEL), state.get(API))))
    with right:
        st.radio("Stop", list(MODES), format_func=MODES.get, horizontal=True, disabled=running, **bind(MODE))
        a, b = st.columns(2)
        if state.get(MODE) == "precision":
            a.number_input("Precision (± ms)", min_value=0.05, max_value=100.0, step=0.1, format="%.2f",
                           disabled=running, help="Stop once every pairwise overhead interval is this narrow. "
                           "The intervals stay valid however early the run stops.", **bind(PRECISION))
            b.number_input("At most (seconds)", min_value=5, max_value=3600, step=10, disabled=running,
                           help="Stop after this long even if the precision is not reached (and say so).",
                           **bind(MAX_TIME))
        else:
            a.number_input("Samples per path (N)", min_value=0, max_value=MAX_N, step=10, disabled=running,
                           help="p90 needs about 50 samples per path, p99 about 500.", **bind(N))
            b.empty()
        c, d = st.columns(2)
        c.number_input("Warm-up calls per path", min_value=0, max_value=100, disabled=running,
                       help="Recorded, excluded from the statistics; the cold first call is shown apart.",
                       **bind(WARMUP))
        d.number_input("Concurrency", min_value=1, max_value=64, disabled=running,
                       help="Calls in flight at once; one reused client per path. The default is measured "
                       "not to move overhead (docs/statistics.md).", **bind(CONCURRENCY))
        c.number_input("Seed", min_value=0, max_value=2**31 - 1, disabled=running,
                       help="Makes the schedule and the bootstrap reproducible.", **bind(SEED))
        st.radio("Schedule", list(SCHEDULES), format_func=SCHEDULES.get, disabled=running, **bind(SCHEDULE))


def _template_or_empty(model_id: str, api: str) -> str:
    from workshop.prompts import template_text

    family = _family(model_id)
    return template_text(family, api) if family else "{}"


@dataclass(frozen=True)
class FormValues:
    """What the form holds, checked: the inputs of one ``compare.RunSettings``."""

    paths: tuple[str, ...]
    model_id: str
    api: str
    body: dict[str, Any]
    n: int
    warmup: int
    concurrency: int
    schedule: str
    seed: int
    precision_ms: float | None = None
    max_time_s: float | None = None
    max_tokens: int | None = None


def read_form() -> FormValues:
    """The form's values, validated; InputError/TemplateError naming the field otherwise."""
    from workshop.answer_limit import COMPARE_MAX_TOKENS, with_max_tokens

    paths = tuple(state.get(PATHS) or ())
    if not paths:
        raise InputError("choose at least one path", field="Paths", fix="tick nat, vpce or cross-account")
    adaptive = state.get(MODE) == "precision"
    if adaptive:
        precision = state.get(PRECISION)
        if precision is None or not float(precision) > 0:
            raise InputError(f"{precision!r} ms is not a precision", field="Precision (± ms)",
                             fix="a positive number of milliseconds, e.g. 0.5")
        max_time = state.get(MAX_TIME)
        if max_time is None or not float(max_time) > 0:
            raise InputError(f"{max_time!r} s is not a time limit", field="At most (seconds)",
                             fix="a positive number of seconds, e.g. 60")
        n = 10_000
    else:
        n = state.get(N)
        if n is None or int(n) < 1:
            raise InputError(f"{n!r} samples per path is not enough", field="Samples per path (N)",
                             fix="use at least 1 (50+ for a p90, 500+ for a p99)")
    model_id = state.get(MODEL)
    if not model_id:
        raise InputError("no model chosen", field="Model", fix="pick one on Model & prompt or here")
    family = _family(model_id)
    if family is None:
        raise InputError(f"cannot tell which request family {model_id!r} speaks", field="Model",
                         fix="choose a model from the list")
    from workshop.prompts import parse_body

    api = state.get(API)
    body = parse_body(state.get(BODY) or "", family, api)  # TemplateError names "body" + line/column
    max_tokens = COMPARE_MAX_TOKENS if state.get(SHORT) else None
    if max_tokens:
        body = with_max_tokens(body, family, api, max_tokens)
    return FormValues(paths=paths, model_id=model_id, api=api, body=body, n=int(n),
                      warmup=int(state.get(WARMUP) or 0), concurrency=int(state.get(CONCURRENCY) or 1),
                      schedule=state.get(SCHEDULE), seed=int(state.get(SEED) or 0),
                      precision_ms=float(state.get(PRECISION)) if adaptive else None,
                      max_time_s=float(state.get(MAX_TIME)) if adaptive else None, max_tokens=max_tokens)


def build_settings(values: FormValues, config: Any = None) -> Any:
    """``compare.RunSettings`` from the checked form (the core validates again)."""
    from workshop.compare import RunSettings, path_facts

    facts = path_facts(config, values.paths) if config is not None else {}
    return RunSettings(
        paths=values.paths, model_id=values.model_id, body=values.body, api=values.api, samples=values.n,
        warmup=values.warmup, concurrency=values.concurrency, schedule=values.schedule, seed=values.seed,
        precision_ms=values.precision_ms, time_limit_s=values.max_time_s, max_tokens=values.max_tokens,
        **facts,
    )


# ---------------------------------------------------------------------------- start / cancel


def _job_running(job: Any) -> bool:
    return job is not None and not job.finished


def participant(ctx: Context) -> str | None:
    """Who the quota and the invocation log attribute this session's calls to."""
    known = getattr(ctx, "participant", None)
    if known:
        return known() if callable(known) else known
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    from workshop.quotas import participant_id

    run_ctx = get_script_run_ctx()
    return participant_id("console", run_ctx.session_id) if run_ctx is not None else None


def start_run(ctx: Context) -> None:
    """on_click of Start: validate, check the quota, then hand the run to a runner process."""
    state.put(PROBLEM, None)
    if _job_running(state.get(JOB)):
        return
    try:
        from workshop import quotas
        from workshop.runner import RunnerProcess, RunRequest
        from workshop.store import resolve_url

        config = ctx.config
        settings = build_settings(read_form(), config)
        workbench = ctx.workbench()  # starts the sandbox's own process once per server
        who = participant(ctx)
        if quotas.is_limited(config.quota):  # refuse here, at once; the runner checks again
            quotas.check_quota(config.quota, workbench.store, who or quotas.participant_id("console"),
                               cost=settings.total + settings.warmup_total)
        describe = getattr(workbench.sandbox, "describe", None)
        request = RunRequest(settings=settings, config=workbench.config,
                             store_url=resolve_url(getattr(config, "store_url", None)),
                             sandbox=describe() if callable(describe) else None, participant=who,
                             debug=bool(getattr(config, "debug", False)))
        handle = RunnerProcess.start(request)
    except WorkshopError as err:
        state.put(PROBLEM, str(err))
        return
    _live_runs()[handle.run_id] = handle
    state.put(JOB, handle)
    state.put(RUN_ID, handle.run_id)
    state.put(state.COMPARED, False)


def cancel_run() -> None:
    """on_click of Cancel: the runner stops at once; calls in flight get half a second."""
    job = state.get(JOB)
    if job is not None:
        job.cancel()


def _controls(ctx: Context) -> None:
    job = state.get(JOB)
    running = _job_running(job)
    row = st.container(horizontal=True)
    row.button("Start comparison", type="primary", icon=":material/play_arrow:", key="compare-start",
               disabled=running, on_click=start_run, args=(ctx,))
    row.button("Cancel", icon=":material/stop:", key="compare-cancel", disabled=not running, on_click=cancel_run)
    problem = state.get(PROBLEM)
    if problem:
        alerts.error(problem, icon=":material/error:")


# ---------------------------------------------------------------------------- live view


def progress_text(snap: Any) -> str:
    """One line saying where the run stands, in the participant's words."""
    if snap.phase == "starting":
        return "Starting the measuring process…"
    if snap.phase == "warm-up":
        return f"Warming up: {snap.warmup_done} / {snap.warmup_total} calls (not in the statistics)"
    if snap.phase == "cancelling":
        return "Cancelling… calls in flight get half a second; everything measured is kept."
    if snap.phase == "analysing":
        return "Analysing… (the statistics, the answer and the charts)"
    rate = f"{snap.rate_per_s:.1f} calls/s"
    left = f" · about {snap.eta_s:.0f} s left" if snap.eta_s is not None else ""
    precision = snap.precision
    if precision is not None:
        if math.isfinite(precision.widest_ms):
            where = f"intervals ±{precision.widest_ms:.2f} ms now, aiming for ±{precision.target_ms:g} ms"
        else:
            where = f"collecting enough samples for a first interval (aiming for ±{precision.target_ms:g} ms)"
        return f"{where}{left} · {snap.done:,} samples · {rate}"
    return f"{snap.done:,} / {snap.total:,} samples{left} · {snap.errors} errors · {snap.retried} retried · {rate}"


def _draw_live(ctx: Context, job: Any) -> None:
    """Drawn by the fragment every LIVE_INTERVAL_S from ``job.snapshot()`` (never blocks)."""
    if job is None:
        return
    snap = job.snapshot()
    if snap.finished:
        if snap.error:
            alerts.error(f"The run stopped: {snap.error}", icon=":material/error:")
        return
    st.progress(min(snap.fraction, 1.0), text=progress_text(snap))
    cols = st.columns(max(len(snap.per_path), 1))
    from workshop.stats import path_label

    for column, (path, progress) in zip(cols, snap.per_path.items(), strict=False):
        p50 = progress.p50_overhead_ms
        column.metric(f"{path_label(path)} · overhead p50 so far", "—" if p50 != p50 else f"{p50:,.2f} ms",
                      help=f"{progress.done} samples, {progress.errors} errors; client latency p50 "
                      f"{progress.p50_client_ms:,.1f} ms")
    spec = _live_spec(snap)
    if spec is not None:
        st.vega_lite_chart(spec, key="compare-live-chart")
        show_sandbox_label(ctx.is_sandbox, "Live overhead")


def _live_spec(snap: Any) -> dict[str, Any] | None:
    """The live chart's Vega-Lite spec, rebuilt at most every LIVE_CHART_EVERY_S."""
    import time

    kept = state.get(LIVE_CHART)
    now = time.monotonic()
    if kept is not None and kept[0] == snap.run_id and now - kept[1] < LIVE_CHART_EVERY_S:
        return kept[2]
    live = live_frame(snap)
    if live.empty:
        return None
    from workshop import charts

    spec = charts.live_chart(live).to_dict()
    state.put(LIVE_CHART, (snap.run_id, now, spec))
    return spec


def live_frame(snap: Any) -> pd.DataFrame:
    """The last few hundred samples of a running job (what the live chart draws)."""
    rows = [
        {"seq": r.seq, "path": r.path, "elapsed_s": r.elapsed_s, "client_ms": r.client_ms,
         "overhead_ms": r.overhead_ms, "ok": r.ok, "warmup": r.warmup}
        for r in snap.recent if r.ok and not r.warmup
    ]
    return pd.DataFrame(rows, columns=["seq", "path", "elapsed_s", "client_ms", "overhead_ms", "ok", "warmup"])


# ==================================================================================== results


def run_label(run: RunInfo) -> str:
    """How a run is named in pickers: time, status, paths, size."""
    when = run.created_at.strftime("%Y-%m-%d %H:%M")
    return (f"{when} · {run.status} · {', '.join(run.paths)} · {run.sample_count} samples"
            f" · {run.id[:8]}" + (f" · {run.label}" if run.label else ""))


@dataclass(frozen=True)
class Verdict:
    """One pairwise verdict sentence and whether its 95% interval excludes zero."""

    metric: str
    text: str
    significant: bool


@dataclass(frozen=True)
class RunAggregates:
    """Everything drawn for one run: the run's kept analysis (``compare.run_analysis``).

    ``charts`` are Vega-Lite specs computed with the analysis and kept in the store, so
    drawing a run reads one small row and needs neither its samples nor Altair; each
    chart's data is the aggregate frame kept beside it (offered as CSV).
    """

    summary: pd.DataFrame  # stats.summarize, index = path
    verdicts: tuple[Verdict, ...]
    charts: dict[str, dict[str, Any]]  # name -> Vega-Lite spec (data inline)
    interval_note: str  # how the intervals were drawn (simultaneous over the pairs)
    data: dict[str, pd.DataFrame]  # name -> the aggregate the chart draws
    n: int
    result: Any = None  # the compare.RunAnalysis itself (for the answer and the report)


VERDICT_METRICS: tuple[str, ...] = ("overhead_ms", "client_ms")
"""Overhead first: it strips out model time, so a few-ms path difference can show."""


def aggregates_of(result: Any) -> RunAggregates:
    """What the page draws, from a ``compare.RunAnalysis``."""
    from workshop import stats

    analysis = result.analysis
    verdicts = tuple(
        Verdict(metric, stats.verdict(pair), pair.significant)
        for metric in VERDICT_METRICS
        for pair in analysis.pairs.get(metric, [])
    )
    return RunAggregates(
        summary=analysis.summary,
        verdicts=verdicts,
        interval_note=stats.interval_note(analysis.pairs.get(VERDICT_METRICS[0], [])),
        charts=result.charts,
        data={
            "ecdf": analysis.ecdf,
            "overhead_box": analysis.box,
            "decomposition": analysis.decomposition,
            "drift": analysis.drift,
        },
        n=int(analysis.summary["samples"].sum()) if len(analysis.summary) else 0,
        result=result,
    )


def compute_aggregates(df: pd.DataFrame, *, seed: int = 0, sandbox: bool = False) -> RunAggregates:
    """Stats, chart aggregates and chart specs of a samples frame (warm-up rows included:
    the cold first call is shown apart), computed here rather than read from the store."""
    from workshop import charts, stats
    from workshop.compare import RunAnalysis

    analysis = stats.analyse(df, seed=seed)
    return aggregates_of(RunAnalysis("", len(df), analysis, charts.vega_lite_specs(analysis, sandbox=sandbox)))


# cache_resource, not cache_data: the result is read-only and sessions can share it (no
# pickling round trip on every rerun). Below it, the store keeps the analysis itself, so a
# fresh server (or another console on the same store) reads it instead of the samples.
@st.cache_resource(show_spinner="Computing the statistics…", max_entries=8)
def _aggregates(_store: Store, url: str, run_id: str, n: int, status: str, seed: int,
                sandbox: bool) -> RunAggregates:
    """Aggregates of one stored run; cached on (store, run, size, status) so reruns are free."""
    from workshop.compare import run_analysis

    return aggregates_of(run_analysis(_store, run_id, seed=seed, sandbox=sandbox))


def aggregates_for(store: Store, run: RunInfo) -> RunAggregates:
    seed = int((run.settings or {}).get("seed", 0) or 0)
    return _aggregates(store, store.url, run.id, run.sample_count, run.status, seed, run.sandbox)


def _volume(ctx: Context) -> int:
    from workshop.cost import CostSettings

    chosen = state.get(VOLUME)
    if chosen:
        return int(chosen)
    try:
        return CostSettings.from_mapping(getattr(ctx.config, "cost_settings", {}) or {}).calls_per_month
    except WorkshopError:
        return CostSettings().calls_per_month


def answer_for(ctx: Context, run: RunInfo, agg: RunAggregates) -> Any:
    """The run's answer, with the cost at the volume the page shows."""
    from workshop.answer import for_run

    cost_settings = getattr(ctx.config, "cost_settings", {}) or {}
    try:
        return for_run(run, agg.result.analysis, cost_settings=cost_settings, calls_per_month=_volume(ctx))
    except WorkshopError:  # a bad [cost] section is reported on Setup; price with the defaults here
        return for_run(run, agg.result.analysis, calls_per_month=_volume(ctx))


def show_run_brief(ctx: Context, store: Store, run: RunInfo, *, key: str) -> None:
    """The headline, summary table and every interval of a run (History's side-by-side view)."""
    st.caption(run_label(run))
    try:
        agg = aggregates_for(store, run)
    except WorkshopError as err:
        alerts.error(str(err), icon=":material/error:")
        return
    if run.sample_count:
        _headline(answer_for(ctx, run, agg), run)
    _summary(ctx, run, agg, key=key, compact=True)
    _verdicts(agg)


def show_run(ctx: Context, store: Store, run: RunInfo, *, key: str) -> None:
    """The full result of a stored run: answer, cost, charts, table, report."""
    st.subheader(f"Results — run {run.id[:8]} ({run.status})")
    if run.status == "cancelled":
        alerts.warning("This run was cancelled: the statistics use the samples taken before that.",
                   icon=":material/stop_circle:")
    elif run.status == "incomplete":
        alerts.warning("This run stopped midway (the console was closed or killed); every sample taken "
                   "is kept and used.", icon=":material/warning:")
    if run.notes:
        st.caption(run.notes)
    if run.sample_count == 0:
        st.info("No measured samples in this run.", icon=":material/info:")
        return
    try:
        agg = aggregates_for(store, run)
    except WorkshopError as err:
        alerts.error(str(err), icon=":material/error:")
        return
    answer = answer_for(ctx, run, agg)
    _headline(answer, run)
    _cost(ctx, answer, key, short=bool((run.settings or {}).get("max_tokens")))
    _summary(ctx, run, agg, key=key)
    _charts(ctx, run, agg, key)
    with st.expander("Every interval", icon=":material/functions:"):
        _verdicts(agg)
    _report_button(run, agg, answer, key)


def _headline(answer: Any, run: RunInfo) -> None:
    """The answer in one or two sentences, above everything else."""
    with st.container(border=True):
        st.markdown(f"#### {answer.headline}")
        if answer.one_time:
            st.markdown(answer.one_time)
        extra = [c for c in answer.caveats if not c.startswith("sandbox")]
        if extra:
            st.caption(" · ".join(extra))
        show_sandbox_label(run.sandbox, "These latencies")


def _cost(ctx: Context, answer: Any, key: str, *, short: bool = False) -> None:
    from workshop.cost import money
    from workshop.stats import path_label

    estimate = answer.cost
    if estimate is None:
        return
    left, right = st.columns([4, 1])
    right.number_input("Calls per month", min_value=0, max_value=10**12, step=100_000, key=f"{key}-volume",
                       value=_volume(ctx), on_change=_copy_volume, args=(f"{key}-volume",),
                       help="The volume the cost is for; the per-call tokens and bytes are this run's.")
    rows = [{"path": path_label(p), "network / month": money(c.network_monthly),
             "fixed (hourly)": money(c.fixed_monthly), "data processed": money(c.data_monthly),
             "model / month": money(c.model_monthly)} for p, c in estimate.paths.items()]
    with left:
        st.markdown(f"**What each path costs** at {estimate.calls_per_month:,} calls a month "
                    f"(list prices, {estimate.as_of}, {estimate.region})")
        st.dataframe(pd.DataFrame(rows), hide_index=True)
        notes = sorted({n for c in estimate.paths.values() for n in c.notes} | set(estimate.notes))
        st.caption("Model cost: this run's tokens per call" + (" — short answers, so set OutputTokensPerCall in "
                   "[cost] for your real ones" if short else "") + ". " + "; ".join(notes))


def _copy_volume(widget_key: str) -> None:
    state.put(VOLUME, int(st.session_state.get(widget_key) or 0))


SUMMARY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("samples", "samples"),
    ("count", "measured"),
    ("errors", "errors"),
    ("retried", "retried"),
    ("overhead_ms_p50", "overhead p50"),
    ("overhead_ms_p90", "overhead p90"),
    ("modelled_network_ms_p50", "modelled network p50"),
    ("client_ms_p50", "client p50"),
    ("cold_client_ms", "cold call"),
    ("client_ms_p90", "client p90"),
    ("client_ms_p99", "client p99"),
    ("overhead_ms_p99", "overhead p99"),
    ("server_ms_p50", "server p50"),
    ("ttft_ms_p50", "TTFT p50"),
    ("tokens_per_s_p50", "tokens/s p50"),
)
COMPACT_COLUMNS: tuple[str, ...] = ("measured", "errors", "overhead p50", "overhead p90", "modelled network p50",
                                    "client p50", "cold call")
"""What fits a 1280x720 projector; the rest is one toggle away."""


def summary_table(summary: pd.DataFrame, *, compact: bool = False) -> pd.DataFrame:
    """The columns a participant reads (ms unless named otherwise), one row per path."""
    table = pd.DataFrame({label: summary[column] for column, label in SUMMARY_COLUMNS if column in summary})
    from workshop.stats import path_label

    if compact:
        table = table[[c for c in COMPACT_COLUMNS if c in table]]
    table.insert(0, "path", [path_label(p) for p in summary.index])
    # A column that is empty for every path (TTFT on a non-streaming API, modelled network on
    # AWS) only adds noise.
    return table.dropna(axis=1, how="all").reset_index(drop=True)


def summary_warnings(summary: pd.DataFrame) -> list[str]:
    """Sample-size warnings, one line per distinct warning with the paths it concerns."""
    seen: dict[str, list[str]] = {}
    for path, warnings in summary.get("warnings", pd.Series(dtype=object)).items():
        for warning in warnings or ():
            seen.setdefault(warning, []).append(str(path))
    return [f"{warning} — {', '.join(paths)}" for warning, paths in seen.items()]


def _summary(ctx: Context, run: RunInfo, agg: RunAggregates, *, key: str, compact: bool | None = None) -> None:
    st.markdown("**Per path** (milliseconds; warm-up left out; failed and retried calls counted, not timed)")
    if compact is None:
        compact = not st.toggle("All columns", key=f"{key}-all-columns", value=bool(state.get(ALL_COLUMNS)),
                                on_change=lambda: state.put(ALL_COLUMNS, not state.get(ALL_COLUMNS)))
    table = summary_table(agg.summary, compact=compact)
    st.dataframe(table, hide_index=True,
                 column_config={label: st.column_config.NumberColumn(format="%.2f" if "overhead" in label
                                                                     or "network" in label else "%.1f")
                                for _col, label in SUMMARY_COLUMNS[4:]})
    for warning in summary_warnings(agg.summary):
        st.caption(f"Sample size: {warning}")
    if run.sandbox and "modelled network p50" in table:
        st.caption(":orange[On the sandbox, overhead = the network it planned (modelled network) + this "
                   "client's own cost: signing, sending, parsing. Planned and measured side by side show the "
                   "model honoured. Modelled, not measured on AWS.]")
    else:
        show_sandbox_label(run.sandbox, "These latencies")


def _verdicts(agg: RunAggregates) -> None:
    """Every pairwise interval: overhead first, then client latency (model time included)."""
    if not agg.verdicts:
        st.caption("One path only: nothing to compare.")
        return
    st.markdown("**Overhead** (what the path adds)")
    st.markdown("\n".join(f"- {v.text}" for v in agg.verdicts if v.metric == "overhead_ms"))
    st.markdown("**Client latency** (includes model time, which varies far more)")
    st.markdown("\n".join(f"- {v.text}" for v in agg.verdicts if v.metric == "client_ms"))
    st.caption(agg.interval_note)


# ---------------------------------------------------------------------------- charts


@dataclass(frozen=True)
class ChartSpec:
    """One chart of the results: its title, the chart, the data behind it, what to read in it."""

    name: str
    title: str
    chart: dict[str, Any]  # Vega-Lite spec
    data: pd.DataFrame
    caption: str


CHARTS: tuple[tuple[str, str, str], ...] = (
    ("ecdf", "Client latency, ECDF per path",
     "Further left = faster. Model time dominates client latency: the curves overlap."),
    ("overhead_box", "Network overhead (client − server) per path",
     "Overhead strips out model time: the part of latency the path itself adds. The tick is the p99."),
    ("decomposition", "Median latency, decomposed",
     "Credentials / network overhead / server time per path; the first (cold) call shown apart."),
    ("drift", "Latency over time (drift)",
     "Median per time bucket: interleaving means drift hits every path alike."),
)


def _charts(ctx: Context, run: RunInfo, agg: RunAggregates, key: str) -> None:
    specs = [ChartSpec(name, title, agg.charts[name], agg.data[name], caption) for name, title, caption in CHARTS]
    for pair in (specs[:2], specs[2:]):
        for column, spec in zip(st.columns(2), pair, strict=True):
            with column, st.container(border=True):
                st.vega_lite_chart(spec=spec.chart, key=f"{key}-{spec.name}")
                st.caption(spec.caption)
                show_sandbox_label(run.sandbox, spec.title)
                chart_downloads(spec, key=f"{key}-{spec.name}", stem=f"run-{run.id[:8]}-{spec.name}")


def chart_downloads(spec: ChartSpec, *, key: str, stem: str) -> None:
    """Download buttons: the chart as SVG and PNG (drawn offline by vl-convert) and its data as CSV."""
    cols = st.columns(3)
    cols[0].download_button("SVG", data=_saver(spec.chart, "svg"), file_name=f"{stem}.svg",
                            mime="image/svg+xml", key=f"{key}-svg", on_click="ignore", icon=":material/image:")
    cols[1].download_button("PNG", data=_saver(spec.chart, "png"), file_name=f"{stem}.png",
                            mime="image/png", key=f"{key}-png", on_click="ignore", icon=":material/image:")
    cols[2].download_button("CSV", data=lambda: spec.data.to_csv(index=False), file_name=f"{stem}.csv",
                            mime="text/csv", key=f"{key}-csv", on_click="ignore", icon=":material/download:")


def _saver(spec: dict[str, Any], fmt: str) -> Callable[[], bytes | str]:
    """Deferred export of a chart's Vega-Lite spec (built only when the button is clicked)."""

    def build() -> bytes | str:
        from workshop import charts

        return charts.export(spec, fmt)

    return build


def _report_button(run: RunInfo, agg: RunAggregates, answer: Any, key: str) -> None:
    """The stakeholder report: one HTML file, charts inline, nothing fetched from anywhere."""

    def build() -> str:
        from workshop.report import render_report

        return render_report(run, agg.result, answer)

    st.download_button("Stakeholder report (HTML)", data=build, file_name=f"bedrock-paths-{run.id[:8]}.html",
                       mime="text/html", key=f"{key}-report", on_click="ignore", type="primary",
                       icon=":material/description:",
                       help="One self-contained file: the answer, the cost, the four charts and the numbers. "
                       "Opens offline; prints.")

"""Step 5 — Compare paths: run settings, a live run drawn from snapshots, then the verdict.

The comparison itself never runs inside the script: the Start button's ``on_click``
callback builds a ``compare.ComparisonJob`` (a worker thread writing every sample to the
store) and keeps it in ``st.session_state``; a ``@st.fragment(run_every=...)`` draws
``job.snapshot()`` while it runs, so a click anywhere (Cancel included) never aborts it.

A finished run is drawn by :func:`show_run` from the store, through the core's aggregates
(``stats``) and chart builders (``charts``): the browser gets at most a few thousand
points whatever the run size. History draws stored runs with the same function.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from workshop import APIS, PATH_LABELS
from workshop.errors import InputError, WorkshopError
from workshop.ui import state
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
N = state.register("compare.n", lambda: 20)
WARMUP = state.register("compare.warmup", lambda: 2)
CONCURRENCY = state.register("compare.concurrency", lambda: 1)
SCHEDULE = state.register("compare.schedule", lambda: "round-robin")
SEED = state.register("compare.seed", lambda: 0)
JOB = state.register("compare.job", lambda: None)
"""The running (or last) ``compare.ComparisonJob``."""
RUN_ID = state.register("compare.run_id", lambda: None)
"""Id of the last run started here (its results are shown under the settings)."""
PROBLEM = state.register("compare.problem", lambda: None)
"""The one-line message of the last refused Start (names the field)."""

SCHEDULES: dict[str, str] = {
    "round-robin": "Round-robin (nat, vpce, cross-account, nat, …)",
    "shuffled": "Shuffled blocks (each block has every path once, order seeded)",
}
LIVE_INTERVAL_S = 0.5
MAX_N = 100_000

_HAS_VL_CONVERT = importlib.util.find_spec("vl_convert") is not None
"""PNG/SVG export needs vl-convert; without it we offer the Vega-Lite spec and HTML instead."""


# ==================================================================================== store


@st.cache_resource(show_spinner=False, max_entries=4)
def _store_at(url: str) -> Store:
    from workshop.store import Store

    return Store.open(url)


def open_store(ctx: Context) -> Store:
    """The results store for the active config (StoreURL, $WORKSHOP_STORE_URL or the default)."""
    from workshop.store import resolve_url

    return _store_at(resolve_url(getattr(ctx.config, "store_url", None)))


# ==================================================================================== page


def compare_page(ctx: Context) -> None:
    """The Compare page body (the page file has already called the frame)."""
    st.markdown(
        "Send the same request through several access paths, interleaved so drift hits every path "
        "alike, and compare **client latency** and **network overhead** (client − server time). "
        "The verdict gives the difference of medians with a bootstrap 95% interval."
    )
    _record_finished_run(ctx)
    _run_from_link()
    paths = ctx.path_names()
    if not paths:
        return
    _settings_form(ctx, paths)
    _controls(ctx)
    if state.get(JOB) is not None:
        from workshop.ui.runner import follow

        follow(JOB, lambda job: _draw_live(ctx, job), interval=LIVE_INTERVAL_S, is_running=_job_running)

    run_id = state.get(RUN_ID)
    job = state.get(JOB)
    if run_id and (job is None or not _job_running(job)):
        try:
            store = open_store(ctx)
            run = store.get_run(run_id)
        except WorkshopError as err:
            st.error(str(err), icon="⚠️")
            return
        st.divider()
        show_run(ctx, store, run, key="compare")


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
    if state.get(PATHS) is None:
        state.put(PATHS, list(paths))  # default: every path of the config
    state.put(PATHS, [p for p in state.get(PATHS) if p in paths])
    if state.get(MODEL) is None:
        state.put(MODEL, _default_model(ctx))
    running = _job_running(state.get(JOB))

    st.subheader("Run settings")
    left, right = st.columns([3, 2])
    with left:
        st.multiselect("Paths", paths,
                       help="Every chosen path gets the same request, interleaved. "
                       + "; ".join(f"{p}: {PATH_LABELS.get(p, p)}" for p in paths), disabled=running,
                       **bind(PATHS))
        models = _model_options(ctx)
        if state.get(MODEL) not in models:
            models.insert(0, state.get(MODEL))
        st.selectbox("Model", models, help="From the Model & prompt page, else the config's models.",
                     disabled=running, **bind(MODEL, on_change=lambda: _reseed_body(ctx)))
        st.selectbox("API", list(APIS), disabled=running, **bind(API, on_change=lambda: _reseed_body(ctx)))
        _reseed_body(ctx)
        st.text_area("Request body (JSON)", height=180, disabled=running,
                     help="Seeded from the Model & prompt page when it fits this model, else the family "
                     "template. Keep max tokens small: you are measuring the path, not the model.",
                     **bind(BODY))
        st.button("Reset body to the template", key="compare-reset-body", disabled=running,
                  on_click=lambda: state.put(BODY, _template_or_empty(state.get(MODEL), state.get(API))))
    with right:
        a, b = st.columns(2)
        a.number_input("Samples per path (N)", min_value=0, max_value=MAX_N, step=10, disabled=running,
                       help="p90 needs about 50 samples per path, p99 about 500.", **bind(N))
        b.number_input("Warm-up calls per path", min_value=0, max_value=100, disabled=running,
                       help="Recorded, excluded from the statistics; the cold first call is shown apart.",
                       **bind(WARMUP))
        a.number_input("Concurrency", min_value=1, max_value=64, disabled=running,
                       help="Worker threads; one reused client per path.", **bind(CONCURRENCY))
        b.number_input("Seed", min_value=0, max_value=2**31 - 1, disabled=running,
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


def read_form() -> FormValues:
    """The form's values, validated; InputError/TemplateError naming the field otherwise."""
    paths = tuple(state.get(PATHS) or ())
    if not paths:
        raise InputError("choose at least one path", field="Paths", fix="tick nat, vpce or cross-account")
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
    return FormValues(paths=paths, model_id=model_id, api=api, body=body, n=int(n),
                      warmup=int(state.get(WARMUP) or 0), concurrency=int(state.get(CONCURRENCY) or 1),
                      schedule=state.get(SCHEDULE), seed=int(state.get(SEED) or 0))


def build_settings(values: FormValues) -> Any:
    """``compare.RunSettings`` from the checked form (the core validates again)."""
    from workshop.compare import RunSettings

    return RunSettings(
        paths=values.paths, model_id=values.model_id, body=values.body, api=values.api, samples=values.n,
        warmup=values.warmup, concurrency=values.concurrency, schedule=values.schedule, seed=values.seed,
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
    """on_click of Start: validate, then hand the run to a worker thread (never run it here)."""
    state.put(PROBLEM, None)
    if _job_running(state.get(JOB)):
        return
    try:
        from workshop.compare import ComparisonJob

        settings = build_settings(read_form())
        job = ComparisonJob(settings, ctx.workbench(), open_store(ctx), participant=participant(ctx),
                            sandbox=ctx.is_sandbox)
        job.start()
    except WorkshopError as err:
        state.put(PROBLEM, str(err))
        return
    state.put(JOB, job)
    state.put(RUN_ID, job.run_id)


def cancel_run() -> None:
    """on_click of Cancel: the worker stops at its next sample; every sample taken is kept."""
    job = state.get(JOB)
    if job is not None:
        job.cancel()


def _controls(ctx: Context) -> None:
    job = state.get(JOB)
    running = _job_running(job)
    row = st.container(horizontal=True)
    row.button("Start comparison", type="primary", icon="▶️", key="compare-start", disabled=running,
               on_click=start_run, args=(ctx,))
    row.button("Cancel", icon="⏹️", key="compare-cancel", disabled=not running, on_click=cancel_run)
    problem = state.get(PROBLEM)
    if problem:
        st.error(problem, icon="⚠️")


# ---------------------------------------------------------------------------- live view


def _draw_live(ctx: Context, job: Any) -> None:
    """Drawn by the fragment every LIVE_INTERVAL_S from ``job.snapshot()`` (never blocks)."""
    if job is None:
        return
    snap = job.snapshot()
    if snap.finished:
        if snap.error:
            st.error(f"The run stopped: {snap.error}", icon="⚠️")
        if snap.note:
            st.caption(snap.note)
        return
    if snap.phase in ("starting", "warm-up"):
        text = f"{snap.phase}: {snap.warmup_done} / {snap.warmup_total} warm-up calls"
    else:
        text = (f"{snap.done} / {snap.total} samples · {snap.errors} errors · {snap.retried} retried · "
                f"{snap.rate_per_s:.1f} calls/s · {snap.elapsed_s:.0f} s")
    st.progress(min(snap.fraction, 1.0), text=text)
    cols = st.columns(max(len(snap.per_path), 1))
    for column, (path, progress) in zip(cols, snap.per_path.items(), strict=False):
        p50 = progress.p50_client_ms
        column.metric(f"{path} · p50 so far", "—" if p50 != p50 else f"{p50:,.1f} ms",  # NaN until a sample
                      help=f"{progress.done} samples, {progress.errors} errors; "
                      f"overhead p50 {progress.p50_overhead_ms:,.1f} ms")
    live = live_frame(snap)
    if not live.empty:
        from workshop import charts

        st.altair_chart(charts.live_chart(live), key="compare-live-chart")
        show_sandbox_label(ctx.is_sandbox, "Live latency")


def live_frame(snap: Any) -> pd.DataFrame:
    """The last few hundred samples of a running job (what the live chart draws)."""
    rows = [
        {"seq": r.seq, "path": r.path, "elapsed_s": r.elapsed_s, "client_ms": r.client_ms,
         "overhead_ms": r.overhead_ms, "ok": r.ok, "warmup": r.warmup}
        for r in snap.recent
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


def show_run_brief(ctx: Context, store: Store, run: RunInfo, *, key: str) -> None:
    """Summary table and verdicts of a run (History's side-by-side view)."""
    st.caption(run_label(run))
    try:
        agg = aggregates_for(store, run)
    except WorkshopError as err:
        st.error(str(err), icon="⚠️")
        return
    _summary(ctx, run, agg)
    _verdicts(agg)


def show_run(ctx: Context, store: Store, run: RunInfo, *, key: str) -> None:
    """The full result of a stored run: summary, verdicts, the four charts with downloads."""
    st.subheader(f"Results — run {run.id[:8]} ({run.status})")
    if run.status == "cancelled":
        st.warning("This run was cancelled: the statistics use the samples taken before that.", icon="⏹️")
    elif run.status == "incomplete":
        st.warning("This run stopped midway (the console was closed or killed); every sample taken "
                   "is kept and used.", icon="⚠️")
    if run.sample_count == 0:
        st.info("No measured samples in this run.", icon="ℹ️")
        return
    try:
        agg = aggregates_for(store, run)
    except WorkshopError as err:
        st.error(str(err), icon="⚠️")
        return
    _summary(ctx, run, agg)
    _verdicts(agg)
    _charts(ctx, run, agg, key)


SUMMARY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("samples", "samples"),
    ("count", "measured"),
    ("errors", "errors"),
    ("retried", "retried"),
    ("cold_client_ms", "cold call"),
    ("client_ms_p50", "client p50"),
    ("client_ms_p90", "client p90"),
    ("client_ms_p99", "client p99"),
    ("overhead_ms_p50", "overhead p50"),
    ("overhead_ms_p90", "overhead p90"),
    ("overhead_ms_p99", "overhead p99"),
    ("server_ms_p50", "server p50"),
    ("ttft_ms_p50", "TTFT p50"),
    ("tokens_per_s_p50", "tokens/s p50"),
)


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The columns a participant reads (ms unless named otherwise), one row per path."""
    table = pd.DataFrame({label: summary[column] for column, label in SUMMARY_COLUMNS if column in summary})
    from workshop.stats import path_label

    table.insert(0, "path", [path_label(p) for p in summary.index])
    # A column that is empty for every path (TTFT on a non-streaming API) only adds noise.
    return table.dropna(axis=1, how="all").reset_index(drop=True)


def summary_warnings(summary: pd.DataFrame) -> list[str]:
    """Sample-size warnings, one line per distinct warning with the paths it concerns."""
    seen: dict[str, list[str]] = {}
    for path, warnings in summary.get("warnings", pd.Series(dtype=object)).items():
        for warning in warnings or ():
            seen.setdefault(warning, []).append(str(path))
    return [f"{warning} — {', '.join(paths)}" for warning, paths in seen.items()]


def _summary(ctx: Context, run: RunInfo, agg: RunAggregates) -> None:
    st.markdown("**Summary per path** (milliseconds; warm-up excluded, failed and retried samples "
                "counted but left out of latency)")
    st.dataframe(summary_table(agg.summary), hide_index=True,
                 column_config={label: st.column_config.NumberColumn(format="%.1f")
                                for _col, label in SUMMARY_COLUMNS[4:]})
    for warning in summary_warnings(agg.summary):
        st.caption(f"⚠️ Sample size: {warning}")
    show_sandbox_label(run.sandbox, "These latencies")


def _verdicts(agg: RunAggregates) -> None:
    """Significant differences stand out (green); "no difference detectable" lines stay compact."""
    st.markdown("**Verdict** (difference of medians, seeded bootstrap 95% interval)")
    if not agg.verdicts:
        st.caption("One path only: nothing to compare.")
        return
    for verdict in agg.verdicts:
        if verdict.significant:
            st.success(verdict.text, icon="⚖️")
    quiet = [v.text for v in agg.verdicts if not v.significant]
    if quiet:
        st.markdown("\n".join(f"- {text}" for text in quiet))
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
     "Further left = faster. Where the curves separate is where the paths differ."),
    ("overhead_box", "Network overhead (client − server) per path",
     "Overhead strips out model time: the part of latency the path itself adds."),
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
    if not _HAS_VL_CONVERT:
        st.caption("PNG/SVG export needs the optional `vl-convert-python` package, which is not installed: "
                   "the chart downloads are the Vega-Lite JSON spec (open it in the Vega editor) and a "
                   "standalone HTML page (it loads the Vega libraries from their CDN when opened).")


def chart_downloads(spec: ChartSpec, *, key: str, stem: str) -> None:
    """Download buttons: the chart (SVG+PNG, or spec+HTML without vl-convert) and its data as CSV."""
    cols = st.columns(3)
    if _HAS_VL_CONVERT:
        cols[0].download_button("SVG", data=_saver(spec.chart, "svg"), file_name=f"{stem}.svg",
                                mime="image/svg+xml", key=f"{key}-svg", on_click="ignore", icon="🖼️")
        cols[1].download_button("PNG", data=_saver(spec.chart, "png"), file_name=f"{stem}.png",
                                mime="image/png", key=f"{key}-png", on_click="ignore", icon="🖼️")
    else:
        cols[0].download_button("Vega-Lite", data=_saver(spec.chart, "json"), file_name=f"{stem}.vl.json",
                                mime="application/json", key=f"{key}-json", on_click="ignore", icon="🧾",
                                help="The chart's Vega-Lite spec, data included.")
        cols[1].download_button("HTML", data=_saver(spec.chart, "html"), file_name=f"{stem}.html",
                                mime="text/html", key=f"{key}-html", on_click="ignore", icon="🌐",
                                help="A standalone page drawing the chart (loads Vega from its CDN).")
    cols[2].download_button("CSV", data=lambda: spec.data.to_csv(index=False), file_name=f"{stem}.csv",
                            mime="text/csv", key=f"{key}-csv", on_click="ignore", icon="⬇️")


def _saver(spec: dict[str, Any], fmt: str) -> Callable[[], bytes | str]:
    """Deferred export of a chart's Vega-Lite spec (built only when the button is clicked)."""

    def build() -> bytes | str:
        from workshop import charts

        return charts.export(spec, fmt)

    return build

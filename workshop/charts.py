"""Altair charts of a comparison run, drawn from the small aggregates in workshop.stats.

Every builder takes a samples frame (or a ``stats.Prepared``) and returns an ``alt.Chart``
whose data is an aggregate of at most a few thousand rows, so a 100k-sample run renders as
fast as a small one. No Streamlit here: the Compare page shows the charts of a stored run
from their Vega-Lite specs (:func:`vega_lite_specs`, computed once with the run's analysis
and kept in the store), offers each chart's data as CSV and the spec as PNG/SVG/HTML
(:func:`export`).

Altair is imported when a chart is built, not with this module: drawing a run from its
kept specs needs no Altair at all (importing it costs a third of a second).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pandas as pd

from workshop import stats

if TYPE_CHECKING:
    import altair as alt

SANDBOX_SUBTITLE = "sandbox: modelled, not measured on AWS"

SPEC_VERSION = 5
"""Bump when the specs these builders produce change: kept specs of another version are
rebuilt (``compare.ANALYSIS_VERSION`` includes it)."""

PATH_COLORS: dict[str, str] = {"NAT": "#4c78a8", "PrivateLink": "#54a24b", "Cross-account": "#b279a2",
                               "Proxy": "#9d755d", "API Gateway": "#e45756", "LLM gateway": "#17becf"}
"""One colour per path, the same in every chart (and never the colours of the time parts)."""
EXTRA_COLORS: tuple[str, ...] = ("#eeca3b", "#ff9da6", "#bab0ac", "#439894", "#d67195")
PART_COLORS: dict[str, str] = {"credentials": "#bab0ac", "cold start": "#8c6d31", "gateway hop": "#ffbf79",
                               "network overhead": "#f58518", "server": "#72b7b2"}
"""Where the time goes: grey, brown, light orange, orange, teal — none of them a path's colour."""

CHART_NAMES: tuple[str, ...] = ("ecdf", "overhead_box", "decomposition", "drift")
WIDTH = 440  # the specs' own size: what exports and the report draw (the page stretches them)
HEIGHT = 250


def _fit_width() -> Any:
    """Fit the width to the container, keep the plot's own height. Streamlit otherwise sizes a
    chart with ``autosize: fit``: title, subtitle, legend and axes squeezed into one fixed
    height, which on a narrow column leaves the plot a few pixels tall — flat lines and
    "Infinite extent" (the empty-ECDF report)."""
    return _alt().AutoSizeParams(type="fit-x", contains="padding")
"""The four result charts, in the order the page draws them."""


def _alt() -> Any:
    import altair

    return altair


def _path_scale(labels: Any) -> Any:
    """A fixed colour per path label (known paths first), so NAT is blue in every chart."""
    domain = list(dict.fromkeys(str(x) for x in labels))
    extra = iter(EXTRA_COLORS * 4)
    return _alt().Scale(domain=domain, range=[PATH_COLORS.get(x) or next(extra) for x in domain])


def _path_color(data: pd.DataFrame, **kw: Any) -> Any:
    return _alt().Color("path_label:N", title="path", sort=None, scale=_path_scale(data["path_label"]), **kw)


def _labelled(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``path_label`` (NAT / PrivateLink / Cross-account) and keep walk-through order."""
    return df.assign(path_label=df["path"].map(stats.path_label))


def _title(text: str, sandbox: bool, note: str | None = None) -> Any:
    """A short title (it must fit half a projector's width) with the detail in the subtitle."""
    subtitle = [note] if note else []
    if sandbox:
        subtitle.append(SANDBOX_SUBTITLE)
    return _alt().TitleParams(text, subtitle=subtitle, anchor="start")


# ----------------------------------------------------------------------------- from aggregates
# Each takes the aggregate frame the matching stats function returns.


def ecdf_chart_of(data: pd.DataFrame, metric: str = "client_ms", *, sandbox: bool = False) -> alt.Chart:
    """ECDF chart of a ``stats.ecdf`` frame."""
    alt = _alt()
    label = stats.METRIC_LABELS.get(metric, metric)
    data = _finite(_labelled(data), "value", "fraction")
    return (
        alt.Chart(data, title=_title(f"{label.capitalize()} per path", sandbox, "fraction of calls at or below"))
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("value:Q", title=f"{label} (ms)", scale=alt.Scale(zero=False)),
            y=alt.Y("fraction:Q", title="fraction of calls at or below", axis=alt.Axis(format="%")),
            color=_path_color(data, legend=alt.Legend(orient="bottom", labelLimit=0)),
            tooltip=[
                "path_label:N",
                alt.Tooltip("value:Q", format=".2f"),
                alt.Tooltip("fraction:Q", format=".1%"),
            ],
        )
        .properties(width=WIDTH, height=HEIGHT, autosize=_fit_width())
    )


def box_chart_of(data: pd.DataFrame, metric: str = "overhead_ms", *, sandbox: bool = False) -> alt.LayerChart:
    """Box plot of a ``stats.box_stats`` frame, with each path's p99 marked.

    The box and whiskers show the typical call; a dotted line runs on to the p99 tick, so
    the slow tail the table reports is on the chart too. When the tail is more than ten
    times the box's upper quartile the axis turns symmetric-log, so both stay readable.
    """
    alt = _alt()
    label = stats.METRIC_LABELS.get(metric, metric)
    data = _finite(_labelled(data), "q1", "median", "q3", "whisker_low", "whisker_high")
    has_p99 = "p99" in data and data["p99"].notna().any()
    wide = bool(has_p99 and (data["p99"] > 10 * data["q3"].clip(lower=1e-9)).any())
    scale = alt.Scale(type="symlog", constant=1) if wide else alt.Scale(zero=False)
    note = "box: quartiles · whiskers: 1.5 IQR · tick: p99" + (" · log scale" if wide else "")
    y = alt.Y("path_label:N", title=None, sort=None)
    base = alt.Chart(data, title=_title(f"{label.capitalize()} per path", sandbox, note))
    x_title = f"{label} (ms)"
    whiskers = base.mark_rule().encode(y=y, x=alt.X("whisker_low:Q", title=x_title, scale=scale), x2="whisker_high:Q")
    boxes = base.mark_bar(size=18).encode(
        y=y,
        x=alt.X("q1:Q", scale=scale),
        x2="q3:Q",
        color=_path_color(data, legend=None),
        tooltip=[
            alt.Tooltip("path_label:N", title="path"),
            "count:Q",
            alt.Tooltip("q1:Q", format=".2f"),
            alt.Tooltip("median:Q", format=".2f"),
            alt.Tooltip("q3:Q", format=".2f"),
            *([alt.Tooltip("p99:Q", format=".2f")] if has_p99 else []),
            "outliers:Q",
        ],
    )
    medians = base.mark_tick(color="white", size=18, thickness=2).encode(y=y, x=alt.X("median:Q", scale=scale))
    layers = [whiskers, boxes, medians]
    if has_p99:
        tail = base.mark_rule(strokeDash=[2, 3], color="#555").encode(
            y=y, x=alt.X("whisker_high:Q", scale=scale), x2="p99:Q")
        p99 = base.mark_tick(color="#222", size=14, thickness=2).encode(
            y=y, x=alt.X("p99:Q", scale=scale), tooltip=[alt.Tooltip("p99:Q", format=".2f", title="p99 (ms)")])
        text = base.mark_text(align="left", dx=6, dy=-9, fontSize=10, color="#222").encode(
            y=y, x=alt.X("p99:Q", scale=scale), text=alt.Text("p99:Q", format=".1f"))
        layers += [tail, p99, text]
    return alt.layer(*layers).properties(width=WIDTH, height=max(90, 34 * data["path_label"].nunique()),
                                         autosize=_fit_width())


def decomposition_chart_of(data: pd.DataFrame, *, sandbox: bool = False) -> alt.Chart:
    """Stacked bars of a ``stats.decomposition`` frame: a typical call per path, then each
    path's first (cold) call, one bar each (no facet: it sizes like the other charts)."""
    alt = _alt()
    data = _finite(_labelled(data), "ms")
    # Only the parts present: a run without a gateway path keeps its three-part legend.
    parts = [p for p in stats.DECOMPOSITION_COMPONENTS if p in set(data["component"])] or \
        list(stats.DECOMPOSITION_COMPONENTS)
    first = data["call"] == "first call"
    data = data.assign(bar=data["path_label"].where(~first, data["path_label"] + " · first call"))
    order = list(dict.fromkeys([*data.loc[~first, "bar"], *data.loc[first, "bar"]]))
    return (
        alt.Chart(data, title=_title("Where the time goes", sandbox, "medians of each part; the first call apart"))
        .mark_bar()
        .encode(
            y=alt.Y("bar:N", title=None, sort=order, axis=alt.Axis(labelLimit=0)),
            x=alt.X("sum(ms):Q", title="milliseconds", stack="zero"),
            color=alt.Color(
                "component:N",
                sort=parts,
                title="part",
                scale=alt.Scale(domain=parts, range=[PART_COLORS[p] for p in parts]),
                legend=alt.Legend(orient="bottom", labelLimit=0),
            ),
            order=alt.Order("order:Q"),
            tooltip=[alt.Tooltip("path_label:N", title="path"), "call:N", "component:N",
                     alt.Tooltip("ms:Q", format=".2f")],
        )
        .properties(width=WIDTH, height=max(90, 22 * len(order)), autosize=_fit_width())
    )


def drift_chart_of(data: pd.DataFrame, metric: str = "client_ms", *, sandbox: bool = False) -> alt.Chart:
    """Median-per-bucket lines of a ``stats.time_buckets`` frame, on a UTC clock (24 h)."""
    alt = _alt()
    label = stats.METRIC_LABELS.get(metric, metric)
    data = _finite(_labelled(data), "p50")
    return (
        alt.Chart(data, title=_title(f"{label.capitalize()} over time", sandbox, "median per time bucket"))
        .mark_line(point=True)
        .encode(
            x=alt.X("bucket_start:T", title="time (UTC)", scale=alt.Scale(type="utc"),
                    axis=alt.Axis(format="%H:%M:%S", labelAngle=0)),
            y=alt.Y("p50:Q", title=f"median {label} (ms)", scale=alt.Scale(zero=False)),
            color=_path_color(data, legend=alt.Legend(orient="bottom", labelLimit=0)),
            tooltip=[
                alt.Tooltip("path_label:N", title="path"),
                alt.Tooltip("utchoursminutesseconds(bucket_start):T", title="time (UTC)"),
                "count:Q",
                alt.Tooltip("p50:Q", format=".2f"),
                alt.Tooltip("p90:Q", format=".2f"),
            ],
        )
        .properties(width=WIDTH, height=HEIGHT, autosize=_fit_width())
    )


def _finite(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Only rows whose ``columns`` are finite numbers: a None or an infinity reaching a spec
    makes Vega's scale extent infinite, and the whole chart draws empty."""
    import numpy as np

    if df.empty:
        return df
    keep = np.ones(len(df), dtype=bool)
    for column in columns:
        if column in df:
            values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            keep &= np.isfinite(values)
    return df[keep]


# ----------------------------------------------------------------------------- from samples


def ecdf_chart(
    df: pd.DataFrame | stats.Prepared,
    metric: str = "client_ms",
    *,
    sandbox: bool = False,
    max_points: int = 400,
) -> alt.Chart:
    """ECDF of ``metric`` per path: the fraction of calls faster than x (step lines)."""
    return ecdf_chart_of(stats.ecdf(df, metric, max_points=max_points), metric, sandbox=sandbox)


def box_chart(
    df: pd.DataFrame | stats.Prepared, metric: str = "overhead_ms", *, sandbox: bool = False
) -> alt.LayerChart:
    """Box plot of ``metric`` per path from precomputed Tukey boxes (whiskers 1.5 IQR)."""
    return box_chart_of(stats.box_stats(df, metric), metric, sandbox=sandbox)


def decomposition_chart(df: pd.DataFrame | stats.Prepared, *, sandbox: bool = False) -> alt.Chart:
    """Stacked bars per path: credentials, network overhead, server; typical and first call."""
    return decomposition_chart_of(stats.decomposition(df), sandbox=sandbox)


def drift_chart(
    df: pd.DataFrame | stats.Prepared,
    metric: str = "client_ms",
    *,
    sandbox: bool = False,
    max_buckets: int = 120,
) -> alt.Chart:
    """Median of ``metric`` per time bucket and path: drift shows as all lines moving together."""
    return drift_chart_of(stats.time_buckets(df, metric, max_buckets=max_buckets), metric, sandbox=sandbox)


def live_chart(recent: pd.DataFrame) -> alt.Chart:
    """Scatter of the last samples while a run is going (``Progress.recent`` as a frame:
    elapsed_s, client_ms, path)."""
    alt = _alt()
    data = _finite(_labelled(recent), "elapsed_s", "overhead_ms")
    return (
        alt.Chart(data, title="Latest samples: network overhead")
        .mark_circle(size=28, opacity=0.7)
        .encode(
            x=alt.X("elapsed_s:Q", title="seconds since start"),
            y=alt.Y("overhead_ms:Q", title="overhead (ms)", scale=alt.Scale(type="symlog", constant=1)),
            color=_path_color(data, legend=alt.Legend(orient="bottom", labelLimit=0)),
        )
    )


def all_charts(df: pd.DataFrame | stats.Prepared, *, sandbox: bool = False) -> dict[str, alt.TopLevelMixin]:
    """The four result charts by name, sharing one ``stats.prepare`` pass."""
    prep = stats.prepare(df)
    return {
        "ecdf": ecdf_chart(prep, sandbox=sandbox),
        "overhead_box": box_chart(prep, sandbox=sandbox),
        "decomposition": decomposition_chart(prep, sandbox=sandbox),
        "drift": drift_chart(prep, sandbox=sandbox),
    }


def analysis_charts(analysis: stats.Analysis, *, sandbox: bool = False) -> dict[str, alt.TopLevelMixin]:
    """The four result charts of a ``stats.analyse`` result (its aggregates, nothing recomputed)."""
    return {
        "ecdf": ecdf_chart_of(analysis.ecdf, "client_ms", sandbox=sandbox),
        "overhead_box": box_chart_of(analysis.box, "overhead_ms", sandbox=sandbox),
        "decomposition": decomposition_chart_of(analysis.decomposition, sandbox=sandbox),
        "drift": drift_chart_of(analysis.drift, "client_ms", sandbox=sandbox),
    }


def vega_lite_specs(analysis: stats.Analysis, *, sandbox: bool = False) -> dict[str, dict[str, Any]]:
    """The four charts as validated Vega-Lite specs (plain JSON, data inline under
    ``datasets``): what is kept with a run's analysis and drawn without Altair."""
    return {name: chart.to_dict() for name, chart in analysis_charts(analysis, sandbox=sandbox).items()}


# ----------------------------------------------------------------------------- exports


EXPORT_FORMATS: tuple[str, ...] = ("json", "svg", "png", "html")


def export(spec: dict[str, Any], fmt: str, *, scale: float = 2.0) -> bytes | str:
    """A Vega-Lite spec as ``json`` (the spec, indented), ``svg``, ``png`` (``scale`` x the
    chart's size: sharp on a projector) or ``html`` (a page with Vega bundled inside: it draws
    offline, in a workshop room with no internet). Rendered by vl-convert, which carries its
    own Vega engine: nothing is fetched."""
    if fmt == "json":
        return json.dumps(spec, indent=2, allow_nan=False)
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown chart export format {fmt!r}")
    import vl_convert as vlc

    version = _vl_version(spec)
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec, vl_version=version)
    if fmt == "png":
        return vlc.vegalite_to_png(spec, vl_version=version, scale=scale)
    return vlc.vegalite_to_html(spec, vl_version=version, bundle=True)


def _vl_version(spec: dict[str, Any]) -> str | None:
    """The Vega-Lite version a spec's ``$schema`` names, in vl-convert's spelling ("6.1")."""
    import re

    found = re.search(r"/v(\d+)\.(\d+)", str(spec.get("$schema", "")))
    if not found:
        return None
    import vl_convert as vlc

    wanted = f"{found.group(1)}.{found.group(2)}"
    known = vlc.get_vegalite_versions()
    if wanted in known:
        return wanted
    same_major = [v for v in known if v.split(".")[0] == found.group(1)]
    return same_major[-1] if same_major else None

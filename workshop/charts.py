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

SPEC_VERSION = 1
"""Bump when the specs these builders produce change: kept specs of another version are
rebuilt (``compare.ANALYSIS_VERSION`` includes it)."""

CHART_NAMES: tuple[str, ...] = ("ecdf", "overhead_box", "decomposition", "drift")
"""The four result charts, in the order the page draws them."""


def _alt() -> Any:
    import altair

    return altair


def _path_color() -> Any:
    return _alt().Color("path_label:N", title="path", sort=None)


def _labelled(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``path_label`` (NAT / PrivateLink / Cross-account) and keep walk-through order."""
    return df.assign(path_label=df["path"].map(stats.path_label))


def _title(text: str, sandbox: bool) -> Any:
    return _alt().TitleParams(text, subtitle=[SANDBOX_SUBTITLE] if sandbox else [])


# ----------------------------------------------------------------------------- from aggregates
# Each takes the aggregate frame the matching stats function returns.


def ecdf_chart_of(data: pd.DataFrame, metric: str = "client_ms", *, sandbox: bool = False) -> alt.Chart:
    """ECDF chart of a ``stats.ecdf`` frame."""
    alt = _alt()
    label = stats.METRIC_LABELS.get(metric, metric)
    return (
        alt.Chart(_labelled(data), title=_title(f"Distribution of {label} per path", sandbox))
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("value:Q", title=f"{label} (ms)"),
            y=alt.Y("fraction:Q", title="fraction of calls at or below", axis=alt.Axis(format="%")),
            color=_path_color(),
            tooltip=[
                "path_label:N",
                alt.Tooltip("value:Q", format=".2f"),
                alt.Tooltip("fraction:Q", format=".1%"),
            ],
        )
    )


def box_chart_of(data: pd.DataFrame, metric: str = "overhead_ms", *, sandbox: bool = False) -> alt.LayerChart:
    """Box plot of a ``stats.box_stats`` frame."""
    alt = _alt()
    label = stats.METRIC_LABELS.get(metric, metric)
    y = alt.Y("path_label:N", title=None, sort=None)
    base = alt.Chart(
        _labelled(data), title=_title(f"{label.capitalize()} per path (box: quartiles, whiskers: 1.5 IQR)", sandbox)
    )
    whiskers = base.mark_rule().encode(
        y=y, x=alt.X("whisker_low:Q", title=f"{label} (ms)"), x2="whisker_high:Q"
    )
    boxes = base.mark_bar(size=18).encode(
        y=y,
        x="q1:Q",
        x2="q3:Q",
        color=alt.Color("path_label:N", title="path", sort=None, legend=None),
        tooltip=[
            "path_label:N",
            "count:Q",
            alt.Tooltip("q1:Q", format=".2f"),
            alt.Tooltip("median:Q", format=".2f"),
            alt.Tooltip("q3:Q", format=".2f"),
            "outliers:Q",
        ],
    )
    medians = base.mark_tick(color="white", size=18, thickness=2).encode(y=y, x="median:Q")
    return alt.layer(whiskers, boxes, medians)


def decomposition_chart_of(data: pd.DataFrame, *, sandbox: bool = False) -> alt.Chart:
    """Stacked bars of a ``stats.decomposition`` frame."""
    alt = _alt()
    return (
        alt.Chart(_labelled(data), title=_title("Where the time goes (medians of each part)", sandbox))
        .mark_bar()
        .encode(
            y=alt.Y("path_label:N", title=None, sort=None),
            x=alt.X("sum(ms):Q", title="milliseconds", stack="zero"),
            color=alt.Color(
                "component:N",
                sort=list(stats.DECOMPOSITION_COMPONENTS),
                title="part",
            ),
            order=alt.Order("order:Q"),
            row=alt.Row("call:N", title=None, sort=["typical call", "first call"]),
            tooltip=["path_label:N", "call:N", "component:N", alt.Tooltip("ms:Q", format=".2f")],
        )
    )


def drift_chart_of(data: pd.DataFrame, metric: str = "client_ms", *, sandbox: bool = False) -> alt.Chart:
    """Median-per-bucket lines of a ``stats.time_buckets`` frame."""
    alt = _alt()
    label = stats.METRIC_LABELS.get(metric, metric)
    return (
        alt.Chart(_labelled(data), title=_title(f"{label.capitalize()} over time (median per bucket)", sandbox))
        .mark_line(point=True)
        .encode(
            x=alt.X("bucket_start:T", title="time (UTC)"),
            y=alt.Y("p50:Q", title=f"median {label} (ms)"),
            color=_path_color(),
            tooltip=[
                "path_label:N",
                "bucket_start:T",
                "count:Q",
                alt.Tooltip("p50:Q", format=".2f"),
                alt.Tooltip("p90:Q", format=".2f"),
            ],
        )
    )


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
    data = _labelled(recent)
    return (
        alt.Chart(data, title="Latest samples")
        .mark_circle(size=28, opacity=0.7)
        .encode(
            x=alt.X("elapsed_s:Q", title="seconds since start"),
            y=alt.Y("client_ms:Q", title="client latency (ms)"),
            color=_path_color(),
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


def export(spec: dict[str, Any], fmt: str) -> bytes | str:
    """A Vega-Lite spec as ``json`` (the spec, indented), ``html`` (a standalone page that
    loads Vega from its CDN), ``svg`` or ``png`` (these two need vl-convert-python), built
    the way Altair's ``Chart.save`` builds them."""
    if fmt == "json":
        return json.dumps(spec, indent=2)
    if fmt not in ("html", "svg", "png"):
        raise ValueError(f"unknown chart export format {fmt!r}")
    alt = _alt()
    from altair.utils.mimebundle import spec_to_mimebundle

    bundle = spec_to_mimebundle(
        spec=spec,
        format=fmt,
        mode="vega-lite",
        vega_version=alt.VEGA_VERSION,
        vegalite_version=alt.VEGALITE_VERSION,
        vegaembed_version=alt.VEGAEMBED_VERSION,
    )
    if fmt == "png":
        return bundle[0]["image/png"]
    return bundle["image/svg+xml" if fmt == "svg" else "text/html"]

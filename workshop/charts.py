"""Altair charts of a comparison run, drawn from the small aggregates in workshop.stats.

Every builder takes a samples frame (or a ``stats.Prepared``) and returns an ``alt.Chart``
whose data is an aggregate of at most a few thousand rows, so a 100k-sample run renders as
fast as a small one. No Streamlit here: the Compare page calls these, shows them with
``st.altair_chart`` and offers the chart's data as CSV and the spec as PNG/SVG downloads.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from workshop import stats

SANDBOX_SUBTITLE = "sandbox: modelled, not measured on AWS"
_PATH_COLOR = alt.Color("path_label:N", title="path", sort=None)


def _labelled(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``path_label`` (NAT / PrivateLink / Cross-account) and keep walk-through order."""
    return df.assign(path_label=df["path"].map(stats.path_label))


def _title(text: str, sandbox: bool) -> alt.TitleParams:
    return alt.TitleParams(text, subtitle=[SANDBOX_SUBTITLE] if sandbox else [])


def ecdf_chart(
    df: pd.DataFrame | stats.Prepared,
    metric: str = "client_ms",
    *,
    sandbox: bool = False,
    max_points: int = 400,
) -> alt.Chart:
    """ECDF of ``metric`` per path: the fraction of calls faster than x (step lines)."""
    data = _labelled(stats.ecdf(df, metric, max_points=max_points))
    label = stats.METRIC_LABELS.get(metric, metric)
    return (
        alt.Chart(data, title=_title(f"Distribution of {label} per path", sandbox))
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("value:Q", title=f"{label} (ms)"),
            y=alt.Y("fraction:Q", title="fraction of calls at or below", axis=alt.Axis(format="%")),
            color=_PATH_COLOR,
            tooltip=[
                "path_label:N",
                alt.Tooltip("value:Q", format=".2f"),
                alt.Tooltip("fraction:Q", format=".1%"),
            ],
        )
    )


def box_chart(
    df: pd.DataFrame | stats.Prepared, metric: str = "overhead_ms", *, sandbox: bool = False
) -> alt.Chart:
    """Box plot of ``metric`` per path from precomputed Tukey boxes (whiskers 1.5 IQR)."""
    data = _labelled(stats.box_stats(df, metric))
    label = stats.METRIC_LABELS.get(metric, metric)
    y = alt.Y("path_label:N", title=None, sort=None)
    base = alt.Chart(
        data, title=_title(f"{label.capitalize()} per path (box: quartiles, whiskers: 1.5 IQR)", sandbox)
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


def decomposition_chart(df: pd.DataFrame | stats.Prepared, *, sandbox: bool = False) -> alt.Chart:
    """Stacked bars per path: credentials, network overhead, server; typical and first call."""
    data = _labelled(stats.decomposition(df))
    return (
        alt.Chart(data, title=_title("Where the time goes (medians of each part)", sandbox))
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


def drift_chart(
    df: pd.DataFrame | stats.Prepared,
    metric: str = "client_ms",
    *,
    sandbox: bool = False,
    max_buckets: int = 120,
) -> alt.Chart:
    """Median of ``metric`` per time bucket and path: drift shows as all lines moving together."""
    data = _labelled(stats.time_buckets(df, metric, max_buckets=max_buckets))
    label = stats.METRIC_LABELS.get(metric, metric)
    return (
        alt.Chart(data, title=_title(f"{label.capitalize()} over time (median per bucket)", sandbox))
        .mark_line(point=True)
        .encode(
            x=alt.X("bucket_start:T", title="time (UTC)"),
            y=alt.Y("p50:Q", title=f"median {label} (ms)"),
            color=_PATH_COLOR,
            tooltip=[
                "path_label:N",
                "bucket_start:T",
                "count:Q",
                alt.Tooltip("p50:Q", format=".2f"),
                alt.Tooltip("p90:Q", format=".2f"),
            ],
        )
    )


def live_chart(recent: pd.DataFrame) -> alt.Chart:
    """Scatter of the last samples while a run is going (``Progress.recent`` as a frame:
    elapsed_s, client_ms, path)."""
    data = _labelled(recent)
    return (
        alt.Chart(data, title="Latest samples")
        .mark_circle(size=28, opacity=0.7)
        .encode(
            x=alt.X("elapsed_s:Q", title="seconds since start"),
            y=alt.Y("client_ms:Q", title="client latency (ms)"),
            color=_PATH_COLOR,
        )
    )


def all_charts(df: pd.DataFrame | stats.Prepared, *, sandbox: bool = False) -> dict[str, alt.Chart]:
    """The four result charts by name, sharing one ``stats.prepare`` pass."""
    prep = stats.prepare(df)
    return {
        "ecdf": ecdf_chart(prep, sandbox=sandbox),
        "overhead_box": box_chart(prep, sandbox=sandbox),
        "decomposition": decomposition_chart(prep, sandbox=sandbox),
        "drift": drift_chart(prep, sandbox=sandbox),
    }

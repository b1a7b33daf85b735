"""The room's charts: every participant as a tick, the room's interval under them.

Built from a ``room.Board`` (a few hundred points at most: one per participant and pair),
as Vega-Lite specs with the data inline, so the Room page draws them, the room report turns
them into inline SVG (``charts.export``) and a test can read them. Path colours are the
single-run charts' (``charts.PATH_COLORS``): NAT is blue everywhere.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from workshop import stats
from workshop.charts import SANDBOX_SUBTITLE, WIDTH, _path_scale

ROOM_CHARTS: dict[str, tuple[str, str]] = {
    "differences": ("Each participant's difference, and the room's",
                    "One tick per participant: their own difference of medians between two paths (later path "
                    "minus earlier). The bar under it is the room's interval, the red tick its median: one slow "
                    "instance is one tick, it cannot move the verdict."),
    "participants": ("Overhead per path, participant by participant",
                     "Each participant's median overhead on each path (one tick each); the black tick is the room's median. "
                     "Instances differ far more than paths: that is why paths are compared within each "
                     "participant first."),
    "groups": ("By region and Availability Zone",
               "The median over each group's participants of their median overhead, per path."),
}
"""Chart name -> (title, caption), in the order the page and the report show them."""


def _alt() -> Any:
    import altair

    return altair


def _title(text: str, sandbox: bool) -> Any:
    return _alt().TitleParams(text, subtitle=[SANDBOX_SUBTITLE] if sandbox else [])


def differences_frame(board: Any) -> pd.DataFrame:
    """One row per participant and pair: ``pair``, ``participant``, ``difference_ms``."""
    rows = []
    for pair in board.pooled.pairs:
        name = f"{stats.path_label(pair.b)} − {stats.path_label(pair.a)}"
        for who, d in board.pooled.differences.get((pair.a, pair.b), {}).items():
            if math.isfinite(d):
                rows.append({"pair": name, "participant": who, "difference_ms": round(float(d), 4)})
    return pd.DataFrame(rows, columns=["pair", "participant", "difference_ms"])


def intervals_frame(board: Any) -> pd.DataFrame:
    """One row per pair: the room's median difference and its interval (finite ends only)."""
    rows = []
    for pair in board.pooled.pairs:
        if not (math.isfinite(pair.ci_low) and math.isfinite(pair.ci_high)):
            continue
        rows.append({"pair": f"{stats.path_label(pair.b)} − {stats.path_label(pair.a)}",
                     "median_ms": round(pair.difference, 4), "low_ms": round(pair.ci_low, 4),
                     "high_ms": round(pair.ci_high, 4), "participants": pair.n_a})
    return pd.DataFrame(rows, columns=["pair", "median_ms", "low_ms", "high_ms", "participants"])


def differences_chart(board: Any) -> Any:
    """Dots per participant for each pair, the room's interval and median on top."""
    alt = _alt()
    dots = differences_frame(board)
    bars = intervals_frame(board)
    order = [f"{stats.path_label(p.b)} − {stats.path_label(p.a)}" for p in board.pooled.pairs]
    y = alt.Y("pair:N", title=None, sort=order, axis=alt.Axis(labelLimit=260))
    x_title = "difference of median overhead (ms)"
    layers = [
        alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color="#999", strokeDash=[3, 3]).encode(x="zero:Q"),
        # A strip of ticks, one per participant (a rug: 200 of them still read as a spread).
        alt.Chart(dots).mark_tick(opacity=0.6, thickness=2, size=30, color="#4c78a8").encode(
            y=y, x=alt.X("difference_ms:Q", title=x_title),
            tooltip=["participant:N", alt.Tooltip("difference_ms:Q", format=".2f", title="difference (ms)")],
        ),
    ]
    if len(bars):
        layers += [
            alt.Chart(bars).mark_rule(size=4, color="#222", opacity=0.8, yOffset=22).encode(
                y=y, x="low_ms:Q", x2="high_ms:Q",
                tooltip=[alt.Tooltip("low_ms:Q", format=".2f"), alt.Tooltip("high_ms:Q", format=".2f"),
                         "participants:Q"]),
            alt.Chart(bars).mark_tick(color="#d62728", thickness=4, size=40).encode(
                y=y, x="median_ms:Q", tooltip=[alt.Tooltip("median_ms:Q", format=".2f", title="room median (ms)")]),
        ]
    return alt.layer(*layers, title=_title(ROOM_CHARTS["differences"][0], board.sandbox)).properties(
        width=WIDTH, height=max(90, 60 * max(1, len(order))))


def participants_frame(board: Any) -> pd.DataFrame:
    """One row per participant and path: ``path``, ``path_label``, ``participant``, ``overhead_ms``."""
    rows = [{"path": path, "path_label": stats.path_label(path), "participant": who, "overhead_ms": round(v, 4)}
            for who, by_path in board.pooled.per_participant.items() for path, v in by_path.items()
            if math.isfinite(v)]
    frame = pd.DataFrame(rows, columns=["path", "path_label", "participant", "overhead_ms"])
    order = {p: i for i, p in enumerate(board.paths)}
    return frame.sort_values("path", key=lambda s: s.map(order)).reset_index(drop=True)


def participants_chart(board: Any) -> Any:
    """Each participant's median overhead per path, the room's median as a tick."""
    alt = _alt()
    data = participants_frame(board)
    labels = [stats.path_label(p) for p in board.paths]
    medians = pd.DataFrame({"path_label": labels, "median_ms": [
        float(board.summary.loc[p, "overhead_ms_p50"]) for p in board.paths]}).dropna()
    y = alt.Y("path_label:N", title=None, sort=labels)
    color = alt.Color("path_label:N", title="path", sort=None, scale=_path_scale(labels), legend=None)
    dots = alt.Chart(data).mark_tick(opacity=0.65, thickness=2, size=30).encode(
        y=y, x=alt.X("overhead_ms:Q", title="participant's median overhead (ms)", scale=alt.Scale(zero=False)),
        color=color,
        tooltip=["participant:N", alt.Tooltip("overhead_ms:Q", format=".2f", title="median overhead (ms)")],
    )
    ticks = alt.Chart(medians).mark_tick(color="#222", thickness=4, size=40).encode(
        y=y, x="median_ms:Q", tooltip=[alt.Tooltip("median_ms:Q", format=".2f", title="room median (ms)")])
    return alt.layer(dots, ticks, title=_title(ROOM_CHARTS["participants"][0], board.sandbox)).properties(
        width=WIDTH, height=max(90, 60 * max(1, len(labels))))


def groups_frame(board: Any) -> pd.DataFrame:
    """One row per region / AZ group and path: ``group``, ``path_label``, ``overhead_ms``, ``participants``."""
    rows = [{"group": g.label, "path_label": stats.path_label(p), "overhead_ms": round(v, 4),
             "participants": g.participants} for g in board.groups for p, v in g.overhead_ms.items()]
    return pd.DataFrame(rows, columns=["group", "path_label", "overhead_ms", "participants"])


def groups_chart(board: Any) -> Any | None:
    """Median overhead per path in each region / AZ (None when no run said where it ran)."""
    if not board.groups:
        return None
    alt = _alt()
    data = groups_frame(board)
    labels = [stats.path_label(p) for p in board.paths]
    return alt.Chart(data, title=_title(ROOM_CHARTS["groups"][0], board.sandbox)).mark_bar().encode(
        y=alt.Y("path_label:N", title=None, sort=labels),
        x=alt.X("overhead_ms:Q", title="median overhead (ms)"),
        color=alt.Color("path_label:N", title="path", sort=None, scale=_path_scale(labels), legend=None),
        row=alt.Row("group:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
        tooltip=["group:N", "path_label:N", alt.Tooltip("overhead_ms:Q", format=".2f"), "participants:Q"],
    ).properties(width=WIDTH, height=22 * max(1, len(labels)))


def room_specs(board: Any) -> dict[str, dict[str, Any]]:
    """The room's charts as Vega-Lite specs (data inline), by :data:`ROOM_CHARTS` name."""
    out = {"differences": differences_chart(board).to_dict(), "participants": participants_chart(board).to_dict()}
    groups = groups_chart(board)
    if groups is not None:
        out["groups"] = groups.to_dict()
    return out

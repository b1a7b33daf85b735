"""The stakeholder report: one self-contained HTML file for a comparison run.

What a stakeholder needs to decide, in the order they read it: the headline, what each path
costs, the one-time costs, the four charts, the numbers behind them, and how the run was
made. Self-contained means exactly that: the charts are inline SVG rendered by vl-convert
(which carries its own Vega engine), the style is inline, and no ``src`` or ``href`` points
anywhere — it opens from a USB stick in a room with no network, and prints.
"""

from __future__ import annotations

import html
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workshop import PATH_LABELS, __version__
from workshop.secrets.files import atomic_write

CHART_TITLES: dict[str, tuple[str, str]] = {
    "ecdf": ("Client latency per path",
             "Fraction of calls at or below each latency. Model time dominates it: the paths overlap."),
    "overhead_box": ("Network overhead per path",
                     "Client time minus Bedrock's own time: what the path itself adds. The tick marks the p99."),
    "decomposition": ("Where the time goes",
                      "Credentials, network overhead and server time; the first (cold) call apart."),
    "drift": ("Latency over time",
              "Median per time bucket. Interleaved calls mean drift hits every path alike."),
}

_STYLE = """
:root { --ink:#1d2430; --muted:#5b6573; --line:#d9dee5; --accent:#1f5fa8; --warn:#8a5a00; }
* { box-sizing: border-box; }
body { font: 16px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1180px; padding: 28px 32px 48px; }
h1 { font-size: 27px; line-height: 1.3; margin: 6px 0 10px; }
h2 { font-size: 18px; margin: 28px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.kicker { color: var(--muted); font-size: 14px; margin: 0; }
.sandbox { display: inline-block; background: #fff4d6; color: var(--warn); border: 1px solid #f0d58a;
           border-radius: 4px; padding: 3px 9px; font-size: 14px; margin: 4px 0 0; }
.lead { font-size: 17px; margin: 8px 0; }
.muted { color: var(--muted); font-size: 14px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th:first-child, td:first-child { text-align: left; }
th { color: var(--muted); font-weight: 600; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 10px; overflow: hidden; }
figure svg { width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; font-size: 14px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; }
code { font-size: 13px; }
@media print { body { padding: 0; } figure { break-inside: avoid; } }
@media (max-width: 900px) { .grid { grid-template-columns: 1fr; } }
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _ms(value: Any, digits: int = 1) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    return f"{v:,.{digits}f}" if math.isfinite(v) else "–"


def _label(path: str) -> str:
    from workshop.stats import path_label

    return path_label(path)


def _svg(spec: dict[str, Any]) -> str:
    """A chart as inline SVG (its XML prologue dropped, so it sits inside the page)."""
    from workshop.charts import export

    svg = str(export(spec, "svg"))
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _pairs_table(answer: Any) -> str:
    from workshop.answer import fmt_interval, fmt_ms, fmt_share

    rows = []
    for p in answer.pairs:
        if p.same_endpoint:
            verdict = "same endpoint: not compared"
        elif p.significant:
            verdict = f"{_label(p.better)} lower"
        elif p.equivalent:
            verdict = f"equivalent within ±{fmt_ms(p.margin_ms)} ms"
        else:
            verdict = "not clear yet"
        rows.append(
            f"<tr><td>{_e(_label(p.better))} vs {_e(_label(p.other))}</td>"
            f"<td>{_e(fmt_ms(p.difference_ms))} ms</td><td>{_e(fmt_interval(p.low_ms, p.high_ms))}</td>"
            f"<td>{_e(fmt_share(p.share_of_call) or '–')}</td><td>{_e(verdict)}</td></tr>"
        )
    if not rows:
        return "<p class='muted'>One path only: nothing to compare.</p>"
    return ("<table><thead><tr><th>pair</th><th>overhead difference</th><th>95% interval</th>"
            "<th>share of the median call</th><th>verdict</th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table>")


def _cost_table(estimate: Any) -> str:
    from workshop.cost import money

    if estimate is None or not estimate.paths:
        return "<p class='muted'>No cost estimate for this run.</p>"
    rows = []
    for path, c in estimate.paths.items():
        rows.append(
            f"<tr><td>{_e(_label(path))}</td><td>{money(c.fixed_monthly)}</td><td>{money(c.data_monthly)}</td>"
            f"<td>{money(c.network_monthly)}</td><td>{money(c.model_monthly)}</td><td>{money(c.total_monthly)}</td>"
            f"<td>{c.bytes_per_call / 1000:,.1f} KB</td></tr>"
        )
    notes = sorted({n for c in estimate.paths.values() for n in c.notes} | set(estimate.notes))
    sources = ", ".join(f"<code>{_e(u.split('://', 1)[-1])}</code>" for u in estimate.sources)
    return (
        f"<p class='muted'>A month at {estimate.calls_per_month:,} calls, {_e(estimate.region)}, "
        f"list prices as of {_e(estimate.as_of)} (no discounts or free tier).</p>"
        "<table><thead><tr><th>path</th><th>fixed (hourly)</th><th>data processed</th><th>network total</th>"
        "<th>model</th><th>total</th><th>bytes per call</th></tr></thead><tbody>" + "".join(rows)
        + "</tbody></table>"
        + "".join(f"<p class='muted'>{_e(n)}</p>" for n in notes)
        + f"<p class='muted'>Prices: {sources}.</p>"
    )


def _summary_table(summary: Any, sandbox: bool) -> str:
    cols = [("count", "samples", 0), ("errors", "errors", 0), ("cold_client_ms", "cold call", 1),
            ("client_ms_p50", "client p50", 1), ("client_ms_p90", "client p90", 1),
            ("client_ms_p99", "client p99", 1), ("overhead_ms_p50", "overhead p50", 2),
            ("overhead_ms_p90", "overhead p90", 2), ("server_ms_p50", "server p50", 1)]
    if sandbox:
        cols.append(("modelled_network_ms_p50", "modelled network p50", 2))
    head = "".join(f"<th>{_e(label)}</th>" for _, label, _ in cols)
    rows = []
    for path, row in summary.iterrows():
        cells = "".join(f"<td>{_ms(row.get(col), digits)}</td>" for col, _, digits in cols)
        rows.append(f"<tr><td>{_e(_label(str(path)))}</td>{cells}</tr>")
    return (f"<table><thead><tr><th>path</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            "<p class='muted'>Milliseconds. Warm-up calls are left out; failed and retried calls are counted, "
            "not timed." + (" Modelled network: the delay the sandbox planned, which the overhead includes."
                            if sandbox else "") + "</p>")


def _settings(run: Any) -> str:
    s = run.settings or {}
    items = [
        ("run", run.id), ("status", run.status), ("model", run.model_id), ("API", run.api),
        ("paths", ", ".join(f"{p} ({PATH_LABELS.get(p, p)})" for p in run.paths)),
        ("stopping rule", f"until every interval is within ±{s['precision_ms']:g} ms or "
                          f"{s.get('time_limit_s') or 60:g} s" if s.get("precision_ms") else
         f"{s.get('samples', '?')} samples per path"),
        ("warm-up per path", s.get("warmup")), ("calls in flight", s.get("concurrency")),
        ("answer length", f"capped at {s['max_tokens']} tokens" if s.get("max_tokens") else "the body's own"),
        ("schedule", f"{s.get('schedule', 'round-robin')}, seed {s.get('seed', 0)}"),
        ("started (UTC)", run.started_at.strftime("%Y-%m-%d %H:%M:%S") if run.started_at else "–"),
        ("ended (UTC)", run.ended_at.strftime("%Y-%m-%d %H:%M:%S") if run.ended_at else "–"),
        ("measured on", "the built-in sandbox (modelled, not measured on AWS)" if run.sandbox else "AWS"),
    ]
    if run.notes:
        items.append(("notes", run.notes))
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items if v is not None) + "</dl>"


def render_report(run: Any, result: Any, answer: Any, *, generated_at: datetime | None = None) -> str:
    """The report of a stored run (``store.RunInfo``), its ``compare.RunAnalysis`` and its
    ``answer.Answer``, as one HTML document."""
    from workshop.stats import interval_note

    analysis = result.analysis
    when = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    started = run.started_at.strftime("%Y-%m-%d %H:%M UTC") if run.started_at else ""
    figures = []
    for name, (title, caption) in CHART_TITLES.items():
        spec = result.charts.get(name)
        if spec is None:
            continue
        figures.append(f"<figure>{_svg(spec)}<figcaption><b>{_e(title)}.</b> {_e(caption)}"
                       + (" Sandbox: modelled, not measured on AWS." if run.sandbox else "")
                       + "</figcaption></figure>")
    sandbox = ("<p class='sandbox'>Sandbox run: every latency here is modelled, not measured on AWS.</p>"
               if run.sandbox else "")
    lead = "".join(f"<p class='lead'>{_e(line)}</p>" for line in (answer.cost_line, answer.one_time) if line)
    caveats = "".join(f"<p class='muted'>Note: {_e(c)}.</p>" for c in answer.caveats
                      if not c.startswith("sandbox"))
    title = f"Bedrock access paths — {', '.join(_label(p) for p in run.paths)}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{_STYLE}</style></head>
<body>
<header>
<p class="kicker">{_e(title)} · {_e(run.model_id)} · run {_e(run.id[:8])} · {_e(started)}</p>
<h1>{_e(answer.headline)}</h1>
{sandbox}
</header>
{lead}
{caveats}
<h2>The answer in numbers</h2>
{_pairs_table(answer)}
<p class="muted">{_e(interval_note(analysis.pairs.get('overhead_ms', [])))}.</p>
<h2>What each path costs</h2>
{_cost_table(answer.cost)}
<h2>Charts</h2>
<div class="grid">{''.join(figures)}</div>
<h2>Per path</h2>
{_summary_table(analysis.summary, run.sandbox)}
<h2>How this run was made</h2>
{_settings(run)}
<footer><p class="muted">Generated {_e(when)} by the Bedrock access-path workshop console {_e(__version__)}.
Overhead is the client's time minus Bedrock's own (its invocation-latency figure): network, TLS, signing and
the SDK. Percentiles need samples: p90 about 50 per path, p99 about 500.</p></footer>
</body></html>
"""


def write_report(path: str | Path, run: Any, result: Any, answer: Any) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8); returns the path."""
    target = Path(path)
    atomic_write(target, render_report(run, result, answer), mode=0o600)  # private, like the store
    return target


# ------------------------------------------------------------------------------ the room


def _room_paths_table(board: Any) -> str:
    s = board.summary
    head = ("<tr><th>path</th><th>participants</th><th>runs</th><th>samples</th><th>errors</th>"
            "<th>overhead p50</th><th>participants' spread (q1–q3)</th><th>client p50</th><th>server p50</th></tr>")
    rows = []
    for path, row in s.iterrows():
        rows.append(
            f"<tr><td>{_e(_label(str(path)))}</td><td>{int(row['participants'])}</td><td>{int(row['runs'])}</td>"
            f"<td>{int(row['count']):,}</td><td>{int(row['errors'])}</td><td>{_ms(row['overhead_ms_p50'], 2)}</td>"
            f"<td>{_ms(row['overhead_ms_q1'], 2)}–{_ms(row['overhead_ms_q3'], 2)}</td>"
            f"<td>{_ms(row['client_ms_p50'])}</td><td>{_ms(row['server_ms_p50'])}</td></tr>")
    return (f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
            "<p class='muted'>Milliseconds. Each figure is the median over participants of each participant's own "
            "median (over their runs' measured samples): a participant counts once however many samples they "
            "took. Samples: measured samples in runs with at least 5 on the path.</p>")


def _room_participants_table(board: Any) -> str:
    paths = board.paths
    head = "".join(f"<th>{_e(_label(p))} overhead p50</th>" for p in paths)
    rows = []
    for p in board.participants:
        cells = "".join(f"<td>{_ms(p.overhead_ms.get(path), 2)}</td>" for path in paths)
        where = " · ".join(x for x in (p.region, p.az) if x) or "–"
        rows.append(f"<tr><td>{_e(p.name)}</td><td>{p.runs}</td><td>{p.calls:,}</td><td>{p.errors:,}</td>"
                    f"<td>{_e(where)}</td>{cells}</tr>")
    if not rows:
        return "<p class='muted'>No participant has made a call yet.</p>"
    return (f"<table><thead><tr><th>participant</th><th>runs</th><th>calls</th><th>errors</th><th>where</th>{head}"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            "<p class='muted'>Figures only: prompts and answers stay with each participant.</p>")


def _room_groups_table(board: Any) -> str:
    if not board.groups:
        return "<p class='muted'>No run said where it ran (region and AZ come from the config and $WORKSHOP_AZ).</p>"
    paths = board.paths
    head = "".join(f"<th>{_e(_label(p))}</th>" for p in paths)
    rows = []
    for g in board.groups:
        cells = "".join(f"<td>{_ms(g.overhead_ms.get(p), 2)}</td>" for p in paths)
        rows.append(f"<tr><td>{_e(g.label)}</td><td>{g.participants}</td>{cells}</tr>")
    return (f"<table><thead><tr><th>region · AZ</th><th>participants</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
            "<p class='muted'>Median overhead (ms) over each group's participants.</p>")


def render_room_report(board: Any, answer: Any, specs: dict[str, dict[str, Any]] | None = None, *,
                       generated_at: datetime | None = None) -> str:
    """The room's report (a ``room.Board``, its ``room.room_answer`` and the charts of
    ``room_charts.room_specs``) as one self-contained HTML document, like a run's."""
    from workshop.room_charts import ROOM_CHARTS, room_specs
    from workshop.stats import interval_note

    specs = room_specs(board) if specs is None else specs
    when = (generated_at or board.generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    figures = []
    for name, (title, caption) in ROOM_CHARTS.items():
        spec = specs.get(name)
        if spec is None:
            continue
        figures.append(f"<figure>{_svg(spec)}<figcaption><b>{_e(title)}.</b> {_e(caption)}"
                       + (" Sandbox: modelled, not measured on AWS." if board.sandbox else "")
                       + "</figcaption></figure>")
    sandbox = ("<p class='sandbox'>Sandbox runs: every latency here is modelled, not measured on AWS.</p>"
               if board.sandbox else "")
    caveats = "".join(f"<p class='muted'>Note: {_e(c)}.</p>" for c in answer.caveats if not c.startswith("sandbox"))
    n = len({who for pair in board.pooled.differences.values() for who in pair})
    title = f"Bedrock access paths — the room, {', '.join(_label(p) for p in board.paths) or 'no path yet'}"
    method = [
        ("pooled", f"{board.runs_pooled} finished run(s) of {n} participant(s): {board.filter.describe()}"),
        ("still running", f"{board.runs_running} run(s), not in these figures until they finish"),
        ("blocking", "paths are compared within each participant's runs first, then across participants"),
        ("intervals", interval_note(board.pooled.pairs) if board.pooled.pairs else "–"),
        ("store", board.store),
    ]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{_STYLE}</style></head>
<body>
<header>
<p class="kicker">{_e(title)} · {len(board.participants)} participant(s) · {_e(when)}</p>
<h1>{_e(answer.headline)}</h1>
{sandbox}
</header>
{caveats}
<h2>The answer in numbers</h2>
{_pairs_table(answer)}
<p class="muted">{_e(interval_note(board.pooled.pairs)) + '.' if board.pooled.pairs else ''}</p>
<h2>Charts</h2>
<div class="grid">{''.join(figures)}</div>
<h2>Per path</h2>
{_room_paths_table(board)}
<h2>By region and Availability Zone</h2>
{_room_groups_table(board)}
<h2>Participants</h2>
{_room_participants_table(board)}
<h2>How these figures were made</h2>
<dl>{''.join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in method)}</dl>
<footer><p class="muted">Generated {_e(when)} by the Bedrock access-path workshop console {_e(__version__)}.
Overhead is the client's time minus Bedrock's own (its invocation-latency figure): network, TLS, signing and
the SDK.</p></footer>
</body></html>
"""


def write_room_report(path: str | Path, board: Any, answer: Any) -> Path:
    """Write :func:`render_room_report` to ``path`` (UTF-8); returns the path."""
    target = Path(path)
    atomic_write(target, render_room_report(board, answer), mode=0o600)
    return target

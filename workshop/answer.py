"""The answer a stakeholder can act on: which path, how much, whether it matters, one-time costs.

Everything here is drawn from a run's analysis (``stats.Analysis``) and says no more than
its intervals do:

* the headline is about **overhead** (client time minus Bedrock's own time): model time
  varies by hundreds of milliseconds and would drown a path's few. A client-latency
  difference is never the headline while model time dominates;
* a path is *better* only when the interval of its difference excludes zero; otherwise the
  two are **equivalent within ±X ms**, X the farther end of the interval — said plainly,
  and compared with the median call so "does it matter" has a number (a share);
* one-time costs (the cold first call, obtaining assumed-role credentials, and how often
  botocore renews them) are their own line: real, repeatable, and not per call;
* two paths that reach the same endpoint are never called different (diagnostics found the
  private-DNS trap, say): the answer says why instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MATTERS_SHARE = 0.01
"""A difference under 1 % of the median call is one no user notices: say so. It is also the
equivalence margin: two paths whose whole interval lies within ±1 % of a call are equivalent
for any practical purpose; a wider interval answers nothing yet."""
REFRESH_EARLY_S = 15 * 60
"""botocore renews assumed-role credentials 15 minutes before they expire (advisory refresh)."""


@dataclass(frozen=True)
class PairAnswer:
    """One pair of paths, oriented so that ``better`` has the lower (or equal) median overhead."""

    better: str
    other: str
    difference_ms: float  # other - better: >= 0
    low_ms: float  # interval of other - better
    high_ms: float
    significant: bool
    equivalent: bool  # the interval contains zero and is narrow enough to say so
    margin_ms: float  # equivalence margin: max(|low|, |high|)
    share_of_call: float | None  # difference over the median call (None: no median)
    same_endpoint: str | None = None  # why the two cannot be compared, when they share an endpoint

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.better, "b": self.other, "difference_ms": _json(self.difference_ms),
            "ci_low_ms": _json(self.low_ms), "ci_high_ms": _json(self.high_ms), "significant": self.significant,
            "equivalent": self.equivalent, "equivalence_margin_ms": _json(self.margin_ms),
            "share_of_call": _json(self.share_of_call), "same_endpoint": self.same_endpoint,
        }


@dataclass(frozen=True)
class Answer:
    """The headline and what stands behind it."""

    headline: str
    one_time: str | None
    best: str | None  # the path with the least overhead, when the data says so
    median_call_ms: float | None
    pairs: tuple[PairAnswer, ...]
    caveats: tuple[str, ...] = ()
    method: str = "bootstrap"
    cost_line: str | None = None
    details: tuple[str, ...] = field(default=())
    cost: Any = None  # the cost.CostEstimate behind cost_line

    def to_dict(self) -> dict[str, Any]:
        return {
            "headline": self.headline, "one_time": self.one_time, "best_path": self.best,
            "median_call_ms": _json(self.median_call_ms), "cost_line": self.cost_line,
            "pairs": [p.to_dict() for p in self.pairs], "caveats": list(self.caveats),
            "interval_method": self.method,
        }

    @property
    def lines(self) -> list[str]:
        """The headline, then the cost and one-time lines when there are any."""
        return [x for x in (self.headline, self.cost_line, self.one_time) if x]


def _json(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 4)


def fmt_ms(value: float) -> str:
    """Milliseconds rounded as a reader wants them: 0.42 ms, 1.1 ms, 38 ms, 1,412 ms."""
    v = abs(value)
    if v < 1:
        return f"{v:.2f}".rstrip("0").rstrip(".") if v >= 0.01 else "0"
    if v < 10:
        return f"{v:.1f}"
    return f"{v:,.0f}"


def fmt_interval(low: float, high: float) -> str:
    return f"{fmt_ms(low)}–{fmt_ms(high)} ms" if low >= 0 else f"{_signed(low)} to {_signed(high)} ms"


def _signed(value: float) -> str:
    return ("−" if value < 0 else "+") + fmt_ms(value)


def fmt_share(share: float | None) -> str:
    if share is None:
        return ""
    pct = share * 100
    return f"{pct:.2g} %" if pct < 10 else f"{pct:.0f} %"


def label(path: str) -> str:
    from workshop.stats import path_label

    return path_label(path)


def _orient(pair: Any, median_call: float | None, same: str | None, equivalence_share: float) -> PairAnswer:
    """Turn a stats.Pairwise (b - a) into the lower-overhead path first."""
    diff, lo, hi = pair.difference, pair.ci_low, pair.ci_high
    better, other = pair.a, pair.b
    if diff < 0:  # b is lower: flip so the difference is positive
        better, other, diff, lo, hi = pair.b, pair.a, -diff, -hi, -lo
    margin = max(abs(lo), abs(hi)) if math.isfinite(lo) and math.isfinite(hi) else math.inf
    significant = bool(pair.significant) and same is None
    share = diff / median_call if median_call and math.isfinite(diff) else None
    limit = equivalence_share * median_call if median_call else math.inf
    equivalent = (not significant) and math.isfinite(margin) and (same is not None or margin <= limit)
    return PairAnswer(better, other, diff, lo, hi, significant, equivalent, margin, share, same)


def _median_call(summary: Any) -> float | None:
    values = [float(v) for v in summary.get("client_ms_p50", []) if v is not None and math.isfinite(float(v))]
    if not values:
        return None
    values.sort()
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def answer(
    analysis: Any,
    *,
    sandbox: bool = False,
    same_endpoint: Mapping[frozenset[str], str] | None = None,
    refresh_s: Mapping[str, float] | None = None,
    cost: Any = None,
    precision_ms: float | None = None,
) -> Answer:
    """The answer for a run's analysis.

    ``same_endpoint`` maps a pair of paths to why they reach the same endpoint (they are then
    never called different); ``refresh_s`` a path to its assumed-role session length (for
    how often credentials are renewed); ``cost`` a ``cost.CostEstimate``; ``precision_ms`` the
    adaptive run's target, used as the equivalence margin worth stating.
    """
    summary = analysis.summary
    pairs_raw = list(analysis.pairs.get("overhead_ms", []))
    method = pairs_raw[0].method if pairs_raw else "bootstrap"
    median_call = _median_call(summary)
    same_endpoint = same_endpoint or {}
    pairs = tuple(
        _orient(p, median_call, same_endpoint.get(frozenset((p.a, p.b))), MATTERS_SHARE) for p in pairs_raw
    )
    caveats = list(_caveats(summary, sandbox))
    headline, best = _headline(summary, pairs, median_call, precision_ms)
    details = tuple(_pair_sentence(p, median_call) for p in pairs)
    return Answer(
        headline=headline,
        one_time=_one_time(summary, refresh_s or {}),
        best=best,
        median_call_ms=median_call,
        pairs=pairs,
        caveats=tuple(caveats),
        method=method,
        cost_line=_cost_line(cost) if cost is not None else None,
        details=details,
        cost=cost,
    )


def for_run(
    run: Any,
    analysis: Any,
    *,
    cost_settings: Mapping[str, str] | None = None,
    calls_per_month: int | None = None,
    same_endpoint: Mapping[frozenset[str], str] | None = None,
) -> Answer:
    """The answer for a stored run (``store.RunInfo``) and its analysis, with the cost at
    ``calls_per_month`` (default: the config's ``[cost] CallsPerMonth``, else a million)."""
    from workshop import cost

    settings = run.settings or {}
    paths = [str(p) for p in analysis.summary.index]
    kinds = {p: (settings.get("path_kinds") or {}).get(p, p) for p in paths}
    region = settings.get("region") or "us-east-1"
    chosen = cost.CostSettings.from_mapping(cost_settings or {})
    if calls_per_month is not None:
        chosen = chosen.with_volume(calls_per_month)
    estimate = cost.from_summary(analysis.summary, kinds=kinds, model_id=run.model_id, region=region,
                                 settings=chosen) if len(analysis.summary) else None
    same = dict(same_endpoint or {})
    for group in settings.get("shared_endpoints") or []:  # found when the run started
        members = list(group.get("paths") or [])
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                same.setdefault(frozenset((a, b)), str(group.get("reason") or "same endpoint"))
    return answer(analysis, sandbox=bool(run.sandbox), same_endpoint=same,
                  refresh_s={p: float(v) for p, v in (settings.get("session_s") or {}).items()},
                  cost=estimate, precision_ms=settings.get("precision_ms"))


def _paths(summary: Any) -> list[str]:
    return [str(p) for p in summary.index]


def _overhead(summary: Any, path: str) -> float:
    try:
        return float(summary.loc[path, "overhead_ms_p50"])
    except (KeyError, TypeError, ValueError):
        return math.nan


def _headline(summary: Any, pairs: Sequence[PairAnswer], median_call: float | None,
              precision_ms: float | None) -> tuple[str, str | None]:
    paths = _paths(summary)
    measured = [p for p in paths if math.isfinite(_overhead(summary, p))]
    if not measured:
        return "No answer: no call succeeded, so there is nothing to compare (see the errors below).", None
    call = f" of a {fmt_ms(median_call)} ms call" if median_call else ""
    if len(measured) == 1:
        return (f"Only {label(measured[0])} was measured: its overhead is {fmt_ms(_overhead(summary, measured[0]))} ms"
                f"{call}. Add a second path to compare."), None
    shared = [p for p in pairs if p.same_endpoint]
    best = min(measured, key=lambda p: _overhead(summary, p))
    against = [p for p in pairs if best in (p.better, p.other) and not p.same_endpoint]
    lower = [p for p in against if p.significant and p.better == best]
    if not [p for p in pairs if p.significant]:
        unclear = [p for p in pairs if not p.equivalent]
        if unclear and not shared:
            widest = max(unclear, key=lambda p: p.margin_ms)
            return (f"No clear answer yet: the overhead difference between {label(widest.better)} and "
                    f"{label(widest.other)} could be anywhere from {fmt_interval(widest.low_ms, widest.high_ms)}. "
                    f"Run longer{' (or ask for a looser precision)' if precision_ms else ' (or use --precision)'}."), None
        margin = max((p.margin_ms for p in pairs if not p.same_endpoint), default=0.0)
        text = "The paths are equivalent"
        if pairs and all(p.same_endpoint for p in pairs):
            text = "These paths cannot be compared"
        elif math.isfinite(margin) and margin > 0:
            share = fmt_share(margin / median_call) if median_call else ""
            text += (f" in overhead within ±{fmt_ms(margin)} ms" + (f" ({share}{call})" if share else "") +
                     ": choose on cost, security and operations, not latency.")
        for p in shared:
            text += f" {label(p.better)} and {label(p.other)} reach the same endpoint ({p.same_endpoint})."
        return text, None
    parts = []
    for p in sorted(lower, key=lambda x: -x.difference_ms):
        parts.append(f"{fmt_ms(p.difference_ms)} ms less than {label(p.other)} ({fmt_interval(p.low_ms, p.high_ms)})")
    equiv = [p for p in against if p.equivalent]
    if not parts:
        # The lowest median is not significantly lower than everything: name what is clear.
        clear = max((p for p in pairs if p.significant), key=lambda x: x.difference_ms)
        text = (f"{label(clear.better)} adds {fmt_ms(clear.difference_ms)} ms less overhead than {label(clear.other)} "
                f"({fmt_interval(clear.low_ms, clear.high_ms)})")
        best = None
    else:
        text = f"{label(best)} adds the least overhead: " + " and ".join(parts)
    biggest = max((p for p in pairs if p.significant), key=lambda x: x.difference_ms)
    if biggest.share_of_call is not None and median_call:
        share = biggest.share_of_call
        verdict = "which no user will notice" if share < MATTERS_SHARE else "enough to notice at scale"
        text += f" — {fmt_share(share)}{call}, {verdict}."
    else:
        text += "."
    for p in equiv:
        other = p.other if p.better == best else p.better
        text += f" {label(other)} is equivalent to it within ±{fmt_ms(p.margin_ms)} ms."
    for p in shared:
        text += f" {label(p.better)} and {label(p.other)} reach the same endpoint ({p.same_endpoint}): not compared."
    return text, best


def _pair_sentence(p: PairAnswer, median_call: float | None) -> str:
    if p.same_endpoint:
        return f"{label(p.better)} and {label(p.other)}: not compared — {p.same_endpoint}"
    share = f", {fmt_share(p.share_of_call)} of the median call" if p.share_of_call is not None else ""
    if p.significant:
        return (f"{label(p.better)} adds {fmt_ms(p.difference_ms)} ms less overhead than {label(p.other)} "
                f"({fmt_interval(p.low_ms, p.high_ms)}{share})")
    if p.equivalent:
        return f"{label(p.better)} and {label(p.other)} are equivalent within ±{fmt_ms(p.margin_ms)} ms"
    return (f"{label(p.better)} vs {label(p.other)}: not clear yet (difference between "
            f"{fmt_interval(p.low_ms, p.high_ms)})")


def _one_time(summary: Any, refresh_s: Mapping[str, float]) -> str | None:
    parts = []
    cold = [(p, float(summary.loc[p, "cold_client_ms"])) for p in _paths(summary)
            if "cold_client_ms" in summary and math.isfinite(float(summary.loc[p, "cold_client_ms"]))]
    if cold:
        lo, hi = min(c for _, c in cold), max(c for _, c in cold)
        span = f"{fmt_ms(lo)} ms" if abs(hi - lo) < 0.5 else f"{fmt_ms(lo)}–{fmt_ms(hi)} ms"
        parts.append(f"the first call on each path took {span} (new connection and TLS)")
    for path in _paths(summary):
        init = float(summary.loc[path, "cold_init_ms"]) if "cold_init_ms" in summary else math.nan
        if math.isfinite(init):  # a gateway path's Lambda: each new execution environment pays it once
            parts.append(f"{label(path)}'s Lambda cold start took {fmt_ms(init)} ms (once per execution environment)")
        creds = float(summary.loc[path, "credentials_ms"]) if "credentials_ms" in summary else 0.0
        if not math.isfinite(creds) or creds < 1.0:
            continue
        duration = refresh_s.get(path)
        if duration:  # an assumed role: a real, recurring one-time cost
            every = max(duration - REFRESH_EARLY_S, 60) / 60
            parts.append(f"{label(path)} assumes its role once ({fmt_ms(creds)} ms for AssumeRole), "
                         f"renewed about every {every:.0f} min")
        elif creds >= 200.0:  # a slow source: the instance metadata service, an SSO cache
            parts.append(f"{label(path)} obtains its credentials once ({fmt_ms(creds)} ms)")
    if not parts:
        return None
    return "One-time: " + "; ".join(parts) + " — not in the per-call figures."


def _caveats(summary: Any, sandbox: bool) -> list[str]:
    out = []
    errors = int(summary["errors"].sum()) if "errors" in summary else 0
    retried = int(summary["retried"].sum()) if "retried" in summary else 0
    if errors:
        out.append(f"{errors} call{'s' if errors != 1 else ''} failed and {'are' if errors != 1 else 'is'} left out")
    if retried:
        out.append(f"{retried} throttled call{'s were' if retried != 1 else ' was'} retried and left out")
    if sandbox:
        out.append("sandbox: modelled, not measured on AWS")
    return out


def _cost_line(estimate: Any) -> str | None:
    from workshop.cost import money

    costs = estimate.paths
    if not costs:
        return None
    volume = f"{estimate.calls_per_month:,} calls a month"
    network = ", ".join(f"{label(p)} {money(c.network_monthly)}" for p, c in costs.items())
    model = next((c.model_monthly for c in costs.values() if c.model_monthly is not None), None)
    tail = f"; the model costs {money(model)} on every path" if model is not None else ""
    return f"Cost at {volume} (list prices, {estimate.as_of}): network {network}{tail}."

"""Honest statistics for path comparisons, and the small aggregates the charts draw.

Input everywhere is a samples frame as :meth:`workshop.store.Store.samples` returns it (one
row per sample; ``path``, ``warmup``, ``cold``, ``retries``, ``error_code`` and the timing
columns). What counts as a *measured* sample (see docs/statistics.md):

* warm-up samples (``warmup``) are never in the statistics; the cold first call per path is
  reported apart (``cold_client_ms``, and the "first call" bar of :func:`decomposition`);
* failed samples (``error_code`` set) are counted (``errors``) and left out of latency;
* retried samples (``retries > 0``, i.e. throttled and retried by botocore) are counted
  (``retried``) and left out of latency too: their client time includes back-off sleeps,
  which is the quota talking, not the path.

Percentiles are linear-interpolated (numpy's default). Differences between paths are the
difference of medians with a seeded percentile-bootstrap 95% interval; the bootstrap is
drawn exactly through order statistics (docs/statistics.md), so it costs O(n log n)
whatever the number of replicates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workshop import PATH_NAMES

METRICS: tuple[str, ...] = ("client_ms", "overhead_ms", "server_ms", "ttft_ms", "tokens_per_s")
"""The per-path statistics :func:`summarize` reports, in column order."""

METRIC_LABELS: dict[str, str] = {
    "client_ms": "client latency",
    "overhead_ms": "overhead",
    "server_ms": "server time",
    "ttft_ms": "time to first token",
    "tokens_per_s": "output tokens/s",
    "credentials_ms": "credentials time",
}

# Short names for verdict sentences (PATH_LABELS are too long for a sentence).
PATH_SHORT: dict[str, str] = {
    "nat": "NAT",
    "vpce": "PrivateLink",
    "cross-account": "Cross-account",
    "proxy": "Proxy",
    "api-gateway": "API Gateway",
    "llm-gateway": "LLM gateway",
}

P90_MIN_SAMPLES = 50
P99_MIN_SAMPLES = 500
MIN_SAMPLES_FOR_VERDICT = 5
DEFAULT_N_BOOT = 4000
CONFIDENCE = 0.95


# --------------------------------------------------------------------------------------
# Selecting samples


def ordered_paths(paths: Iterable[str]) -> list[str]:
    """Paths in walk-through order (nat, vpce, cross-account), then any others by name."""
    present = list(dict.fromkeys(paths))
    known = [p for p in PATH_NAMES if p in present]
    return known + sorted(p for p in present if p not in PATH_NAMES)


def with_derived(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``tokens_per_s`` (output tokens over Bedrock's own server time, so the path does
    not change it) and ``retried`` (``retries > 0``) columns."""
    return df.assign(tokens_per_s=_tokens_per_s(df), retried=_retries(df) > 0)


def measured(df: pd.DataFrame) -> pd.DataFrame:
    """The samples latency statistics use: not warm-up, succeeded, not retried."""
    return with_derived(df)[_measured_mask(df)]


def _tokens_per_s(df: pd.DataFrame) -> np.ndarray:
    out_tokens = _floats(df, "output_tokens")
    server_s = _floats(df, "server_ms") / 1000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(server_s > 0, out_tokens / server_s, np.nan)


def _retries(df: pd.DataFrame) -> np.ndarray:
    if "retries" not in df.columns:
        return np.zeros(len(df), dtype=np.int64)
    return pd.to_numeric(df["retries"], errors="coerce").fillna(0).to_numpy(dtype=np.int64)


def _floats(df: pd.DataFrame, column: str) -> np.ndarray:
    if column == "tokens_per_s" and column not in df.columns:
        return _tokens_per_s(df)
    if column not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _measured_mask(df: pd.DataFrame) -> np.ndarray:
    warm = df["warmup"].to_numpy(dtype=bool)
    failed = df["error_code"].notna().to_numpy()
    return ~warm & ~failed & (_retries(df) == 0)


EXTRA_MEANS: tuple[str, ...] = ("input_tokens", "output_tokens", "request_bytes", "response_bytes", "upstream_ms")
"""Per-call means the summary keeps for the cost estimate (tokens and bytes on the wire, and a
gateway's wait for Bedrock: what a proxy Lambda is billed for)."""

_EMPTY = np.empty(0, dtype="float64")
GATEWAY_METRICS: tuple[str, ...] = ("gateway_ms", "upstream_ms", "init_ms")
"""The gateway hop (issue 12): NaN on the direct paths, so they change nothing there."""
_PREPARED_METRICS: tuple[str, ...] = (*METRICS, "credentials_ms", *EXTRA_MEANS, "modelled_network_ms", "ttfb_ms",
                                      *GATEWAY_METRICS)
_COLD_FIELDS: tuple[str, ...] = ("client_ms", "overhead_ms", "server_ms", "credentials_ms", *GATEWAY_METRICS)


@dataclass(frozen=True)
class Prepared:
    """A samples frame split per path once, so a page drawing every chart pays for it once.

    ``values[path][metric]`` holds the measured values with NaN dropped; ``started_ns`` and
    ``aligned`` keep every measured sample's start time (ns since the epoch) with its raw
    metric values, for drift buckets. Every function here accepts a samples frame or one of
    these (see :func:`prepare`).
    """

    paths: tuple[str, ...]
    values: dict[str, dict[str, np.ndarray]]
    started_ns: dict[str, np.ndarray]
    aligned: dict[str, dict[str, np.ndarray]]
    samples: dict[str, int]  # not warm-up: measured + failed + retried
    errors: dict[str, int]
    retried: dict[str, int]
    cold: dict[str, dict[str, float]]  # the first call per path, when warm-up rows are present
    credentials_once: dict[str, float]  # time to obtain the path's credentials (once per client)
    calls: dict[str, int]  # every call on the path, warm-up included

    def get(self, path: str, metric: str) -> np.ndarray:
        """Measured values of ``metric`` on ``path`` (empty when none)."""
        return self.values.get(path, {}).get(metric, _EMPTY)


def prepare(df: pd.DataFrame | Prepared) -> Prepared:
    """Split ``df`` per path once (warm-up, failed and retried samples set apart)."""
    if isinstance(df, Prepared):
        return df
    path_arr = df["path"].astype(str).to_numpy()
    warm = df["warmup"].to_numpy(dtype=bool)
    failed = df["error_code"].notna().to_numpy()
    retried = _retries(df) > 0
    keep = ~warm & ~failed & ~retried
    cold_mask = df["cold"].to_numpy(dtype=bool) if "cold" in df.columns else np.zeros(len(df), dtype=bool)
    columns = {m: _floats(df, m) for m in _PREPARED_METRICS}
    if "started_at" in df.columns and len(df):
        started = pd.to_datetime(df["started_at"], utc=True).to_numpy(dtype="datetime64[ns]").astype(np.int64)
    else:
        started = np.zeros(len(df), dtype=np.int64)
    paths = tuple(ordered_paths(pd.unique(path_arr)))
    prep = Prepared(paths, {}, {}, {}, {}, {}, {}, {}, {}, {})
    groups = pd.Series(np.arange(len(df))).groupby(path_arr, sort=False).indices
    for path in paths:
        idx = groups[path]
        not_warm = ~warm[idx]
        prep.samples[path] = int(not_warm.sum())
        prep.errors[path] = int((failed[idx] & not_warm).sum())
        prep.retried[path] = int((retried[idx] & not_warm).sum())
        good = idx[keep[idx]]
        prep.values[path] = {}
        for metric, col in columns.items():
            v = col[good]
            prep.values[path][metric] = v[~np.isnan(v)]
        prep.started_ns[path] = started[good]
        prep.aligned[path] = {m: columns[m][good] for m in (*METRICS, *GATEWAY_METRICS)}
        prep.calls[path] = len(idx)
        creds = columns["credentials_ms"][idx]
        # Every sample of a client carries the same one-off figure (or 0 once cached):
        # the largest is what obtaining the credentials cost.
        prep.credentials_once[path] = float(np.nanmax(creds)) if np.isfinite(creds).any() else 0.0
        first = idx[cold_mask[idx] & ~failed[idx]]
        if len(first):
            prep.cold[path] = {f: float(columns[f][first[0]]) for f in _COLD_FIELDS}
    return prep


# --------------------------------------------------------------------------------------
# Per-path summary


def summarize(df: pd.DataFrame | Prepared) -> pd.DataFrame:
    """One row per path (index ``path``, walk-through order).

    Columns: ``samples`` (measured + failed + retried, warm-up excluded), ``count`` (the
    measured samples statistics use), ``errors``, ``retried``, ``cold_client_ms`` (the
    first call, apart), ``credentials_ms`` (obtaining the path's credentials, once), then for
    each metric in :data:`METRICS` ``<metric>_p50``, ``_p90``, ``_p99``, ``_mean``, ``_std``;
    ``<x>_mean`` for each of :data:`EXTRA_MEANS` (tokens and bytes per call, for the cost);
    ``modelled_network_ms_p50`` (the sandbox's planned network, NaN on AWS); and
    ``warnings`` (a list of plain-language sample-size warnings).
    """
    prep = prepare(df)
    rows: list[dict[str, object]] = []
    for path in prep.paths:
        count = len(prep.get(path, "client_ms"))
        row: dict[str, object] = {
            "path": path,
            "samples": prep.samples[path],
            "count": count,
            "errors": prep.errors[path],
            "retried": prep.retried[path],
            "cold_client_ms": prep.cold.get(path, {}).get("client_ms", math.nan),
            "credentials_ms": prep.credentials_once[path],
        }
        for metric in METRICS:
            values = prep.get(path, metric)
            if len(values):
                p50, p90, p99 = (float(v) for v in np.percentile(values, [50, 90, 99]))
                mean = float(values.mean())
                std = float(values.std(ddof=1)) if len(values) > 1 else math.nan
            else:
                p50 = p90 = p99 = mean = std = math.nan
            row.update(
                {
                    f"{metric}_p50": p50,
                    f"{metric}_p90": p90,
                    f"{metric}_p99": p99,
                    f"{metric}_mean": mean,
                    f"{metric}_std": std,
                }
            )
        for name in EXTRA_MEANS:
            values = prep.get(path, name)
            row[f"{name}_mean"] = float(values.mean()) if len(values) else math.nan
        modelled = prep.get(path, "modelled_network_ms")
        row["modelled_network_ms_p50"] = float(np.median(modelled)) if len(modelled) else math.nan
        gateway = prep.get(path, "gateway_ms")
        row["gateway_ms_p50"] = float(np.median(gateway)) if len(gateway) else math.nan
        beyond = _upstream_overhead(prep, path)
        row["upstream_overhead_ms_p50"] = float(np.median(beyond)) if len(beyond) else math.nan
        row["cold_init_ms"] = prep.cold.get(path, {}).get("init_ms", math.nan)
        row["warnings"] = sample_size_warnings(count)
        rows.append(row)
    columns = ["path", "samples", "count", "errors", "retried", "cold_client_ms", "credentials_ms"]
    columns += [f"{m}_{s}" for m in METRICS for s in ("p50", "p90", "p99", "mean", "std")]
    columns += [f"{name}_mean" for name in EXTRA_MEANS]
    columns += ["modelled_network_ms_p50", "gateway_ms_p50", "upstream_overhead_ms_p50", "cold_init_ms", "warnings"]
    return pd.DataFrame(rows, columns=columns).set_index("path")


def sample_size_warnings(n: int) -> list[str]:
    """Plain-language warnings for percentiles the sample count cannot support."""
    warnings: list[str] = []
    if n < P90_MIN_SAMPLES:
        warnings.append(f"p90 from {n} samples is rough (needs about {P90_MIN_SAMPLES})")
    if n < P99_MIN_SAMPLES:
        warnings.append(f"p99 from {n} samples is rough (needs about {P99_MIN_SAMPLES})")
    return warnings


# --------------------------------------------------------------------------------------
# Pairwise differences


@dataclass(frozen=True)
class Pairwise:
    """Median of ``metric`` on path ``b`` minus path ``a``, with a bootstrap interval."""

    metric: str
    a: str
    b: str
    n_a: int
    n_b: int
    median_a: float
    median_b: float
    difference: float  # median_b - median_a
    ci_low: float
    ci_high: float
    confidence: float = CONFIDENCE  # family-wise: all pairs of the run hold together at this level
    n_boot: int = DEFAULT_N_BOOT
    comparisons: int = 1  # how many pairs the interval is adjusted for (Bonferroni)
    method: str = "bootstrap"  # or "sequential": a confidence sequence, valid under optional stopping

    @property
    def enough_samples(self) -> bool:
        return min(self.n_a, self.n_b) >= MIN_SAMPLES_FOR_VERDICT

    @property
    def significant(self) -> bool:
        """The interval excludes zero (and both paths have enough samples to say so)."""
        return self.enough_samples and (self.ci_low > 0 or self.ci_high < 0)

    def to_dict(self) -> dict[str, object]:
        return {
            "metric": self.metric,
            "a": self.a,
            "b": self.b,
            "n_a": self.n_a,
            "n_b": self.n_b,
            "median_a": self.median_a,
            "median_b": self.median_b,
            "difference": self.difference,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "confidence": self.confidence,
            "comparisons": self.comparisons,
            "method": self.method,
            "significant": self.significant,
            "verdict": verdict(self),
        }


def bootstrap_medians(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``n_boot`` bootstrap replicates of the median of ``values``, drawn exactly.

    Resampling n values with replacement is the same as applying the empirical quantile
    function to n uniforms, and the median of n uniforms has a known law: the m-th order
    statistic of n uniforms is Beta(m, n - m + 1), and the next one lies above it like the
    minimum of n - m uniforms. So each replicate needs two Beta draws and an index into
    the sorted data instead of n random indices: same distribution, O(n log n) in total.
    """
    x = np.sort(np.asarray(values, dtype="float64"))
    n = len(x)
    if n == 0:
        return np.full(n_boot, np.nan)
    m = (n + 1) // 2
    u_m = rng.beta(m, n - m + 1, size=n_boot)

    def quantile(u: np.ndarray) -> np.ndarray:
        # Empirical quantile function F^-1(u) = x[ceil(n u) - 1].
        idx = np.ceil(u * n).astype(np.int64) - 1
        return x[np.clip(idx, 0, n - 1)]

    if n % 2:
        return quantile(u_m)
    u_next = u_m + (1.0 - u_m) * rng.beta(1, n - m, size=n_boot)
    return (quantile(u_m) + quantile(u_next)) / 2.0


def compare_two(
    a_values: np.ndarray,
    b_values: np.ndarray,
    *,
    metric: str,
    a: str,
    b: str,
    rng: np.random.Generator,
    n_boot: int = DEFAULT_N_BOOT,
    confidence: float = CONFIDENCE,
    comparisons: int = 1,
) -> Pairwise:
    """Difference of medians (b - a) with a percentile-bootstrap interval.

    With ``comparisons`` > 1 the interval is Bonferroni-adjusted: each of that many
    intervals is drawn at ``1 - (1 - confidence) / comparisons``, so together they hold at
    ``confidence`` and three paths do not turn noise into a "difference" one time in seven.
    """
    tail = (1.0 - confidence) / max(1, comparisons) / 2.0 * 100.0
    if len(a_values) == 0 or len(b_values) == 0:
        lo = hi = diff = math.nan
        med_a = float(np.median(a_values)) if len(a_values) else math.nan
        med_b = float(np.median(b_values)) if len(b_values) else math.nan
    else:
        med_a = float(np.median(a_values))
        med_b = float(np.median(b_values))
        diff = med_b - med_a
        boots = bootstrap_medians(b_values, n_boot, rng) - bootstrap_medians(a_values, n_boot, rng)
        lo, hi = (float(v) for v in np.percentile(boots, [tail, 100.0 - tail]))
    return Pairwise(
        metric=metric,
        a=a,
        b=b,
        n_a=len(a_values),
        n_b=len(b_values),
        median_a=med_a,
        median_b=med_b,
        difference=diff,
        ci_low=lo,
        ci_high=hi,
        confidence=confidence,
        n_boot=n_boot,
        comparisons=max(1, comparisons),
    )


def pairwise(
    df: pd.DataFrame | Prepared,
    metric: str = "overhead_ms",
    *,
    seed: int = 0,
    n_boot: int = DEFAULT_N_BOOT,
    confidence: float = CONFIDENCE,
    paths: Sequence[str] | None = None,
    adjust: bool = True,
    sequential: bool = False,
) -> list[Pairwise]:
    """Every pair of paths (earlier path in walk-through order is the baseline ``a``).

    The intervals are simultaneous (``adjust``, the default): Bonferroni over the pairs of
    this metric, so "95%" holds for the whole set of verdicts a stakeholder reads, not for
    each one alone. Seeded: the same frame and seed give the same intervals.

    ``sequential``: the run stopped when its answer looked clear, so a fixed-sample interval
    would overstate what it knows; the intervals are then confidence sequences
    (workshop/sequential.py), simultaneous over every path and so over every pair.
    """
    prep = prepare(df)
    names = ordered_paths(paths if paths is not None else prep.paths)
    if sequential:
        return _sequential_pairs(prep, names, metric, confidence)
    rng = np.random.default_rng(seed)
    values = {p: prep.get(p, metric) for p in names}
    comparisons = len(names) * (len(names) - 1) // 2 if adjust else 1
    out: list[Pairwise] = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            out.append(
                compare_two(
                    values[a],
                    values[b],
                    metric=metric,
                    a=a,
                    b=b,
                    rng=rng,
                    n_boot=n_boot,
                    confidence=confidence,
                    comparisons=comparisons,
                )
            )
    return out


def _sequential_pairs(prep: Prepared, names: Sequence[str], metric: str, confidence: float) -> list[Pairwise]:
    from workshop import sequential

    alpha = 1.0 - confidence
    iv = {p: sequential.path_interval(p, prep.get(p, metric), alpha=alpha, paths=len(names)) for p in names}
    out: list[Pairwise] = []
    comparisons = len(names) * (len(names) - 1) // 2
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            d = sequential.difference(iv[a], iv[b])
            out.append(Pairwise(
                metric=metric, a=a, b=b, n_a=iv[a].n, n_b=iv[b].n, median_a=iv[a].median,
                median_b=iv[b].median, difference=d.difference, ci_low=d.low, ci_high=d.high,
                confidence=confidence, n_boot=0, comparisons=max(1, comparisons), method="sequential",
            ))
    return out


def interval_note(pairs: Sequence[Pairwise]) -> str:
    """One line saying how the verdicts' intervals were drawn (for the CLI and the page)."""
    k = max((p.comparisons for p in pairs), default=1)
    level = f"{(pairs[0].confidence if pairs else CONFIDENCE) * 100:.0f}%"
    if pairs and pairs[0].method == "participants":  # the room's pooled comparison (workshop/room.py)
        return (
            f"{level} intervals hold for all {k} pair{'s' if k != 1 else ''} together and stay valid however "
            "often the board is refreshed: each participant's own difference of medians, combined across "
            "participants (one participant, one vote; sign-test confidence sequence, docs/room.md)"
        )
    if pairs and pairs[0].method == "sequential":
        return (
            f"{level} intervals hold for all {k} pair{'s' if k != 1 else ''} together and stay valid however "
            "early the run stopped (confidence sequences for each path's median: sequential sign test, "
            "docs/statistics.md)"
        )
    if k <= 1:
        return f"{level} intervals: seeded percentile bootstrap of the difference of medians"
    return (
        f"{level} intervals hold for all {k} pairs together (Bonferroni: each drawn at "
        f"{100 - (100 - float(level[:-1])) / k:.1f}%), seeded percentile bootstrap of the difference of medians"
    )


def _ms(value: float) -> str:
    value = abs(value)
    return f"{value:.2f}" if value < 1 else f"{value:.1f}"


def _samples_phrase(pair: Pairwise) -> str:
    if pair.n_a == pair.n_b:
        return f"{pair.n_a} samples per path"
    return f"{pair.n_a} and {pair.n_b} samples"


def path_label(path: str) -> str:
    """Short path name for sentences and chart legends."""
    return PATH_SHORT.get(path, path)


def verdict(pair: Pairwise) -> str:
    """One plain-language sentence a stakeholder can read.

    "PrivateLink overhead is 3.1 ms lower than NAT (95% CI 2.4–3.9 ms)" when the interval
    excludes zero, otherwise "no difference detectable ..." with the interval.
    """
    a, b = path_label(pair.a), path_label(pair.b)
    what = METRIC_LABELS.get(pair.metric, pair.metric)
    unit = "" if pair.metric == "tokens_per_s" else " ms"
    pct = f"{pair.confidence * 100:.0f}%"
    if not pair.enough_samples or math.isnan(pair.difference):
        return (
            f"{b} vs {a} {what}: too few samples to compare "
            f"({_samples_phrase(pair)}; needs at least {MIN_SAMPLES_FOR_VERDICT} per path)"
        )
    if pair.significant:
        direction = "lower" if pair.difference < 0 else "higher"
        # Report the interval of the magnitude in the stated direction.
        lo, hi = sorted((abs(pair.ci_low), abs(pair.ci_high)))
        return (
            f"{b} {what} is {_ms(pair.difference)}{unit} {direction} than {a} "
            f"({pct} CI {_ms(lo)}–{_ms(hi)}{unit})"
        )
    return (
        f"{b} vs {a} {what}: no difference detectable with {_samples_phrase(pair)} "
        f"({pct} CI {pair.ci_low:+.2f} to {pair.ci_high:+.2f}{unit})"
    )


def verdicts(
    df: pd.DataFrame | Prepared, metric: str = "overhead_ms", *, seed: int = 0, n_boot: int = DEFAULT_N_BOOT
) -> list[str]:
    """:func:`verdict` for every pair of paths."""
    return [verdict(p) for p in pairwise(df, metric, seed=seed, n_boot=n_boot)]


# --------------------------------------------------------------------------------------
# Chart aggregates: a few hundred rows per path, whatever the run size.


def ecdf(df: pd.DataFrame | Prepared, metric: str = "client_ms", *, max_points: int = 400) -> pd.DataFrame:
    """Empirical CDF steps per path: columns ``path``, ``value``, ``fraction``.

    At most ``max_points`` per path, chosen at evenly spaced ranks (always including the
    minimum and maximum) so the curve's shape survives down-sampling.
    """
    prep = prepare(df)
    parts: list[pd.DataFrame] = []
    for path in prep.paths:
        x = np.sort(prep.get(path, metric))
        n = len(x)
        if n == 0:
            continue
        ranks = np.unique(np.linspace(0, n - 1, num=min(n, max_points)).round().astype(np.int64))
        parts.append(pd.DataFrame({"path": path, "value": x[ranks], "fraction": (ranks + 1) / n}))
    if not parts:
        return pd.DataFrame({"path": pd.Series(dtype=str), "value": [], "fraction": []})
    return pd.concat(parts, ignore_index=True)


def box_stats(df: pd.DataFrame | Prepared, metric: str = "overhead_ms") -> pd.DataFrame:
    """Tukey box per path: ``q1``, ``median``, ``q3``, whiskers at the furthest samples
    within 1.5 IQR, ``min``, ``max``, ``count``, ``outliers`` (how many beyond) and the
    ``p90`` / ``p99`` the table reports (the chart marks the p99)."""
    prep = prepare(df)
    rows = []
    for path in prep.paths:
        x = prep.get(path, metric)
        if len(x) == 0:
            continue
        q1, med, q3, p90, p99 = np.percentile(x, [25, 50, 75, 90, 99])
        iqr = q3 - q1
        inside = x[(x >= q1 - 1.5 * iqr) & (x <= q3 + 1.5 * iqr)]
        rows.append(
            {
                "path": path,
                "count": len(x),
                "min": float(x.min()),
                "whisker_low": float(inside.min()),
                "q1": float(q1),
                "median": float(med),
                "q3": float(q3),
                "whisker_high": float(inside.max()),
                "max": float(x.max()),
                "outliers": len(x) - len(inside),
                "p90": float(p90),
                "p99": float(p99),
            }
        )
    cols = ["path", "count", "min", "whisker_low", "q1", "median", "q3", "whisker_high", "max", "outliers",
            "p90", "p99"]
    return pd.DataFrame(rows, columns=cols)


def time_buckets(
    df: pd.DataFrame | Prepared, metric: str = "client_ms", *, max_buckets: int = 120
) -> pd.DataFrame:
    """Latency over time (drift): equal-width time buckets shared by every path.

    Columns ``path``, ``bucket_start`` (UTC), ``count``, ``p50``, ``p90``, ``mean``; at most
    ``max_buckets`` rows per path. Shared bucket edges put every path's drift on one clock.
    """
    prep = prepare(df)
    cols = ["path", "bucket_start", "count", "p50", "p90", "mean"]
    parts = []
    for path in prep.paths:
        v = prep.aligned[path].get(metric, _EMPTY)
        ok = ~np.isnan(v)
        parts.append((path, prep.started_ns[path][ok], v[ok]))
    stamps = [t for _, t, _ in parts if len(t)]
    if not stamps:
        return pd.DataFrame(columns=cols)
    start = int(min(t.min() for t in stamps))
    end = int(max(t.max() for t in stamps))
    width = max(1, math.ceil((end - start + 1) / max_buckets))
    frames = []
    for path, t, v in parts:
        if not len(t):
            continue
        grouped = pd.Series(v).groupby((t - start) // width, sort=True)
        out = grouped.agg(["count", "mean", "median"])
        out["p90"] = grouped.quantile(0.9)
        out = out.rename(columns={"median": "p50"}).reset_index(names="bucket")
        out.insert(0, "path", path)
        out["bucket_start"] = pd.to_datetime(start + out["bucket"].to_numpy() * width, utc=True)
        frames.append(out[cols])
    return pd.concat(frames, ignore_index=True)


def drift_buckets(prep: Prepared, *, per_bucket: int = 10, most: int = 120, fewest: int = 6) -> int:
    """How many time buckets the drift chart gets: about ``per_bucket`` samples of a path in
    each (a median of one sample is noise drawn as drift), between ``fewest`` and ``most``."""
    n = max((len(prep.get(p, "client_ms")) for p in prep.paths), default=0)
    return max(fewest, min(most, n // per_bucket))


DECOMPOSITION_COMPONENTS: tuple[str, ...] = ("credentials", "cold start", "gateway hop", "network overhead", "server")
"""A direct path has credentials, network overhead and server; a gateway path also its hop
(client -> gateway and back, the gateway's own work) and, on its first call, the Lambda's
cold start; its network overhead is then the gateway -> Bedrock part (upstream - server)."""


def _upstream_overhead(prep: Prepared, path: str) -> np.ndarray:
    """Per measured sample: what the gateway waited for Bedrock beyond Bedrock's own time."""
    aligned = prep.aligned.get(path, {})
    up, server = aligned.get("upstream_ms"), aligned.get("server_ms")
    if up is None or server is None or not len(up):
        return _EMPTY
    diff = up - server
    return diff[np.isfinite(diff)]


def decomposition(df: pd.DataFrame | Prepared) -> pd.DataFrame:
    """Where the time goes, per path, as stacked-bar rows.

    Columns ``path``, ``call`` ("typical call" or "first call"), ``component`` (one of
    :data:`DECOMPOSITION_COMPONENTS`), ``ms``, ``order``. A typical call is the medians of
    server time and overhead over the measured samples, plus the one-off credentials time
    spread over every call on the path (obtained once and cached, so close to zero: that is
    the lesson). The first call is the cold sample as measured plus the whole credentials
    time, when the frame includes warm-up rows. Medians of parts
    do not add up exactly to the median total; the chart says "medians of each part".
    """
    prep = prepare(df)
    rows: list[dict[str, object]] = []

    def add(path: str, call: str, parts: dict[str, float]) -> None:
        for order, component in enumerate(DECOMPOSITION_COMPONENTS):
            if component not in parts:
                continue
            value = parts[component]
            ms = 0.0 if math.isnan(value) else float(value)
            rows.append({"path": path, "call": call, "component": component, "ms": ms, "order": order})

    def median(x: np.ndarray) -> float:
        return float(np.median(x)) if len(x) else math.nan

    for path in prep.paths:
        over, server = prep.get(path, "overhead_ms"), prep.get(path, "server_ms")
        hop = prep.get(path, "gateway_ms")
        if len(over) or len(server):
            amortised = prep.credentials_once[path] / max(1, prep.calls[path])
            if len(hop):  # a gateway path: its hop apart from the gateway -> Bedrock overhead
                add(path, "typical call", {"credentials": amortised, "gateway hop": median(hop),
                                           "network overhead": median(_upstream_overhead(prep, path)),
                                           "server": median(server)})
            else:
                add(path, "typical call", {"credentials": amortised, "network overhead": median(over),
                                           "server": median(server)})
        first = prep.cold.get(path)
        if first:
            if math.isfinite(first.get("gateway_ms", math.nan)):
                add(path, "first call", {
                    "credentials": prep.credentials_once[path], "cold start": first.get("init_ms", math.nan),
                    "gateway hop": first["gateway_ms"],
                    "network overhead": first.get("upstream_ms", math.nan) - first["server_ms"],
                    "server": first["server_ms"]})
            else:
                add(path, "first call", {"credentials": prep.credentials_once[path],
                                         "network overhead": first["overhead_ms"], "server": first["server_ms"]})
    return pd.DataFrame(rows, columns=["path", "call", "component", "ms", "order"])


ANALYSIS_FORMAT = 5
"""Bump when :func:`analyse` (its figures, defaults or the frames it returns) or
:meth:`Analysis.to_dict` changes: analyses kept by the store under another format are
computed again (``compare.ANALYSIS_VERSION`` includes it)."""

_FRAMES: tuple[str, ...] = ("ecdf", "box", "drift", "decomposition")


@dataclass(frozen=True)
class Analysis:
    """Everything the Compare page and the CLI show for one run, computed in one pass."""

    summary: pd.DataFrame
    pairs: dict[str, list[Pairwise]]  # metric -> pairs
    ecdf: pd.DataFrame  # client_ms
    box: pd.DataFrame  # overhead_ms
    drift: pd.DataFrame  # client_ms over time
    decomposition: pd.DataFrame

    def verdicts(self, metric: str = "overhead_ms") -> list[str]:
        return [verdict(p) for p in self.pairs.get(metric, [])]

    def to_dict(self) -> dict[str, object]:
        """JSON-safe (NaN -> None, times as ISO 8601); :meth:`from_dict` gives back an equal
        Analysis (same frames and dtypes, same pairs). A few thousand values at most."""
        return {
            "format": ANALYSIS_FORMAT,
            "summary": _frame_to_dict(self.summary.reset_index()),
            "pairs": {
                metric: [{name: _json_number(getattr(p, name)) for name in _PAIR_FIELDS} for p in pairs]
                for metric, pairs in self.pairs.items()
            },
            **{name: _frame_to_dict(getattr(self, name)) for name in _FRAMES},
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Analysis:
        """The Analysis :meth:`to_dict` described (ValueError for another format)."""
        if data.get("format") != ANALYSIS_FORMAT:
            raise ValueError(f"analysis format {data.get('format')!r} is not {ANALYSIS_FORMAT}")
        pairs = {
            str(metric): [
                Pairwise(**{k: (math.nan if v is None else v) for k, v in p.items() if k in _PAIR_FIELDS})
                for p in items
            ]
            for metric, items in data["pairs"].items()  # type: ignore[union-attr]
        }
        return cls(
            summary=_frame_from_dict(data["summary"]).set_index("path"),  # type: ignore[arg-type]
            pairs=pairs,
            **{name: _frame_from_dict(data[name]) for name in _FRAMES},  # type: ignore[arg-type]
        )


_PAIR_FIELDS: tuple[str, ...] = tuple(Pairwise.__dataclass_fields__)


def _json_number(value: object) -> object:
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _frame_to_dict(df: pd.DataFrame) -> dict[str, object]:
    """Columns as JSON lists, with their dtypes (so :func:`_frame_from_dict` restores them)."""
    data: dict[str, list[object]] = {}
    for name in df.columns:
        col = df[name]
        if isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(col.dtype):
            data[name] = [None if pd.isna(t) else t.isoformat() for t in col]
        elif pd.api.types.is_float_dtype(col.dtype):
            data[name] = [v if math.isfinite(v) else None for v in col.to_numpy("float64").tolist()]
        elif pd.api.types.is_integer_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            data[name] = col.tolist()
        else:  # text, or lists (summary warnings)
            data[name] = [None if not isinstance(v, list | tuple) and pd.isna(v) else _json_number(v) for v in col]
    return {"columns": [str(c) for c in df.columns], "dtypes": [str(t) for t in df.dtypes], "data": data}


def _frame_from_dict(data: dict[str, object]) -> pd.DataFrame:
    columns: list[str] = list(data["columns"])  # type: ignore[call-overload]
    dtypes: list[str] = list(data["dtypes"])  # type: ignore[call-overload]
    values: dict[str, list[object]] = data["data"]  # type: ignore[assignment]
    out: dict[str, object] = {}
    for name, dtype in zip(columns, dtypes, strict=True):
        col = values[name]
        if dtype.startswith("datetime64"):
            out[name] = pd.Series(pd.to_datetime(col, utc=True, format="ISO8601")).astype(dtype)
        elif dtype == "object":
            out[name] = pd.Series(col, dtype=object)
        else:
            out[name] = pd.Series([math.nan if v is None else v for v in col] if dtype.startswith("float") else col,
                                  dtype=dtype)
    return pd.DataFrame(out, columns=columns)


def analyse(
    df: pd.DataFrame | Prepared,
    *,
    seed: int = 0,
    n_boot: int = DEFAULT_N_BOOT,
    pair_metrics: Sequence[str] = ("overhead_ms", "client_ms"),
    sequential: bool = False,
) -> Analysis:
    """Summary, pairwise intervals and every chart aggregate (what the bench times).

    ``sequential``: the run was adaptive (it stopped when its intervals were narrow enough),
    so the pairs are confidence sequences rather than fixed-sample bootstrap intervals."""
    prep = prepare(df)
    return Analysis(
        summary=summarize(prep),
        pairs={m: pairwise(prep, m, seed=seed, n_boot=n_boot, sequential=sequential) for m in pair_metrics},
        ecdf=ecdf(prep, "client_ms"),
        box=box_stats(prep, "overhead_ms"),
        drift=time_buckets(prep, "client_ms", max_buckets=drift_buckets(prep)),
        decomposition=decomposition(prep),
    )


# --------------------------------------------------------------------------------------
# Running statistics for live progress live in workshop.sequential (no numpy/pandas there,
# so a run's first call does not wait for them); re-exported for callers of this module.

from workshop.sequential import RunningStats  # noqa: E402

__all__ = ["RunningStats"]

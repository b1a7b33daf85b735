"""Anytime-valid intervals: a run may stop as soon as its answer is clear.

An adaptive comparison keeps sampling until every pairwise interval on overhead is narrower
than the precision asked for. Looking at the data after every round and stopping when it
looks good invalidates an ordinary (fixed-n) interval: peek often enough and noise will
look like an answer (tests/compare/test_sequential.py shows the bootstrap doing exactly
that). The intervals here are *confidence sequences*: with probability at least 1 - alpha
they cover the truth at every sample size at once, so the run may stop whenever it likes.

The construction, per path (continuous data, e.g. overhead in float milliseconds):

* For the true median m, each sample is below m with probability 1/2, so the count
  S_n = #{x_i <= m} is a fair-coin random walk. Its likelihood ratio against a coin with an
  unknown bias theta ~ Beta(a, a), M_n(S_n) = B(S_n + a, n - S_n + a) / (B(a, a) 2^-n), is a
  nonnegative martingale starting at 1, so by Ville's inequality it ever reaches 1/alpha
  with probability at most alpha (a sequential sign test; the beta-binomial mixture of
  Howard, Ramdas, McAuliffe & Sekhon, "Time-uniform, nonparametric, nonasymptotic
  confidence sequences", Ann. Statist. 2021).
* The counts s with M_n(s) < 1/alpha form a range [s_lo, n - s_lo] (M_n is symmetric and
  grows away from n/2), and S_n(q) is a step function of q, so the median's confidence
  sequence is the order-statistic interval [x_(s_lo), x_(n - s_lo + 1)].
* With P paths each interval is drawn at alpha / P: then all of them hold together with
  probability 1 - alpha, and so does every difference [lo_b - hi_a, hi_b - lo_a] derived
  from them, for every pair at once (no further correction for the number of pairs).

Nothing is assumed about the shape of the distribution: heavy tails and outliers cost
nothing, because only ranks matter. The price of validity under optional stopping is width:
at 150 samples per path the interval spans the 36th-64th percentile instead of the fixed-n
40th-60th (docs/statistics.md has the table).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

ALPHA = 0.05
PRIOR_A = 8.0
"""Beta(a, a) mixing prior of the sign-test martingale. It sets where the boundary is
tightest: a = 8 is within 2 % of the narrowest for 100-500 samples per path (the range a
sandbox comparison stops in) and costs little below and above it (docs/statistics.md)."""


def _log_beta(x: float, y: float) -> float:
    return math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)


@lru_cache(maxsize=65536)
def lower_rank(n: int, alpha: float, a: float = PRIOR_A) -> int:
    """The smallest count s (0 <= s <= n/2) the sign-test mixture still accepts at sample
    size ``n``; 0 means the interval is still unbounded below (too few samples).

    The accepted counts are ``lower_rank .. n - lower_rank``. Binary search: the log mixture
    decreases monotonically from s = 0 to s = n/2.
    """
    if n <= 0:
        return 0
    threshold = math.log(1.0 / alpha)
    base = n * math.log(2.0) - _log_beta(a, a)

    def log_m(s: int) -> float:
        return _log_beta(s + a, n - s + a) + base

    lo, hi = 0, n // 2
    if log_m(hi) >= threshold:  # nothing accepted: cannot happen for alpha < 1, but be safe
        return hi
    while lo < hi:
        mid = (lo + hi) // 2
        if log_m(mid) < threshold:
            hi = mid
        else:
            lo = mid + 1
    return lo


def median_interval(sorted_values: Sequence[float], alpha: float, a: float = PRIOR_A) -> tuple[float, float]:
    """Confidence sequence for the median of sorted values: (lo, hi), possibly infinite."""
    n = len(sorted_values)
    s_lo = lower_rank(n, alpha, a)
    if s_lo < 1:
        return -math.inf, math.inf
    # 1-based order statistics x_(s_lo) and x_(n - s_lo + 1)
    return float(sorted_values[s_lo - 1]), float(sorted_values[n - s_lo])


@dataclass(frozen=True)
class PathInterval:
    """A path's median with its anytime-valid interval."""

    path: str
    n: int
    median: float
    low: float
    high: float


@dataclass(frozen=True)
class DifferenceInterval:
    """Median of ``b`` minus median of ``a``, with the interval derived from both paths'."""

    a: str
    b: str
    difference: float
    low: float
    high: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0


def path_alpha(alpha: float, paths: int) -> float:
    """Each path's share of the error budget (all paths, hence all pairs, hold together)."""
    return alpha / max(1, paths)


def path_interval(path: str, values: Iterable[float], *, alpha: float, paths: int) -> PathInterval:
    """Median and its confidence sequence for one path among ``paths``."""
    xs = sorted(v for v in values if v is not None and math.isfinite(v))
    low, high = median_interval(xs, path_alpha(alpha, paths))
    return PathInterval(path, len(xs), _median(xs), low, high)


def difference(a: PathInterval, b: PathInterval) -> DifferenceInterval:
    """b - a: point estimate from the medians, interval from the two confidence sequences."""
    return DifferenceInterval(a.path, b.path, b.median - a.median, b.low - a.high, b.high - a.low)


def _median(xs: Sequence[float]) -> float:
    n = len(xs)
    if n == 0:
        return math.nan
    mid = n // 2
    return float(xs[mid]) if n % 2 else (xs[mid - 1] + xs[mid]) / 2.0


# --------------------------------------------------------------------------------------
# Live monitoring during a run


class RunningStats:
    """Count, mean and median of a stream of values, cheap to update from a hot loop.

    Values are kept sorted as they arrive (an insertion into a list: a memmove, microseconds
    even at 100,000 values), so the median is read in O(1). Not thread-safe on its own: the
    comparison engine updates and reads it under its lock. Pure Python: the engine imports
    neither numpy nor pandas before its first call.
    """

    __slots__ = ("_mean", "_sorted")

    def __init__(self) -> None:
        self._sorted: list[float] = []
        self._mean = 0.0

    def add(self, value: float | None) -> None:
        if value is None or not math.isfinite(value):
            return
        bisect.insort(self._sorted, float(value))
        self._mean += (value - self._mean) / len(self._sorted)

    @property
    def count(self) -> int:
        return len(self._sorted)

    @property
    def mean(self) -> float:
        return self._mean if self._sorted else math.nan

    @property
    def median(self) -> float:
        return _median(self._sorted)


@dataclass(frozen=True)
class PrecisionStatus:
    """Where an adaptive run stands: the widest pairwise half-width against the target."""

    target_ms: float
    widest_ms: float  # inf until every path has enough samples for a bounded interval
    widest_pair: tuple[str, str] | None
    samples_per_path: int  # the smallest count among the paths
    needed_per_path: int | None  # estimate: samples per path at which the target is met

    @property
    def reached(self) -> bool:
        return self.widest_ms <= self.target_ms


class PrecisionMonitor:
    """Keeps each path's values sorted as they arrive and says when every pairwise interval
    is narrower than ``target_ms`` (half-width). Cheap per sample: an insertion into a
    sorted list and two order statistics per path; not thread-safe (the run's writer thread
    feeds it)."""

    def __init__(self, paths: Sequence[str], target_ms: float, *, alpha: float = ALPHA) -> None:
        self.paths = tuple(paths)
        self.target_ms = float(target_ms)
        self.alpha = alpha
        self._values: dict[str, list[float]] = {p: [] for p in self.paths}

    def add(self, path: str, value: float | None) -> None:
        if value is None or not math.isfinite(value) or path not in self._values:
            return
        bisect.insort(self._values[path], float(value))

    def intervals(self) -> dict[str, PathInterval]:
        a = path_alpha(self.alpha, len(self.paths))
        out = {}
        for p, xs in self._values.items():
            low, high = median_interval(xs, a)
            out[p] = PathInterval(p, len(xs), _median(xs), low, high)
        return out

    def pairs(self) -> list[DifferenceInterval]:
        iv = self.intervals()
        return [difference(iv[a], iv[b]) for i, a in enumerate(self.paths) for b in self.paths[i + 1:]]

    def status(self) -> PrecisionStatus:
        counts = [len(v) for v in self._values.values()]
        n = min(counts) if counts else 0
        if len(self.paths) == 1:  # one path: the precision of its own median
            only = self.intervals()[self.paths[0]]
            widest, pair = (only.high - only.low) / 2.0, None
        else:
            pairs = self.pairs()
            worst = max(pairs, key=lambda d: d.half_width) if pairs else None
            widest = worst.half_width if worst else math.inf
            pair = (worst.a, worst.b) if worst else None
        needed = None
        if math.isfinite(widest) and widest > 0 and n > 0:
            # Widths shrink about as 1/sqrt(n) (the boundary's log-log factor is ignored).
            needed = max(n, math.ceil(n * (widest / self.target_ms) ** 2))
        return PrecisionStatus(self.target_ms, widest, pair, n, needed)

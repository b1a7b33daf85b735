"""The adaptive run's intervals hold under optional stopping: checked by simulation.

Each claim is tested the way docs/statistics.md states it: many simulated runs, the
interval checked after every round (the worst case of peeking), and the error rate counted.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from workshop import sequential, stats
from workshop.sequential import PrecisionMonitor, lower_rank, median_interval

RUNS = 300
ROUNDS = 400
PATHS = 3
ALPHA = 0.05


def brute_lower_rank(n: int, alpha: float, a: float) -> int:
    def log_m(s: int) -> float:
        lb = math.lgamma(s + a) + math.lgamma(n - s + a) - math.lgamma(n + 2 * a)
        return lb - (2 * math.lgamma(a) - math.lgamma(2 * a)) + n * math.log(2)

    accepted = [s for s in range(n + 1) if log_m(s) < math.log(1 / alpha)]
    return min(accepted)


@pytest.mark.parametrize("n", [1, 2, 7, 20, 51, 150, 333])
@pytest.mark.parametrize("alpha", [0.05, 0.05 / 3])
def test_the_rank_boundary_is_the_smallest_count_the_mixture_accepts(n: int, alpha: float) -> None:
    assert lower_rank(n, alpha) == brute_lower_rank(n, alpha, sequential.PRIOR_A)


def test_too_few_samples_give_an_unbounded_interval_then_it_narrows() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(10, 1, 400)
    assert median_interval(np.sort(x[:5]), 0.05) == (-math.inf, math.inf)
    w50, w400 = (np.subtract(*median_interval(np.sort(x[:n]), 0.05)[::-1]) for n in (50, 400))
    assert math.isfinite(w50) and 0 < w400 < w50 / 2  # about 1/sqrt(n)


def _overheads(rng: np.random.Generator, shifts: tuple[float, ...]) -> np.ndarray:
    """Overhead-like samples: lognormal around 6 ms with a few slow outliers, per path."""
    base = 4.0 + rng.lognormal(mean=0.7, sigma=0.35, size=(RUNS, len(shifts), ROUNDS))
    outliers = rng.random((RUNS, len(shifts), ROUNDS)) < 0.03
    base = np.where(outliers, base + rng.exponential(40.0, size=base.shape), base)
    return base + np.asarray(shifts)[None, :, None]


def _intervals_after_every_round(data: np.ndarray, start: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ns, lo, hi): each path's confidence sequence after every round, for every run."""
    paths = data.shape[1]
    a = sequential.path_alpha(ALPHA, paths)
    ns = np.arange(start, data.shape[2] + 1)
    lo = np.full((len(ns), data.shape[0], paths), -np.inf)
    hi = np.full_like(lo, np.inf)
    for i, n in enumerate(ns):
        s = lower_rank(int(n), a)
        if s < 1:
            continue
        part = np.partition(data[:, :, :n], [s - 1, n - s], axis=2)
        lo[i], hi[i] = part[:, :, s - 1], part[:, :, n - s]
    return ns, lo, hi


def _pairs(paths: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(paths) for j in range(i + 1, paths)]


def test_identical_paths_are_almost_never_called_different_however_often_one_looks() -> None:
    # Three identical paths, the intervals checked after every one of 400 rounds: a run
    # that EVER shows a pair whose interval excludes zero counts as a false verdict.
    rng = np.random.default_rng(2026)
    data = _overheads(rng, (0.0, 0.0, 0.0))
    _, lo, hi = _intervals_after_every_round(data)
    false = np.zeros(RUNS, dtype=bool)
    for i, j in _pairs(PATHS):
        diff_lo, diff_hi = lo[:, :, j] - hi[:, :, i], hi[:, :, j] - lo[:, :, i]
        false |= ((diff_lo > 0) | (diff_hi < 0)).any(axis=0)
    assert false.mean() <= ALPHA, false.mean()


def test_at_a_data_dependent_stop_the_intervals_cover_the_true_differences() -> None:
    # PrivateLink 1.1 ms cheaper than NAT, cross-account 0.2 ms dearer: stop at the first
    # round where every pair's half-width is under 0.5 ms (or at the last round).
    rng = np.random.default_rng(7)
    shifts = (0.0, -1.1, 0.2)
    data = _overheads(rng, shifts)
    ns, lo, hi = _intervals_after_every_round(data)
    pairs = _pairs(PATHS)
    half = np.stack([((hi[:, :, j] - lo[:, :, i]) - (lo[:, :, j] - hi[:, :, i])) / 2 for i, j in pairs])
    done = (half <= 0.5).all(axis=0)  # rounds x runs
    stop = np.where(done.any(axis=0), done.argmax(axis=0), len(ns) - 1)
    runs = np.arange(RUNS)
    covered = np.ones(RUNS, dtype=bool)
    for i, j in pairs:
        true = shifts[j] - shifts[i]  # shifts move every quantile, the median included
        low = lo[stop, runs, j] - hi[stop, runs, i]
        high = hi[stop, runs, j] - lo[stop, runs, i]
        covered &= (low <= true) & (true <= high)
    assert covered.mean() >= 1 - ALPHA, covered.mean()
    assert done.any(axis=0).mean() > 0.9  # and the precision is reached in most runs


def test_a_fixed_sample_bootstrap_checked_after_every_round_would_cry_wolf() -> None:
    # Why the adaptive run needs the intervals above: the same peeking with the fixed-n
    # bootstrap interval (Bonferroni over the pairs) calls identical paths different far
    # more often than its 5 %.
    rng = np.random.default_rng(11)
    data = _overheads(rng, (0.0, 0.0, 0.0))[:100, :, :200]
    false = 0
    for run in data:
        for n in range(10, 201, 10):
            seen = False
            for i, j in _pairs(PATHS):
                pair = stats.compare_two(run[i, :n], run[j, :n], metric="overhead_ms", a="a", b="b",
                                         rng=np.random.default_rng(n), n_boot=800, comparisons=3)
                if pair.ci_low > 0 or pair.ci_high < 0:
                    seen = True
                    break
            if seen:
                false += 1
                break
    assert false / len(data) > 2 * ALPHA


def test_the_monitor_matches_the_batch_computation_and_estimates_what_is_left() -> None:
    rng = np.random.default_rng(3)
    monitor = PrecisionMonitor(("nat", "vpce"), 0.5)
    values = {"nat": rng.normal(7.5, 0.8, 120), "vpce": rng.normal(6.4, 0.8, 120)}
    for k in range(120):
        for path in ("nat", "vpce"):
            monitor.add(path, float(values[path][k]))
    monitor.add("nat", math.nan)  # ignored
    [pair] = monitor.pairs()
    nat = sequential.path_interval("nat", values["nat"], alpha=0.05, paths=2)
    vpce = sequential.path_interval("vpce", values["vpce"], alpha=0.05, paths=2)
    expected = sequential.difference(nat, vpce)
    assert (pair.low, pair.high, pair.difference) == pytest.approx((expected.low, expected.high, expected.difference))
    status = monitor.status()
    assert status.samples_per_path == 120 and status.widest_pair == ("nat", "vpce")
    assert status.widest_ms == pytest.approx(expected.half_width)
    if not status.reached:
        assert status.needed_per_path > 120

"""The room's pooled comparison: what it claims, checked by simulation and by hand.

Claims (workshop/room.py, docs/room.md):

1. the intervals cover the true differences for all pairs together at least 95% of the
   time, *however often the board is looked at* while participants keep finishing — a
   fixed-n interval checked after every arrival does not;
2. with the participant as a blocking factor, instances that differ (one slow box, a room
   where the slow boxes ran only some paths) do not decide the verdict — pooling every
   sample per path does;
3. on a real store the board computes exactly the hand-computed medians and ranks.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from math import comb, factorial

import numpy as np
import pytest

from tests.room.conftest import MODEL, finished_run, log_call
from workshop import room, stats
from workshop.room import RunPath

PATHS = ("nat", "vpce", "cross-account")
PAIRS = ((0, 1), (0, 2), (1, 2))
ROOMS = 300


def fixed_n_interval(xs: np.ndarray, alpha: float) -> tuple[float, float]:
    """The ordinary (fixed-n) order-statistic interval for a median: valid once, not when re-checked."""
    n, xs = len(xs), np.sort(xs)
    k, cdf = 0, 0.0
    for i in range(n + 1):
        cdf += comb(n, i) / 2**n
        if cdf > alpha / 2:
            break
        k = i + 1
    return (xs[k - 1], xs[n - k]) if k >= 1 else (-math.inf, math.inf)


def participant_medians(rng: np.random.Generator, n: int, effect: np.ndarray) -> np.ndarray:
    """Each participant's median overhead per path: a heavy-tailed instance level shared by
    the paths, a participant-by-path wobble, and the median's own sampling noise."""
    instance = rng.lognormal(1.5, 0.6, n)[:, None]
    return instance + effect + rng.normal(0, 0.5, (n, len(effect))) + rng.normal(0, 0.2, (n, len(effect)))


def test_the_room_intervals_hold_however_often_the_board_is_refreshed() -> None:
    # Participants finish one by one (up to 40); the board is read after every one. A room
    # "misses" when at any of those moments any of the three intervals excludes the truth.
    rng = np.random.default_rng(2026)
    effect = np.array([0.0, -1.5, -0.5])
    alpha = room.pair_alpha(len(PAIRS))
    missed_room = missed_fixed = 0
    for _ in range(ROOMS):
        m = participant_medians(rng, 40, effect)
        room_miss = fixed_miss = False
        for n in range(2, 41):
            for a, b in PAIRS:
                d, truth = m[:n, b] - m[:n, a], effect[b] - effect[a]
                _, lo, hi = room.room_interval(d, alpha=alpha)
                room_miss |= not lo <= truth <= hi
                flo, fhi = fixed_n_interval(d, alpha)
                fixed_miss |= not flo <= truth <= fhi
        missed_room += room_miss
        missed_fixed += fixed_miss
    assert missed_room / ROOMS <= 0.05 + 0.02  # 95% for all pairs at every look (binomial slack over 300)
    assert missed_fixed / ROOMS > 0.10  # the same looks with fixed-n intervals cry wolf


def test_the_intervals_find_a_real_difference_once_enough_participants_finished() -> None:
    rng = np.random.default_rng(7)
    effect = np.array([0.0, -1.5, -0.5])
    found = 0
    for _ in range(100):
        m = participant_medians(rng, 30, effect)
        hi = room.room_interval(m[:, 1] - m[:, 0], alpha=room.pair_alpha(3))[2]
        found += hi < 0
    assert found >= 90  # 1.5 ms against a ±0.5 ms wobble: 30 participants say so almost always
    assert room.participants_needed(3) == 10 and room.participants_needed(1) == 8


def unbalanced_room(rng: np.random.Generator) -> tuple[list[RunPath], dict[str, np.ndarray]]:
    """30 participants on identical paths: the 10 slowest instances (+20 ms) compared only NAT and
    PrivateLink, one participant's PrivateLink is broken (+40 ms). Returns the runs' figures and
    every sample pooled per path."""
    rows: list[RunPath] = []
    pooled: dict[str, list[np.ndarray]] = {p: [] for p in PATHS}
    for who in range(30):
        slow = who < 10
        level = rng.lognormal(1.5, 0.3) + (20.0 if slow else 0.0)
        for path in PATHS[:2] if slow else PATHS:
            values = level + (40.0 if who == 29 and path == "vpce" else 0.0) + rng.gamma(2.0, 1.0, 60)
            pooled[path].append(values)
            rows.append(RunPath(f"r{who}", f"p{who}", path, len(values), overhead_p50=float(np.median(values)),
                                client_p50=1000.0, server_p50=990.0))
    return rows, {p: np.concatenate(v) for p, v in pooled.items()}


def pooled_samples_alarm(samples: dict[str, np.ndarray], rng: np.random.Generator) -> bool:
    """Whether pooling every sample per path (the single-run bootstrap, Bonferroni) calls a difference."""
    return any(stats.compare_two(samples[PATHS[a]], samples[PATHS[b]], metric="overhead_ms", a=PATHS[a],
                                 b=PATHS[b], rng=rng, n_boot=1000, comparisons=3).significant for a, b in PAIRS)


def test_one_slow_instance_or_an_unbalanced_room_does_not_decide_the_verdict() -> None:
    rng = np.random.default_rng(11)
    rooms, blocked_alarms, pooled_alarms = 100, 0, 0
    for _ in range(rooms):
        rows, samples = unbalanced_room(rng)
        blocked_alarms += any(p.significant for p in room.pool(rows).pairs)
        pooled_alarms += pooled_samples_alarm(samples, rng)
    assert blocked_alarms / rooms <= 0.05 + 0.03
    assert pooled_alarms / rooms >= 0.9  # the slow boxes' paths look slow: a verdict made by who ran what


def test_a_broken_path_on_one_instance_is_one_dot_not_the_verdict() -> None:
    rng = np.random.default_rng(3)
    rows, _ = unbalanced_room(rng)
    pooled = room.pool(rows)
    nat_vpce = pooled.pairs[0]
    assert (nat_vpce.a, nat_vpce.b) == ("nat", "vpce")
    assert pooled.differences[("nat", "vpce")]["p29"] > 35  # the broken instance, plainly visible
    assert not nat_vpce.significant and abs(nat_vpce.difference) < 1.0


# ------------------------------------------------------------------------ by hand, on a real store


def mixture(n: int, s: int) -> float:
    """The sign-test mixture with a uniform prior, by hand: 2^n s! (n - s)! / (n + 1)!."""
    return 2**n * factorial(s) * factorial(n - s) / factorial(n + 1)


def test_the_board_pools_a_stored_room_exactly_as_computed_by_hand(store) -> None:
    # 20 participants, each one run of 5 samples per path: overhead = level + offset + [0..4],
    # so each run's median is level + offset + 2 and each participant's difference is exact.
    deltas_vpce = [-2.0 + 0.17 * i + (0.9 if i % 3 == 0 else 0.0) for i in range(20)]
    deltas_xacct = [0.3 * ((i * 7) % 11) - 1.2 for i in range(20)]
    levels = [5.0 + (i * 13) % 17 for i in range(20)]
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for i in range(20):
        base = np.arange(5.0) + levels[i]
        finished_run(store, f"participant-{i:02d}", {"nat": base, "vpce": base + deltas_vpce[i],
                                                   "cross-account": base + deltas_xacct[i]},
                     start=start + timedelta(minutes=i))
    # Not pooled: a running run, an AWS run (the board pools sandbox runs here), a path with 4 samples.
    running = store.create_run({"samples": 5}, paths=["nat", "vpce"], model_id=MODEL, api="invoke", sandbox=True,
                               participant="participant-00")
    finished_run(store, "participant-01", {"nat": [1.0] * 5, "vpce": [100.0] * 5}, sandbox=False)
    finished_run(store, "participant-02", {"nat": [0.0] * 4, "vpce": [500.0] * 4})
    for i in range(3):
        log_call(store, "participant-03", error="AccessDeniedException" if i == 2 else None)

    board = room.board(store, room.RoomFilter(sandbox=True))

    # The rank by hand: the smallest s whose mixture is below 1 / (0.05 / 3 pairs).
    s = next(s for s in range(11) if mixture(20, s) < 3 / 0.05)
    assert s == 3
    for (a, b), deltas in ((("nat", "vpce"), deltas_vpce), (("nat", "cross-account"), deltas_xacct)):
        pair = next(p for p in board.pooled.pairs if (p.a, p.b) == (a, b))
        ordered = sorted(deltas)
        assert pair.n_a == 20
        assert pair.difference == pytest.approx((ordered[9] + ordered[10]) / 2)
        assert (pair.ci_low, pair.ci_high) == pytest.approx((ordered[s - 1], ordered[20 - s]))
        assert board.pooled.differences[(a, b)]["participant-05"] == pytest.approx(deltas[5])
    summary = board.summary
    assert summary.loc["nat", "overhead_ms_p50"] == pytest.approx(float(np.median([lv + 2 for lv in levels])))
    assert summary.loc["nat", "participants"] == 20 and summary.loc["vpce", "participants"] == 20
    assert summary.loc["vpce", "runs"] == 21 and summary.loc["vpce", "count"] == 100  # 4 samples: not usable
    assert board.runs_pooled == 20 and board.runs_running == 1  # the 4-sample run is not
    assert board.sandbox

    rows = {p.participant: p for p in board.participants}
    assert rows["participant-00"].step.startswith("5 · comparing (0/10)")
    assert rows["participant-03"].calls == 3 and rows["participant-03"].errors == 1
    assert rows["participant-03"].stuck == "last call failed: AccessDeniedException"
    assert rows["participant-05"].overhead_ms["nat"] == pytest.approx(levels[5] + 2)
    assert running not in {r.run_id for r in room._run_paths(store, [running])}


def test_a_second_refresh_reads_the_kept_figures_not_the_samples(store, monkeypatch) -> None:
    from workshop.store import Store

    for i in range(3):
        finished_run(store, f"p{i}", {"nat": [5.0, 6, 7, 8, 9], "vpce": [4.0, 5, 6, 7, 8]})
    first = room.board(store)

    def refuse(*args: object, **kw: object) -> object:
        raise AssertionError("a refresh must not read samples")

    monkeypatch.setattr(Store, "samples", refuse)
    monkeypatch.setattr(Store, "load_analysis", refuse)
    again = room.board(store)
    assert again.summary.equals(first.summary)
    assert [p.to_dict() for p in again.pooled.pairs] == [p.to_dict() for p in first.pooled.pairs]

"""Statistics against known distributions, verdicts, and the chart aggregates' bounds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workshop import stats


def frame(values: dict[str, np.ndarray], *, metric: str = "overhead_ms", **extra: object) -> pd.DataFrame:
    """A samples frame with ``values[path]`` as ``metric`` (other timings derived)."""
    parts = []
    seq = 0
    for path, v in values.items():
        n = len(v)
        parts.append(pd.DataFrame({
            "seq": np.arange(seq, seq + n),
            "path": path,
            "warmup": False,
            "cold": False,
            "started_at": pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(np.arange(n), unit="s"),
            "client_ms": v + 100.0 if metric != "client_ms" else v,
            "server_ms": 100.0,
            "overhead_ms": v if metric == "overhead_ms" else v - 100.0,
            "ttft_ms": np.nan,
            "credentials_ms": 0.0,
            "retries": 0,
            "error_code": None,
            "output_tokens": 50,
        }))
        seq += n
    df = pd.concat(parts, ignore_index=True)
    return df.assign(**extra) if extra else df


def test_percentiles_of_a_uniform_sample_are_its_quantiles() -> None:
    rng = np.random.default_rng(1)
    summary = stats.summarize(frame({"nat": rng.uniform(0, 100, 20_000)}))
    row = summary.loc["nat"]
    assert row["overhead_ms_p50"] == pytest.approx(50, abs=1.5)
    assert row["overhead_ms_p90"] == pytest.approx(90, abs=1.0)
    assert row["overhead_ms_p99"] == pytest.approx(99, abs=0.5)


def test_mean_and_std_of_a_normal_sample() -> None:
    rng = np.random.default_rng(2)
    row = stats.summarize(frame({"vpce": rng.normal(10, 2, 20_000)})).loc["vpce"]
    assert row["overhead_ms_mean"] == pytest.approx(10, abs=0.1)
    assert row["overhead_ms_std"] == pytest.approx(2, abs=0.1)
    assert row["overhead_ms_p50"] == pytest.approx(10, abs=0.1)


def test_warmup_failed_and_retried_samples_are_counted_but_not_measured() -> None:
    df = frame({"nat": np.array([1.0, 2.0, 3.0, 1000.0, 2000.0, 3000.0])})
    df.loc[3, "warmup"] = True
    df.loc[3, "cold"] = True
    df.loc[4, "error_code"] = "ThrottlingException"
    df.loc[5, "retries"] = 2
    row = stats.summarize(df).loc["nat"]
    assert (row["samples"], row["count"], row["errors"], row["retried"]) == (5, 3, 1, 1)
    assert row["overhead_ms_p50"] == 2.0
    assert row["cold_client_ms"] == 1100.0


def test_sample_size_warnings_follow_the_p90_and_p99_rules() -> None:
    assert len(stats.sample_size_warnings(49)) == 2
    assert len(stats.sample_size_warnings(50)) == 1
    assert stats.sample_size_warnings(500) == []


def test_paths_are_summarised_in_walk_through_order() -> None:
    df = frame({"cross-account": np.ones(3), "proxy": np.ones(3), "nat": np.ones(3), "vpce": np.ones(3)})
    assert list(stats.summarize(df).index) == ["nat", "vpce", "cross-account", "proxy"]


def test_output_tokens_per_second_use_server_time() -> None:
    row = stats.summarize(frame({"nat": np.ones(5)})).loc["nat"]
    assert row["tokens_per_s_p50"] == pytest.approx(50 / 0.1)


def naive_bootstrap_medians(x: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    idx = rng.integers(0, len(x), size=(n_boot, len(x)))
    return np.median(x[idx], axis=1)


@pytest.mark.parametrize("n", [31, 40])  # odd and even sample sizes
def test_the_exact_draw_bootstrap_matches_resampling(n: int) -> None:
    x = np.random.default_rng(3).lognormal(0, 1, n)
    fast = stats.bootstrap_medians(x, 40_000, np.random.default_rng(4))
    slow = naive_bootstrap_medians(x, 40_000, np.random.default_rng(5))
    for q in (2.5, 25, 50, 75, 97.5):
        # Both are draws from the same discrete law; quantiles agree to within a data gap.
        gap = np.diff(np.sort(x)).max()
        assert np.percentile(fast, q) == pytest.approx(np.percentile(slow, q), abs=gap)
    assert fast.mean() == pytest.approx(slow.mean(), rel=0.02)


def test_the_bootstrap_interval_covers_the_true_difference_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(6)
    trials, covered = 300, 0
    true_diff = 1.0  # medians of N(0,1) and N(1,1)
    for _ in range(trials):
        a, b = rng.normal(0, 1, 60), rng.normal(1, 1, 60)
        pair = stats.compare_two(a, b, metric="overhead_ms", a="nat", b="vpce", rng=rng, n_boot=2000)
        covered += pair.ci_low <= true_diff <= pair.ci_high
    assert 0.90 <= covered / trials <= 0.99


def test_pairwise_is_reproducible_with_a_seed() -> None:
    rng = np.random.default_rng(7)
    df = frame({"nat": rng.normal(5, 1, 100), "vpce": rng.normal(4, 1, 100)})
    assert stats.pairwise(df, seed=3) == stats.pairwise(df, seed=3)
    assert stats.pairwise(df, seed=3) != stats.pairwise(df, seed=4)


def test_a_real_difference_gets_a_verdict_with_direction_and_interval() -> None:
    rng = np.random.default_rng(8)
    df = frame({"nat": rng.normal(5.0, 0.5, 200), "vpce": rng.normal(2.0, 0.5, 200)})
    (pair,) = stats.pairwise(df, "overhead_ms", seed=0)
    assert (pair.a, pair.b) == ("nat", "vpce") and pair.significant
    assert pair.difference == pytest.approx(-3.0, abs=0.2)
    text = stats.verdict(pair)
    assert text.startswith("PrivateLink overhead is 3.")
    assert "ms lower than NAT (95% CI " in text


def test_two_samples_of_one_distribution_get_no_difference() -> None:
    rng = np.random.default_rng(9)
    same = rng.gamma(4, 1.5, 80)
    df = frame({"nat": same[:40], "vpce": same[40:]})
    (pair,) = stats.pairwise(df, seed=0)
    assert not pair.significant and pair.ci_low < 0 < pair.ci_high
    assert "no difference detectable with 40 samples per path" in stats.verdict(pair)


def test_identical_paths_are_called_equal_in_about_95_percent_of_runs() -> None:
    rng = np.random.default_rng(10)
    false_alarms = 0
    for _ in range(200):
        df = frame({"nat": rng.normal(3, 1, 50), "vpce": rng.normal(3, 1, 50)})
        false_alarms += stats.pairwise(df, seed=int(rng.integers(1 << 30)), n_boot=1000)[0].significant
    assert false_alarms / 200 <= 0.10


def test_three_identical_paths_raise_a_false_alarm_in_at_most_about_5_percent_of_runs() -> None:
    # Three pairs at 95% each would cry wolf in ~14% of runs; the simultaneous intervals
    # keep the chance of any false verdict in the run near 5%.
    rng = np.random.default_rng(12)
    runs, adjusted, unadjusted = 300, 0, 0
    for _ in range(runs):
        df = frame({p: rng.normal(3, 1, 40) for p in ("nat", "vpce", "cross-account")})
        seed = int(rng.integers(1 << 30))
        adjusted += any(p.significant for p in stats.pairwise(df, seed=seed, n_boot=1000))
        unadjusted += any(p.significant for p in stats.pairwise(df, seed=seed, n_boot=1000, adjust=False))
    assert adjusted / runs <= 0.09
    assert unadjusted > adjusted


def test_three_paths_get_wider_simultaneous_intervals_that_say_so() -> None:
    rng = np.random.default_rng(13)
    df = frame({p: rng.normal(3, 1, 100) for p in ("nat", "vpce", "cross-account")})
    together = stats.pairwise(df, seed=1)
    alone = stats.pairwise(df, seed=1, adjust=False)
    assert [p.comparisons for p in together] == [3, 3, 3]
    for t, a in zip(together, alone, strict=True):
        assert t.ci_low < a.ci_low and t.ci_high > a.ci_high
    assert "all 3 pairs together" in stats.interval_note(together)
    assert "98.3%" in stats.interval_note(together)


def test_two_paths_need_no_adjustment() -> None:
    rng = np.random.default_rng(14)
    (pair,) = stats.pairwise(frame({"nat": rng.normal(3, 1, 60), "vpce": rng.normal(3, 1, 60)}), seed=2)
    assert pair.comparisons == 1
    assert "together" not in stats.interval_note([pair])


def test_too_few_samples_are_said_so_instead_of_a_verdict() -> None:
    (pair,) = stats.pairwise(frame({"nat": np.array([1.0, 2.0]), "vpce": np.array([5.0, 6.0])}))
    assert not pair.significant
    assert "too few samples" in stats.verdict(pair)


def test_every_pair_of_three_paths_is_compared_against_the_earlier_one() -> None:
    df = frame({p: np.arange(10.0) for p in ("cross-account", "vpce", "nat")})
    assert [(p.a, p.b) for p in stats.pairwise(df)] == [("nat", "vpce"), ("nat", "cross-account"),
                                                        ("vpce", "cross-account")]


def big_frame(n: int = 30_000) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    return frame({p: rng.gamma(4, 1.5, n) for p in ("nat", "vpce", "cross-account")})


def test_ecdf_is_bounded_monotone_and_ends_at_one() -> None:
    e = stats.ecdf(big_frame(), "overhead_ms", max_points=300)
    for _, part in e.groupby("path"):
        assert len(part) <= 300
        assert part["value"].is_monotonic_increasing and part["fraction"].is_monotonic_increasing
        assert part["fraction"].iloc[-1] == 1.0


def test_box_stats_match_numpy_quartiles() -> None:
    df = big_frame(1000)
    box = stats.box_stats(df, "overhead_ms").set_index("path")
    x = df.loc[df["path"] == "vpce", "overhead_ms"].to_numpy()
    assert box.loc["vpce", "median"] == pytest.approx(np.median(x))
    assert box.loc["vpce", "q1"] == pytest.approx(np.percentile(x, 25))
    assert box.loc["vpce", "whisker_low"] >= x.min() and box.loc["vpce", "whisker_high"] <= x.max()


def test_time_buckets_share_edges_across_paths_and_stay_bounded() -> None:
    tb = stats.time_buckets(big_frame(), "client_ms", max_buckets=50)
    assert tb.groupby("path").size().max() <= 50
    assert tb.groupby("path")["count"].sum().to_dict() == {"nat": 30_000, "vpce": 30_000, "cross-account": 30_000}
    assert set(tb[tb.path == "nat"]["bucket_start"]) == set(tb[tb.path == "vpce"]["bucket_start"])


def test_decomposition_spreads_credentials_over_calls_and_shows_the_first_call_apart() -> None:
    df = frame({"cross-account": np.full(9, 4.0)}, credentials_ms=200.0)
    df.loc[0, ["warmup", "cold"]] = True
    d = stats.decomposition(df).set_index(["call", "component"])["ms"]
    assert d[("typical call", "credentials")] == pytest.approx(200.0 / 9)
    assert d[("typical call", "network overhead")] == 4.0 and d[("typical call", "server")] == 100.0
    assert d[("first call", "credentials")] == 200.0


def test_running_stats_track_count_mean_and_median() -> None:
    r = stats.RunningStats()
    for v in [5.0, 1.0, 3.0, float("nan"), None]:
        r.add(v)
    assert (r.count, r.mean, r.median) == (3, 3.0, 3.0)

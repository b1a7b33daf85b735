"""The headline: which path, by how much, whether it matters — and when the data cannot say.

Analyses come from synthetic sample frames through the real statistics (stats.analyse), so
each wording is checked against intervals computed the way a run's are.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from workshop import answer as answers
from workshop import stats

START = datetime(2026, 5, 1, 12, tzinfo=UTC)
PATHS = ("nat", "vpce", "cross-account")


def frame(overhead: dict[str, float], *, n: int = 400, spread: float = 0.3, server: float = 1400.0,
          credentials: dict[str, float] | None = None, cold: float = 1600.0, seed: int = 1,
          errors: int = 0) -> pd.DataFrame:
    """Samples of a run: one cold warm-up call per path, then ``n`` measured per path."""
    rng = np.random.default_rng(seed)
    rows = []
    seq = 0
    for i in range(-1, n):
        for path, base in overhead.items():
            over = base + rng.normal(0, spread)
            srv = server + rng.normal(0, 120)
            failed = 0 <= i < errors
            rows.append({
                "run_id": "r", "seq": seq, "path": path, "warmup": i < 0, "cold": i < 0,
                "started_at": START + timedelta(milliseconds=10 * seq), "model_id": "m", "api": "invoke",
                "client_ms": (cold if i < 0 else srv + over), "server_ms": srv, "overhead_ms": over,
                "credentials_ms": (credentials or {}).get(path, 0.0), "retries": 0,
                "error_code": "ThrottlingException" if failed else None, "input_tokens": 40, "output_tokens": 16,
                "request_bytes": 300, "response_bytes": 700,
            })
            seq += 1
    return pd.DataFrame(rows)


def analysed(df: pd.DataFrame, *, sequential: bool = False) -> stats.Analysis:
    return stats.analyse(df, seed=0, n_boot=1000, sequential=sequential)


def test_a_clear_winner_is_named_with_its_margin_interval_and_share_of_the_call() -> None:
    a = answers.answer(analysed(frame({"nat": 7.5, "vpce": 6.4, "cross-account": 7.3})))
    assert a.best == "vpce"
    assert a.headline.startswith("PrivateLink adds the least overhead: ")
    assert "1.1 ms less than NAT" in a.headline and "less than Cross-account" in a.headline
    assert "of a 1,4" in a.headline and "which no user will notice" in a.headline  # ~0.08 % of ~1.4 s
    vpce_nat = next(p for p in a.pairs if {p.better, p.other} == {"vpce", "nat"})
    assert vpce_nat.better == "vpce" and vpce_nat.significant and not vpce_nat.equivalent
    assert vpce_nat.low_ms < 1.1 < vpce_nat.high_ms
    assert vpce_nat.share_of_call == pytest.approx(1.1 / 1400, rel=0.15)


def test_paths_within_noise_are_called_equivalent_within_a_stated_margin() -> None:
    a = answers.answer(analysed(frame({"nat": 7.0, "vpce": 7.0, "cross-account": 7.0})))
    assert a.best is None
    assert a.headline.startswith("The paths are equivalent in overhead within ±")
    assert "choose on cost, security and operations" in a.headline
    assert all(p.equivalent and not p.significant for p in a.pairs)
    assert all(p.margin_ms < 0.5 for p in a.pairs)


def test_one_path_equivalent_to_the_best_is_said_so_in_the_same_headline() -> None:
    a = answers.answer(analysed(frame({"nat": 7.6, "vpce": 6.4, "cross-account": 6.4})))
    assert a.headline.startswith("PrivateLink adds the least overhead: ")
    assert "Cross-account is equivalent to it within ±" in a.headline


def test_too_little_data_gives_no_answer_rather_than_a_guess() -> None:
    a = answers.answer(analysed(frame({"nat": 7.0, "vpce": 6.0}, n=6, spread=40.0)))
    assert a.headline.startswith("No clear answer yet: the overhead difference between ")
    assert a.best is None and not any(p.equivalent or p.significant for p in a.pairs)


def test_client_latency_differences_never_make_the_headline() -> None:
    # Same overhead on both paths, but one path's model time happened to be slower.
    df = frame({"nat": 7.0, "vpce": 7.0})
    df.loc[df["path"] == "nat", ["client_ms", "server_ms"]] += 300.0
    a = answers.answer(analysed(df))
    assert "equivalent" in a.headline and "300" not in a.headline


def test_paths_that_reach_the_same_endpoint_are_never_called_different() -> None:
    a = answers.answer(analysed(frame({"nat": 7.5, "vpce": 6.4})),
                       same_endpoint={frozenset(("nat", "vpce")): "both resolve to 10.0.1.25, the VPC endpoint"})
    (pair,) = a.pairs
    assert not pair.significant and pair.same_endpoint
    assert "reach the same endpoint (both resolve to 10.0.1.25" in a.headline
    assert "adds the least" not in a.headline


def test_one_time_costs_stand_apart_with_how_often_assumed_roles_are_renewed() -> None:
    a = answers.answer(analysed(frame({"nat": 7.0, "cross-account": 8.0}, credentials={"cross-account": 412.0})),
                       refresh_s={"cross-account": 3600})
    assert a.one_time is not None
    assert "the first call on each path took 1,600 ms" in a.one_time
    assert "Cross-account assumes its role once (412 ms for AssumeRole), renewed about every 45 min" in a.one_time
    assert "412" not in a.headline


def test_sequential_intervals_feed_the_same_answer() -> None:
    a = answers.answer(analysed(frame({"nat": 7.5, "vpce": 6.4}), sequential=True), precision_ms=0.5)
    assert a.method == "sequential" and a.best == "vpce"


def test_failed_calls_are_a_caveat_and_the_json_carries_every_field() -> None:
    a = answers.answer(analysed(frame({"nat": 7.5, "vpce": 6.4}, errors=5)), sandbox=True)
    assert "10 calls failed and are left out" in a.caveats[0]  # 5 per path
    assert "sandbox: modelled, not measured on AWS" in a.caveats
    data = a.to_dict()
    assert {"headline", "one_time", "pairs", "median_call_ms"} <= data.keys()
    assert {"equivalent", "share_of_call", "significant", "ci_low_ms", "ci_high_ms"} <= data["pairs"][0].keys()


@pytest.mark.parametrize(("value", "text"), [(0.004, "0"), (0.42, "0.42"), (0.5, "0.5"), (1.14, "1.1"),
                                              (38.4, "38"), (1412.0, "1,412")])
def test_milliseconds_are_rounded_as_a_reader_wants_them(value: float, text: str) -> None:
    assert answers.fmt_ms(value) == text

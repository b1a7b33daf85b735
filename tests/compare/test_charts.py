"""Chart builders: Altair specs drawn from bounded aggregates, labelled when modelled."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import pytest

from workshop import charts


def run_frame(n: int = 20_000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    paths = np.array(["nat", "vpce", "cross-account"])[np.arange(n) % 3]
    server = rng.lognormal(np.log(300), 0.3, n)
    overhead = rng.gamma(4, 1.5, n)
    return pd.DataFrame({
        "seq": np.arange(n), "path": paths, "warmup": np.arange(n) < 3, "cold": np.arange(n) < 3,
        "started_at": pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(np.arange(n) * 50, unit="ms"),
        "client_ms": server + overhead, "server_ms": server, "overhead_ms": overhead, "ttft_ms": np.nan,
        "credentials_ms": 5.0, "retries": 0, "error_code": None, "output_tokens": 40,
    })


@pytest.mark.parametrize("name", ["ecdf", "overhead_box", "decomposition", "drift"])
def test_each_chart_is_an_altair_spec_with_a_few_thousand_rows_at_most(name: str) -> None:
    chart = charts.all_charts(run_frame())[name]
    assert isinstance(chart, alt.TopLevelMixin)
    spec = chart.to_dict()
    rows = sum(len(v) for v in spec["datasets"].values())
    assert 0 < rows <= 3000


def test_sandbox_charts_say_the_figures_are_modelled() -> None:
    spec = charts.ecdf_chart(run_frame(300), sandbox=True).to_dict()
    assert charts.SANDBOX_SUBTITLE in spec["title"]["subtitle"]
    assert not charts.ecdf_chart(run_frame(300)).to_dict()["title"].get("subtitle")


def test_paths_are_named_the_way_the_workshop_names_them() -> None:
    spec = charts.box_chart(run_frame(300)).to_dict()
    (data,) = spec["datasets"].values()
    assert [row["path_label"] for row in data] == ["NAT", "PrivateLink", "Cross-account"]

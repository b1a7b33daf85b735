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
    assert charts.SANDBOX_SUBTITLE not in charts.ecdf_chart(run_frame(300)).to_dict()["title"].get("subtitle", [])


def test_paths_are_named_the_way_the_workshop_names_them() -> None:
    spec = charts.box_chart(run_frame(300)).to_dict()
    (data,) = spec["datasets"].values()
    assert [row["path_label"] for row in data] == ["NAT", "PrivateLink", "Cross-account"]


# ---------------------------------------------------------------- the empty-ECDF report

@pytest.mark.parametrize("name", ["ecdf", "overhead_box", "decomposition", "drift"])
def test_every_chart_keeps_its_own_plot_height_in_the_page(name: str) -> None:
    # Streamlit gives a spec without "autosize" the type "fit": title, subtitle, legend and
    # axes squeezed into one height, which on a half-width column left the ECDF's plot a few
    # pixels tall (flat lines, "Infinite extent for field value"). Fit the width only.
    spec = charts.all_charts(run_frame(3000))[name].to_dict()
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert spec["height"] >= 90


def test_no_missing_or_infinite_value_reaches_a_chart() -> None:
    ecdf = pd.DataFrame({"path": ["nat"] * 4 + ["vpce"] * 2, "value": [1.0, np.inf, None, 3.0, 2.0, np.nan],
                         "fraction": [0.25, 0.5, 0.75, 1.0, 0.5, 1.0]})
    spec = charts.ecdf_chart_of(ecdf).to_dict()
    (rows,) = spec["datasets"].values()
    assert [(r["path"], r["value"]) for r in rows] == [("nat", 1.0), ("nat", 3.0), ("vpce", 2.0)]
    assert all(isinstance(r["value"], float) and np.isfinite(r["value"]) for r in rows)


def test_paths_keep_one_colour_in_every_chart() -> None:
    specs = {name: chart.to_dict() for name, chart in charts.all_charts(run_frame(3000)).items()}

    def colour_scale(spec: dict) -> dict:
        layers = spec.get("layer") or [spec]
        return next(layer["encoding"]["color"]["scale"] for layer in layers
                    if "color" in layer.get("encoding", {}) and layer["encoding"]["color"]["field"] == "path_label")

    scales = [colour_scale(specs[n]) for n in ("ecdf", "overhead_box", "drift")]
    assert all(s == scales[0] for s in scales)
    assert dict(zip(scales[0]["domain"], scales[0]["range"], strict=True)) == {
        "NAT": charts.PATH_COLORS["NAT"], "PrivateLink": charts.PATH_COLORS["PrivateLink"],
        "Cross-account": charts.PATH_COLORS["Cross-account"]}
    parts = specs["decomposition"]["encoding"]["color"]["scale"]["range"]
    assert not set(parts) & set(charts.PATH_COLORS.values())  # the time parts never look like a path


def test_the_drift_axis_is_a_24_hour_utc_clock_and_the_box_marks_the_p99() -> None:
    specs = {name: chart.to_dict() for name, chart in charts.all_charts(run_frame(3000)).items()}
    x = specs["drift"]["encoding"]["x"]
    assert x["scale"]["type"] == "utc" and x["axis"]["format"] == "%H:%M:%S"
    box_fields = {layer["encoding"]["x"]["field"] for layer in specs["overhead_box"]["layer"]}
    assert "p99" in box_fields

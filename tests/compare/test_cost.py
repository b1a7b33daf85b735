"""Cost per path against hand-computed cases (prices from workshop/data/prices.json)."""

from __future__ import annotations

import pytest

from workshop import cost
from workshop.config import parse_config
from workshop.errors import ConfigError

KINDS = {"nat": "nat", "vpce": "vpce", "cross-account": "cross-account"}
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
PER_CALL = {"input_tokens": 100, "output_tokens": 16, "request_bytes": 1000, "response_bytes": 1000}


def price(region: str = "us-east-1", **settings: object) -> cost.CostEstimate:
    return cost.estimate({p: PER_CALL for p in KINDS}, kinds=KINDS, model_id=HAIKU, region=region,
                         settings=cost.CostSettings(**settings))


def test_a_million_calls_through_each_path_by_hand() -> None:
    est = price()
    gb = 1_000_000 * (2000 + cost.HEADER_BYTES_PER_CALL) / 1e9  # 3.6 GB
    nat, vpce, cross = est.paths["nat"], est.paths["vpce"], est.paths["cross-account"]
    # NAT: two gateways (one per AZ) and their public IPv4 addresses, 730 h, plus $0.045/GB.
    assert nat.fixed_monthly == pytest.approx(2 * 730 * (0.045 + 0.005))
    assert nat.data_monthly == pytest.approx(gb * 0.045)
    # PrivateLink: the endpoint in two AZs at $0.01/h, plus $0.01/GB.
    assert vpce.fixed_monthly == pytest.approx(2 * 730 * 0.01)
    assert vpce.data_monthly == pytest.approx(gb * 0.01)
    # Cross-account over peering within one AZ: B's endpoint, nothing for the peering.
    assert cross.fixed_monthly == pytest.approx(2 * 730 * 0.01)
    assert cross.data_monthly == pytest.approx(gb * 0.01)
    # The model costs the same on every path: 100 x $0.25 + 16 x $1.25 per million tokens per call.
    model = (100 * 0.25 + 16 * 1.25) / 1e6 * 1_000_000
    assert [c.model_monthly for c in est.paths.values()] == pytest.approx([model] * 3)
    assert est.as_of and est.sources and est.region == "us-east-1"


def test_a_transit_gateway_link_adds_two_attachments_and_its_data_charge() -> None:
    peering, tgw = price().paths["cross-account"], price(cross_account_link="tgw").paths["cross-account"]
    gb = 1_000_000 * (2000 + cost.HEADER_BYTES_PER_CALL) / 1e9
    assert tgw.fixed_monthly - peering.fixed_monthly == pytest.approx(2 * 730 * 0.05)
    assert tgw.data_monthly - peering.data_monthly == pytest.approx(gb * 0.02)


def test_volume_scales_data_and_model_but_not_the_hourly_part() -> None:
    small, big = price(calls_per_month=1000).paths["nat"], price(calls_per_month=10_000_000).paths["nat"]
    assert small.fixed_monthly == big.fixed_monthly
    assert big.data_monthly == pytest.approx(small.data_monthly * 10_000)
    assert big.model_monthly == pytest.approx(small.model_monthly * 10_000)


def test_regional_network_prices_and_an_unlisted_region_falls_back_and_says_so() -> None:
    assert price("eu-central-1").paths["nat"].fixed_monthly == pytest.approx(2 * 730 * (0.052 + 0.005))
    far = price("mx-central-1")
    assert far.paths["nat"].fixed_monthly == pytest.approx(2 * 730 * 0.05)
    assert any("mx-central-1 are not in the table" in n for n in far.notes)


def test_an_inference_profile_is_priced_as_its_model_and_an_unknown_model_has_no_model_cost() -> None:
    per = {"nat": PER_CALL}
    profile = cost.estimate(per, kinds=KINDS, model_id=f"us.{HAIKU}", region="us-east-1")
    assert profile.paths["nat"].model_monthly == pytest.approx(45.0)
    unknown = cost.estimate(per, kinds=KINDS, model_id="acme.unknown-v1:0", region="us-east-1")
    assert unknown.paths["nat"].model_monthly is None
    assert any("ModelInputPer1M" in n for n in unknown.notes)


def test_the_config_cost_section_overrides_prices_and_volume() -> None:
    config = parse_config(
        "[workshop]\nRegion = us-east-1\nSandbox = true\n"
        "[cost]\nCallsPerMonth = 2,000,000\nAZs = 3\nNatGateways = 1\nNatHourly = 0.1\n"
        "ModelInputPer1M = 1\nModelOutputPer1M = 2\n",
        source="t.ini",
    )
    settings = cost.CostSettings.from_mapping(config.cost_settings)
    assert (settings.calls_per_month, settings.azs, settings.gateways) == (2_000_000, 3, 1)
    est = cost.estimate({"nat": PER_CALL, "vpce": PER_CALL}, kinds=KINDS, model_id=HAIKU, region="us-east-1",
                        settings=settings)
    assert est.paths["nat"].fixed_monthly == pytest.approx(730 * (0.1 + 0.005))
    assert est.paths["vpce"].fixed_monthly == pytest.approx(3 * 730 * 0.01)
    assert est.paths["nat"].model_monthly == pytest.approx(2_000_000 * (100 * 1 + 16 * 2) / 1e6)


@pytest.mark.parametrize(("key", "value"), [("CallsPerMonth", "lots"), ("AZs", "0"), ("CrossAccountLink", "vpn"),
                                            ("NatHourly", "-1"), ("Colour", "blue")])
def test_a_bad_cost_setting_names_its_key(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as err:
        cost.CostSettings.from_mapping({key: value})
    assert f"[cost] {key}" in str(err.value)
    config = parse_config(f"[workshop]\nSandbox = true\n[cost]\n{key} = {value}\n", source="t.ini")
    assert any(p.section == "cost" for p in config.problems)


@pytest.mark.parametrize(("value", "text"), [(1234.5, "$1,234"), (12.4, "$12.40"), (0.0031, "$0.0031"),
                                              (0, "$0"), (None, "n/a")])
def test_money_is_written_with_useful_digits(value: float | None, text: str) -> None:
    assert cost.money(value) == text

"""The gateway paths in the core: config, the usage plan's boundaries, the resource policy,
invocation timings, quota figures, comparison settings, statistics, cost and policies."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workshop import policies, stats
from workshop.compare import RunSettings
from workshop.config import bind_sandbox, default_config, dump_config, parse_config
from workshop.cost import CostSettings, estimate
from workshop.errors import ConfigError, InputError
from workshop.gateway import limit_of, period_bounds, quota_status
from workshop.results import InvocationResult
from workshop.sandbox import gateway_facts as facts
from workshop.sandbox.gateway import ApiRejection, ApiSettings, UsagePlan, resource_policy_allows
from workshop.workbench import Workbench

from .conftest import CONVERSE_BODY, HAIKU, MESSAGES_BODY

STAGE = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"


# ------------------------------------------------------------------ config


def _path_problems(text: str) -> list[str]:
    return [str(p) for p in parse_config(text).problems]


def test_an_api_gateway_path_reads_every_gateway_key() -> None:
    config = parse_config(f"[path gw]\nKind = api-gateway\nEndpointURL = {STAGE}\nApiKey = abcdefghijklmnopqrstu\n"
                          "ApiId = a1b2c3d4e5\nUsagePlanId = u1p2l3a4n5\nApiKeyId = k1e2y3i4d5\n")
    assert config.problems == ()
    gw = config.path("gw").gateway
    assert (gw.auth, gw.api_id, gw.usage_plan_id, gw.api_key_id) == ("api-key", "a1b2c3d4e5", "u1p2l3a4n5",
                                                                     "k1e2y3i4d5")
    assert "abcdefghijklmnopqrstu" not in repr(config.path("gw"))  # the key never shows


@pytest.mark.parametrize("lines,field,words", [
    (f"EndpointURL = {STAGE}\n", "[path gw] ApiKey", "no ApiKey"),
    ("EndpointURL = https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com\nAuth = none\n", "[path gw] EndpointURL",
     "no stage"),
    ("EndpointURL = https://vpce-0abc-def1.execute-api.us-east-1.vpce.amazonaws.com/prod\nAuth = none\n",
     "[path gw] EndpointURL", "needs the API id"),
    ("EndpointURL = https://bedrock-runtime.us-east-1.amazonaws.com/prod\nAuth = none\n", "[path gw] EndpointURL",
     "bedrock-runtime endpoint"),
    (f"EndpointURL = {STAGE}\nAuth = cognito\n", "[path gw] Auth", "not valid"),
    (f"EndpointURL = {STAGE}\nAuth = none\nApiId = ABC\n", "[path gw] ApiId", "not valid"),
    ("Auth = none\n", "[path gw] EndpointURL", "needs the API stage URL"),
])
def test_each_api_gateway_mistake_is_one_problem_naming_the_key(lines: str, field: str, words: str) -> None:
    config = parse_config(f"[path gw]\nKind = api-gateway\n{lines}")
    found = [p for p in config.problems if p.field == field]
    assert len(found) == 1 and words in found[0].message, config.problems
    with pytest.raises(ConfigError):
        config.path("gw")


def test_an_llm_gateway_path_needs_its_url_and_a_valid_upstream() -> None:
    assert any("gateway's URL" in p for p in _path_problems("[path g]\nKind = llm-gateway\n"))
    problems = _path_problems("[path g]\nKind = llm-gateway\nEndpointURL = https://gw.example:5380\n"
                              "UpstreamURL = http://bedrock-runtime.us-east-1.amazonaws.com\n")
    assert len(problems) == 1 and "UpstreamURL" in problems[0] and "http" in problems[0]


def test_the_api_key_is_encrypted_on_save_and_read_back(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("WORKSHOP_CONFIG_KEY", "")
    monkeypatch.delenv("WORKSHOP_CONFIG_KEY")
    key_file = tmp_path / "config.key"
    config = parse_config(f"[path gw]\nKind = api-gateway\nEndpointURL = {STAGE}\nApiKey = abcdefghijklmnopqrstu\n")
    text = dump_config(config, encrypt=True, key_file=key_file)
    assert "abcdefghijklmnopqrstu" not in text and "ApiKey = enc:" in text
    again = parse_config(text, key_file=key_file)
    assert again.path("gw").gateway.api_key == "abcdefghijklmnopqrstu"


def test_binding_the_sandbox_fills_the_gateway_fixtures_but_keeps_a_wrong_key(gw_sandbox) -> None:
    bound = bind_sandbox(default_config(), gw_sandbox).paths
    api, llm = bound["api-gateway"], bound["llm-gateway"]
    assert api.endpoint_url == gw_sandbox.gateway_endpoints["api-gateway"]
    assert (api.gateway.api_key, api.gateway.api_id) == (facts.API_KEY, facts.API_ID)
    assert llm.endpoint_url == gw_sandbox.gateway_endpoints["llm-gateway"]
    assert llm.gateway.upstream_url == gw_sandbox.endpoints["nat"]
    config = parse_config("[workshop]\nSandbox = true\n[path gw]\nKind = api-gateway\nApiKey = wrong-but-mine\n")
    assert bind_sandbox(config, gw_sandbox).paths["gw"].gateway.api_key == "wrong-but-mine"


# ------------------------------------------------------------------ usage plan and resource policy


class Clock:
    """Wall and monotonic time the test moves by hand (no sleeping)."""

    def __init__(self, start: dt.datetime) -> None:
        self.wall = start.timestamp()
        self.tick = 0.0

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.tick += seconds


def test_a_quota_resets_at_the_start_of_the_next_period() -> None:
    clock = Clock(dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=dt.UTC))
    plan = UsagePlan(ApiSettings(quota_limit=2, quota_period="DAY"), clock=lambda: clock.wall,
                     ticker=lambda: clock.tick)
    plan.admit("k")
    plan.admit("k")
    with pytest.raises(ApiRejection) as over:
        plan.admit("k")
    assert (over.value.status, over.value.body) == (429, {"message": "Limit Exceeded"})
    assert plan.remaining("k") == 0
    clock.advance(1)  # midnight UTC
    plan.admit("k")
    assert plan.remaining("k") == 1


def test_the_bucket_refills_at_the_rate_up_to_the_burst() -> None:
    clock = Clock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    plan = UsagePlan(ApiSettings(rate_limit=2.0, burst_limit=3), clock=lambda: clock.wall, ticker=lambda: clock.tick)
    for _ in range(3):
        plan.admit("k")
    with pytest.raises(ApiRejection) as throttled:
        plan.admit("k")
    assert throttled.value.body == {"message": "Too Many Requests"}
    clock.advance(0.5)  # one token back at 2 per second
    plan.admit("k")
    with pytest.raises(ApiRejection):
        plan.admit("k")
    clock.advance(100)  # never more than the burst
    for _ in range(3):
        plan.admit("k")
    with pytest.raises(ApiRejection):
        plan.admit("k")


def test_throttled_calls_use_no_quota() -> None:
    clock = Clock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    plan = UsagePlan(ApiSettings(quota_limit=10, rate_limit=0.0, burst_limit=1), clock=lambda: clock.wall,
                     ticker=lambda: clock.tick)
    plan.admit("k")
    for _ in range(5):
        with pytest.raises(ApiRejection):
            plan.admit("k")
    assert plan.remaining("k") == 9


@pytest.mark.parametrize("now,period,offset,start,end", [
    ("2026-11-29T13:00", "DAY", 0, "2026-11-29", "2026-11-30"),
    ("2026-11-29T13:00", "WEEK", 0, "2026-11-29", "2026-12-06"),  # a Sunday: a Sunday week starts today
    ("2026-11-29T13:00", "WEEK", 1, "2026-11-23", "2026-11-30"),  # Monday weeks
    ("2026-11-29T13:00", "MONTH", 0, "2026-11-01", "2026-12-01"),
    ("2026-11-03T13:00", "MONTH", 5, "2026-10-06", "2026-11-06"),  # before this month's offset day
    ("2026-12-31T23:00", "MONTH", 0, "2026-12-01", "2027-01-01"),
])
def test_quota_periods_follow_api_gateways_offsets(now, period, offset, start, end) -> None:
    got = period_bounds(dt.datetime.fromisoformat(now).replace(tzinfo=dt.UTC), period, offset)
    assert (got[0].date().isoformat(), got[1].date().isoformat()) == (start, end)


def test_the_generated_resource_policy_allows_only_the_named_endpoint() -> None:
    policy = policies.apigw_private_policy(["vpce-0a1b2c3d4e5f60718"], "a1b2c3d4e5", region="us-east-1",
                                           account="111122223333")
    arn = "arn:aws:execute-api:us-east-1:111122223333:a1b2c3d4e5/prod/POST/bedrock"

    def allows(vpce: str | None) -> bool:
        return resource_policy_allows(policy, action="execute-api:Invoke", resource=arn, source_vpce=vpce,
                                      principal_arn=None)

    assert allows("vpce-0a1b2c3d4e5f60718")
    assert not allows("vpce-0f9e8d7c6b5a49382") and not allows(None)
    allow_only = {"Statement": [s for s in policy["Statement"] if s["Effect"] == "Allow"]}
    assert resource_policy_allows(allow_only, action="execute-api:Invoke", resource=arn,
                                  source_vpce="vpce-0f9e8d7c6b5a49382", principal_arn=None)  # seed 001's warning


def test_the_private_api_policy_refuses_bad_input_naming_the_field() -> None:
    with pytest.raises(InputError, match="vpce-id"):
        policies.apigw_private_policy([])
    with pytest.raises(InputError) as bad:
        policies.apigw_private_policy(["vpce-0a1b2c3d4e5f60718"], "NOT-AN-ID")
    assert bad.value.field == "api-id"


def test_the_lambda_policy_is_least_privilege() -> None:
    doc = policies.gateway_lambda_policy("us-east-1", [HAIKU], account_id="111122223333",
                                         log_group="/workshop/proxy", bucket="proxy-logs", prefix="p")
    resources = [s["Resource"] for s in doc["Statement"]]
    assert all(r != "*" for r in resources)
    assert f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}" in str(resources)
    assert "arn:aws:s3:::proxy-logs/p/AWSLogs/111122223333/BedrockModelInvocationLogs/*" in resources
    assert not any("iam:" in str(s["Action"]) or "bedrock:*" in str(s["Action"]) for s in doc["Statement"])


# ------------------------------------------------------------------ through the workbench


@pytest.fixture(scope="module")
def bench():
    with Workbench.open(no_delay=True, sandbox_process=False) as wb:
        yield wb


def test_the_api_gateway_paths_timings_add_up(bench) -> None:
    first = bench.invoke("api-gateway", HAIKU, MESSAGES_BODY, "invoke", enforce_quota=False)
    warm = bench.invoke("api-gateway", HAIKU, CONVERSE_BODY, "converse", enforce_quota=False)
    for result in (first, warm):
        assert result.ok and result.output_text and result.http_status == 200
        parts = result.gateway_ms + result.upstream_ms + (result.init_ms or 0.0)
        assert parts == pytest.approx(result.client_ms)
        assert result.overhead_ms == pytest.approx(result.client_ms - result.server_ms)
        assert result.upstream_ms >= result.server_ms
    assert first.init_ms is not None and warm.init_ms is None  # the cold start, apart, once


def test_a_stream_through_the_proxy_is_one_clear_error(bench) -> None:
    with pytest.raises(InputError) as err:
        bench.invoke("api-gateway", HAIKU, MESSAGES_BODY, "invoke-stream", enforce_quota=False)
    assert err.value.field == "api" and "invoke and converse" in err.value.message


def test_a_comparison_with_the_proxy_refuses_a_streaming_api() -> None:
    kinds = {"nat": "nat", "api-gateway": "api-gateway"}
    with pytest.raises(InputError) as err:
        RunSettings(paths=("nat", "api-gateway"), model_id=HAIKU, api="converse-stream", path_kinds=kinds)
    assert err.value.field == "api"
    RunSettings(paths=("nat", "api-gateway"), model_id=HAIKU, api="converse", path_kinds=kinds)


def test_a_quota_429_says_which_limit_what_remains_and_when_it_resets() -> None:
    config = parse_config("[workshop]\nSandbox = true\n[sandbox]\nNoDelay = true\nApiQuotaLimit = 1\n")
    with Workbench.open(config, sandbox_process=False) as wb:
        assert wb.invoke("api-gateway", HAIKU, MESSAGES_BODY, enforce_quota=False).ok
        over = wb.invoke("api-gateway", HAIKU, MESSAGES_BODY, enforce_quota=False)
        status = quota_status(wb.client("api-gateway"), over)
        now = wb.sandbox.gateways.api.plan.now()
    assert (over.http_status, over.error_code, limit_of(over)) == (429, "LimitExceededException", "quota")
    assert "period resets" in over.error_hint
    assert (status.limit, status.quota_limit, status.period, status.remaining) == ("quota", 1, "DAY", 0)
    assert status.resets_at == period_bounds(now, "DAY")[1]
    assert "Limit Exceeded" in status.sentence() and "0 remaining" in status.sentence()


def test_a_throttle_429_is_told_apart_from_the_quota() -> None:
    config = parse_config("[workshop]\nSandbox = true\n[sandbox]\nNoDelay = true\nApiRateLimit = 0\n"
                          "ApiBurstLimit = 1\n")
    with Workbench.open(config, sandbox_process=False) as wb:
        wb.invoke("api-gateway", HAIKU, MESSAGES_BODY, enforce_quota=False)
        over = wb.invoke("api-gateway", HAIKU, MESSAGES_BODY, enforce_quota=False)
        status = quota_status(wb.client("api-gateway"), over)
    assert (over.error_code, limit_of(over), status.limit) == ("TooManyRequestsException", "throttle", "throttle")
    assert status.rate_limit == 0.0 and status.burst_limit == 1
    assert "Too Many Requests" in status.sentence()


def test_no_quota_figures_for_other_results() -> None:
    ok = InvocationResult(path="api-gateway", model_id=HAIKU, api="invoke", http_status=200)
    assert limit_of(ok) is None
    bedrock_throttle = InvocationResult(path="nat", model_id=HAIKU, api="invoke", http_status=429,
                                        error_code="ThrottlingException")
    assert limit_of(bedrock_throttle) is None


def test_a_wrong_api_key_is_a_403_with_a_hint_naming_apikey() -> None:
    config = parse_config("[workshop]\nSandbox = true\n[sandbox]\nNoDelay = true\n"
                          "[path api-gateway]\nKind = api-gateway\nApiKey = not-the-sandbox-key\n")
    with Workbench.open(config, sandbox_process=False) as wb:
        result = wb.invoke("api-gateway", HAIKU, MESSAGES_BODY, enforce_quota=False)
    assert (result.http_status, result.error_code) == (403, "ForbiddenException")
    assert "ApiKey" in result.error_hint
    assert "not-the-sandbox-key" not in repr(result) + str(result.to_dict())


# ------------------------------------------------------------------ statistics and cost


def _frame() -> pd.DataFrame:
    rows = []
    rng = np.random.default_rng(3)
    for i in range(40):
        for path in ("nat", "api-gateway"):
            server = 300.0 + rng.normal(0, 5)
            gateway = path == "api-gateway"
            upstream = server + 2.0 if gateway else math.nan
            hop = 10.0 if gateway else math.nan
            client = server + (hop + 2.0 if gateway else 4.0)
            cold = i == 0
            init = 250.0 if gateway and cold else math.nan
            rows.append({"path": path, "warmup": cold, "cold": cold, "error_code": None, "retries": 0,
                         "client_ms": client + (0 if math.isnan(init) else init), "server_ms": server,
                         "overhead_ms": client - server + (0 if math.isnan(init) else init),
                         "gateway_ms": hop, "upstream_ms": upstream, "init_ms": init, "credentials_ms": 0.0,
                         "output_tokens": 20, "input_tokens": 10, "request_bytes": 200, "response_bytes": 600,
                         "started_at": pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(seconds=i)})
    return pd.DataFrame(rows)


def test_the_decomposition_splits_a_gateway_paths_overhead_and_shows_its_cold_start() -> None:
    d = stats.decomposition(_frame()).set_index(["path", "call", "component"])["ms"]
    assert d[("api-gateway", "typical call", "gateway hop")] == pytest.approx(10.0)
    assert d[("api-gateway", "typical call", "network overhead")] == pytest.approx(2.0)
    assert d[("api-gateway", "first call", "cold start")] == pytest.approx(250.0)
    assert ("nat", "typical call", "gateway hop") not in d.index  # the direct paths keep their three parts
    assert d[("nat", "typical call", "network overhead")] == pytest.approx(4.0)


def test_the_summary_keeps_the_hop_and_the_cold_init() -> None:
    summary = stats.summarize(_frame())
    assert summary.loc["api-gateway", "gateway_ms_p50"] == pytest.approx(10.0)
    assert summary.loc["api-gateway", "upstream_overhead_ms_p50"] == pytest.approx(2.0)
    assert summary.loc["api-gateway", "cold_init_ms"] == pytest.approx(250.0)
    assert math.isnan(summary.loc["nat", "gateway_ms_p50"])
    assert stats.path_label("api-gateway") == "API Gateway" and stats.path_label("llm-gateway") == "LLM gateway"


def test_the_decomposition_chart_has_a_colour_for_every_part_and_path() -> None:
    from workshop import charts

    assert set(stats.DECOMPOSITION_COMPONENTS) <= set(charts.PART_COLORS)
    assert {"API Gateway", "LLM gateway"} <= set(charts.PATH_COLORS)
    assert not set(charts.PART_COLORS.values()) & set(charts.PATH_COLORS.values())
    spec = charts.decomposition_chart_of(stats.decomposition(_frame())).to_dict()
    assert "gateway hop" in str(spec) and "cold start" in str(spec)


def test_the_cost_prices_the_proxy_per_request_and_per_second_waited() -> None:
    means = {"request_bytes": 200, "response_bytes": 600, "input_tokens": 10, "output_tokens": 20}
    est = estimate({"api-gateway": {**means, "upstream_ms": 1000.0}, "llm-gateway": means},
                   kinds={"api-gateway": "api-gateway", "llm-gateway": "llm-gateway"}, model_id=HAIKU,
                   region="us-east-1", settings=CostSettings(calls_per_month=1_000_000, lambda_memory_mb=1024))
    lines = {line.item: line for line in est.paths["api-gateway"].data}
    assert lines["API Gateway REST requests"].monthly == pytest.approx(3.50)
    assert lines["Lambda requests"].monthly == pytest.approx(0.20)
    duration = next(line for item, line in lines.items() if item.startswith("Lambda duration"))
    assert duration.quantity == pytest.approx(1_000_000)  # 1 s x 1 GB per call
    host = est.paths["llm-gateway"].fixed[0]
    assert "assumed" in host.item and host.unit_price == pytest.approx(0.0208)
    overridden = CostSettings.from_mapping({"GatewayHosts": "1", "GatewayHostHourly": "0.5", "LambdaMemoryMB": "256"})
    assert (overridden.gateway_hosts, overridden.network["gateway_host_hour"], overridden.lambda_memory_mb) == (1, 0.5,
                                                                                                              256)
    with pytest.raises(ConfigError, match="LambdaMemoryMB"):
        CostSettings.from_mapping({"LambdaMemoryMB": "64"})


def test_an_api_key_header_is_redacted_wherever_text_leaves_the_process() -> None:
    from workshop.secrets import redact

    assert facts.API_KEY not in redact(f"headers={{'x-api-key': '{facts.API_KEY}'}}")
    assert redact(f"X-Api-Key: {facts.API_KEY}") == "X-Api-Key: [REDACTED]"


def test_invoking_with_debug_logging_never_logs_the_api_key(bench, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    result = bench.invoke("api-gateway", HAIKU, MESSAGES_BODY, "invoke", enforce_quota=False)
    assert result.ok and caplog.records  # something was logged, and the key was not in it
    assert facts.API_KEY not in caplog.text
    assert facts.API_KEY not in str(result.to_dict(include_body=True))

"""The gateway paths on the console's pages (AppTest): Invoke through both, its hop and cold
start, a usage plan's quota figures after a 429, and Setup adding and editing a gateway path."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.ui.conftest import SETUP, fast_sandbox, goto, open_app, texts
from tests.ui.test_invoke import click_invoke, invoke_page, metrics


def _on(at: AppTest, path: str, api: str = "invoke") -> AppTest:
    at.selectbox(key="w:path").set_value(path).run()
    at.radio(key="w:api").set_value(api).run()
    return at


def test_invoke_through_the_api_gateway_splits_the_hop_and_shows_the_cold_start() -> None:
    at = _on(invoke_page(fast_sandbox()), "api-gateway")
    click_invoke(at)
    result = at.session_state["last_result"]
    assert result.ok and result.path == "api-gateway" and result.output_text in texts(at)
    figures = metrics(at)
    assert {"Gateway hop", "Gateway → Bedrock", "Cold start"} <= set(figures)
    assert figures["Gateway hop"].endswith("ms")
    page = texts(at)
    assert "gateway hop" in page and "server (model) time" in page  # the bar's parts, named in its caption
    assert "modelled, not measured on AWS" in page
    click_invoke(at)  # the same environment again: warm
    assert metrics(at)["Cold start"] == "warm"


def test_invoke_through_the_llm_gateway_answers_with_its_hop() -> None:
    at = _on(invoke_page(fast_sandbox()), "llm-gateway", "converse")
    click_invoke(at)
    result = at.session_state["last_result"]
    assert result.ok and result.gateway_ms is not None
    assert "Gateway hop" in metrics(at)
    assert "signed for bedrock-runtime exactly as on the NAT path" in texts(at)


def test_a_stream_through_the_api_gateway_cannot_be_started_and_says_why() -> None:
    at = _on(invoke_page(fast_sandbox()), "api-gateway", "invoke-stream")
    [button] = [b for b in at.button if b.label == "Invoke"]
    assert button.disabled
    assert "carries invoke and converse, not invoke-stream" in "\n".join(w.value for w in at.warning)


def test_a_quota_429_shows_which_limit_what_remains_and_when_it_resets() -> None:
    at = _on(invoke_page(fast_sandbox(ApiQuotaLimit="0")), "api-gateway")
    click_invoke(at)
    result = at.session_state["last_result"]
    assert (result.http_status, result.error_code) == (429, "LimitExceededException")
    page = texts(at)
    assert "Usage-plan quota used up" in page and "Limit Exceeded" in page
    figures = metrics(at)
    assert figures["Remaining quota"] == "0"
    assert figures["Quota resets"].endswith("00:00 UTC")
    assert figures["Throttle"] == "100/s, burst 200"


def test_a_throttle_429_is_named_as_the_throttle() -> None:
    at = _on(invoke_page(fast_sandbox(ApiRateLimit="0", ApiBurstLimit="0")), "api-gateway")
    click_invoke(at)
    page = texts(at)
    assert "Usage-plan throttle" in page and "Too Many Requests" in page
    assert metrics(at)["Throttle"] == "0/s, burst 0"


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def _aws_config() -> object:
    from workshop.config import parse_config

    return parse_config("[workshop]\nRegion = us-east-1\n[path nat]\nKind = nat\n", source="aws.properties")


def test_setup_adds_a_gateway_path_and_names_its_missing_fields() -> None:
    at = goto(open_app(_aws_config(), label="aws.properties"), SETUP)
    [add] = [b for b in at.button if b.label == "Add api-gateway path"]
    add.click().run()
    assert not at.exception, at.exception
    config = at.session_state["config"]
    assert config.paths["api-gateway"].kind == "api-gateway"
    assert at.radio(key="w:setup_path").value == "api-gateway"
    shown = errors(at)
    assert "Endpoint URL: this api-gateway path needs the API stage URL" in shown
    assert "API key: Auth = api-key but no ApiKey is set" in shown
    assert at.text_input(key="w:setup:api-gateway:api_key").value == ""  # write-only


def test_setup_applies_a_gateway_path_and_keeps_the_key_out_of_the_page() -> None:
    at = goto(open_app(_aws_config(), label="aws.properties"), SETUP)
    [add] = [b for b in at.button if b.label == "Add api-gateway path"]
    add.click().run()
    key = "aSecretApiKeyValue0123456789"
    at.text_input(key="w:setup:api-gateway:endpoint_url").input(
        "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod")
    at.text_input(key="w:setup:api-gateway:api_key").input(key)
    at.selectbox(key="w:setup:api-gateway:mode").set_value("instance").run()
    [apply] = [b for b in at.button if b.label == "Apply changes"]
    apply.click().run()
    assert not at.exception, at.exception
    path = at.session_state["config"].paths["api-gateway"]
    assert path.gateway.api_key == key and path.endpoint_url.endswith("/prod")
    assert at.text_input(key="w:setup:api-gateway:api_key").value == ""  # cleared once applied
    assert key not in texts(at)

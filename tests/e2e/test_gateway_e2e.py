"""The gateway paths in a real browser: invoke through the private API Gateway + Lambda proxy
and through the LLM gateway, and see the hop each one adds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import ConsoleServer
from tests.e2e.test_walkthrough import wait_idle

pytestmark = pytest.mark.e2e


def _invoke_through(page: object, path_label: str, api: str) -> None:
    from playwright.sync_api import expect

    page.get_by_test_id("stSelectbox").filter(has_text="Access path").click()
    page.get_by_role("option", name=path_label).click()
    page.get_by_test_id("stRadio").filter(has_text="invoke-stream").get_by_text(api, exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name="Invoke").click()
    expect(page.get_by_text("Timing breakdown")).to_be_visible(timeout=30_000)
    wait_idle(page)


def test_invoke_through_both_gateways_shows_the_hop_they_add(
    console_server: ConsoleServer, page: object, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    page.goto(console_server.url)
    nav = page.get_by_test_id("stSidebarUserContent")
    nav.get_by_role("link", name=re.compile("Model & prompt")).click()
    expect(page.get_by_text("Valid claude-messages request body.")).to_be_visible()
    nav.get_by_role("link", name=re.compile("Invoke")).click()
    expect(page.get_by_role("heading", level=1).filter(has_text="4. Invoke")).to_be_visible()

    # The private API + Lambda proxy: a stream is refused up front, invoke answers with the split.
    page.get_by_test_id("stSelectbox").filter(has_text="Access path").click()
    page.get_by_role("option", name="Private API Gateway + Lambda proxy").click()
    page.get_by_test_id("stRadio").filter(has_text="invoke-stream").get_by_text("invoke-stream", exact=True).click()
    expect(page.get_by_text(re.compile("carries invoke and converse, not invoke-stream"))).to_be_visible()
    expect(page.get_by_role("button", name="Invoke")).to_be_disabled()
    _invoke_through(page, "Private API Gateway + Lambda proxy", "invoke")
    for label in ("Gateway hop", "Gateway → Bedrock", "Cold start", "Server time", "Total"):
        expect(page.get_by_test_id("stMetricLabel").filter(has_text=label).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"gateway hop [\d.,]+ ms")).first).to_be_visible()
    expect(page.get_by_text("modelled, not measured on AWS").first).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=str(artifacts / "gateway-1-api-gateway.png"), full_page=True)

    # The LLM gateway: signed for bedrock-runtime, forwarded unchanged, its hop shown.
    _invoke_through(page, "LLM gateway (forwarding)", "converse")
    expect(page.get_by_text(re.compile("signed for bedrock-runtime exactly as on the NAT path"))).to_be_visible()
    expect(page.get_by_test_id("stMetricLabel").filter(has_text="Gateway hop").first).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=str(artifacts / "gateway-2-llm-gateway.png"), full_page=True)

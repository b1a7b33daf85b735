"""Diagnostics page (AppTest): each path's checks against the sandbox, and the policy generator."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/6_Diagnostics.py"


def fast_sandbox_config():
    """The built-in sandbox without simulated delay (the frame's Workbench reads [sandbox] NoDelay)."""
    from workshop.config import default_config

    return replace(default_config(), sandbox_settings={"NoDelay": "true"})


def open_diagnostics() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.session_state["config"] = fast_sandbox_config()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def policy_json(at: AppTest) -> dict:
    assert at.code, "no policy shown"
    return json.loads(at.code[-1].value)


def test_page_renders_with_the_frame_and_all_five_paths_preselected() -> None:
    at = open_diagnostics()
    assert at.title[0].value.endswith("6. Diagnostics")
    assert at.multiselect(key="w:diag.paths").value == ["nat", "vpce", "cross-account", "api-gateway", "llm-gateway"]


def run_checks(at: AppTest) -> dict:
    at.button(key="diag-run").click().run()
    job = at.session_state["diag.job"]
    assert job.wait(60), "diagnostics did not finish"
    at.run()  # run_every never ticks in AppTest
    assert not at.exception, [e.value for e in at.exception]
    return job.snapshot().result


def test_diagnostics_show_every_paths_checks_and_cross_account_runs_as_account_b() -> None:
    at = open_diagnostics()
    results = run_checks(at)
    assert list(results) == ["nat", "vpce", "cross-account", "api-gateway", "llm-gateway"]
    assert [t.label for t in at.tabs] == ["pass · nat", "pass · vpce", "pass · cross-account", "pass · api-gateway",
                                          "pass · llm-gateway"]
    tables = [df.value for df in at.dataframe if "check" in df.value.columns]
    assert len(tables) == 5
    for table in tables:
        assert table["check"].tolist() == ["DNS resolution", "TCP connect", "TLS handshake", "Caller identity",
                                           "Model access"]
        assert "FAIL" not in table["status"].tolist()
        # The sandbox speaks plain HTTP: the TLS row says so instead of showing "None".
        assert table.set_index("check").loc["TLS handshake", "time (ms)"] == "no TLS (plain HTTP on loopback)"
    # DNS: every address classified (the sandbox answers on loopback, labelled as such).
    addresses = [df.value for df in at.dataframe if "address" in df.value.columns]
    assert addresses and all(set(a["kind"]) == {"sandbox"} for a in addresses)
    accounts = [m.value for m in at.metric if m.label == "Account"]
    # api-gateway authenticates with an API key: no identity of its own (the proxy Lambda's role calls Bedrock).
    assert accounts == ["111122223333", "111122223333", "444455556666", "111122223333"]
    arns = [m.value for m in at.markdown if m.value.startswith("**Caller ARN**")]
    assert "`arn:aws:sts::444455556666:assumed-role/BedrockCrossAccountRole/" in arns[2]
    assert "modelled, not measured on AWS" in " ".join(c.value for c in at.caption)


def test_a_failing_check_shows_its_fix() -> None:
    from workshop.config import DEFAULT_MODEL

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.session_state["config"] = replace(fast_sandbox_config(), sandbox_settings={
        "NoDelay": "true", "NotEnabled": DEFAULT_MODEL})
    at.switch_page(PAGE)
    at.run()
    at.multiselect(key="w:diag.paths").set_value(["nat"]).run()
    results = run_checks(at)
    assert not results["nat"].ok
    assert [t.label for t in at.tabs] == ["FAIL · nat"]
    table = next(df.value for df in at.dataframe if "check" in df.value.columns)
    assert table.set_index("check").loc["Model access", "status"] == "FAIL"
    failed = [e for e in at.expander if e.label.startswith("Model access")]
    assert failed and failed[0].label.endswith("and fix")
    assert any(m.value.startswith("**Fix:**") for m in failed[0].markdown)


def test_invoke_policy_is_prefilled_from_the_config_and_parses() -> None:
    at = open_diagnostics()
    doc = policy_json(at)
    assert doc["Version"] == "2012-10-17"
    resources = json.dumps(doc["Statement"])
    assert "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0" in resources
    assert {"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"} <= set(doc["Statement"][0]["Action"])
    assert "Download JSON" in {b.label for b in at.get("download_button")}


def test_trust_policy_names_account_a_and_the_external_id() -> None:
    at = open_diagnostics()
    at.selectbox(key="w:policy.kind").set_value("trust").run()
    doc = policy_json(at)
    statement = doc["Statement"][0]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "workshop-external-id"}}
    # The ExternalId field is masked on screen.
    assert at.text_input(key="w:policy.external_id").proto.type == 1  # PASSWORD


@pytest.mark.parametrize(
    ("kind", "field", "value", "named"),
    [
        ("invoke", "region", "moon-1", "region"),
        ("deny-outside-vpce", "vpce_ids", "vpc-123", "vpce-id"),
        ("trust", "trusted", "12345", "trusted-account"),
        ("vpce", "principals", "", "principal"),
    ],
)
def test_bad_policy_input_gets_one_message_naming_the_field(kind: str, field: str, value: str, named: str) -> None:
    at = open_diagnostics()
    at.selectbox(key="w:policy.kind").set_value(kind).run()
    widget = at.text_area(key=f"w:policy.{field}") if field in ("vpce_ids", "principals", "models") else \
        at.text_input(key=f"w:policy.{field}")
    widget.set_value(value).run()
    assert not at.exception
    assert len(at.error) == 1
    assert named in at.error[0].value


def test_deny_outside_vpce_and_logging_documents_parse_once_fields_are_filled() -> None:
    at = open_diagnostics()
    at.selectbox(key="w:policy.kind").set_value("deny-outside-vpce").run()
    at.text_area(key="w:policy.vpce_ids").set_value("vpce-0123456789abcdef0").run()
    doc = policy_json(at)
    assert doc["Statement"][0]["Condition"]["StringNotEquals"] == {"aws:SourceVpce": "vpce-0123456789abcdef0"}
    at.selectbox(key="w:policy.kind").set_value("logging").run()
    assert at.error and "bucket" in at.error[0].value  # no bucket yet: named
    at.text_input(key="w:policy.bucket").set_value("workshop-logs").run()
    docs = policy_json(at)
    assert set(docs) == {"role_trust_policy", "role_permissions_policy", "bucket_policy"}
    # What was typed survives switching kinds.
    at.selectbox(key="w:policy.kind").set_value("deny-outside-vpce").run()
    assert at.text_area(key="w:policy.vpce_ids").value == "vpce-0123456789abcdef0"

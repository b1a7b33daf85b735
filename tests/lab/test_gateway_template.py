"""infra/gateway/template.yaml, checked like the rest of infra/: cfn-lint, checkov, and the
documents in it compared with what the policy generator says (so deployed and generated agree).
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from workshop import policies

from .conftest import INFRA, ROOT, tool

TEMPLATE = INFRA / "gateway" / "template.yaml"


def _load() -> dict[str, Any]:
    """The template as data (cfn-lint's loader understands the short-form intrinsics)."""
    from cfnlint.decode import decode_str

    template, matches = decode_str(TEMPLATE.read_text(encoding="utf-8"))
    assert not matches, matches
    return template


def test_cfn_lint_passes_on_the_gateway_template() -> None:
    run = subprocess.run([tool("cfn-lint"), "--format", "parseable", str(TEMPLATE)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.fixture(scope="module")
def checkov_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    directory = tmp_path_factory.mktemp("gateway")
    (directory / "template.yaml").write_text(TEMPLATE.read_text())
    run = subprocess.run([tool("checkov"), "-d", str(directory), "--framework", "cloudformation", "--skip-download",
                          "-o", "json"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert run.stdout.strip(), run.stderr[-2000:]
    report = json.loads(run.stdout)
    return report[0] if isinstance(report, list) else report


def test_checkov_finds_no_failed_check_in_the_gateway_template(checkov_report: dict) -> None:
    failed = checkov_report["results"]["failed_checks"]
    assert failed == [], [(c["check_id"], c["resource"]) for c in failed]
    assert checkov_report["summary"]["passed"] > 30


def test_every_skipped_check_is_justified_in_the_template_and_the_guide(checkov_report: dict) -> None:
    guide = (ROOT / "docs" / "gateway.md").read_text(encoding="utf-8")
    skipped = checkov_report["results"]["skipped_checks"]
    assert skipped
    for check in skipped:
        comment = (check.get("check_result") or {}).get("suppress_comment", "")
        assert len(comment) > 40, check["check_id"]
        resource = check["resource"].split(".")[-1]
        assert f"| {check['check_id']} | `{resource}` |" in guide, (check["check_id"], resource)


def test_the_lambda_runs_the_handler_file_on_a_runtime_whose_boto3_has_converse() -> None:
    function = _load()["Resources"]["ProxyFunction"]["Properties"]
    assert function["Handler"] == "handler.handler"
    assert (INFRA / "gateway" / "handler.py").is_file()
    assert function["Runtime"] in ("python3.12", "python3.13")
    assert function["Timeout"] <= 29  # not past API Gateway's integration timeout
    method = _load()["Resources"]["BedrockPost"]["Properties"]
    assert method["ApiKeyRequired"] is True and method["Integration"]["Type"] == "AWS_PROXY"


def _sub_text(value: Any) -> str:
    """The text of a Fn::Sub (or a plain string)."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    return value


def test_the_private_apis_resource_policy_is_the_generated_one() -> None:
    policy = _load()["Resources"]["PrivateApi"]["Properties"]["Policy"]
    generated = policies.apigw_private_policy(["vpce-0123456789abcdef0"])
    deployed = json.loads(json.dumps(policy).replace('{"Ref": "ExecuteApiEndpoint"}', '"vpce-0123456789abcdef0"'))
    assert deployed == generated


def test_the_lambdas_role_allows_what_the_generator_allows_and_nothing_more() -> None:
    role = _load()["Resources"]["FunctionRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    generated = policies.gateway_lambda_policy("us-east-1", ["anthropic.claude-3-haiku-20240307-v1:0"],
                                               account_id="111122223333", log_group="/workshop/s/bedrock-proxy",
                                               bucket="proxy-logs", prefix="proxy")["Statement"]
    actions = {json.dumps(sorted(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])) for s in statements}
    wanted = {json.dumps(sorted(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])) for s in generated}
    assert wanted <= actions
    extra = actions - wanted
    assert extra == {json.dumps(["kms:Decrypt", "kms:GenerateDataKey"])}  # the log's KMS key, template-only
    for statement in statements:
        resource = _sub_text(statement["Resource"])
        text = json.dumps(resource)
        assert "*" not in statement["Action"] and text != '"*"'
        assert not re.search(r"bedrock:\$\{AWS::Region\}::foundation-model/\*", text)
    assert "AWSLambdaVPCAccessExecutionRole" in json.dumps(role["ManagedPolicyArns"])


def test_the_outputs_give_every_value_the_path_needs() -> None:
    outputs = _load()["Outputs"]
    assert {"StageUrl", "ApiId", "ExecuteApiEndpointId", "UsagePlanId", "ApiKeyId"} <= set(outputs)
    assert _sub_text(outputs["StageUrl"]["Value"]).endswith("/prod")


def test_the_handler_file_needs_nothing_beyond_the_lambda_runtime() -> None:
    text = (INFRA / "gateway" / "handler.py").read_text(encoding="utf-8")
    imported = set(re.findall(r"^\s*(?:from|import) ([a-z_][\w]*)", text, re.MULTILINE))
    assert imported <= {"__future__", "base64", "datetime", "json", "os", "time", "uuid", "collections", "typing",
                        "boto3", "botocore"}, imported
    assert "workshop" not in imported  # the deployed file cannot import the console

"""AWS's and the community's checkers on every template: cfn-lint (no error, no warning) and
checkov (no failed check; each skipped one justified in the template and in docs/lab.md).

The linters run as subprocesses under the loopback-only guard; checkov is told not to
download anything (--skip-download), so nothing tries to leave the machine.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from workshop import lab

from .conftest import CONSOLE_REPOSITORY, INFRA, ROOT, tool


def _variants(tmp: Path) -> list[Path]:
    """The checked-in templates plus renderings that switch every condition on."""
    central = {"CentralAccountId": "444455556666",
               "CentralRoleArn": "arn:aws:iam::444455556666:role/bedrock-lab-central-invoke",
               "CentralExternalId": "bedrock-lab-ext", "CentralVpcId": "vpc-0123456789abcdef0",
               "CentralVpcCidr": "10.30.0.0/16",
               "CentralPeerRoleArn": "arn:aws:iam::444455556666:role/bedrock-lab-central-peering",
               "CentralEndpointDns": "vpce-0123456789abcdef0-abcd1234.bedrock-runtime.eu-west-1.vpce.amazonaws.com"}
    everything = lab.TemplateOptions(
        region="eu-west-1", models=("eu.anthropic.claude-3-haiku-20240307-v1:0", "amazon.nova-lite-v1:0"),
        participants=tuple(f"p-{i}" for i in range(1, 6)),
        parameters={**central, "PrivateDnsEnabled": "true", "NatGateways": "per-az", "CreateStsEndpoint": "true",
                    "CreateBedrockEndpoint": "true", "ConsoleRepository": CONSOLE_REPOSITORY})
    files = [INFRA / "participant-account.yaml", INFRA / "central-account.yaml"]
    rendered = {
        "participant-all.yaml": lab.render_template("participant", everything),
        "central-routed.yaml": lab.render_template("central", lab.TemplateOptions(
            region="eu-west-1", parameters={"ParticipantAccountId": "111122223333", "ExternalId": "x-123",
                                            "PeeringConnectionId": "pcx-0123456789abcdef0"})),
    }
    for name, text in rendered.items():
        (tmp / name).write_text(text)
        files.append(tmp / name)
    return files


def test_cfn_lint_passes_on_every_template_and_rendering(tmp_path: Path) -> None:
    cfn_lint = tool("cfn-lint")
    files = _variants(tmp_path)
    run = subprocess.run([cfn_lint, "--format", "parseable", *map(str, files)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr  # any error (2) or warning (4) fails


def test_cfn_lint_does_fail_on_a_broken_template(tmp_path: Path) -> None:
    # The check above can fail: a template with a wrong property is reported.
    cfn_lint = tool("cfn-lint")
    broken = tmp_path / "broken.yaml"
    broken.write_text((INFRA / "central-account.yaml").read_text().replace("EnableDnsHostnames:", "EnableDnsHostname:"))
    run = subprocess.run([cfn_lint, str(broken)], capture_output=True, text=True, timeout=300)
    assert run.returncode != 0 and "EnableDnsHostname" in run.stdout


def _checkov(directory: Path) -> dict:
    checkov = tool("checkov")
    run = subprocess.run([checkov, "-d", str(directory), "--framework", "cloudformation", "--skip-download",
                          "-o", "json"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert run.stdout.strip(), run.stderr[-2000:]
    report = json.loads(run.stdout)
    return report[0] if isinstance(report, list) else report


@pytest.fixture(scope="module")
def checkov_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    directory = tmp_path_factory.mktemp("infra")
    for path in _variants(directory):
        if path.parent != directory:
            (directory / path.name).write_text(path.read_text())
    return _checkov(directory)


def test_checkov_finds_no_failed_check(checkov_report: dict) -> None:
    failed = checkov_report["results"]["failed_checks"]
    assert failed == [], [(c["check_id"], c["resource"], c["file_path"]) for c in failed]
    assert checkov_report["summary"]["passed"] > 50  # it really looked at the templates


def test_every_checkov_skip_has_a_reason_and_is_justified_in_the_guide(checkov_report: dict) -> None:
    guide = (ROOT / "docs" / "lab.md").read_text(encoding="utf-8")
    skipped = checkov_report["results"]["skipped_checks"]
    assert skipped, "the central template skips three checks on purpose"
    for check in skipped:
        comment = (check.get("check_result") or {}).get("suppress_comment", "")
        assert len(comment) > 40, check["check_id"]
        resource = check["resource"].split(".")[-1]
        assert f"| {check['check_id']} | `{resource}` |" in guide, (check["check_id"], resource)


def test_checkov_flags_an_ssh_rule_so_the_clean_run_means_something(tmp_path: Path) -> None:
    text = (INFRA / "participant-account.yaml").read_text().replace(
        "      SecurityGroupEgress:\n        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0,",
        "      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0, "
        "Description: ssh}\n      SecurityGroupEgress:\n        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, "
        "CidrIp: 0.0.0.0/0,", 1)
    assert "FromPort: 22" in text
    (tmp_path / "participant.yaml").write_text(text)
    failed = {c["check_id"] for c in _checkov(tmp_path)["results"]["failed_checks"]}
    assert "CKV_AWS_24" in failed  # "no security groups allow ingress from 0.0.0.0:0 to port 22"

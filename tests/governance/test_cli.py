"""``python -m workshop policy`` and ``diagnose`` as a user runs them: a real subprocess,
valid JSON on stdout, exit 1 when a check fails, exit 2 with exactly one line on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """\
[workshop]
Region = eu-west-1
DefaultPath = vpce

[path nat]
Kind = nat
CredentialMode = instance

[path vpce]
Kind = vpce
EndpointURL = https://vpce-0123456789abcdef0-abcd1234.bedrock-runtime.eu-west-1.vpce.amazonaws.com
CredentialMode = assume-role
RoleARN = arn:aws:iam::111122223333:role/BedrockWorkshopRole

[path cross-account]
Kind = cross-account
CredentialMode = assume-role
RoleARN = arn:aws:iam::444455556666:role/BedrockCrossAccountRole
ExternalId = workshop-external-id

[models]
Claude-3-Haiku = anthropic.claude-3-haiku-20240307-v1:0
Claude-35-Haiku = eu.anthropic.claude-3-5-haiku-20241022-v1:0
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    # The autouse fixture already isolated os.environ (HOME, AWS_*, no proxies): inherit it.
    return subprocess.run([sys.executable, "-m", "workshop", *args], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=120)


def error_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.strip()]


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "workshop.ini"
    path.write_text(CONFIG, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- policy


def test_policy_invoke_prints_valid_json_for_the_chosen_models() -> None:
    proc = run("policy", "invoke", "--region", "us-east-1", "--model", "anthropic.claude-3-haiku-20240307-v1:0",
               "--model", "amazon.nova-lite-v1:0")
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["Statement"][0]["Resource"] == [
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0",
    ]


def test_policy_invoke_takes_region_models_and_role_account_from_the_config(config_file: Path) -> None:
    proc = run("policy", "invoke", "--config", str(config_file), "--path", "cross-account")
    assert proc.returncode == 0, proc.stderr
    fms, profiles = json.loads(proc.stdout)["Statement"]
    assert "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0" in fms["Resource"]
    assert profiles["Resource"] == (
        "arn:aws:bedrock:eu-west-1:444455556666:inference-profile/eu.anthropic.claude-3-5-haiku-20241022-v1:0")


def test_policy_vpce_lists_the_principals() -> None:
    role = "arn:aws:iam::444455556666:role/BedrockCrossAccountRole"
    proc = run("policy", "vpce", "--principal", role, "--principal", "111122223333")
    assert proc.returncode == 0, proc.stderr
    statement = json.loads(proc.stdout)["Statement"][0]
    assert statement["Principal"]["AWS"] == [role, "arn:aws:iam::111122223333:root"]


def test_policy_vpce_from_the_config_uses_its_roles(config_file: Path) -> None:
    proc = run("policy", "vpce", "--config", str(config_file))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["Statement"][0]["Principal"]["AWS"] == [
        "arn:aws:iam::111122223333:role/BedrockWorkshopRole",
        "arn:aws:iam::444455556666:role/BedrockCrossAccountRole",
    ]


def test_policy_deny_outside_vpce_reads_the_endpoint_id_from_the_config(config_file: Path) -> None:
    proc = run("policy", "deny-outside-vpce", "--config", str(config_file))
    assert proc.returncode == 0, proc.stderr
    condition = json.loads(proc.stdout)["Statement"][0]["Condition"]
    assert condition["StringNotEquals"] == {"aws:SourceVpce": "vpce-0123456789abcdef0"}


def test_policy_trust_takes_the_external_id_from_the_config(config_file: Path) -> None:
    proc = run("policy", "trust", "--trusted-account", "111122223333", "--config", str(config_file))
    assert proc.returncode == 0, proc.stderr
    statement = json.loads(proc.stdout)["Statement"][0]
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "workshop-external-id"}}
    assert "BedrockCrossAccountRole" in proc.stderr  # where to attach it


def test_policy_logging_prints_the_three_documents_or_just_one() -> None:
    args = ("policy", "logging", "--account", "111122223333", "--region", "us-east-1", "--log-group", "bedrock",
            "--bucket", "my-log-bucket", "--prefix", "logs")
    everything = json.loads(run(*args).stdout)
    assert set(everything) == {"role_trust_policy", "role_permissions_policy", "bucket_policy"}
    only = run(*args, "--only", "bucket", "--compact")
    assert only.returncode == 0
    assert json.loads(only.stdout) == everything["bucket_policy"]
    assert len(only.stdout.strip().splitlines()) == 1


@pytest.mark.parametrize(("args", "field"), [
    (("invoke", "--region", "us-east-1", "--model", "Claude 3"), "model"),
    (("invoke", "--region", "us-east-1"), "model"),
    (("invoke", "--model", "anthropic.claude-3-haiku-20240307-v1:0"), "region"),
    (("invoke", "--region", "north-pole", "--model", "anthropic.claude-3-haiku-20240307-v1:0"), "region"),
    (("invoke", "--region", "us-east-1", "--model", "anthropic.claude-3-haiku-20240307-v1:0", "--account", "12"),
     "account"),
    (("vpce",), "principal"),
    (("vpce", "--principal", "arn:aws:iam::111122223333:policy/x"), "principal"),
    (("deny-outside-vpce", "--vpce-id", "vpc-123"), "vpce-id"),
    (("trust", "--trusted-account", "1111"), "trusted-account"),
    (("trust",), "trusted-account"),
    (("trust", "--trusted-account", "111122223333", "--external-id", "a b"), "external-id"),
    (("logging", "--account", "111122223333", "--region", "us-east-1", "--log-group", "g", "--bucket", "B!"),
     "bucket"),
])
def test_policy_bad_input_exits_2_with_one_line_naming_the_field(args: tuple[str, ...], field: str) -> None:
    proc = run("policy", *args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = error_lines(proc)
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"error: {field}:")


def test_policy_deny_outside_vpce_without_an_id_in_the_sandbox_config_says_to_pass_one(tmp_path: Path) -> None:
    config = tmp_path / "sandbox.ini"
    config.write_text("[workshop]\nSandbox = true\n", encoding="utf-8")
    proc = run("policy", "deny-outside-vpce", "--config", str(config))
    assert proc.returncode == 2
    assert len(error_lines(proc)) == 1
    assert "--vpce-id" in proc.stderr


# --------------------------------------------------------------------------- diagnose


def test_diagnose_json_on_the_sandbox_proves_every_path() -> None:
    proc = run("diagnose", "--json")
    assert proc.returncode == 0, proc.stderr
    diagnoses = {d["path"]: d for d in json.loads(proc.stdout)}
    assert set(diagnoses) == {"nat", "vpce", "cross-account", "api-gateway", "llm-gateway"}
    assert all(d["ok"] for d in diagnoses.values())
    assert diagnoses["cross-account"]["identity"]["account"] == "444455556666"
    assert diagnoses["nat"]["identity"]["account"] == "111122223333"
    assert {a["kind"] for d in diagnoses.values() for a in d["addresses"]} == {"sandbox"}


def test_diagnose_table_shows_each_check_and_the_sandbox_label() -> None:
    proc = run("diagnose", "--path", "vpce")
    assert proc.returncode == 0, proc.stderr
    for text in ("PASS  DNS resolution", "PASS  TCP connect", "SKIP  TLS handshake", "PASS  Caller identity",
                 "PASS  Model access", "the sandbox (loopback)"):
        assert text in proc.stdout


def test_diagnose_exits_1_and_prints_the_fix_when_a_model_is_not_enabled() -> None:
    proc = run("diagnose", "--path", "cross-account", "--model", "anthropic.claude-3-opus-20240229-v1:0")
    assert proc.returncode == 1
    assert "FAIL  Model access" in proc.stdout
    assert "fix: model access is not enabled" in proc.stdout


@pytest.mark.parametrize(("args", "expected"), [
    (("--path", "nope"), "unknown path"),
    (("--model", "Not A Model"), "model"),
])
def test_diagnose_bad_input_exits_2_with_one_line(args: tuple[str, ...], expected: str) -> None:
    proc = run("diagnose", *args)
    assert proc.returncode == 2
    lines = error_lines(proc)
    assert len(lines) == 1, proc.stderr
    assert expected in lines[0]

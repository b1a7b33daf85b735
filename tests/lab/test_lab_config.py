"""`lab config` on describe-stacks output in AWS's real format (the fixtures in data/ hold
what moto cannot produce: AWS's endpoint DNS names, two accounts, a NoEcho-free
ExternalId in Parameters), and the CLI around it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workshop import lab
from workshop.cli import main
from workshop.config import load_config
from workshop.errors import InputError

from .conftest import DATA

A = DATA / "participant-outputs.json"
B = DATA / "central-outputs.json"


def edited(path: Path, tmp: Path, change: Any) -> Path:
    data = json.loads(path.read_text())
    change(data["Stacks"][0])
    target = tmp / path.name
    target.write_text(json.dumps(data))
    return target


def test_real_outputs_give_the_three_paths_with_their_endpoints_and_role() -> None:
    built = lab.lab_config(lab.load_stack(A), lab.load_stack(B))
    paths = built.config.paths
    assert paths["nat"].endpoint_url is None
    assert paths["vpce"].endpoint_url == \
        "https://vpce-01abf5d3c7e9a2b46-5v6yqz0s.bedrock-runtime.us-east-1.vpce.amazonaws.com"
    cross = paths["cross-account"]
    assert cross.endpoint_url == "https://vpce-0c2e4a6b8d0f13579-q3w7e9r1.bedrock-runtime.us-east-1.vpce.amazonaws.com"
    assert cross.credentials.kind == "assume-role"
    assert cross.credentials.role_arn == "arn:aws:iam::444455556666:role/bedrock-lab-central-invoke"
    assert cross.credentials.external_id == "bedrock-lab-Zx9"
    assert built.config.models == {"Claude-3-Haiku": "anthropic.claude-3-haiku-20240307-v1:0"}
    assert built.config.region == "us-east-1" and not built.config.sandbox


def test_account_a_outputs_alone_are_enough() -> None:
    # Account A's stack echoes what it was rendered with from account B's outputs.
    alone = lab.lab_config(lab.load_stack(A)).config
    both = lab.lab_config(lab.load_stack(A), lab.load_stack(B)).config
    assert alone.paths == both.paths


def test_the_outputs_list_from_a_query_works_too(tmp_path: Path) -> None:
    outputs = json.loads(A.read_text())["Stacks"][0]["Outputs"]
    target = tmp_path / "outputs.json"
    target.write_text(json.dumps(outputs))
    assert lab.lab_config(lab.load_stack(target)).config.paths["vpce"].endpoint_url


def test_private_dns_on_is_reported_as_the_trap(tmp_path: Path) -> None:
    def dns_on(stack: dict) -> None:
        for o in stack["Outputs"]:
            if o["OutputKey"] == "PrivateDnsEnabled":
                o["OutputValue"] = "true"

    built = lab.lab_config(lab.load_stack(edited(A, tmp_path, dns_on)))
    assert any("nat path goes through PrivateLink" in n for n in built.notes)


def test_without_peering_the_cross_account_path_uses_the_public_endpoint(tmp_path: Path) -> None:
    def unpeered(stack: dict) -> None:
        stack["Outputs"] = [o for o in stack["Outputs"] if o["OutputKey"] not in ("CentralEndpointDns",
                                                                                   "PeeringConnectionId")]

    built = lab.lab_config(lab.load_stack(edited(A, tmp_path, unpeered)))
    assert built.config.paths["cross-account"].endpoint_url is None
    assert any("not peered" in n for n in built.notes)


def test_optional_sts_and_bedrock_endpoints_are_used_by_the_paths_that_need_them(tmp_path: Path) -> None:
    sts = "vpce-0d1e2f3a4b5c6d7e8-k2l3m4n5.sts.us-east-1.vpce.amazonaws.com"
    control = "vpce-0e1f2a3b4c5d6e7f8-p6q7r8s9.bedrock.us-east-1.vpce.amazonaws.com"

    def endpoints(stack: dict) -> None:
        stack["Outputs"] += [{"OutputKey": "StsEndpointDns", "OutputValue": sts},
                             {"OutputKey": "BedrockEndpointDns", "OutputValue": control}]

    paths = lab.lab_config(lab.load_stack(edited(A, tmp_path, endpoints))).config.paths
    assert paths["vpce"].credentials.sts_endpoint == f"https://{sts}"
    assert paths["vpce"].control_endpoint_url == f"https://{control}"
    assert paths["cross-account"].credentials.sts_endpoint == f"https://{sts}"  # AssumeRole stays private
    assert paths["nat"].credentials.sts_endpoint is None  # the public path stays public


def test_stacks_of_two_different_labs_are_refused(tmp_path: Path) -> None:
    def other_role(stack: dict) -> None:
        for o in stack["Outputs"]:
            if o["OutputKey"] == "CrossAccountRoleArn":
                o["OutputValue"] = "arn:aws:iam::444455556666:role/someone-else"

    with pytest.raises(InputError) as caught:
        lab.lab_config(lab.load_stack(A), lab.load_stack(edited(B, tmp_path, other_role)))
    assert caught.value.field == "--central-outputs" and "someone-else" in caught.value.message


def test_a_non_aws_endpoint_name_is_refused_with_the_expected_form(tmp_path: Path) -> None:
    def moto_like(stack: dict) -> None:
        for o in stack["Outputs"]:
            if o["OutputKey"] == "BedrockRuntimeEndpointDns":
                o["OutputValue"] = "vpce-01abf5d3c7e9a2b46-5v6yqz0s.com.amazonaws.us-east-1.bedrock-runtime"

    with pytest.raises(InputError) as caught:
        lab.lab_config(lab.load_stack(edited(A, tmp_path, moto_like)))
    assert "vpce.amazonaws.com" in (caught.value.fix or "")


@pytest.mark.parametrize(("text", "fix"), [
    ("not json", "describe-stacks"),
    ('{"Stacks": []}', "describe-stacks"),
    ('{"Stacks": [{"StackName": "a"}, {"StackName": "b"}]}', "--stack-name"),
])
def test_unreadable_outputs_get_one_clear_error(text: str, fix: str) -> None:
    with pytest.raises(InputError) as caught:
        lab.read_stack(text, source="x.json")
    assert fix in (caught.value.fix or "") and caught.value.source == "x.json"


# --------------------------------------------------------------------------- CLI


def test_cli_lab_config_writes_an_encrypted_config_that_loads(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out, key = tmp_path / "lab.properties", tmp_path / "k"
    code = main(["lab", "config", "--outputs", str(A), "--central-outputs", str(B), "--out", str(out),
                 "--key-file", str(key)])
    assert code == 0
    captured = capsys.readouterr()
    assert "nat, vpce, cross-account" in captured.out and str(key) in captured.err
    text = out.read_text()
    assert "bedrock-lab-Zx9" not in text and "444455556666" not in text and "enc:" in text
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    config = load_config(out, key_file=key)
    assert config.paths["cross-account"].credentials.external_id == "bedrock-lab-Zx9"


def test_cli_lab_config_without_out_prints_the_config(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    assert main(["lab", "config", "--outputs", str(A), "--no-encrypt"]) == 0
    printed = capsys.readouterr().out
    assert "[path vpce]" in printed and "vpce-01abf5d3c7e9a2b46" in printed


def test_cli_missing_file_is_one_line_and_exit_2(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    assert main(["lab", "config", "--outputs", str(tmp_path / "nope.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "describe-stacks" in err[0]


def test_cli_template_central_requires_account_a(capsys: pytest.CaptureFixture) -> None:
    assert main(["lab", "template", "central"]) == 2
    assert "--participant-account" in capsys.readouterr().err


def test_cli_template_participant_from_central_outputs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "a.yaml"
    assert main(["lab", "template", "participant", "--central-outputs", str(B), "--participants", "2",
                 "--console-repository", "https://git.example.com/w.git", "--out", str(out)]) == 0
    text = out.read_text()
    assert "Participant2Instance:" in text and 'Default: "vpc-0b1c2d3e4f5a6b7c8"' in text


def test_cli_template_central_generates_an_external_id(capsys: pytest.CaptureFixture) -> None:
    assert main(["lab", "template", "central", "--participant-account", "111122223333"]) == 0
    captured = capsys.readouterr()
    assert '    Default: "bedrock-lab-' in captured.out and "ExternalId" in captured.err


def test_cli_logging_prints_the_put_call(capsys: pytest.CaptureFixture) -> None:
    assert main(["lab", "logging", "--central-outputs", str(B), "--profile", "central"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("aws bedrock put-model-invocation-logging-configuration --region us-east-1 "
                            "--profile central --logging-config ")
    assert "bedrock-lab-invocation-logs-444455556666-us-east-1" in first


def test_cli_peer_route_names_the_peering_connection(capsys: pytest.CaptureFixture) -> None:
    assert main(["lab", "peer-route", "--outputs", str(A)]) == 0
    assert "ParameterValue=pcx-04d5e6f7a8b9c0d1e" in capsys.readouterr().out


def test_cli_teardown_removes_a_before_b_and_names_the_retained_logs(capsys: pytest.CaptureFixture) -> None:
    assert main(["lab", "teardown", "--central-outputs", str(B), "--participant-profile", "a",
                 "--central-profile", "b"]) == 0
    lines = capsys.readouterr().out.splitlines()
    deletes = [line for line in lines if "delete-stack" in line]
    assert "bedrock-lab-participants" in deletes[0] and "bedrock-lab-central" in deletes[1]
    assert "LOG_BUCKET=bedrock-lab-invocation-logs-444455556666-us-east-1" in lines
    assert any("delete-model-invocation-logging-configuration" in line for line in lines)
    assert lines.index(next(x for x in lines if "delete-model-invocation" in x)) < lines.index(deletes[1])


def test_cli_teardown_without_outputs_reads_names_before_deleting(capsys: pytest.CaptureFixture) -> None:
    assert main(["lab", "teardown"]) == 0
    lines = capsys.readouterr().out.splitlines()
    bucket = next(line for line in lines if line.startswith("LOG_BUCKET="))
    assert "describe-stacks --stack-name bedrock-lab-central" in bucket
    assert lines.index(bucket) < max(i for i, line in enumerate(lines) if "delete-stack" in line)

"""Fixtures for the lab: the linters, and both templates deployed into moto's CloudFormation.

moto deploys the templates unmodified, with one gap filled: it has no ``DnsEntries``
attribute for ``AWS::EC2::VPCEndpoint`` (an output using it is silently dropped, a
resource using it fails). ``_aws_dns_entries`` supplies it in AWS's documented form,
``<hosted-zone-id>:vpce-<id>-<suffix>.<service>.<region>.vpce.amazonaws.com``, built from
the endpoint moto created — so the outputs and the instances' user data carry the real
shape of the value, and every other attribute is moto's own.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
INFRA = ROOT / "infra"
REGION = "us-east-1"
EXAMPLE_KEYS = {"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
                "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
EXTERNAL_ID = "bedrock-lab-test-external-id"
CONSOLE_REPOSITORY = "https://git.example.com/workshop/bedrock-workshop.git"


def tool(name: str) -> str:
    """Path of a linter: cfn-lint from .venv, checkov from the tools venv (.venv/tools).

    Missing locally: the test is skipped. Missing with ``$CI`` set: the test fails, because
    `make test` installs both and a green run must mean the templates were checked.
    """
    candidates = [ROOT / ".venv" / "bin" / name, ROOT / ".venv" / "tools" / "bin" / name]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{name} is missing and $CI is set: `make test` installs it (infra/requirements-tools.txt, "
                    "requirements-dev.txt)")
    pytest.skip(f"{name} is not installed (make test installs it)")


def _patch_moto_dns_entries() -> None:
    from moto.ec2.models.vpcs import VPCEndPoint

    if getattr(VPCEndPoint, "_workshop_dns_entries", False):
        return

    def get_cfn_attribute(self: Any, name: str) -> Any:
        if name != "DnsEntries":
            raise NotImplementedError(name)  # what moto's base class does for every attribute
        service = self.service_name.rsplit(".", 1)[1]          # com.amazonaws.<region>.<service>
        region = self.service_name.split(".")[2]
        entries = []
        for entry in self.dns_entries or []:
            suffix = entry["dns_name"].split(".", 1)[0].rsplit("-", 1)[1]
            entries.append(f"{entry['hosted_zone_id']}:{self.id}-{suffix}.{service}.{region}.vpce.amazonaws.com")
        return entries

    VPCEndPoint.get_cfn_attribute = get_cfn_attribute  # type: ignore[method-assign]
    VPCEndPoint._workshop_dns_entries = True  # type: ignore[attr-defined]


@dataclass
class Deployed:
    """Both stacks in one moto account, and clients to look at what they created."""

    central: dict[str, Any]
    participant: dict[str, Any]
    clients: dict[str, Any]
    central_template: str
    participant_template: str

    def outputs(self, which: str) -> dict[str, str]:
        stack = self.central if which == "central" else self.participant
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

    def describe(self, which: str) -> str:
        """The stack exactly as `aws cloudformation describe-stacks` prints it (JSON)."""
        stack = self.central if which == "central" else self.participant
        return json.dumps({"Stacks": [stack]}, default=str)


def decode(text: str) -> dict[str, Any]:
    """A template as plain data (short-form tags become Fn:: dicts), by cfn-lint's own reader."""
    from cfnlint.decode import decode_str

    template, problems = decode_str(text)
    assert not problems, problems
    return json.loads(json.dumps(template))


def _create(cf: Any, name: str, body: str, parameters: dict[str, str]) -> dict[str, Any]:
    # Every parameter is passed explicitly: moto forgets defaults, so a later update with
    # UsePreviousValue (what `lab peer-route` prints) would find no previous value there.
    defaults = {k: str(v["Default"]) for k, v in decode(body)["Parameters"].items() if "Default" in v}
    parameters = {**defaults, **parameters}
    cf.create_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_NAMED_IAM"],
                    Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    stack = cf.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    return stack


@pytest.fixture(scope="module")
def deployed() -> Iterator[Deployed]:
    """Account B's template, then account A's rendered from B's outputs (2 participants,
    peered), deployed into moto like the guide's commands do on AWS."""
    import boto3
    from moto import mock_aws

    from workshop import lab

    _patch_moto_dns_entries()
    with mock_aws():
        session = boto3.Session(region_name=REGION, **EXAMPLE_KEYS)
        clients = {name: session.client(name) for name in ("cloudformation", "ec2", "iam", "s3", "bedrock")}
        cf = clients["cloudformation"]
        central_template = lab.render_template("central", lab.TemplateOptions(parameters={
            "ParticipantAccountId": "123456789012", "ExternalId": EXTERNAL_ID}))
        central = _create(cf, lab.DEFAULT_CENTRAL_STACK, central_template, {})
        central_outputs = lab.read_stack(json.dumps({"Stacks": [central]}, default=str), source="moto")
        params = lab.template_parameters_from_central(central_outputs)
        params["ConsoleRepository"] = CONSOLE_REPOSITORY
        participant_template = lab.render_template("participant", lab.TemplateOptions(
            participants=("alice", "bob"), parameters=params))
        participant = _create(cf, lab.DEFAULT_PARTICIPANT_STACK, participant_template, {})
        yield Deployed(central, participant, clients, central_template, participant_template)

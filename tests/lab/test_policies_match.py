"""The IAM documents inside the templates are the ones workshop/policies.py generates.

Two renderings, compared as JSON text (key order included, so "byte for byte" up to
whitespace): what moto's IAM and EC2 hold after deploying the templates, and — for the
one document moto's CloudFormation cannot create (AWS::S3::BucketPolicy) — the template's
own document with its ${...} resolved to the deployed values.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

import pytest

from workshop import lab, policies
from workshop.config import DEFAULT_MODEL

from .conftest import EXTERNAL_ID, REGION, Deployed, decode

# moto warns that it does not create AWS::S3::BucketPolicy (compared from the template instead).
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS..S3..BucketPolicy:UserWarning")

ACCOUNT = "123456789012"  # moto's account: both stacks live in it here


def same(actual: Any, expected: Any) -> None:
    assert json.dumps(actual) == json.dumps(expected)


def resolve(value: Any, names: dict[str, str]) -> Any:
    """Fn::Sub / Ref / Fn::GetAtt of a template value, from ``names`` (enough for policies)."""
    if isinstance(value, list):
        return [resolve(v, names) for v in value]
    if isinstance(value, dict):
        if set(value) == {"Fn::Sub"}:
            return re.sub(r"\$\{([\w:.]+)\}", lambda m: names[m.group(1)], value["Fn::Sub"])
        if set(value) == {"Ref"}:
            return names[value["Ref"]]
        if set(value) == {"Fn::GetAtt"}:
            return names[".".join(value["Fn::GetAtt"])]
        return {k: resolve(v, names) for k, v in value.items()}
    return value


def _document(value: Any) -> dict[str, Any]:
    """A policy as moto returns it. moto keeps documents that CloudFormation passed it as
    the Python repr of the parsed dict (AWS returns JSON): read that back as structure."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return ast.literal_eval(value)


def _endpoint_policy(deployed: Deployed, which: str) -> dict[str, Any]:
    vpc = deployed.outputs(which)["VpcId"]
    found = deployed.clients["ec2"].describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    runtime = next(e for e in found["VpcEndpoints"] if e["ServiceName"].endswith(".bedrock-runtime"))
    return _document(runtime["PolicyDocument"])


def _inline(deployed: Deployed, role: str, policy: str) -> dict[str, Any]:
    return _document(deployed.clients["iam"].get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"])


def test_participant_role_holds_exactly_the_invoke_policy(deployed: Deployed) -> None:
    same(_inline(deployed, "bedrock-lab-participant", "invoke-workshop-models"),
         policies.invoke_policy(REGION, [DEFAULT_MODEL]))


def test_participant_endpoint_policy_is_the_vpce_policy_for_the_participant_role(deployed: Deployed) -> None:
    role_arn = deployed.outputs("participant")["ParticipantRoleArn"]
    same(_endpoint_policy(deployed, "participant"), policies.vpce_policy([role_arn]))


def test_central_endpoint_policy_admits_only_the_cross_account_role(deployed: Deployed) -> None:
    role_arn = deployed.outputs("central")["CrossAccountRoleArn"]
    same(_endpoint_policy(deployed, "central"), policies.vpce_policy([role_arn]))


def test_cross_account_role_trusts_account_a_with_the_external_id(deployed: Deployed) -> None:
    role = deployed.clients["iam"].get_role(RoleName="bedrock-lab-central-invoke")["Role"]
    same(role["AssumeRolePolicyDocument"], policies.trust_policy(ACCOUNT, EXTERNAL_ID))
    same(_inline(deployed, "bedrock-lab-central-invoke", "invoke-workshop-models"),
         policies.invoke_policy(REGION, [DEFAULT_MODEL]))


def test_logging_role_documents_are_the_generated_ones(deployed: Deployed) -> None:
    b = deployed.outputs("central")
    expected = policies.logging_policies(ACCOUNT, REGION, b["LogGroupName"], b["LogBucketName"], lab.LOG_KEY_PREFIX)
    role = deployed.clients["iam"].get_role(RoleName="bedrock-lab-bedrock-invocation-logging")["Role"]
    same(role["AssumeRolePolicyDocument"], expected["role_trust_policy"])
    same(_inline(deployed, "bedrock-lab-bedrock-invocation-logging", "write-invocation-logs"),
         expected["role_permissions_policy"])


def test_bucket_policy_in_the_template_resolves_to_the_generated_one(deployed: Deployed) -> None:
    b = deployed.outputs("central")
    template = decode(deployed.central_template)
    document = template["Resources"]["InvocationLogBucketPolicy"]["Properties"]["PolicyDocument"]
    names = {"AWS::AccountId": ACCOUNT, "InvocationLogBucket": b["LogBucketName"], "LogGroupName": b["LogGroupName"]}
    expected = policies.logging_policies(ACCOUNT, REGION, b["LogGroupName"], b["LogBucketName"], lab.LOG_KEY_PREFIX)
    same(resolve(document, names), expected["bucket_policy"])


@pytest.mark.parametrize("models", [
    ("anthropic.claude-3-haiku-20240307-v1:0", "amazon.nova-lite-v1:0"),
    ("us.anthropic.claude-3-5-sonnet-20240620-v1:0",),
])
@pytest.mark.parametrize("region", ["us-east-1", "us-west-2"])
def test_rendered_templates_carry_the_generated_documents_for_other_inputs(models: tuple[str, ...],
                                                                           region: str) -> None:
    role = "arn:aws:iam::444455556666:role/x"
    names = {"AWS::AccountId": "444455556666", "ParticipantAccountId": "111122223333", "ExternalId": "ext-1",
             "InvocationLogBucket": "b-bucket", "LogGroupName": "/g", "ParticipantRole.Arn": role,
             "CrossAccountRole.Arn": role}
    options = lab.TemplateOptions(region=region, models=models, participants=("p-1", "p-2", "p-3"))
    a = decode(lab.render_template("participant", options))["Resources"]
    b = decode(lab.render_template("central", options))["Resources"]
    invoke = policies.invoke_policy(region, list(models))
    same(resolve(a["ParticipantRole"]["Properties"]["Policies"][0]["PolicyDocument"], names), invoke)
    same(resolve(b["CrossAccountRole"]["Properties"]["Policies"][0]["PolicyDocument"], names), invoke)
    same(resolve(a["BedrockRuntimeEndpoint"]["Properties"]["PolicyDocument"], names), policies.vpce_policy([role]))
    same(resolve(b["CrossAccountRole"]["Properties"]["AssumeRolePolicyDocument"], names),
         policies.trust_policy("111122223333", "ext-1"))
    logging = policies.logging_policies("444455556666", region, "/g", "b-bucket", lab.LOG_KEY_PREFIX)
    same(resolve(b["InvocationLogBucketPolicy"]["Properties"]["PolicyDocument"], names), logging["bucket_policy"])
    same(resolve(b["InvocationLoggingRole"]["Properties"]["AssumeRolePolicyDocument"], names),
         logging["role_trust_policy"])

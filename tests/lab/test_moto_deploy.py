"""Both templates deployed into moto's CloudFormation, then `lab config` on the result.

What moto checks here: every resource type and intrinsic function in the templates is
accepted and wired (Refs, GetAtts, Conditions, the SSM AMI parameter, the peering request
naming account B's VPC and role), the outputs the console needs exist and name the created
endpoint and role, and the config built from them loads. What moto cannot check is listed
in docs/lab.md ("What the offline checks cannot prove").
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from workshop import lab
from workshop.config import parse_config

from .conftest import EXAMPLE_KEYS, EXTERNAL_ID, Deployed

# moto warns that it does not create AWS::S3::BucketPolicy (compared from the template instead).
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS..S3..BucketPolicy:UserWarning")


def _endpoint(deployed: Deployed, vpc_id: str) -> dict[str, Any]:
    found = deployed.clients["ec2"].describe_vpc_endpoints(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    runtime = [e for e in found if e["ServiceName"].endswith(".bedrock-runtime")]
    assert len(runtime) == 1
    return runtime[0]


def test_lab_config_paths_point_at_the_created_endpoint_and_role(deployed: Deployed) -> None:
    a = lab.read_stack(deployed.describe("participant"), source="moto A")
    b = lab.read_stack(deployed.describe("central"), source="moto B")
    built = lab.lab_config(a, b)
    config = built.config
    assert list(config.paths) == ["nat", "vpce", "cross-account"]

    a_endpoint = _endpoint(deployed, deployed.outputs("participant")["VpcId"])
    vpce_url = config.paths["vpce"].endpoint_url
    assert vpce_url is not None
    assert re.fullmatch(rf"https://{a_endpoint['VpcEndpointId']}-[a-z0-9]+\.bedrock-runtime\.us-east-1\."
                        r"vpce\.amazonaws\.com", vpce_url)

    b_endpoint = _endpoint(deployed, deployed.outputs("central")["VpcId"])
    cross = config.paths["cross-account"]
    assert cross.endpoint_url is not None and b_endpoint["VpcEndpointId"] in cross.endpoint_url
    role = deployed.clients["iam"].get_role(RoleName="bedrock-lab-central-invoke")["Role"]
    assert cross.credentials.role_arn == role["Arn"]
    assert cross.credentials.external_id == EXTERNAL_ID
    assert config.paths["nat"].endpoint_url is None  # the public endpoint, through the NAT gateway
    assert built.notes == ()


def test_the_config_written_by_lab_config_loads_encrypted(deployed: Deployed, tmp_path: Any) -> None:
    from workshop.config import load_config, save_config

    built = lab.lab_config(lab.read_stack(deployed.describe("participant")), lab.read_stack(deployed.describe("central")))
    key = tmp_path / "config.key"
    target = save_config(built.config, tmp_path / "lab.properties", key_file=key)
    text = target.read_text()
    role_arn = built.config.paths["cross-account"].credentials.role_arn
    assert role_arn and role_arn not in text and EXTERNAL_ID not in text  # encrypted on disk
    loaded = load_config(target, key_file=key)
    assert [p for p in loaded.problems if p.severity == "error"] == []
    assert loaded.paths["cross-account"].credentials.role_arn == role_arn
    assert loaded.paths["vpce"].endpoint_url == built.config.paths["vpce"].endpoint_url


def test_each_instance_builds_the_same_config_from_its_user_data(deployed: Deployed) -> None:
    ec2 = deployed.clients["ec2"]
    reservations = ec2.describe_instances(
        Filters=[{"Name": "vpc-id", "Values": [deployed.outputs("participant")["VpcId"]]}])["Reservations"]
    instances = [i for r in reservations for i in r["Instances"]]
    assert len(instances) == 2
    expected = lab.lab_config(lab.read_stack(deployed.describe("participant"))).config
    names = set()
    for instance in instances:
        raw = ec2.describe_instance_attribute(InstanceId=instance["InstanceId"], Attribute="userData")
        script = base64.b64decode(raw["UserData"]["Value"]).decode()
        outputs = script.split("<<'JSON'\n", 1)[1].split("\nJSON\n", 1)[0]
        built = lab.lab_config(lab.read_stack(outputs, source="user data"))
        assert built.config.paths == expected.paths
        assert built.config.models == expected.models
        assert "--server.address 127.0.0.1" in script
        names.update(re.findall(r"^Environment=WORKSHOP_PARTICIPANT=(\S+)$", script, re.M))
    assert names == {"alice", "bob"}


def test_participants_alternate_between_the_two_private_subnets(deployed: Deployed) -> None:
    outputs = deployed.outputs("participant")
    ec2 = deployed.clients["ec2"]
    subnets = []
    for name in ("Participant1InstanceId", "Participant2InstanceId"):
        instance = ec2.describe_instances(InstanceIds=[outputs[name]])["Reservations"][0]["Instances"][0]
        subnet = ec2.describe_subnets(SubnetIds=[instance["SubnetId"]])["Subnets"][0]
        assert not subnet["MapPublicIpOnLaunch"]
        assert "PublicIpAddress" not in instance
        subnets.append(subnet["AvailabilityZone"])
    assert len(set(subnets)) == 2
    assert outputs["Participant1Name"] == "alice" and outputs["Participant2Name"] == "bob"
    assert f"--target {outputs['Participant1InstanceId']}" in outputs["Participant1Console"]


def test_the_peering_request_names_account_bs_vpc_and_both_sides_route(deployed: Deployed) -> None:
    ec2 = deployed.clients["ec2"]
    a, b = deployed.outputs("participant"), deployed.outputs("central")
    pcx = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[a["PeeringConnectionId"]])
    connection = pcx["VpcPeeringConnections"][0]
    assert connection["RequesterVpcInfo"]["VpcId"] == a["VpcId"]
    assert connection["AccepterVpcInfo"]["VpcId"] == b["VpcId"]
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [a["VpcId"]]}])["RouteTables"]
    routed = [t for t in tables if any(r.get("DestinationCidrBlock") == b["VpcCidr"] for r in t["Routes"])]
    assert len(routed) == 2  # both private route tables reach account B


def test_peer_route_command_updates_b_with_the_created_peering(deployed: Deployed) -> None:
    a = lab.read_stack(deployed.describe("participant"))
    update, wait = lab.peer_route_commands(a)
    pcx = deployed.outputs("participant")["PeeringConnectionId"]
    assert f"ParameterKey=PeeringConnectionId,ParameterValue={pcx}" in update
    section = deployed.central_template.split("\nParameters:\n", 1)[1].split("\n\n", 1)[0]
    template_parameters = re.findall(r"(?m)^  (\w+):$", section)
    assert set(template_parameters) == set(lab.CENTRAL_PARAMETERS)  # every other one kept as it was
    cf = deployed.clients["cloudformation"]
    cf.update_stack(StackName=lab.DEFAULT_CENTRAL_STACK, UsePreviousTemplate=True,
                    Capabilities=["CAPABILITY_NAMED_IAM"],
                    Parameters=[{"ParameterKey": "PeeringConnectionId", "ParameterValue": pcx}]
                    + [{"ParameterKey": p, "UsePreviousValue": True}
                       for p in lab.CENTRAL_PARAMETERS if p != "PeeringConnectionId"])
    outputs = {o["OutputKey"]: o["OutputValue"]
               for o in cf.describe_stacks(StackName=lab.DEFAULT_CENTRAL_STACK)["Stacks"][0]["Outputs"]}
    assert outputs["PeeringRouteBack"] == pcx
    assert "wait stack-update-complete" in wait


def test_logging_command_is_accepted_by_botocore_and_bedrock(deployed: Deployed) -> None:
    b = lab.read_stack(deployed.describe("central"))
    config = lab.logging_configuration(b)
    bedrock = deployed.clients["bedrock"]
    # botocore validates the shape against Bedrock's service model before moto sees it.
    bedrock.put_model_invocation_logging_configuration(loggingConfig=config)
    stored = bedrock.get_model_invocation_logging_configuration()["loggingConfig"]
    assert stored["cloudWatchConfig"]["logGroupName"] == "/aws/bedrock/modelinvocations"
    assert stored["s3Config"]["bucketName"] == deployed.outputs("central")["LogBucketName"]
    command = lab.logging_commands(b)[0]
    assert command.startswith("aws bedrock put-model-invocation-logging-configuration --region us-east-1")
    assert json.dumps(config, separators=(",", ":")) in command.replace("'", "")


def test_the_log_group_and_bucket_exist_under_the_names_the_outputs_give(deployed: Deployed) -> None:
    # moto's CloudFormation ignores a bucket's PublicAccessBlockConfiguration and has no
    # AWS::S3::BucketPolicy: checkov checks the first, test_policies the second.
    import boto3

    b = deployed.outputs("central")
    deployed.clients["s3"].head_bucket(Bucket=b["LogBucketName"])
    assert b["LogBucketName"] == "bedrock-lab-invocation-logs-123456789012-us-east-1"
    logs = boto3.Session(region_name="us-east-1", **EXAMPLE_KEYS).client("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix=b["LogGroupName"])["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/aws/bedrock/modelinvocations"]
    assert groups[0].get("retentionInDays") == 30


@pytest.mark.parametrize("missing", ["BedrockRuntimeEndpointDns", "Region"])
def test_lab_config_names_a_missing_output(deployed: Deployed, missing: str) -> None:
    from workshop.errors import InputError

    stack = json.loads(deployed.describe("participant"))
    stack["Stacks"][0]["Outputs"] = [o for o in stack["Stacks"][0]["Outputs"] if o["OutputKey"] != missing]
    with pytest.raises(InputError) as caught:
        lab.lab_config(lab.read_stack(json.dumps(stack), source="a.json"))
    assert missing in str(caught.value) and "a.json" in str(caught.value)


def test_a_config_from_moto_parses_back_unchanged(deployed: Deployed) -> None:
    from workshop.config import dump_config

    config = lab.lab_config(lab.read_stack(deployed.describe("participant")),
                            lab.read_stack(deployed.describe("central"))).config
    again = parse_config(dump_config(config, encrypt=False))
    assert again.paths == config.paths

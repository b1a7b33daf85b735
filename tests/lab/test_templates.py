"""Rendering the templates, and what they promise a participant: Session Manager only,
IMDSv2, the console on 127.0.0.1, private DNS chosen deliberately (off by default)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from workshop import lab
from workshop.errors import InputError

from .conftest import INFRA, decode


def resources(text: str) -> dict[str, Any]:
    return decode(text)["Resources"]


@pytest.mark.parametrize("name", ["participant", "central"])
def test_the_checked_in_templates_are_what_the_generator_renders(name: str) -> None:
    # The files in infra/ are the rendering for the default inputs: editing a generated
    # block by hand, or the generator without re-rendering, fails here.
    assert lab.render_template(name) == lab.template_path(name).read_text(encoding="utf-8")


def test_participants_get_one_instance_and_one_set_of_outputs_each() -> None:
    text = lab.render_template("participant", lab.TemplateOptions(participants=("ana", "ben", "chloe")))
    template = decode(text)
    instances = [k for k, v in template["Resources"].items() if v["Type"] == "AWS::EC2::Instance"]
    assert instances == ["Participant1Instance", "Participant2Instance", "Participant3Instance"]
    assert [template["Outputs"][f"Participant{i}Name"]["Value"] for i in (1, 2, 3)] == ["ana", "ben", "chloe"]
    subnets = [template["Resources"][i]["Properties"]["SubnetId"]["Ref"] for i in instances]
    assert subnets == ["PrivateSubnet1", "PrivateSubnet2", "PrivateSubnet1"]
    for i, name in enumerate(("ana", "ben", "chloe"), 1):
        user_data = template["Resources"][f"Participant{i}Instance"]["Properties"]["UserData"]["Fn::Base64"]["Fn::Sub"][0]
        assert f"Environment=WORKSHOP_PARTICIPANT={name}\n" in user_data
        assert "participant-1" not in user_data


def test_every_participant_instance_is_session_manager_only_with_imdsv2() -> None:
    template = decode(lab.render_template("participant", lab.TemplateOptions(participants=("a", "b"))))
    res = template["Resources"]
    for name in ("Participant1Instance", "Participant2Instance"):
        props = res[name]["Properties"]
        assert props["MetadataOptions"]["HttpTokens"] == "required"
        assert props["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
        assert "KeyName" not in props  # no SSH key
        assert props["SubnetId"]["Ref"].startswith("PrivateSubnet")
        assert all(m["Ebs"]["Encrypted"] for m in props["BlockDeviceMappings"])
        user_data = props["UserData"]["Fn::Base64"]["Fn::Sub"][0]
        assert re.search(r"--server\.address 127\.0\.0\.1 --server\.port \$\{ConsolePort\}", user_data)
    group = res["ParticipantSecurityGroup"]["Properties"]
    assert "SecurityGroupIngress" not in group  # nothing may connect in; Session Manager dials out
    assert [(r["FromPort"], r["ToPort"]) for r in group["SecurityGroupEgress"]] == [(443, 443)]
    managed = res["ParticipantRole"]["Properties"]["ManagedPolicyArns"]
    assert managed == [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"}]


def test_private_dns_is_a_parameter_off_by_default_and_drives_the_runtime_endpoint() -> None:
    template = decode(lab.template_path("participant").read_text())
    assert template["Parameters"]["PrivateDnsEnabled"]["Default"] == "false"
    assert template["Conditions"]["PrivateDns"] == {"Fn::Equals": [{"Ref": "PrivateDnsEnabled"}, "true"]}
    endpoint = template["Resources"]["BedrockRuntimeEndpoint"]["Properties"]
    assert endpoint["PrivateDnsEnabled"] == {"Fn::If": ["PrivateDns", True, False]}
    on = decode(lab.render_template("participant", lab.TemplateOptions(parameters={"PrivateDnsEnabled": "true"})))
    assert on["Parameters"]["PrivateDnsEnabled"]["Default"] == "true"


def test_endpoints_accept_https_from_the_vpc_only() -> None:
    a = resources(lab.template_path("participant").read_text())["EndpointSecurityGroup"]["Properties"]
    assert [(r["IpProtocol"], r["FromPort"], r["CidrIp"]) for r in a["SecurityGroupIngress"]] == [
        ("tcp", 443, {"Ref": "VpcCidr"})]
    b = resources(lab.template_path("central").read_text())["EndpointSecurityGroup"]["Properties"]
    assert [r["CidrIp"] for r in b["SecurityGroupIngress"]] == [{"Ref": "VpcCidr"}, {"Ref": "ParticipantVpcCidr"}]


def test_a_profile_model_pins_the_template_to_its_region() -> None:
    text = lab.render_template("participant", lab.TemplateOptions(
        region="eu-west-1", models=("eu.anthropic.claude-3-haiku-20240307-v1:0",)))
    rule = decode(text)["Rules"]["RenderedForRegion"]["Assertions"][0]
    assert rule["Assert"] == {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}
    assert "eu-west-1" in rule["AssertDescription"]
    assert "arn:aws:bedrock:eu-west-1:*:inference-profile/eu.anthropic" in text


def test_central_parameters_from_account_b_fill_account_a_template() -> None:
    central = lab.read_stack(_central_outputs(), source="b.json")
    params = lab.template_parameters_from_central(central)
    text = lab.render_template("participant", lab.TemplateOptions(parameters=params))
    parameters = decode(text)["Parameters"]
    assert parameters["CentralRoleArn"]["Default"] == "arn:aws:iam::444455556666:role/bedrock-lab-central-invoke"
    assert parameters["CentralVpcId"]["Default"] == "vpc-0b1c2d3e4f5a6b7c8"
    assert parameters["CentralExternalId"]["Default"] == "bedrock-lab-Zx9"


def test_a_missing_default_is_added_under_the_type() -> None:
    text = lab.render_template("participant", lab.TemplateOptions(parameters={"ConsoleRepository": "https://x/y.git"}))
    assert decode(text)["Parameters"]["ConsoleRepository"]["Default"] == "https://x/y.git"


@pytest.mark.parametrize(("call", "field"), [
    (lambda: lab.participant_names(0), "participants"),
    (lambda: lab.participant_names(names=["Bob"]), "names"),
    (lambda: lab.participant_names(names=["a", "a"]), "names"),
    (lambda: lab.participant_names(2, ["a"]), "participants"),
    (lambda: lab.subnet_cidrs("10.0.0.0/8", 4), "vpc-cidr"),
    (lambda: lab.subnet_cidrs("52.0.0.0/16", 4), "vpc-cidr"),
    (lambda: lab.render_template("nope"), "template"),
    (lambda: lab.render_template("participant", lab.TemplateOptions(models=("not a model",))), "model"),
    (lambda: lab.render_template("participant", lab.TemplateOptions(parameters={"Nope": "x"})), "parameter"),
])
def test_bad_inputs_name_the_field(call: Any, field: str) -> None:
    with pytest.raises(InputError) as caught:
        call()
    assert caught.value.field == field and caught.value.fix


def test_subnets_are_carved_from_the_vpc() -> None:
    assert lab.subnet_cidrs("10.40.0.0/16", 4) == ["10.40.0.0/24", "10.40.1.0/24", "10.40.2.0/24", "10.40.3.0/24"]
    assert lab.subnet_cidrs("192.168.8.0/22", 2) == ["192.168.8.0/24", "192.168.9.0/24"]


def test_new_external_ids_differ_and_pass_sts_rules() -> None:
    from workshop.policies import validate_external_id

    first, second = lab.new_external_id(), lab.new_external_id()
    assert first != second
    assert validate_external_id(first) == first


def test_every_template_output_the_config_reads_is_declared() -> None:
    outputs = decode((INFRA / "participant-account.yaml").read_text())["Outputs"]
    for key in ("Region", "ModelIds", "PrivateDnsEnabled", "BedrockRuntimeEndpointDns", "StsEndpointDns",
                "BedrockEndpointDns", "CentralRoleArn", "CentralExternalId", "CentralEndpointDns",
                "PeeringConnectionId"):
        assert key in outputs
    central = decode((INFRA / "central-account.yaml").read_text())["Outputs"]
    for key in ("AccountId", "CrossAccountRoleArn", "ExternalId", "VpcId", "VpcCidr", "PeerRoleArn",
                "BedrockRuntimeEndpointDns", "LogGroupName", "LogBucketName", "LoggingRoleArn"):
        assert key in central


def _central_outputs() -> str:
    from .conftest import DATA

    return (DATA / "central-outputs.json").read_text()

"""Policy generators: each document checked field by field, validated by moto's IAM policy
validators, and evaluated by moto's policy engine (``IAMPolicy``) where its engine applies
(it evaluates actions, resources, principals and StringEquals conditions; it ignores
other condition operators, so those are checked field by field)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.iam.policy_validation import IAMPolicyDocumentValidator, IAMTrustPolicyDocumentValidator

from workshop import policies as p
from workshop.errors import InputError

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
HAIKU_35 = "anthropic.claude-3-5-haiku-20241022-v1:0"
US_HAIKU_35 = f"us.{HAIKU_35}"
EU_HAIKU_35 = f"eu.{HAIKU_35}"
ACCOUNT_A = "111122223333"
ACCOUNT_B = "444455556666"
ROLE_B = f"arn:aws:iam::{ACCOUNT_B}:role/BedrockCrossAccountRole"
VPCE = "vpce-0123456789abcdef0"


def fm(region: str, model: str) -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{model}"


def engine(document: dict[str, Any]) -> IAMPolicy:
    return IAMPolicy(json.dumps(document))


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


# --------------------------------------------------------------------------- invoke


def test_invoke_policy_allows_exactly_the_foundation_model_in_the_region() -> None:
    doc = p.invoke_policy("us-east-1", [HAIKU])
    assert doc["Version"] == "2012-10-17"
    [statement] = doc["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    assert statement["Resource"] == fm("us-east-1", HAIKU)
    IAMPolicyDocumentValidator(json.dumps(doc)).validate()


def test_invoke_policy_is_evaluated_allow_for_the_model_and_neutral_for_others() -> None:
    policy = engine(p.invoke_policy("us-east-1", [HAIKU]))
    assert policy.is_action_permitted("bedrock:InvokeModel", fm("us-east-1", HAIKU)) == PermissionResult.PERMITTED
    assert (policy.is_action_permitted("bedrock:InvokeModelWithResponseStream", fm("us-east-1", HAIKU))
            == PermissionResult.PERMITTED)
    # Not granted: another model, another region, another action.
    assert policy.is_action_permitted("bedrock:InvokeModel", fm("us-east-1", HAIKU_35)) == PermissionResult.NEUTRAL
    assert policy.is_action_permitted("bedrock:InvokeModel", fm("us-west-2", HAIKU)) == PermissionResult.NEUTRAL
    assert (policy.is_action_permitted("bedrock:CreateModelCustomizationJob", fm("us-east-1", HAIKU))
            == PermissionResult.NEUTRAL)


def test_inference_profile_adds_the_profile_arn_and_every_routed_region() -> None:
    doc = p.invoke_policy("us-east-1", [US_HAIKU_35], account_id=ACCOUNT_A)
    fms, profiles = doc["Statement"]
    assert as_list(profiles["Resource"]) == [f"arn:aws:bedrock:us-east-1:{ACCOUNT_A}:inference-profile/{US_HAIKU_35}"]
    assert as_list(fms["Resource"]) == [fm(r, HAIKU_35) for r in ("us-east-1", "us-east-2", "us-west-2")]
    IAMPolicyDocumentValidator(json.dumps(doc)).validate()
    policy = engine(doc)
    for region in ("us-east-1", "us-east-2", "us-west-2"):
        assert policy.is_action_permitted("bedrock:InvokeModel", fm(region, HAIKU_35)) == PermissionResult.PERMITTED
    assert policy.is_action_permitted("bedrock:InvokeModel", fm("eu-west-1", HAIKU_35)) == PermissionResult.NEUTRAL


def test_inference_profile_without_an_account_uses_a_wildcard_account() -> None:
    doc = p.invoke_policy("eu-west-1", [EU_HAIKU_35])
    profile_arn = as_list(doc["Statement"][1]["Resource"])[0]
    assert profile_arn == f"arn:aws:bedrock:eu-west-1:*:inference-profile/{EU_HAIKU_35}"
    regions = {arn.split(":")[3] for arn in as_list(doc["Statement"][0]["Resource"])}
    assert {"eu-west-1", "eu-central-1", "eu-west-3", "eu-north-1"} <= regions
    assert (engine(doc).is_action_permitted(
        "bedrock:InvokeModel", f"arn:aws:bedrock:eu-west-1:{ACCOUNT_B}:inference-profile/{EU_HAIKU_35}")
        == PermissionResult.PERMITTED)


def test_a_source_region_outside_the_profiles_list_is_still_included() -> None:
    doc = p.invoke_policy("ca-central-1", [US_HAIKU_35])
    regions = [arn.split(":")[3] for arn in as_list(doc["Statement"][0]["Resource"])]
    assert regions[0] == "ca-central-1"
    assert "us-west-2" in regions


def test_global_profile_allows_the_model_in_any_region() -> None:
    doc = p.invoke_policy("us-east-1", [f"global.{HAIKU_35}"])
    assert doc["Statement"][0]["Resource"] == f"arn:aws:bedrock:*::foundation-model/{HAIKU_35}"


def test_several_models_share_statements_without_duplicates() -> None:
    doc = p.invoke_policy("us-east-1", [HAIKU, US_HAIKU_35, HAIKU])
    resources = as_list(doc["Statement"][0]["Resource"])
    assert len(resources) == len(set(resources)) == 4


def test_model_arns_are_taken_as_they_are() -> None:
    arn = fm("us-west-2", HAIKU)
    assert p.invoke_policy("us-east-1", [arn])["Statement"][0]["Resource"] == arn


def test_application_inference_profile_is_allowed_with_a_note() -> None:
    arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT_A}:application-inference-profile/abc123def456"
    resources = p.model_resources("us-east-1", arn)
    assert resources.arns == (arn,)
    assert resources.note and "foundation model" in resources.note


def test_gov_cloud_regions_use_their_partition() -> None:
    doc = p.invoke_policy("us-gov-west-1", [HAIKU])
    assert doc["Statement"][0]["Resource"].startswith("arn:aws-us-gov:bedrock:us-gov-west-1::")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"region": "useast1", "models": [HAIKU]}, "region"),
        ({"region": "us-east-1", "models": ["Anthropic.Claude"]}, "model"),
        ({"region": "us-east-1", "models": []}, "model"),
        ({"region": "us-east-1", "models": [HAIKU], "account_id": "12345"}, "account"),
    ],
)
def test_invoke_policy_rejects_bad_inputs_naming_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        p.invoke_policy(**kwargs)
    assert err.value.field == field
    assert err.value.fix


# --------------------------------------------------------------------------- VPC endpoint


def test_vpce_policy_lets_only_the_listed_principals_invoke() -> None:
    doc = p.vpce_policy([ROLE_B])
    [statement] = doc["Statement"]
    assert statement["Principal"] == {"AWS": ROLE_B}
    assert statement["Resource"] == "*"
    IAMPolicyDocumentValidator(json.dumps(doc)).validate()
    policy = engine(doc)
    assert policy.is_action_permitted("bedrock:InvokeModel", fm("us-east-1", HAIKU), principal=ROLE_B) \
        == PermissionResult.PERMITTED
    other = f"arn:aws:iam::{ACCOUNT_A}:role/SomeoneElse"
    assert policy.is_action_permitted("bedrock:InvokeModel", fm("us-east-1", HAIKU), principal=other) \
        == PermissionResult.DENIED


def test_vpce_policy_accepts_an_account_id_as_its_root_principal() -> None:
    doc = p.vpce_policy([ACCOUNT_A, ROLE_B])
    assert doc["Statement"][0]["Principal"]["AWS"] == [f"arn:aws:iam::{ACCOUNT_A}:root", ROLE_B]


def test_vpce_policy_narrowed_to_models_in_a_region() -> None:
    doc = p.vpce_policy([ROLE_B], [HAIKU], region="us-east-1")
    assert doc["Statement"][0]["Resource"] == fm("us-east-1", HAIKU)
    policy = engine(doc)
    assert policy.is_action_permitted("bedrock:InvokeModel", fm("us-east-1", HAIKU_35), principal=ROLE_B) \
        == PermissionResult.NEUTRAL


def test_vpce_policy_models_without_a_region_match_any_region() -> None:
    doc = p.vpce_policy([ROLE_B], [US_HAIKU_35])
    resources = as_list(doc["Statement"][0]["Resource"])
    assert f"arn:aws:bedrock:*::foundation-model/{HAIKU_35}" in resources
    assert all(arn.split(":")[3] == "*" for arn in resources)


@pytest.mark.parametrize("principal", ["", "arn:aws:s3:::bucket", "arn:aws:iam::1234:role/x", "someone"])
def test_vpce_policy_rejects_what_is_not_a_principal(principal: str) -> None:
    with pytest.raises(InputError) as err:
        p.vpce_policy([principal])
    assert err.value.field == "principal"


# --------------------------------------------------------------------------- deny outside vpce


def test_deny_outside_vpce_denies_every_invoke_action_unless_the_endpoint_matches() -> None:
    doc = p.deny_outside_vpce([VPCE])
    [statement] = doc["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Action"] == "bedrock:Invoke*"
    assert statement["Resource"] == "*"
    assert statement["Condition"]["StringNotEquals"] == {"aws:SourceVpce": VPCE}
    assert statement["Condition"]["BoolIfExists"] == {"aws:ViaAWSService": "false"}
    IAMPolicyDocumentValidator(json.dumps(doc)).validate()
    # moto's engine matches the action and resource (it ignores StringNotEquals, so it
    # shows the statement applies to every bedrock:Invoke* call and nothing else).
    policy = engine(doc)
    for action in ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"):
        assert policy.is_action_permitted(action, fm("us-east-1", HAIKU)) == PermissionResult.DENIED
    assert policy.is_action_permitted("bedrock:ListFoundationModels", "*") == PermissionResult.NEUTRAL


def test_deny_outside_vpce_lists_several_endpoints() -> None:
    doc = p.deny_outside_vpce([VPCE, "vpce-0fedcba9876543210", VPCE])
    assert doc["Statement"][0]["Condition"]["StringNotEquals"]["aws:SourceVpce"] == [VPCE, "vpce-0fedcba9876543210"]


@pytest.mark.parametrize("bad", ["vpc-0123456789abcdef0", "vpce-XYZ", "vpce-", "0123456789abcdef0"])
def test_deny_outside_vpce_rejects_malformed_endpoint_ids(bad: str) -> None:
    with pytest.raises(InputError) as err:
        p.deny_outside_vpce([bad])
    assert err.value.field == "vpce-id"


def test_vpce_id_is_parsed_from_the_endpoint_url() -> None:
    url = f"https://{VPCE}-abcd1234.bedrock-runtime.us-east-1.vpce.amazonaws.com"
    assert p.vpce_id_from_url(url) == VPCE
    zonal = f"https://{VPCE}-abcd1234-us-east-1a.bedrock-runtime.us-east-1.vpce.amazonaws.com"
    assert p.vpce_id_from_url(zonal) == VPCE
    with pytest.raises(InputError):
        p.vpce_id_from_url("http://127.0.0.1:8601")


# --------------------------------------------------------------------------- trust


def test_trust_policy_lets_account_a_assume_with_the_external_id() -> None:
    doc = p.trust_policy(ACCOUNT_A, external_id="workshop-external-id")
    [statement] = doc["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_A}:root"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "workshop-external-id"}}
    IAMTrustPolicyDocumentValidator(json.dumps(doc)).validate()
    policy = engine(doc)
    root_a = f"arn:aws:iam::{ACCOUNT_A}:root"
    assert policy.is_action_permitted("sts:AssumeRole", principal=root_a,
                                      incoming_condition_values={"sts:ExternalId": "workshop-external-id"}) \
        == PermissionResult.PERMITTED
    assert policy.is_action_permitted("sts:AssumeRole", principal=root_a,
                                      incoming_condition_values={"sts:ExternalId": "guess"}) \
        == PermissionResult.DENIED
    assert policy.is_action_permitted("sts:AssumeRole", principal=f"arn:aws:iam::{ACCOUNT_B}:root",
                                      incoming_condition_values={"sts:ExternalId": "workshop-external-id"}) \
        == PermissionResult.DENIED


def test_trust_policy_without_external_id_has_no_condition() -> None:
    doc = p.trust_policy(ACCOUNT_A)
    assert "Condition" not in doc["Statement"][0]
    IAMTrustPolicyDocumentValidator(json.dumps(doc)).validate()


def test_trust_policy_can_name_one_principal_instead_of_the_account() -> None:
    role_a = f"arn:aws:iam::{ACCOUNT_A}:role/BedrockWorkshopRole"
    assert p.trust_policy(role_a)["Statement"][0]["Principal"] == {"AWS": role_a}


@pytest.mark.parametrize(("trusted", "external_id", "field"), [
    ("11112222333", None, "trusted-account"),
    ("arn:aws:iam::111122223333:group/admins", None, "trusted-account"),
    (ACCOUNT_A, "x", "external-id"),
    (ACCOUNT_A, "has spaces in it", "external-id"),
])
def test_trust_policy_rejects_bad_inputs(trusted: str, external_id: str | None, field: str) -> None:
    with pytest.raises(InputError) as err:
        p.trust_policy(trusted, external_id)
    assert err.value.field == field


# --------------------------------------------------------------------------- logging


def test_logging_role_trust_is_limited_to_this_accounts_bedrock() -> None:
    docs = p.logging_policies(ACCOUNT_A, "ap-northeast-1", "bedrock-invocations", "my-log-bucket", "logs")
    [statement] = docs["role_trust_policy"]["Statement"]
    assert statement["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_A},
        "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock:ap-northeast-1:{ACCOUNT_A}:*"},
    }
    IAMTrustPolicyDocumentValidator(json.dumps(docs["role_trust_policy"])).validate()


def test_logging_role_may_write_only_bedrocks_log_stream() -> None:
    docs = p.logging_policies(ACCOUNT_A, "ap-northeast-1", "bedrock-invocations", "my-log-bucket")
    [statement] = docs["role_permissions_policy"]["Statement"]
    stream = (f"arn:aws:logs:ap-northeast-1:{ACCOUNT_A}:log-group:bedrock-invocations"
              ":log-stream:aws/bedrock/modelinvocations")
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == stream
    IAMPolicyDocumentValidator(json.dumps(docs["role_permissions_policy"])).validate()
    policy = engine(docs["role_permissions_policy"])
    assert policy.is_action_permitted("logs:PutLogEvents", stream) == PermissionResult.PERMITTED
    assert policy.is_action_permitted("logs:PutLogEvents", stream.replace("bedrock-invocations", "other")) \
        == PermissionResult.NEUTRAL
    assert policy.is_action_permitted("logs:DeleteLogGroup", stream) == PermissionResult.NEUTRAL


def test_logging_bucket_policy_matches_seed_001_with_and_without_a_prefix() -> None:
    docs = p.logging_policies(ACCOUNT_A, "ap-northeast-1", "g", "my-log-bucket", "/logs/")
    [statement] = docs["bucket_policy"]["Statement"]
    assert statement["Sid"] == "AmazonBedrockLogsWrite"
    assert statement["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert statement["Action"] == ["s3:PutObject"]
    assert statement["Resource"] == [
        f"arn:aws:s3:::my-log-bucket/logs/AWSLogs/{ACCOUNT_A}/BedrockModelInvocationLogs/*"]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_A}
    bare = p.logging_policies(ACCOUNT_A, "ap-northeast-1", "g", "my-log-bucket")
    assert bare["bucket_policy"]["Statement"][0]["Resource"] == [
        f"arn:aws:s3:::my-log-bucket/AWSLogs/{ACCOUNT_A}/BedrockModelInvocationLogs/*"]


def test_logging_documents_do_not_share_mutable_parts() -> None:
    docs = p.logging_policies(ACCOUNT_A, "us-east-1", "g", "my-log-bucket")
    docs["bucket_policy"]["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"] = "changed"
    assert docs["role_trust_policy"]["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT_A


@pytest.mark.parametrize(("args", "field"), [
    (("1111", "us-east-1", "g", "my-bucket"), "account"),
    ((ACCOUNT_A, "Tokyo", "g", "my-bucket"), "region"),
    ((ACCOUNT_A, "us-east-1", "bad group!", "my-bucket"), "log-group"),
    ((ACCOUNT_A, "us-east-1", "g", "My_Bucket"), "bucket"),
    ((ACCOUNT_A, "us-east-1", "g", "a..b"), "bucket"),
])
def test_logging_policies_reject_bad_inputs(args: tuple[str, ...], field: str) -> None:
    with pytest.raises(InputError) as err:
        p.logging_policies(*args)
    assert err.value.field == field

"""STS: caller identity, AssumeRole with account binding, ExternalId and duration rules."""

from __future__ import annotations

import datetime as dt

import pytest
from botocore.exceptions import ClientError

from tests.sandbox.conftest import NO_RETRY, session_for
from workshop.sandbox import (
    CROSS_ACCOUNT_EXTERNAL_ID,
    CROSS_ACCOUNT_ROLE_ARN,
    WORKSHOP_ROLE_ARN,
)


def test_participant_identity_is_account_a(sts) -> None:
    identity = sts.get_caller_identity()
    assert identity["Account"] == "111122223333"
    assert identity["Arn"] == "arn:aws:iam::111122223333:user/workshop-participant"


def test_assume_role_issues_temporary_asia_credentials(sts) -> None:
    creds = sts.assume_role(RoleArn=WORKSHOP_ROLE_ARN, RoleSessionName="unit")["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40
    assert creds["SessionToken"]


def test_assumed_role_identity_is_bound_to_the_role_account(sandbox, sts) -> None:
    creds = sts.assume_role(RoleArn=CROSS_ACCOUNT_ROLE_ARN, RoleSessionName="bound",
                            ExternalId=CROSS_ACCOUNT_EXTERNAL_ID)["Credentials"]
    session = session_for(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    identity = session.client("sts", endpoint_url=sandbox.sts_endpoint).get_caller_identity()
    assert identity["Account"] == "444455556666"
    assert identity["Arn"] == "arn:aws:sts::444455556666:assumed-role/BedrockCrossAccountRole/bound"


def test_duration_seconds_sets_the_expiration(sts) -> None:
    creds = sts.assume_role(RoleArn=WORKSHOP_ROLE_ARN, RoleSessionName="dur", DurationSeconds=7200)["Credentials"]
    lifetime = creds["Expiration"] - dt.datetime.now(dt.UTC)
    assert dt.timedelta(seconds=7100) < lifetime <= dt.timedelta(seconds=7200)


def test_duration_beyond_the_role_maximum_is_a_validation_error(sts) -> None:
    with pytest.raises(ClientError) as caught:
        sts.assume_role(RoleArn=CROSS_ACCOUNT_ROLE_ARN, RoleSessionName="long", ExternalId=CROSS_ACCOUNT_EXTERNAL_ID,
                        DurationSeconds=7200)
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert "MaxSessionDuration" in caught.value.response["Error"]["Message"]


def test_account_b_role_without_external_id_is_denied(sts) -> None:
    with pytest.raises(ClientError) as caught:
        sts.assume_role(RoleArn=CROSS_ACCOUNT_ROLE_ARN, RoleSessionName="noext")
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_account_b_role_with_wrong_external_id_is_denied(sts) -> None:
    with pytest.raises(ClientError) as caught:
        sts.assume_role(RoleArn=CROSS_ACCOUNT_ROLE_ARN, RoleSessionName="wrongext", ExternalId="guess")
    assert caught.value.response["Error"]["Code"] == "AccessDenied"


def test_unknown_role_is_denied(sts) -> None:
    with pytest.raises(ClientError) as caught:
        sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/NoSuchRole", RoleSessionName="nope")
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    assert "not authorized to perform: sts:AssumeRole" in caught.value.response["Error"]["Message"]


def test_role_chaining_is_capped_at_one_hour(sandbox, sts) -> None:
    creds = sts.assume_role(RoleArn=WORKSHOP_ROLE_ARN, RoleSessionName="chain")["Credentials"]
    chained = session_for(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]).client(
        "sts", endpoint_url=sandbox.sts_endpoint, config=NO_RETRY)
    with pytest.raises(ClientError) as caught:
        chained.assume_role(RoleArn=WORKSHOP_ROLE_ARN, RoleSessionName="chain2", DurationSeconds=7200)
    assert "role chaining" in caught.value.response["Error"]["Message"]


def test_sts_answers_on_every_listener(sandbox, participant) -> None:
    for url in sandbox.endpoints.values():
        assert participant.client("sts", endpoint_url=url).get_caller_identity()["Account"] == "111122223333"


def test_assume_role_provider_refreshes_through_the_sandbox(sandbox, tmp_path, monkeypatch) -> None:
    # botocore's own assume-role credential provider (a profile with role_arn) works unmodified.
    import boto3

    (tmp_path / "config").write_text(
        "[profile b]\n"
        f"role_arn = {CROSS_ACCOUNT_ROLE_ARN}\nexternal_id = {CROSS_ACCOUNT_EXTERNAL_ID}\n"
        "source_profile = base\nregion = us-east-1\n"
        f"sts_regional_endpoints = regional\nendpoint_url = {sandbox.sts_endpoint}\n"
        "[profile base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    session = boto3.Session(profile_name="b")
    identity = session.client("sts", endpoint_url=sandbox.sts_endpoint).get_caller_identity()
    assert identity["Account"] == "444455556666"

"""The cross-account listener only serves sessions of account B's role."""

from __future__ import annotations

import json

import pytest

from tests.sandbox.conftest import FAMILY_CASES, NO_RETRY, session_for
from workshop.sandbox import WORKSHOP_ROLE_ARN

CASE = FAMILY_CASES[0]


def test_participant_keys_are_denied_on_the_cross_account_path(sandbox, participant) -> None:
    client = participant.client("bedrock-runtime", endpoint_url=sandbox.endpoints["cross-account"], config=NO_RETRY)
    before = sandbox.model_calls
    with pytest.raises(client.exceptions.AccessDeniedException) as caught:
        client.invoke_model(modelId=CASE.model_id, body=json.dumps(CASE.body))
    message = caught.value.response["Error"]["Message"]
    assert "only accepts credentials obtained by assuming arn:aws:iam::444455556666:role/BedrockCrossAccountRole" in message
    assert sandbox.model_calls == before


def test_same_account_role_is_denied_on_the_cross_account_path(sandbox, sts) -> None:
    creds = sts.assume_role(RoleArn=WORKSHOP_ROLE_ARN, RoleSessionName="same")["Credentials"]
    client = session_for(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]).client(
        "bedrock-runtime", endpoint_url=sandbox.endpoints["cross-account"], config=NO_RETRY)
    with pytest.raises(client.exceptions.AccessDeniedException):
        client.invoke_model(modelId=CASE.model_id, body=json.dumps(CASE.body))


def test_account_b_session_invokes_on_the_cross_account_path(sandbox, account_b) -> None:
    client = account_b.client("bedrock-runtime", endpoint_url=sandbox.endpoints["cross-account"], config=NO_RETRY)
    answer = json.loads(client.invoke_model(modelId=CASE.model_id, body=json.dumps(CASE.body))["body"].read())
    assert answer["stop_reason"] == "end_turn"


def test_account_b_session_streams_on_the_cross_account_path(sandbox, account_b) -> None:
    client = account_b.client("bedrock-runtime", endpoint_url=sandbox.endpoints["cross-account"], config=NO_RETRY)
    response = client.converse_stream(modelId="amazon.nova-micro-v1:0",
                                      messages=[{"role": "user", "content": [{"text": "hello from account A"}]}])
    assert any("contentBlockDelta" in event for event in response["stream"])


def test_cross_account_control_plane_also_requires_account_b(sandbox, participant, account_b) -> None:
    url = sandbox.endpoints["cross-account"]
    denied = participant.client("bedrock", endpoint_url=url, config=NO_RETRY)
    with pytest.raises(denied.exceptions.AccessDeniedException):
        denied.list_foundation_models()
    assert account_b.client("bedrock", endpoint_url=url).list_foundation_models()["modelSummaries"]


def test_sts_on_the_cross_account_listener_still_lets_the_participant_assume_b(sandbox, participant) -> None:
    from workshop.sandbox import CROSS_ACCOUNT_EXTERNAL_ID, CROSS_ACCOUNT_ROLE_ARN

    sts = participant.client("sts", endpoint_url=sandbox.endpoints["cross-account"])
    creds = sts.assume_role(RoleArn=CROSS_ACCOUNT_ROLE_ARN, RoleSessionName="via-b",
                            ExternalId=CROSS_ACCOUNT_EXTERNAL_ID)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")

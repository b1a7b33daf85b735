"""SigV4: wrong secrets, unknown keys, tampered bodies and expired sessions never reach a model."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from tests.sandbox.conftest import FAMILY_CASES, NO_RETRY, session_for
from workshop.sandbox import PARTICIPANT_ACCESS_KEY, WORKSHOP_ROLE_ARN

CASE = FAMILY_CASES[0]


def _invoke(client) -> None:
    client.invoke_model(modelId=CASE.model_id, body=json.dumps(CASE.body))


def _error(caught: pytest.ExceptionInfo) -> tuple[str, int]:
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_wrong_secret_is_an_invalid_signature_and_reaches_no_model(sandbox) -> None:
    client = session_for(secret_key="wrong" * 8).client("bedrock-runtime", endpoint_url=sandbox.endpoints["nat"],
                                                       config=NO_RETRY)
    before = sandbox.model_calls
    with pytest.raises(client.exceptions.ClientError) as caught:
        _invoke(client)
    assert _error(caught) == ("InvalidSignatureException", 403)
    assert sandbox.model_calls == before


def test_unknown_access_key_is_unrecognized(sandbox) -> None:
    client = session_for(access_key="AKIAI44QH8DHBEXAMPLE").client(
        "bedrock-runtime", endpoint_url=sandbox.endpoints["vpce"], config=NO_RETRY)
    with pytest.raises(ClientError) as caught:
        _invoke(client)
    assert _error(caught) == ("UnrecognizedClientException", 403)
    assert caught.value.response["Error"]["Message"] == "The security token included in the request is invalid."


def test_body_tampered_after_signing_is_rejected(sandbox, participant) -> None:
    client = participant.client("bedrock-runtime", endpoint_url=sandbox.endpoints["nat"], config=NO_RETRY)

    def tamper(request, **_):
        request.body = request.body.replace(b'"max_tokens": 300', b'"max_tokens": 999')

    client.meta.events.register("before-send.bedrock-runtime.InvokeModel", tamper)
    before = sandbox.model_calls
    with pytest.raises(ClientError) as caught:
        _invoke(client)
    assert _error(caught) == ("InvalidSignatureException", 403)
    assert sandbox.model_calls == before


def test_unsigned_request_is_missing_authentication(sandbox) -> None:
    request = urllib.request.Request(f"{sandbox.endpoints['nat']}/model/{CASE.model_id}/invoke",
                                     data=json.dumps(CASE.body).encode(), method="POST")
    before = sandbox.model_calls
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    assert caught.value.code == 403
    assert caught.value.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert sandbox.model_calls == before


def test_sts_wrong_secret_is_signature_does_not_match(sandbox) -> None:
    client = session_for(secret_key="x" * 40).client("sts", endpoint_url=sandbox.sts_endpoint, config=NO_RETRY)
    with pytest.raises(ClientError) as caught:
        client.get_caller_identity()
    assert _error(caught) == ("SignatureDoesNotMatch", 403)


def test_sts_unknown_key_is_invalid_client_token_id(sandbox) -> None:
    client = session_for(access_key="AKIAI44QH8DHBEXAMPLE").client("sts", endpoint_url=sandbox.sts_endpoint,
                                                                   config=NO_RETRY)
    with pytest.raises(ClientError) as caught:
        client.get_caller_identity()
    assert _error(caught) == ("InvalidClientTokenId", 403)


def test_session_token_from_another_session_is_rejected(sandbox, sts) -> None:
    one = sts.assume_role(RoleArn=WORKSHOP_ROLE_ARN, RoleSessionName="one")["Credentials"]
    two = sts.assume_role(RoleArn=WORKSHOP_ROLE_ARN, RoleSessionName="two")["Credentials"]
    client = session_for(one["AccessKeyId"], one["SecretAccessKey"], two["SessionToken"]).client(
        "bedrock-runtime", endpoint_url=sandbox.endpoints["nat"], config=NO_RETRY)
    with pytest.raises(ClientError) as caught:
        _invoke(client)
    assert _error(caught) == ("UnrecognizedClientException", 403)


def test_expired_session_is_refused_by_bedrock(sandbox, sts) -> None:
    creds = sts.assume_role(RoleArn=WORKSHOP_ROLE_ARN, RoleSessionName="expiring")["Credentials"]
    client = session_for(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]).client(
        "bedrock-runtime", endpoint_url=sandbox.endpoints["nat"], config=NO_RETRY)
    _invoke(client)  # works while valid
    sandbox.principals.expire(creds["AccessKeyId"])
    with pytest.raises(ClientError) as caught:
        _invoke(client)
    assert _error(caught) == ("ExpiredTokenException", 403)


def test_expired_session_is_refused_by_sts(sandbox, sts) -> None:
    creds = sts.assume_role(RoleArn=WORKSHOP_ROLE_ARN, RoleSessionName="expiring-sts")["Credentials"]
    sandbox.principals.expire(creds["AccessKeyId"])
    client = session_for(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]).client(
        "sts", endpoint_url=sandbox.sts_endpoint, config=NO_RETRY)
    with pytest.raises(ClientError) as caught:
        client.get_caller_identity()
    assert _error(caught) == ("ExpiredToken", 400)


def test_runtime_request_signed_for_sts_is_rejected(sandbox, participant) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    request = AWSRequest("POST", f"{sandbox.endpoints['nat']}/model/{CASE.model_id}/invoke",
                         data=json.dumps(CASE.body).encode())
    SigV4Auth(participant.get_credentials(), "sts", "us-east-1").add_auth(request)
    prepared = request.prepare()
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(urllib.request.Request(prepared.url, data=prepared.body,
                                                      headers=dict(prepared.headers), method="POST"))
    assert caught.value.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert "correct service: 'bedrock'" in json.loads(caught.value.read())["message"]


def test_participant_key_is_the_documented_example() -> None:
    assert PARTICIPANT_ACCESS_KEY == "AKIAIOSFODNN7EXAMPLE"


def test_a_request_signed_for_another_region_is_refused_as_aws_does(sandbox) -> None:
    client = session_for().client("bedrock-runtime", endpoint_url=sandbox.endpoints["nat"], region_name="eu-west-1",
                                  config=NO_RETRY)
    before = sandbox.model_calls
    with pytest.raises(ClientError) as caught:
        _invoke(client)
    assert _error(caught) == ("InvalidSignatureException", 403)
    assert caught.value.response["Error"]["Message"] == "Credential should be scoped to a valid region."
    assert sandbox.model_calls == before


def test_sts_accepts_its_own_region_and_the_global_endpoints(sandbox) -> None:
    for region in (sandbox.region, "us-east-1"):
        sts = session_for().client("sts", endpoint_url=sandbox.sts_endpoint, region_name=region, config=NO_RETRY)
        assert sts.get_caller_identity()["Account"] == "111122223333"
    other = session_for().client("sts", endpoint_url=sandbox.sts_endpoint, region_name="ap-south-1", config=NO_RETRY)
    with pytest.raises(ClientError) as caught:
        other.get_caller_identity()
    assert _error(caught) == ("SignatureDoesNotMatch", 403)

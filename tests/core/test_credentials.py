"""credentials.py: every mode yields a working session; failures are CredentialErrors with field and fix.

moto's STS is the independent implementation; the sandbox's STS (over loopback) enforces
ExternalId and verifies signatures, which moto does not.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from workshop.config import AccessPath, CredentialMode
from workshop.credentials import StaticKeys, assumed_role_credentials, session_for
from workshop.errors import CredentialError

EXAMPLE_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"  # AWS documented example keys
EXAMPLE_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ROLE_B = "arn:aws:iam::444455556666:role/BedrockCrossAccountRole"


def path_with(mode: CredentialMode, region: str = "us-east-1") -> AccessPath:
    return AccessPath("test", "nat", region, None, mode)


def assumed_roles_in(account: str) -> list:
    from moto.sts.models import sts_backends

    return sts_backends[account]["aws"].assumed_roles


# --------------------------------------------------------------------------- moto (AWS mode)


def test_instance_mode_uses_the_default_chain(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", EXAMPLE_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", EXAMPLE_SECRET_KEY)
    session, ms = session_for(path_with(CredentialMode("instance")))
    assert session.get_credentials().access_key == EXAMPLE_ACCESS_KEY
    assert ms >= 0


def test_instance_mode_without_any_credentials_says_how_to_get_some() -> None:
    with pytest.raises(CredentialError) as err:
        session_for(path_with(CredentialMode("instance")))
    assert err.value.field == "CredentialMode"
    assert "no credentials found" in str(err.value) and "instance role" in str(err.value)


def test_assume_role_passes_external_id_session_name_and_duration(moto_aws: None) -> None:
    mode = CredentialMode("assume-role", role_arn=ROLE_B, external_id="workshop-external-id",
                          session_name="alice", duration_seconds=1800)
    session, ms = session_for(path_with(mode))
    identity = session.client("sts", region_name="us-east-1").get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::444455556666:assumed-role/BedrockCrossAccountRole/alice"
    (assumed,) = assumed_roles_in("444455556666")
    assert assumed.external_id == "workshop-external-id"
    assert assumed.session_name == "alice"
    assert timedelta(seconds=1790) < assumed.expiration - datetime.now(UTC).replace(tzinfo=None) <= timedelta(seconds=1800)
    assert ms > 0


def test_access_keys_mode_signs_assume_role_with_the_config_keys(moto_aws: None) -> None:
    # Prove the config keys, not the environment, are used (moto restores its env on exit).
    saved = {name: os.environ.pop(name) for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    try:
        mode = CredentialMode("access-keys", role_arn=ROLE_B, access_key=EXAMPLE_ACCESS_KEY,
                              secret_key=EXAMPLE_SECRET_KEY)
        session, _ = session_for(path_with(mode))
    finally:
        os.environ.update(saved)
    arn = session.client("sts", region_name="us-east-1").get_caller_identity()["Arn"]
    assert arn.startswith("arn:aws:sts::444455556666:assumed-role/BedrockCrossAccountRole/")


def test_profile_mode_reads_the_named_profile(moto_aws: None, tmp_path: Path) -> None:
    Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        f"[workshop]\naws_access_key_id = {EXAMPLE_ACCESS_KEY}\naws_secret_access_key = {EXAMPLE_SECRET_KEY}\n"
    )
    session, _ = session_for(path_with(CredentialMode("profile", profile="workshop")))
    assert session.get_credentials().access_key == EXAMPLE_ACCESS_KEY


def test_missing_profile_is_named() -> None:
    with pytest.raises(CredentialError) as err:
        session_for(path_with(CredentialMode("profile", profile="nobody")))
    assert err.value.field == "Profile" and "'nobody' not found" in str(err.value)


def test_sso_profile_without_a_login_says_to_run_aws_sso_login() -> None:
    Path(os.environ["AWS_CONFIG_FILE"]).write_text(
        "[profile sso-dev]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"
        "sso_account_id = 111122223333\nsso_role_name = Bedrock\nregion = us-east-1\n"
    )
    with pytest.raises(CredentialError, match=r"aws sso login --profile sso-dev"):
        session_for(path_with(CredentialMode("profile", profile="sso-dev")))


def test_assumed_role_credentials_refresh_before_they_expire(moto_aws: None) -> None:
    import boto3

    now = [datetime.now(UTC)]
    mode = CredentialMode("assume-role", role_arn=ROLE_B, duration_seconds=900)
    source = boto3.Session(region_name="us-east-1")
    creds, refresher = assumed_role_credentials(source, mode, "us-east-1", time_fetcher=lambda: now[0])
    first = creds.get_frozen_credentials().access_key
    assert creds.get_frozen_credentials().access_key == first  # fresh: no refresh yet
    assert refresher.calls == 1
    now[0] += timedelta(seconds=900 - 60)  # inside the (scaled) mandatory refresh window
    second = creds.get_frozen_credentials().access_key
    assert second != first
    assert refresher.calls == 2


def test_short_sessions_are_not_refreshed_on_every_request(moto_aws: None) -> None:
    import boto3

    now = [datetime.now(UTC)]
    mode = CredentialMode("assume-role", role_arn=ROLE_B, duration_seconds=900)
    creds, refresher = assumed_role_credentials(boto3.Session(region_name="us-east-1"), mode, "us-east-1",
                                                time_fetcher=lambda: now[0])
    for _ in range(5):
        now[0] += timedelta(seconds=60)
        creds.get_frozen_credentials()
    assert refresher.calls == 1


def test_session_for_uses_refreshable_credentials_for_assume_role(moto_aws: None) -> None:
    now = [datetime.now(UTC)]
    mode = CredentialMode("assume-role", role_arn=ROLE_B, duration_seconds=900)
    session, _ = session_for(path_with(mode), time_fetcher=lambda: now[0])
    creds = session.get_credentials()
    first = creds.get_frozen_credentials().access_key
    now[0] += timedelta(seconds=850)  # inside the mandatory window: must refresh before use
    assert creds.get_frozen_credentials().access_key != first
    assert len(assumed_roles_in("444455556666")) == 2


def test_unreachable_sts_names_the_sts_endpoint(closed_port: int) -> None:
    mode = CredentialMode("assume-role", role_arn=ROLE_B, sts_endpoint=f"http://127.0.0.1:{closed_port}")
    keys = StaticKeys(EXAMPLE_ACCESS_KEY, EXAMPLE_SECRET_KEY)
    with pytest.raises(CredentialError) as err:
        session_for(path_with(mode), default_chain=keys)
    assert err.value.field == "STSEndpointURL"
    assert f"127.0.0.1:{closed_port}" in str(err.value)


def test_bad_external_id_length_is_named(moto_aws: None) -> None:
    mode = CredentialMode("assume-role", role_arn=ROLE_B, external_id="x")
    with pytest.raises(CredentialError) as err:
        session_for(path_with(mode))
    assert err.value.field == "ExternalId"


def test_static_keys_never_appear_in_reprs() -> None:
    mode = CredentialMode("access-keys", role_arn=ROLE_B, access_key=EXAMPLE_ACCESS_KEY,
                          secret_key=EXAMPLE_SECRET_KEY, external_id="workshop-external-id")
    text = repr(mode) + repr(path_with(mode)) + repr(StaticKeys(EXAMPLE_ACCESS_KEY, EXAMPLE_SECRET_KEY))
    assert EXAMPLE_SECRET_KEY not in text and "workshop-external-id" not in text
    assert "access_key=" not in text.replace("StaticKeys(access_key=", "")


# --------------------------------------------------------------------------- the sandbox's STS


@pytest.fixture
def sandbox_keys() -> StaticKeys:
    from workshop.sandbox import principals

    return StaticKeys(principals.PARTICIPANT_ACCESS_KEY, principals.PARTICIPANT_SECRET_KEY)


def sandbox_path(sandbox, mode: CredentialMode) -> AccessPath:
    from dataclasses import replace

    return AccessPath("cross-account", "cross-account", sandbox.region, sandbox.endpoints["cross-account"],
                      replace(mode, sts_endpoint=sandbox.sts_endpoint))


def test_sandbox_assume_role_into_account_b(sandbox, sandbox_keys: StaticKeys) -> None:
    mode = CredentialMode("assume-role", role_arn=ROLE_B, external_id="workshop-external-id", session_name="bob")
    session, ms = session_for(sandbox_path(sandbox, mode), default_chain=sandbox_keys)
    sts = session.client("sts", region_name=sandbox.region, endpoint_url=sandbox.sts_endpoint)
    assert sts.get_caller_identity()["Arn"] == "arn:aws:sts::444455556666:assumed-role/BedrockCrossAccountRole/bob"
    assert ms > 0


def test_sandbox_wrong_external_id_is_access_denied_on_the_role(sandbox, sandbox_keys: StaticKeys) -> None:
    mode = CredentialMode("assume-role", role_arn=ROLE_B, external_id="wrong-external-id")
    with pytest.raises(CredentialError) as err:
        session_for(sandbox_path(sandbox, mode), default_chain=sandbox_keys)
    assert err.value.field == "RoleARN"
    text = str(err.value)
    assert "AccessDenied" in text and "ExternalId" in text and "wrong-external-id" not in text


def test_sandbox_invalid_keys_are_named(sandbox) -> None:
    mode = CredentialMode("access-keys", role_arn=ROLE_B, external_id="workshop-external-id",
                          access_key="AKIAI44QH8DHBEXAMPLE", secret_key="je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY")
    with pytest.raises(CredentialError) as err:
        session_for(sandbox_path(sandbox, mode))
    assert err.value.field == "AccessKey"
    assert "je7MtGbClwBF" not in str(err.value)


def test_sandbox_duration_above_role_chaining_limit_is_named(sandbox, sandbox_keys: StaticKeys) -> None:
    mode = CredentialMode("assume-role", role_arn=ROLE_B, external_id="workshop-external-id",
                          duration_seconds=43200)
    with pytest.raises(CredentialError) as err:
        session_for(sandbox_path(sandbox, mode), default_chain=sandbox_keys)
    assert err.value.field == "DurationSeconds"

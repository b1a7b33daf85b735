"""Encrypting and decrypting single values: round trips, wrong keys, corrupted tokens."""

from __future__ import annotations

import pytest

from tests.secrets.conftest import new_key
from workshop import secrets
from workshop.errors import SecretsError


def test_encrypted_values_carry_the_enc_prefix(keyring: secrets.Keyring) -> None:
    value = keyring.encrypt("AKIAIOSFODNN7EXAMPLE")
    assert value.startswith("enc:gAAAAA")
    assert secrets.is_encrypted(value)


def test_round_trip_returns_the_original_value(keyring: secrets.Keyring) -> None:
    for value in ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "ünïcødé = ; #"):
        assert keyring.decrypt(keyring.encrypt(value), field="f") == value


def test_same_value_encrypts_differently_each_time(keyring: secrets.Keyring) -> None:
    assert keyring.encrypt("same") != keyring.encrypt("same")


def test_plain_values_pass_through_decrypt_unchanged(keyring: secrets.Keyring) -> None:
    assert keyring.decrypt("us-west-2", field="Region") == "us-west-2"


def test_is_encrypted_is_false_for_plain_and_legacy_values() -> None:
    assert not secrets.is_encrypted("AKIAIOSFODNN7EXAMPLE")
    assert not secrets.is_encrypted("Z0FBQUFBQmxHU2tx")


def test_wrong_key_names_the_key_source_and_that_it_does_not_match(keyring: secrets.Keyring) -> None:
    other = secrets.Keyring((new_key().encode(),), source="/somewhere/other.key")
    with pytest.raises(SecretsError) as info:
        other.decrypt(keyring.encrypt("v"), field="default.SecretKey")
    message = str(info.value)
    assert "/somewhere/other.key" in message and "does not match" in message


@pytest.mark.parametrize(
    "damage",
    [
        lambda t: t[:-10],  # truncated
        lambda t: t + "!!",  # not base64
        lambda t: "enc:",  # empty
        lambda t: "enc:" + "A" * 120,  # base64 but not a Fernet token
    ],
    ids=["truncated", "not-base64", "empty", "not-fernet"],
)
def test_corrupted_token_names_the_field(keyring: secrets.Keyring, damage) -> None:
    with pytest.raises(SecretsError, match="corrupted") as info:
        keyring.decrypt(damage(keyring.encrypt("value")), field="path nat.SecretKey")
    assert "path nat.SecretKey" in str(info.value)


def test_sensitive_keys_are_the_documented_set() -> None:
    assert frozenset(
        {"AccessKey", "SecretKey", "AssumeRoleARN", "RoleARN", "VPCEndpointURL", "EndpointURL", "ExternalId",
         "ApiKey"}  # an api-gateway path's API key value (docs/gateway.md)
    ) == secrets.SENSITIVE_KEYS


def test_is_sensitive_ignores_case() -> None:
    assert secrets.is_sensitive("accesskey") and secrets.is_sensitive("EXTERNALID")
    assert not secrets.is_sensitive("Region") and not secrets.is_sensitive("PromptFilePath")

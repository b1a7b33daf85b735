"""Importing files written by the original workshop's encryptConfig.py."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet

from tests.secrets.legacy_tool import (
    DATA,
    EXAMPLE_ACCESS_KEY,
    EXAMPLE_ROLE_ARN,
    EXAMPLE_SECRET_KEY,
    EXAMPLE_VPCE_URL,
    legacy_config,
    original_encrypt,
)
from workshop import secrets
from workshop.errors import InputError, SecretsError


def _revealed(result: secrets.LegacyImport, keyring: secrets.Keyring) -> str:
    return secrets.decrypt_config_text(result.text, keyring, reveal=True)


def test_decrypt_legacy_reads_base64_of_a_fernet_token() -> None:
    key = Fernet.generate_key()
    stored = original_encrypt(EXAMPLE_SECRET_KEY, Fernet(key))
    assert secrets.decrypt_legacy(stored, key.decode(), field="SecretKey") == EXAMPLE_SECRET_KEY


def test_decrypt_legacy_accepts_a_key_written_as_base64_of_the_key() -> None:
    key = Fernet.generate_key()
    stored = original_encrypt("v", Fernet(key))
    assert secrets.decrypt_legacy(stored, base64.b64encode(key).decode(), field="f") == "v"


def test_decrypt_legacy_with_another_files_key_names_the_field() -> None:
    stored = original_encrypt("v", Fernet(Fernet.generate_key()))
    with pytest.raises(SecretsError, match="SecretKeyFernet") as info:
        secrets.decrypt_legacy(stored, Fernet.generate_key().decode(), field="default.SecretKey")
    assert "default.SecretKey" in str(info.value)


def test_is_legacy_token_recognises_only_base64_fernet_tokens() -> None:
    assert secrets.is_legacy_token(original_encrypt("v", Fernet(Fernet.generate_key())))
    assert not secrets.is_legacy_token("prompt.txt")
    assert not secrets.is_legacy_token(EXAMPLE_ACCESS_KEY)


def test_import_decrypts_every_value_and_re_encrypts_the_sensitive_ones(keyring: secrets.Keyring) -> None:
    text, _ = legacy_config()
    result = secrets.import_legacy_text(text, keyring)
    revealed = _revealed(result, keyring)
    for value in (EXAMPLE_ACCESS_KEY, EXAMPLE_SECRET_KEY, EXAMPLE_ROLE_ARN, EXAMPLE_VPCE_URL):
        assert value in revealed
        assert value not in result.text
    assert not result.access_key_was_fernet_key
    assert len(result.decrypted_fields) == 4


def test_import_drops_secret_key_fernet_and_marks_the_file_encrypted(keyring: secrets.Keyring) -> None:
    text, fernet_key = legacy_config()
    result = secrets.import_legacy_text(text, keyring)
    assert "SecretKeyFernet" not in result.text and fernet_key not in result.text
    assert "[workshop]\nEncrypted = true" in result.text


def test_import_keeps_models_and_plain_settings(keyring: secrets.Keyring) -> None:
    result = secrets.import_legacy_text(legacy_config()[0], keyring)
    assert "Claude-3-Haiku = anthropic.claude-3-haiku-20240307-v1:0" in result.text
    assert "PromptFilePath = prompt.txt" in result.text


def test_import_encrypts_secrets_the_original_left_in_clear(keyring: secrets.Keyring) -> None:
    text, _ = legacy_config(encrypted=("AssumeRoleARN", "VPCEndpointURL"))  # like the seed's sample
    result = secrets.import_legacy_text(text, keyring)
    assert EXAMPLE_ACCESS_KEY not in result.text
    assert EXAMPLE_ACCESS_KEY in _revealed(result, keyring)


def test_access_key_holding_the_fernet_key_is_flagged_and_left_empty(keyring: secrets.Keyring) -> None:
    text, fernet_key = legacy_config(bug=True)
    result = secrets.import_legacy_text(text, keyring)
    assert result.access_key_was_fernet_key
    revealed = _revealed(result, keyring)
    assert "AccessKey = \n" in revealed
    assert fernet_key not in revealed


def test_everything_else_imports_despite_the_access_key_bug(keyring: secrets.Keyring) -> None:
    result = secrets.import_legacy_text(legacy_config(bug=True)[0], keyring)
    revealed = _revealed(result, keyring)
    for value in (EXAMPLE_SECRET_KEY, EXAMPLE_ROLE_ARN, EXAMPLE_VPCE_URL):
        assert value in revealed


@pytest.mark.parametrize(
    "name, bug",
    [("legacy_config.properties", False), ("legacy_config_accesskey_bug.properties", True)],
)
def test_committed_fixtures_import(keyring: secrets.Keyring, name: str, bug: bool) -> None:
    result = secrets.import_legacy_text((DATA / name).read_text(), keyring)
    assert result.access_key_was_fernet_key is bug
    assert EXAMPLE_SECRET_KEY in _revealed(result, keyring)


def test_a_file_without_secret_key_fernet_is_not_legacy(keyring: secrets.Keyring) -> None:
    with pytest.raises(InputError, match="SecretKeyFernet"):
        secrets.import_legacy_text("[default]\nRegion = us-west-2\n", keyring)


def test_a_broken_secret_key_fernet_is_reported_by_name(keyring: secrets.Keyring) -> None:
    text, key = legacy_config()
    with pytest.raises(SecretsError) as info:
        secrets.import_legacy_text(text.replace(key, "short="), keyring)
    assert info.value.field == "SecretKeyFernet"


def test_a_corrupted_legacy_value_names_its_field(keyring: secrets.Keyring) -> None:
    text, key = legacy_config()
    other = original_encrypt(EXAMPLE_SECRET_KEY, Fernet(Fernet.generate_key()))
    lines = [f"SecretKey = {other}" if line.startswith("SecretKey =") else line for line in text.splitlines()]
    with pytest.raises(SecretsError) as info:
        secrets.import_legacy_text("\n".join(lines), keyring)
    assert info.value.field == "default.SecretKey"
    assert key not in str(info.value)

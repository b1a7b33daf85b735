"""Whole config files at the INI level: encrypt, decrypt (masked / revealed), warnings."""

from __future__ import annotations

import configparser
import io

import pytest

from tests.secrets.conftest import CLEAR_SECRETS, PLAIN_NEW_CONFIG, PLAIN_SEED_CONFIG
from workshop import secrets
from workshop.errors import ConfigError, InputError


def _ini(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(default_section="\x00")
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return parser


@pytest.mark.parametrize("plain", [PLAIN_SEED_CONFIG, PLAIN_NEW_CONFIG], ids=["seed", "new"])
def test_every_sensitive_value_is_encrypted_and_nothing_else(keyring: secrets.Keyring, plain: str) -> None:
    parsed = _ini(secrets.encrypt_config_text(plain, keyring))
    for section in parsed.sections():
        for key, value in parsed.items(section):
            assert secrets.is_encrypted(value) == secrets.is_sensitive(key), f"{section}.{key}"


@pytest.mark.parametrize("plain", [PLAIN_SEED_CONFIG, PLAIN_NEW_CONFIG], ids=["seed", "new"])
def test_encrypted_file_holds_no_clear_secret(keyring: secrets.Keyring, plain: str) -> None:
    encrypted = secrets.encrypt_config_text(plain, keyring)
    assert not [s for s in CLEAR_SECRETS if s in encrypted]


def test_seed_format_gets_a_workshop_section_saying_encrypted(keyring: secrets.Keyring) -> None:
    parsed = _ini(secrets.encrypt_config_text(PLAIN_SEED_CONFIG, keyring))
    assert parsed.get("workshop", "Encrypted") == "true"
    assert parsed.has_section("default") and parsed.get("default", "Region") == "us-west-2"


def test_new_format_gets_encrypted_in_its_existing_workshop_section(keyring: secrets.Keyring) -> None:
    parsed = _ini(secrets.encrypt_config_text(PLAIN_NEW_CONFIG, keyring))
    assert parsed.get("workshop", "Encrypted") == "true"
    assert parsed.get("workshop", "DefaultPath") == "cross-account"


def test_sections_keys_order_and_case_are_preserved(keyring: secrets.Keyring) -> None:
    before, after = _ini(PLAIN_NEW_CONFIG), _ini(secrets.encrypt_config_text(PLAIN_NEW_CONFIG, keyring))
    assert after.sections() == before.sections()
    for section in before.sections():
        assert after.options(section)[: len(before.options(section))] == before.options(section)


@pytest.mark.parametrize("plain", [PLAIN_SEED_CONFIG, PLAIN_NEW_CONFIG], ids=["seed", "new"])
def test_reveal_round_trip_gives_back_the_plain_config(keyring: secrets.Keyring, plain: str) -> None:
    revealed = secrets.decrypt_config_text(secrets.encrypt_config_text(plain, keyring), keyring, reveal=True)
    expected = _ini(plain)
    got = _ini(revealed)
    assert {s: dict(got.items(s)) for s in got.sections()} == {s: dict(expected.items(s)) for s in expected.sections()}


def test_encrypting_twice_keeps_values_decryptable(keyring: secrets.Keyring) -> None:
    twice = secrets.encrypt_config_text(secrets.encrypt_config_text(PLAIN_SEED_CONFIG, keyring), keyring)
    assert "AKIAIOSFODNN7EXAMPLE" in secrets.decrypt_config_text(twice, keyring, reveal=True)


def test_decrypt_masks_secrets_unless_revealed(keyring: secrets.Keyring) -> None:
    shown = secrets.decrypt_config_text(secrets.encrypt_config_text(PLAIN_SEED_CONFIG, keyring), keyring)
    assert "AccessKey = AKIA…MPLE" in shown
    assert "Region = us-west-2" in shown
    assert not [s for s in CLEAR_SECRETS if s in shown]


def test_decrypt_masks_plain_secrets_too(keyring: secrets.Keyring) -> None:
    shown = secrets.decrypt_config_text(PLAIN_SEED_CONFIG, keyring)
    assert "AKIAIOSFODNN7EXAMPLE" not in shown and "AKIA…MPLE" in shown


def test_plain_secret_in_a_file_marked_encrypted_is_reported_per_field(keyring: secrets.Keyring) -> None:
    parsed = _ini(secrets.encrypt_config_text(PLAIN_NEW_CONFIG, keyring))
    parsed.set("path nat", "AccessKey", "AKIAIOSFODNN7EXAMPLE")  # someone pasted a key back in
    out = io.StringIO()
    parsed.write(out)
    assert secrets.plain_sensitive_fields(out.getvalue()) == ["path nat.AccessKey"]


def test_plain_secrets_are_not_reported_when_the_file_does_not_claim_encryption() -> None:
    assert secrets.plain_sensitive_fields(PLAIN_SEED_CONFIG) == []


def test_a_file_from_the_original_tool_is_sent_to_import_legacy(keyring: secrets.Keyring) -> None:
    with pytest.raises(InputError, match="import-legacy"):
        secrets.encrypt_config_text(PLAIN_SEED_CONFIG + "SecretKeyFernet = x=\n", keyring)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("AccessKey = x\n", "no [section] header"),
        ("[default]\nRegion = a\nRegion = b\n", "Region appears twice"),
        ("[a]\n[a]\n", "appears twice"),
        ("[default]\njust some words\n", "not 'Key = value'"),
    ],
)
def test_malformed_ini_is_one_config_error_with_the_line(keyring: secrets.Keyring, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match="line") as info:
        secrets.encrypt_config_text(text, keyring, source="in.ini")
    assert fragment in str(info.value) and "in.ini" in str(info.value)

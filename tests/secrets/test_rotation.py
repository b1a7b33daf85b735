"""Key rotation: new key first, old tokens still decrypt during the rewrite, dropped after."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.secrets.conftest import PLAIN_NEW_CONFIG
from workshop import secrets
from workshop.commands import secrets as commands
from workshop.errors import InputError, SecretsError


@pytest.fixture
def encrypted_config(tmp_path: Path, keyring: secrets.Keyring) -> Path:
    path = tmp_path / "workshop.ini"
    path.write_text(secrets.encrypt_config_text(PLAIN_NEW_CONFIG, keyring))
    return path


def _rotate(config: Path, key_file: Path | None, *, keep_old: bool = False) -> secrets.Keyring:
    old = secrets.load_keyring(key_file)
    assert old.key_file is not None
    rotated = secrets.Keyring(old.with_new_key().keys, source=str(old.key_file), key_file=old.key_file)
    new_text = secrets.rotate_config_text(config.read_text(), rotated)
    commands.rotate_files(config, new_text, rotated, old, keep_old=keep_old)
    return rotated


def _reveal(config: Path, key_file: Path) -> str:
    return secrets.decrypt_config_text(config.read_text(), secrets.load_keyring(key_file), reveal=True)


def test_with_new_key_puts_a_fresh_key_first_and_keeps_the_old(keyring: secrets.Keyring) -> None:
    rotated = keyring.with_new_key()
    assert rotated.keys[1:] == keyring.keys and rotated.keys[0] not in keyring.keys


def test_old_tokens_decrypt_with_the_rotated_keyring(keyring: secrets.Keyring) -> None:
    token = keyring.encrypt("v")
    assert keyring.with_new_key().decrypt(token, field="f") == "v"


def test_rotate_re_encrypts_under_the_new_key(keyring: secrets.Keyring) -> None:
    rotated = keyring.with_new_key()
    fresh = rotated.rotate(keyring.encrypt("v"), field="f")
    assert secrets.Keyring(rotated.keys[:1], source="new only").decrypt(fresh, field="f") == "v"


def test_rotated_config_decrypts_with_the_new_key_file(encrypted_config: Path, key_file: Path) -> None:
    before = _reveal(encrypted_config, key_file)
    _rotate(encrypted_config, key_file)
    assert _reveal(encrypted_config, key_file) == before


def test_old_key_is_dropped_after_the_config_is_rewritten(
    encrypted_config: Path, key_file: Path, keyring: secrets.Keyring
) -> None:
    old_copy = encrypted_config.read_text()
    _rotate(encrypted_config, key_file)
    assert len(secrets.load_keyring(key_file).keys) == 1
    with pytest.raises(SecretsError, match="does not match"):
        secrets.decrypt_config_text(old_copy, secrets.load_keyring(key_file))


def test_keep_old_key_leaves_old_files_decryptable(encrypted_config: Path, key_file: Path) -> None:
    old_copy = encrypted_config.read_text()
    _rotate(encrypted_config, key_file, keep_old=True)
    assert "AKIAIOSFODNN7EXAMPLE" in secrets.decrypt_config_text(old_copy, secrets.load_keyring(key_file), reveal=True)


def test_during_rotation_the_key_file_decrypts_the_old_and_the_new_config(
    encrypted_config: Path, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, str] = {}
    real_write = secrets.atomic_write

    def spy(path, text, *, mode=0o600):
        if Path(path) == encrypted_config:  # the moment between key file and config writes
            keys = secrets.load_keyring(key_file)
            seen["old"] = secrets.decrypt_config_text(encrypted_config.read_text(), keys, reveal=True)
            seen["new"] = secrets.decrypt_config_text(text, keys, reveal=True)
        real_write(path, text, mode=mode)

    monkeypatch.setattr(secrets, "atomic_write", spy)
    _rotate(encrypted_config, key_file)
    assert "AKIAIOSFODNN7EXAMPLE" in seen["old"] and seen["old"] == seen["new"]


def test_a_failed_config_write_leaves_config_and_key_file_as_they_were(
    encrypted_config: Path, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_before, keys_before = encrypted_config.read_text(), key_file.read_text()
    real_replace = secrets.os.replace

    def crash_on_config(src, dst):
        if Path(dst) == encrypted_config:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(secrets.os, "replace", crash_on_config)
    with pytest.raises(InputError, match="nothing was written"):
        _rotate(encrypted_config, key_file)
    assert encrypted_config.read_text() == config_before
    assert key_file.read_text() == keys_before
    assert sorted(p.name for p in encrypted_config.parent.iterdir() if p.name.startswith(".")) == []


def test_a_wrong_key_stops_rotation_before_anything_is_written(tmp_path: Path, encrypted_config: Path) -> None:
    other = secrets.load_keyring(tmp_path / "other.key", create=True)
    before = (tmp_path / "other.key").read_text(), encrypted_config.read_text()
    with pytest.raises(SecretsError, match="does not match"):
        secrets.rotate_config_text(encrypted_config.read_text(), other.with_new_key())
    assert ((tmp_path / "other.key").read_text(), encrypted_config.read_text()) == before

"""Where keys come from: env var, key file, creation, permissions, several keys."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.secrets.conftest import new_key
from workshop import dirs, secrets
from workshop.errors import SecretsError


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _write_key_file(path: Path, *keys: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(k + "\n" for k in keys))
    path.chmod(mode)
    return path


def test_default_key_file_lives_in_the_workshop_config_dir() -> None:
    assert secrets.default_key_file() == dirs.config_dir() / "config.key"


def test_create_makes_a_0600_key_file_in_a_0700_folder() -> None:
    keyring = secrets.load_keyring(create=True)
    path = secrets.default_key_file()
    assert keyring.created and keyring.key_file == path
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700


def test_create_makes_missing_parent_folders_private_even_with_a_loose_umask(tmp_path: Path) -> None:
    old = os.umask(0o002)
    try:
        secrets.load_keyring(tmp_path / "a" / "b" / "k.key", create=True)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "a") == 0o700
    assert _mode(tmp_path / "a" / "b") == 0o700


def test_create_reuses_an_existing_key_file(tmp_path: Path) -> None:
    first = secrets.load_keyring(tmp_path / "k.key", create=True)
    second = secrets.load_keyring(tmp_path / "k.key", create=True)
    assert not second.created
    assert second.decrypt(first.encrypt("x"), field="f") == "x"


def test_key_file_is_plain_fernet_keys_one_per_line(tmp_path: Path) -> None:
    secrets.load_keyring(tmp_path / "k.key", create=True)
    lines = (tmp_path / "k.key").read_text().splitlines()
    assert len(lines) == 1
    Fernet(lines[0].encode())  # a valid key


def test_missing_key_names_both_ways_to_provide_it() -> None:
    with pytest.raises(SecretsError) as info:
        secrets.load_keyring()
    message = str(info.value)
    assert "$WORKSHOP_CONFIG_KEY" in message
    assert "--key-file" in message and str(secrets.default_key_file()) in message


def test_missing_explicit_key_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(SecretsError, match="does not exist") as info:
        secrets.load_keyring(tmp_path / "nope.key")
    assert str(tmp_path / "nope.key") in str(info.value)


def test_missing_key_without_create_writes_nothing() -> None:
    with pytest.raises(SecretsError):
        secrets.load_keyring()
    assert not secrets.default_key_file().exists()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o606])
def test_key_file_readable_by_others_is_refused_with_a_chmod_hint(tmp_path: Path, mode: int) -> None:
    path = _write_key_file(tmp_path / "k.key", new_key(), mode=mode)
    with pytest.raises(SecretsError) as info:
        secrets.load_keyring(path)
    assert f"chmod 600 {path}" in str(info.value)


def test_key_file_with_mode_0400_is_accepted(tmp_path: Path) -> None:
    path = _write_key_file(tmp_path / "k.key", new_key(), mode=0o400)
    assert secrets.load_keyring(path).source == str(path)


def test_env_var_is_used_when_no_key_file_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    secrets.load_keyring(create=True)  # a default key file exists too
    key = new_key()
    monkeypatch.setenv(secrets.KEY_ENV, key)
    keyring = secrets.load_keyring()
    assert keyring.source == "$WORKSHOP_CONFIG_KEY" and keyring.from_env
    assert Fernet(key.encode()).decrypt(keyring.encrypt("v")[4:].encode()) == b"v"


def test_env_var_wins_over_the_default_key_file(monkeypatch: pytest.MonkeyPatch) -> None:
    file_ring = secrets.load_keyring(create=True)
    monkeypatch.setenv(secrets.KEY_ENV, new_key())
    with pytest.raises(SecretsError, match="does not match"):
        secrets.load_keyring().decrypt(file_ring.encrypt("v"), field="f")


def test_explicit_key_file_wins_over_the_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(secrets.KEY_ENV, new_key())
    path = _write_key_file(tmp_path / "k.key", new_key())
    assert secrets.load_keyring(path).source == str(path)


def test_empty_env_var_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(secrets.KEY_ENV, "  ")
    assert secrets.load_keyring(create=True).key_file == secrets.default_key_file()


def test_env_var_may_hold_several_keys_newest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = new_key(), new_key()
    old_token = secrets.Keyring((old.encode(),), source="t").encrypt("v")
    monkeypatch.setenv(secrets.KEY_ENV, f"{new}, {old}")
    keyring = secrets.load_keyring()
    assert keyring.decrypt(old_token, field="f") == "v"
    # encrypts with the first (newest) key
    assert Fernet(new.encode()).decrypt(keyring.encrypt("w")[4:].encode()) == b"w"


def test_key_file_may_hold_several_keys_and_comments(tmp_path: Path) -> None:
    old, new = new_key(), new_key()
    path = _write_key_file(tmp_path / "k.key", "# newest first", new, "", old)
    old_token = secrets.Keyring((old.encode(),), source="t").encrypt("v")
    assert secrets.load_keyring(path).decrypt(old_token, field="f") == "v"


def test_invalid_env_key_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(secrets.KEY_ENV, "not-a-key-but-secret-ish")
    with pytest.raises(SecretsError, match="not a Fernet key") as info:
        secrets.load_keyring()
    assert "not-a-key-but-secret-ish" not in str(info.value)
    assert "$WORKSHOP_CONFIG_KEY" in str(info.value)


def test_invalid_line_in_key_file_names_the_file(tmp_path: Path) -> None:
    path = _write_key_file(tmp_path / "k.key", new_key(), "garbage")
    with pytest.raises(SecretsError, match="not a Fernet key") as info:
        secrets.load_keyring(path)
    assert str(path) in str(info.value) and "garbage" not in str(info.value)


def test_empty_key_file_is_refused(tmp_path: Path) -> None:
    path = _write_key_file(tmp_path / "k.key")
    with pytest.raises(SecretsError, match="holds no key"):
        secrets.load_keyring(path)


def test_keyring_repr_never_shows_the_key(keyring: secrets.Keyring) -> None:
    for key in keyring.keys:
        assert key.decode() not in repr(keyring)
        assert key.decode() not in str(keyring)

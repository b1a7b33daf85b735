"""The four secrets commands through ``python -m workshop`` in a subprocess."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.secrets.conftest import CLEAR_SECRETS, PLAIN_SEED_CONFIG, CliResult, new_key
from tests.secrets.legacy_tool import EXAMPLE_SECRET_KEY, legacy_config
from workshop import secrets


def assert_one_line_error(result: CliResult, *fragments: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    path = tmp_path / "config-original.properties"
    path.write_text(PLAIN_SEED_CONFIG)
    return path


@pytest.fixture
def encrypted(tmp_path: Path, plain: Path, run_cli) -> Path:
    out = tmp_path / "config.properties"
    assert run_cli("encrypt-config", plain, out).returncode == 0
    return out


@pytest.mark.parametrize("command", ["encrypt-config", "decrypt-config", "rotate-key", "import-legacy"])
def test_every_command_has_help(run_cli, command: str) -> None:
    result = run_cli(command, "--help")
    assert result.returncode == 0 and "--key-file" in result.stdout


def test_encrypt_config_writes_a_private_encrypted_file(tmp_path: Path, plain: Path, run_cli) -> None:
    out = tmp_path / "config.properties"
    result = run_cli("encrypt-config", plain, out)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "enc:" in text and "Encrypted = true" in text
    assert not [s for s in CLEAR_SECRETS if s in text]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_encrypt_config_creates_the_key_file_and_prints_its_path_not_the_key(
    tmp_path: Path, plain: Path, run_cli
) -> None:
    result = run_cli("encrypt-config", plain, tmp_path / "out.ini")
    key_file = secrets.default_key_file()
    assert f"created key file {key_file}" in result.stdout
    assert key_file.read_text().strip() not in result.stdout + result.stderr


def test_encrypt_config_tells_the_user_to_delete_the_input(tmp_path: Path, plain: Path, run_cli) -> None:
    assert f"now delete {plain}" in run_cli("encrypt-config", plain, tmp_path / "out.ini").stdout


def test_encrypt_config_uses_the_given_key_file(tmp_path: Path, plain: Path, run_cli) -> None:
    key_file = tmp_path / "handout.key"
    result = run_cli("encrypt-config", plain, tmp_path / "out.ini", "--key-file", key_file)
    assert result.returncode == 0 and key_file.exists()
    assert not secrets.default_key_file().exists()


def test_encrypt_config_refuses_to_overwrite_without_force(encrypted: Path, plain: Path, run_cli) -> None:
    before = encrypted.read_text()
    assert_one_line_error(run_cli("encrypt-config", plain, encrypted), "already exists", "--force")
    assert encrypted.read_text() == before


def test_encrypt_config_overwrites_with_force(encrypted: Path, plain: Path, run_cli) -> None:
    before = encrypted.read_text()
    assert run_cli("encrypt-config", plain, encrypted, "--force").returncode == 0
    assert encrypted.read_text() != before


def test_encrypt_config_on_bad_input_writes_nothing(tmp_path: Path, run_cli) -> None:
    bad = tmp_path / "bad.ini"
    bad.write_text("AccessKey = AKIAIOSFODNN7EXAMPLE\n")
    assert_one_line_error(run_cli("encrypt-config", bad, tmp_path / "out.ini"), "bad.ini", "line 1")
    assert not (tmp_path / "out.ini").exists()
    assert not secrets.default_key_file().exists()


def test_missing_input_is_one_line(tmp_path: Path, run_cli) -> None:
    assert_one_line_error(run_cli("encrypt-config", tmp_path / "nope.ini", tmp_path / "o.ini"), "no such file")


def test_decrypt_config_masks_secrets(encrypted: Path, run_cli) -> None:
    result = run_cli("decrypt-config", encrypted)
    assert result.returncode == 0
    assert "AccessKey = AKIA…MPLE" in result.stdout
    assert not [s for s in CLEAR_SECRETS if s in result.stdout + result.stderr]


def test_decrypt_config_reveal_prints_full_values(encrypted: Path, run_cli) -> None:
    result = run_cli("decrypt-config", encrypted, "--reveal")
    assert f"SecretKey = {EXAMPLE_SECRET_KEY}" in result.stdout
    assert "warning" in result.stderr


def test_wrong_key_names_the_source_and_that_it_does_not_match(encrypted: Path, run_cli) -> None:
    result = run_cli("decrypt-config", encrypted, env={secrets.KEY_ENV: new_key()})
    assert_one_line_error(result, "$WORKSHOP_CONFIG_KEY", "does not match")


def test_missing_key_names_both_ways_to_provide_it(encrypted: Path, run_cli) -> None:
    secrets.default_key_file().unlink()
    assert_one_line_error(run_cli("decrypt-config", encrypted), "$WORKSHOP_CONFIG_KEY", "--key-file")


def test_loose_key_file_is_refused_with_chmod_hint(encrypted: Path, run_cli) -> None:
    secrets.default_key_file().chmod(0o644)
    assert_one_line_error(run_cli("decrypt-config", encrypted), f"chmod 600 {secrets.default_key_file()}")


def test_corrupted_value_names_the_field(encrypted: Path, run_cli) -> None:
    text = encrypted.read_text()
    encrypted.write_text(text.replace("SecretKey = enc:gAAAAA", "SecretKey = enc:gAAAA", 1))
    assert_one_line_error(run_cli("decrypt-config", encrypted), "default.SecretKey", "corrupted")


def test_plain_value_in_an_encrypted_file_is_warned_per_field(encrypted: Path, run_cli) -> None:
    lines = [("AccessKey = AKIAIOSFODNN7EXAMPLE" if line.startswith("AccessKey") else line)
             for line in encrypted.read_text().splitlines()]
    encrypted.write_text("\n".join(lines) + "\n")
    result = run_cli("decrypt-config", encrypted)
    assert result.returncode == 0
    assert "warning: " in result.stderr and "default.AccessKey is not encrypted" in result.stderr
    assert "AKIAIOSFODNN7EXAMPLE" not in result.stdout + result.stderr


def test_rotate_key_keeps_the_config_readable_and_drops_the_old_key(encrypted: Path, run_cli) -> None:
    old_key = secrets.default_key_file().read_text()
    old_copy = encrypted.read_text()
    result = run_cli("rotate-key", encrypted)
    assert result.returncode == 0, result.stderr
    new_key_text = secrets.default_key_file().read_text()
    assert new_key_text != old_key and len(new_key_text.split()) == 1
    assert new_key_text.strip() not in result.stdout + result.stderr
    assert "AKIA…MPLE" in run_cli("decrypt-config", encrypted).stdout
    (encrypted.parent / "old.ini").write_text(old_copy)
    assert_one_line_error(run_cli("decrypt-config", encrypted.parent / "old.ini"), "does not match")


def test_rotate_key_from_the_env_var_needs_a_new_key_file(tmp_path: Path, plain: Path, run_cli) -> None:
    env = {secrets.KEY_ENV: new_key()}
    out = tmp_path / "out.ini"
    assert run_cli("encrypt-config", plain, out, env=env).returncode == 0
    assert_one_line_error(run_cli("rotate-key", out, env=env), "--new-key-file")


def test_rotate_key_from_the_env_var_writes_the_new_key_to_a_file(tmp_path: Path, plain: Path, run_cli) -> None:
    env = {secrets.KEY_ENV: new_key()}
    out, new_file = tmp_path / "out.ini", tmp_path / "new.key"
    run_cli("encrypt-config", plain, out, env=env)
    result = run_cli("rotate-key", out, "--new-key-file", new_file, env=env)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(new_file.stat().st_mode) == 0o600
    assert new_file.read_text().strip() not in result.stdout
    assert "AKIA…MPLE" in run_cli("decrypt-config", out, "--key-file", new_file, env=env).stdout


def test_import_legacy_re_encrypts_and_drops_the_fernet_key(tmp_path: Path, run_cli) -> None:
    text, fernet_key = legacy_config()
    src, out = tmp_path / "legacy.properties", tmp_path / "config.properties"
    src.write_text(text)
    result = run_cli("import-legacy", src, out)
    assert result.returncode == 0, result.stderr
    assert fernet_key not in out.read_text() and "SecretKeyFernet" not in out.read_text()
    assert f"SecretKey = {EXAMPLE_SECRET_KEY}" in run_cli("decrypt-config", out, "--reveal").stdout
    assert f"now delete {src}" in result.stdout


def test_import_legacy_with_the_access_key_bug_says_so_and_imports_the_rest(tmp_path: Path, run_cli) -> None:
    text, fernet_key = legacy_config(bug=True)
    src, out = tmp_path / "legacy.properties", tmp_path / "config.properties"
    src.write_text(text)
    result = run_cli("import-legacy", src, out)
    assert result.returncode == 0, result.stderr
    assert "AccessKey held the file's Fernet key" in result.stderr and "re-enter it" in result.stderr
    revealed = run_cli("decrypt-config", out, "--reveal").stdout
    assert "AccessKey = \n" in revealed and f"SecretKey = {EXAMPLE_SECRET_KEY}" in revealed
    assert fernet_key not in revealed


def test_import_legacy_on_a_plain_config_writes_nothing(tmp_path: Path, plain: Path, run_cli) -> None:
    assert_one_line_error(run_cli("import-legacy", plain, tmp_path / "o.ini"), "SecretKeyFernet")
    assert not (tmp_path / "o.ini").exists() and not secrets.default_key_file().exists()


def test_encrypt_config_sends_an_original_file_to_import_legacy(tmp_path: Path, run_cli) -> None:
    src = tmp_path / "legacy.properties"
    src.write_text(legacy_config()[0])
    assert_one_line_error(run_cli("encrypt-config", src, tmp_path / "o.ini"), "import-legacy")

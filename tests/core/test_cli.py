"""The CLI as a user runs it (subprocess): success prints a result; every bad input is one line, non-zero."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
TIMING_FIELDS = ("client_ms", "server_ms", "overhead_ms", "credentials_ms")


def cli(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    run_env = dict(os.environ)  # already isolated by tests/conftest.py (HOME, XDG, AWS_*)
    run_env["PYTHONPATH"] = str(ROOT)
    run_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "workshop", *args], capture_output=True, text=True, env=run_env,
        cwd=ROOT, input=stdin, timeout=120,
    )


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in proc.stderr
    return lines[0]


def write(tmp_path: Path, text: str, name: str = "c.properties") -> str:
    target = tmp_path / name
    target.write_text(text)
    return str(target)


# --------------------------------------------------------------------------- success


def test_invoke_vpce_without_config_prints_a_json_result_with_timings() -> None:
    proc = cli("invoke", "--path", "vpce", "--model", HAIKU, "--json", "--no-delay")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["ok"] and result["output_text"]
    assert result["path"] == "vpce" and result["api"] == "invoke"
    for name in TIMING_FIELDS:
        assert isinstance(result[name], float), name
    assert result["sandbox"] is True


def test_invoke_stream_human_output_streams_text_then_the_breakdown() -> None:
    proc = cli("invoke", "--path", "cross-account", "--model", HAIKU, "--api", "invoke-stream", "--no-delay")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for label in ("credentials", "first byte", "first token", "server", "overhead", "total", "tokens", "retries",
                  "request id"):
        assert f"\n{label}" in out
    assert "modelled, not measured on AWS" in out
    assert out.index("credentials") > 20  # the answer came first


def test_invoke_reads_the_body_from_a_file(tmp_path: Path) -> None:
    body = write(tmp_path, json.dumps({"messages": [{"role": "user", "content": [{"text": "hello"}]}],
                                       "inferenceConfig": {"maxTokens": 20}}), "body.json")
    proc = cli("invoke", "--path", "nat", "--model", HAIKU, "--api", "converse", "--body", body, "--json", "--no-delay")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["output_tokens"] <= 20


def test_models_lists_the_sandbox_catalog_as_json() -> None:
    proc = cli("models", "--path", "nat", "--json")
    assert proc.returncode == 0, proc.stderr
    ids = {m["model_id"] for m in json.loads(proc.stdout)["models"]}
    assert HAIKU in ids


# Only files whose paths fail validation: a usable AWS path would try to reach AWS, and
# tests never leave loopback (legacy_config.properties is covered by test_config.py).
@pytest.mark.parametrize("name", ["seed-config-template.properties", "seed-config-original.properties"])
def test_models_lists_the_seed_config_models_despite_placeholders(name: str) -> None:
    proc = cli("models", "--config", str(DATA / name), "--json")
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)["models"]
    assert listed
    if name == "seed-config-template.properties":
        assert len(listed) == 13


def test_help_works_for_both_commands() -> None:
    for command in ("invoke", "models"):
        proc = cli(command, "--help")
        assert proc.returncode == 0 and "--config" in proc.stdout


# --------------------------------------------------------------------------- bad input: one line, non-zero


def path_config(tmp_path: Path, body: str) -> str:
    return write(tmp_path, f"[workshop]\nRegion = us-east-1\n\n[path nat]\n{body}\n")


def test_bad_region_is_one_line(tmp_path: Path) -> None:
    line = one_line_error(cli("invoke", "--config", path_config(tmp_path, "Region = us-east"), "--path", "nat",
                              "--model", HAIKU))
    assert "[path nat] Region: 'us-east'" in line and "us-east-1" in line


def test_bad_role_arn_is_one_line(tmp_path: Path) -> None:
    cfg = path_config(tmp_path, "CredentialMode = assume-role\nRoleARN = arn:aws:iam::12345:role/x")
    line = one_line_error(cli("invoke", "--config", cfg, "--path", "nat", "--model", HAIKU))
    assert "[path nat] RoleARN" in line and "<12-digit account>" in line


def test_bad_vpce_url_is_one_line(tmp_path: Path) -> None:
    cfg = write(tmp_path, "[default]\nUseVPCe=true\nRegion=us-west-2\n"
                          "VPCEndpointURL=https://vpce-xxxx-xxx.bedrock.us-west-2.vpce.amazonaws.com\n")
    line = one_line_error(cli("invoke", "--config", cfg, "--path", "vpce", "--model", HAIKU))
    assert "VPCEndpointURL" in line and ".bedrock-runtime." in line


def test_unknown_path_is_one_line() -> None:
    line = one_line_error(cli("invoke", "--path", "vcpe", "--model", HAIKU))
    assert "unknown path 'vcpe'" in line and "nat, vpce, cross-account" in line


def test_bad_model_id_is_one_line() -> None:
    line = one_line_error(cli("invoke", "--path", "nat", "--model", "Claude 3 Haiku"))
    assert "Claude 3 Haiku" in line


def test_bad_body_json_is_one_line_with_line_and_column(tmp_path: Path) -> None:
    body = write(tmp_path, '{\n  "max_tokens": 10,\n  "messages": [}\n', "body.json")
    line = one_line_error(cli("invoke", "--path", "nat", "--model", HAIKU, "--body", body))
    assert "line 3" in line


def test_missing_body_file_is_one_line(tmp_path: Path) -> None:
    line = one_line_error(cli("invoke", "--path", "nat", "--model", HAIKU, "--body", str(tmp_path / "none.json")))
    assert "body file not found" in line


def test_missing_config_file_is_one_line(tmp_path: Path) -> None:
    line = one_line_error(cli("invoke", "--config", str(tmp_path / "nope.properties"), "--model", HAIKU))
    assert "config file not found" in line


def test_unknown_api_is_one_line() -> None:
    line = one_line_error(cli("invoke", "--path", "nat", "--model", HAIKU, "--api", "chat"))
    assert "unknown API 'chat'" in line


def test_missing_credentials_are_one_line(tmp_path: Path) -> None:
    cfg = path_config(tmp_path, "EndpointURL = http://127.0.0.1:9")
    line = one_line_error(cli("invoke", "--config", cfg, "--path", "nat", "--model", HAIKU))
    assert "no credentials found" in line


def test_unreachable_endpoint_is_an_error_result_with_a_hint(tmp_path: Path, closed_port: int) -> None:
    cfg = path_config(tmp_path, f"EndpointURL = http://127.0.0.1:{closed_port}\nMaxAttempts = 1")
    keys = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
    proc = cli("invoke", "--config", cfg, "--path", "nat", "--model", HAIKU, env=keys)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    # (a "warning:" line may come first: STS is unreachable too, and the invocation log says so once)
    assert any(line.startswith("error: ") for line in lines) and f"127.0.0.1:{closed_port}" in proc.stderr
    assert any(line.startswith("hint: ") for line in lines)
    assert "wJalrXUtnFEMI" not in proc.stdout + proc.stderr


def test_unknown_path_for_models_is_one_line() -> None:
    line = one_line_error(cli("models", "--path", "nowhere"))
    assert "unknown path 'nowhere'" in line


def test_encrypted_config_with_key_file_drives_the_cross_account_path(tmp_path: Path) -> None:
    from workshop import secrets

    key_file = tmp_path / "workshop.key"
    keyring = secrets.load_keyring(key_file, create=True)
    cfg = write(tmp_path, (
        "[workshop]\nSandbox = true\nEncrypted = true\n\n[path cross-account]\n"
        f"RoleARN = {keyring.encrypt('arn:aws:iam::444455556666:role/BedrockCrossAccountRole')}\n"
        f"ExternalId = {keyring.encrypt('workshop-external-id')}\n"
    ))
    proc = cli("invoke", "--config", cfg, "--key-file", str(key_file), "--path", "cross-account",
               "--model", HAIKU, "--json", "--no-delay")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["ok"]
    wrong = cli("invoke", "--config", cfg, "--path", "cross-account", "--model", HAIKU)
    line = one_line_error(wrong)
    assert "[path cross-account] RoleARN" in line


def test_every_command_runs_with_only_its_own_module_loaded() -> None:
    # main() imports only the module of the command given (start-up of every invocation,
    # the sandbox's child process included); each command must be found that way.
    from workshop.cli import _command_in, build_parser

    def commands(parser) -> set[str]:
        action = next(a for a in parser._actions if a.dest == "command")
        return set(action.choices)

    every = commands(build_parser())
    assert {"compare", "sandbox", "encrypt-config", "lab"} <= every
    for word in every:
        module = _command_in(["--debug", word, "--help"])
        assert module is not None, word
        assert word in commands(build_parser(only=module)), word
    assert _command_in(["--help"]) is None and _command_in(["nosuch"]) is None

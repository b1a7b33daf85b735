"""Hostile or careless input to the CLI, in process: every mistake is one ``error:`` line with
exit 2 — an empty option, a body JSON cannot hold or nested beyond the limit, a huge integer,
a lone surrogate, an oversize body file — and a secret pasted into the wrong field is never
echoed back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workshop import cli, prompts
from workshop.errors import TemplateError
from workshop.limits import MAX_BODY_BYTES, MAX_JSON_DEPTH

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GOOD = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
        "messages": [{"role": "user", "content": "hi"}]}


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    err = capsys.readouterr().err
    return code, err


def one_error_line(code: int, err: str) -> str:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("argv", [
    ("invoke", "--model", ""), ("invoke", "--path", " "), ("invoke", "--config", ""), ("invoke", "--body", ""),
    ("compare", "--model", ""), ("compare", "--paths", ""), ("models", "--path", ""), ("diagnose", "--path", ""),
    ("export", ""), ("policy", "invoke", "--region", "us-east-1", "--model", ""),
])
def test_an_empty_option_is_refused_not_replaced_by_the_default(capsys, argv: tuple[str, ...]) -> None:
    line = one_error_line(*run_cli(capsys, *argv))
    assert "the value is empty" in line


def _body_file(tmp_path: Path, text: str) -> str:
    target = tmp_path / "body.json"
    target.write_text(text, encoding="utf-8")
    return str(target)


NESTED = '{"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5, "messages": [], "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
BAD_BODIES = {
    "nested": (NESTED, f"deeper than {MAX_JSON_DEPTH} levels"),
    "huge-int": (json.dumps(GOOD).replace('"max_tokens": 10', '"max_tokens": ' + "9" * 5000), "digits"),
    "big-count": (json.dumps(GOOD).replace('"max_tokens": 10', '"max_tokens": ' + "9" * 30), "`max_tokens` must be"),
    "surrogate": (json.dumps(GOOD).replace('"hi"', '"hi \\ud800"'), "lone UTF-16 surrogate"),
    "nan": (json.dumps(GOOD).replace('"max_tokens": 10', '"max_tokens": NaN'), "NaN is not JSON"),
    "infinity": (json.dumps(GOOD).replace('"max_tokens": 10', '"temperature": 1e999, "max_tokens": 10'),
                 "too large for JSON"),
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_a_body_json_cannot_hold_is_a_template_error(name: str) -> None:
    text, expected = BAD_BODIES[name]
    with pytest.raises(TemplateError) as caught:
        prompts.parse_body(text, "claude-messages")
    assert expected in str(caught.value)


@pytest.mark.parametrize("name", ["nested", "huge-int", "surrogate", "nan"])
@pytest.mark.parametrize("command", ["invoke", "compare"])
def test_invoke_and_compare_end_a_bad_body_in_one_line(capsys, tmp_path: Path, name: str, command: str) -> None:
    text, expected = BAD_BODIES[name]
    line = one_error_line(*run_cli(capsys, command, "--model", HAIKU, "--body", _body_file(tmp_path, text),
                                   "--no-delay"))
    assert expected in line


def test_a_body_file_over_the_limit_is_refused_before_it_is_read(capsys, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(MAX_BODY_BYTES + 1)  # sparse: nothing written
    line = one_error_line(*run_cli(capsys, "invoke", "--model", HAIKU, "--body", str(big)))
    assert "MAX_BODY_BYTES" in line and f"{MAX_BODY_BYTES:,}" in line


def _config(tmp_path: Path, text: str) -> str:
    target = tmp_path / "team.properties"
    target.write_text(text, encoding="utf-8")
    return str(target)


@pytest.mark.parametrize(("text", "secret"), [
    (f"[workshop]\nRegion = {SECRET}\n[path nat]\n", SECRET),
    (f"[workshop]\nRegion = us-east-1\n[path cross-account]\nCredentialMode = assume-role\nRoleARN = {SECRET}\n",
     SECRET),
    ("[workshop]\nRegion = us-east-1\n[path nat]\nEndpointURL = https://admin:hunter2pass@bedrock-runtime.us-east-1"
     ".amazonaws.com\n", "hunter2pass"),
    (f"[workshop]\nRegion = us-east-1\nDefaultModel = {SECRET}\n[path nat]\n", SECRET),
])
def test_a_secret_in_the_wrong_field_is_not_echoed(capsys, tmp_path: Path, text: str, secret: str) -> None:
    line = one_error_line(*run_cli(capsys, "invoke", "--config", _config(tmp_path, text)))
    assert secret not in line
    assert "[REDACTED]" in line


def test_an_endpoint_url_with_user_information_is_refused_naming_the_field(capsys, tmp_path: Path) -> None:
    text = "[workshop]\nRegion = us-east-1\n[path nat]\nEndpointURL = https://u:p4ss@bedrock-runtime.us-east-1.amazonaws.com\n"
    line = one_error_line(*run_cli(capsys, "invoke", "--config", _config(tmp_path, text)))
    assert "EndpointURL" in line and "user name or password" in line and "p4ss" not in line


def test_a_config_file_over_the_limit_is_refused_naming_it(capsys, tmp_path: Path) -> None:
    from workshop.limits import MAX_CONFIG_BYTES

    big = tmp_path / "huge.properties"
    big.write_text("[workshop]\n" + "; filler\n" * (MAX_CONFIG_BYTES // 8))
    line = one_error_line(*run_cli(capsys, "invoke", "--config", str(big)))
    assert "MAX_CONFIG_BYTES" in line


@pytest.mark.parametrize("value", ["inf", "nan", "1e999", "100000"])
def test_a_timeout_that_is_not_finite_or_too_long_is_refused(capsys, tmp_path: Path, value: str) -> None:
    text = f"[workshop]\nRegion = us-east-1\n[path nat]\nReadTimeout = {value}\n"
    line = one_error_line(*run_cli(capsys, "invoke", "--config", _config(tmp_path, text)))
    assert "ReadTimeout" in line and "3600" in line

"""Guards the lead added on main for issue 13, each checked by a test that would have failed
before: bounded ``-n`` (and a schedule that is a generator), non-finite and boolean time
limits and precision refused, an output into a missing folder refused before the run, a
comparison where every call failed ends in one line (closed port, unknown model), a missing
command module is an error, PostgreSQL tests fail under CI without a server."""

from __future__ import annotations

import itertools
import types
from pathlib import Path

import pytest

from workshop import cli
from workshop.compare import MAX_SAMPLES_PER_PATH, RunSettings, iter_schedule
from workshop.errors import InputError
from workshop.store import Store

NOVA = "amazon.nova-micro-v1:0"
BODY = {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}


def one_error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert lines and lines[-1].startswith("error: ") and "Traceback" not in err, err
    return lines[-1]


def test_samples_per_path_are_bounded_and_the_schedule_is_lazy() -> None:
    with pytest.raises(InputError, match="100,000"):
        RunSettings(paths=("nat",), model_id=NOVA, body=BODY, samples=10**22)
    settings = RunSettings(paths=("nat", "vpce"), model_id=NOVA, body=BODY, samples=MAX_SAMPLES_PER_PATH)
    plan = iter_schedule(settings)
    assert isinstance(plan, types.GeneratorType)  # 200,000 calls are never a list in memory
    assert [p for _, p in itertools.islice(plan, 4)] == ["nat", "vpce", "nat", "vpce"]


def test_a_23_digit_n_is_one_line(capsys) -> None:
    line = one_error_line(capsys, ["compare", "--model", NOVA, "--no-delay", "-n", "1" + "0" * 22])
    assert "samples" in line


@pytest.mark.parametrize(("flag", "value"), [("--max-time", "inf"), ("--max-time", "nan"), ("--max-time", "-1"),
                                            ("--precision", "inf"), ("--precision", "nan"), ("--precision", "0")])
def test_non_finite_time_limits_and_precision_are_one_line(capsys, flag: str, value: str) -> None:
    line = one_error_line(capsys, ["compare", "--model", NOVA, "--no-delay", flag, value])
    assert "time" in line or "precision" in line


@pytest.mark.parametrize("field", ["time_limit_s", "precision_ms"])
def test_a_boolean_time_limit_or_precision_is_refused(field: str) -> None:
    with pytest.raises(InputError):
        RunSettings(paths=("nat",), model_id=NOVA, body=BODY, samples=3, **{field: True})


@pytest.mark.parametrize("flag", ["--out", "--report"])
def test_an_output_into_a_missing_folder_is_refused_before_any_call(capsys, tmp_path: Path, flag: str) -> None:
    target = tmp_path / "missing" / ("x.csv" if flag == "--out" else "x.html")
    line = one_error_line(capsys, ["compare", "--model", NOVA, "--no-delay", "-n", "3", flag, str(target)])
    assert flag in line and "does not exist" in line
    with Store.open() as store:
        assert store.list_runs() == []  # no run was started, so nothing measured is lost


def test_every_call_failing_on_an_unknown_model_is_one_line_not_a_hollow_summary(capsys) -> None:
    line = one_error_line(capsys, ["compare", "--model", "amazon.nova-nonexistent-v9:0", "--no-delay", "-n", "2",
                                   "--warmup", "1", "--paths", "nat"])
    assert "every call failed" in line and "ResourceNotFound" in line


def test_every_call_failing_on_a_closed_port_is_one_line_not_exit_0(capsys, monkeypatch, tmp_path: Path,
                                                                    closed_port: int) -> None:
    # The default chain finds AWS's example keys in the environment; nothing listens on the port.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    config = tmp_path / "closed.properties"
    config.write_text(
        "[workshop]\nRegion = us-east-1\n[path nat]\n"
        f"EndpointURL = http://127.0.0.1:{closed_port}\nCredentialMode = instance\n"
        f"STSEndpointURL = http://127.0.0.1:{closed_port}\nConnectTimeout = 1\nMaxAttempts = 1\n")
    line = one_error_line(capsys, ["compare", "--config", str(config), "--model", NOVA, "-n", "2", "--warmup", "1",
                                   "--paths", "nat"])
    assert "every call failed" in line
    assert "wJalrXUtnFEMI" not in line


def test_a_missing_command_module_is_an_error_not_a_dropped_command(monkeypatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, "no_such_command"))
    with pytest.raises(ModuleNotFoundError):
        cli.build_parser()


def test_postgres_tests_fail_under_ci_without_a_server(monkeypatch) -> None:
    from tests.pg import PG_ENV, pg_server_or_skip

    monkeypatch.delenv(PG_ENV, raising=False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        pg_server_or_skip()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        pg_server_or_skip()

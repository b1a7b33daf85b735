"""Argument vectors into the CLI, in process: exit 0/1/2/130 or argparse's own exit — never a
traceback. Values are drawn from what a careless or hostile user types (empty, negative,
huge, non-finite, unknown), so most vectors are refused before anything starts; the rare
valid one runs for real against the sandbox (always --no-delay, a few samples at most)."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz.conftest import share
from workshop import cli

NUMBERS = st.sampled_from(["-1", "0", "1", "2", "nan", "inf", "-inf", "1e999", "99999999999999999999999", "x", ""])
WORDS = st.sampled_from(["", " ", "nat", "vpce", "cross-account", "nat,vpce", ",", "nope", "-", "--",
                         "amazon.nova-micro-v1:0", "anthropic.claude-v2:1", "bogus.model", "us.amazon.nova-micro-v1:0",
                         "/nonexistent/file.json", "/tmp", "x.csv", "/nonexistent/dir/x.csv", "\ud800", "a" * 300])
FLAG_VALUES = {
    "invoke": {"--path": WORDS, "--model": WORDS, "--body": WORDS, "--api": st.sampled_from(
        ["invoke", "converse", "invoke-stream", "converse-stream", "bogus", ""]), "--config": WORDS},
    "compare": {"--paths": WORDS, "--model": WORDS, "-n": NUMBERS, "--precision": NUMBERS, "--max-time": NUMBERS,
                "--warmup": NUMBERS, "--concurrency": NUMBERS, "--max-tokens": NUMBERS, "--pause-ms": NUMBERS,
                "--volume": NUMBERS, "--out": WORDS, "--report": WORDS, "--api": WORDS, "--body": WORDS},
    "models": {"--path": WORDS, "--config": WORDS},
    "export": {"--out": WORDS, "--format": st.sampled_from(["csv", "jsonl", "xml", ""])},
    "policy": {"--model": WORDS, "--region": WORDS, "--account": NUMBERS},
}
POSITIONAL = {"export": WORDS, "policy": st.sampled_from(["invoke", "vpce", "trust", "bogus", ""])}
FLAGS_ONLY = {"compare": ["--json"], "invoke": ["--json"], "models": ["--json"], "export": ["--list", "--json"]}


@st.composite
def argv(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(sorted(FLAG_VALUES)))
    words = [command]
    if command in POSITIONAL and draw(st.booleans()):
        words.append(draw(POSITIONAL[command]))
    flags = FLAG_VALUES[command]
    for flag in draw(st.lists(st.sampled_from(sorted(flags)), max_size=4, unique=True)):
        words += [flag, draw(flags[flag])]
    words += draw(st.lists(st.sampled_from(FLAGS_ONLY.get(command, ["--help"])), max_size=1))
    if command in ("invoke", "compare", "models"):
        words.append("--no-delay")
    if command == "compare" and "-n" not in words:
        words += ["-n", "2", "--warmup", "1"]
    return words


@settings(max_examples=share(0.5))
@given(words=argv())
def test_any_argument_vector_ends_in_an_exit_code_not_a_traceback(words: list[str], capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO('{"not": "a body"'))  # --body - reads it
    try:
        code = cli.main(words)
    except SystemExit as exit_:  # argparse: --help (0) or a usage error (2)
        assert exit_.code in (0, 2), words
        return
    finally:
        err = capsys.readouterr().err
    assert code in (0, 1, 2, 130), (words, err)
    assert "Traceback" not in err
    if code == 2:
        assert err.strip().splitlines()[-1].startswith("error: "), (words, err)

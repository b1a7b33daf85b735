"""A facilitator's whole secrets workflow in debug mode leaks no secret anywhere.

Every command runs with ``--debug`` (the seed's ``Debug = true``), including the failures;
all stdout, stderr and every file written (other than the key files and the inputs that
hold the secrets by design) are searched for the clear values. None may be found.
"""

from __future__ import annotations

from pathlib import Path

from tests.secrets.conftest import CLEAR_SECRETS, PLAIN_NEW_CONFIG, PLAIN_SEED_CONFIG, new_key
from tests.secrets.legacy_tool import legacy_config
from workshop import secrets


def test_cli_secrets_workflow_in_debug_mode_leaks_nothing(tmp_path: Path, run_cli) -> None:
    work = tmp_path / "work"
    work.mkdir()
    inputs = {work / "seed.properties": PLAIN_SEED_CONFIG, work / "new.ini": PLAIN_NEW_CONFIG}
    legacy_text, legacy_key = legacy_config()
    buggy_text, buggy_key = legacy_config(bug=True)
    inputs[work / "legacy.properties"] = legacy_text
    inputs[work / "legacy-bug.properties"] = buggy_text
    for path, text in inputs.items():
        path.write_text(text)
    key_file = work / "handout.key"

    steps = [
        ("encrypt-config", work / "seed.properties", work / "seed.enc", "--key-file", key_file),
        ("encrypt-config", work / "new.ini", work / "new.enc", "--key-file", key_file),
        ("decrypt-config", work / "seed.enc", "--key-file", key_file),
        ("decrypt-config", work / "new.enc", "--key-file", key_file),
        # the key file is shared by both configs, so keep the old key while rotating each
        ("rotate-key", work / "seed.enc", "--key-file", key_file, "--keep-old-key"),
        ("rotate-key", work / "new.enc", "--key-file", key_file, "--keep-old-key"),
        ("decrypt-config", work / "seed.enc", "--key-file", key_file),
        ("import-legacy", work / "legacy.properties", work / "legacy.enc", "--key-file", key_file),
        ("import-legacy", work / "legacy-bug.properties", work / "legacy-bug.enc", "--key-file", key_file),
        ("decrypt-config", work / "legacy-bug.enc", "--key-file", key_file),
        # failures must not leak either
        ("decrypt-config", work / "new.enc"),  # default key file missing
        ("encrypt-config", work / "seed.properties", work / "seed.enc", "--key-file", key_file),  # exists
        ("encrypt-config", work / "legacy.properties", work / "x.enc", "--key-file", key_file),  # legacy
    ]
    captured: list[str] = []
    codes = []
    for step in steps:
        result = run_cli("--debug", *step)
        codes.append(result.returncode)
        captured += [result.stdout, result.stderr]
    wrong = run_cli("--debug", "decrypt-config", work / "new.enc", env={secrets.KEY_ENV: new_key()})
    captured += [wrong.stdout, wrong.stderr]
    assert codes == [0] * 10 + [2, 2, 2] and wrong.returncode == 2

    keys = [line.strip() for line in key_file.read_text().splitlines() if line.strip()]
    forbidden = [*CLEAR_SECRETS, legacy_key, buggy_key, *keys]
    written = [p for p in work.rglob("*") if p.is_file() and p not in inputs and p != key_file]
    assert {p.name for p in written} >= {"seed.enc", "new.enc", "legacy.enc", "legacy-bug.enc"}
    haystacks = {f"output {i}": text for i, text in enumerate(captured)}
    haystacks.update({str(p): p.read_text() for p in written})
    leaks = [(where, s) for where, text in haystacks.items() for s in forbidden if s in text]
    assert leaks == []
    # the run really did produce debug output to search
    assert any("DEBUG" in text for text in captured)

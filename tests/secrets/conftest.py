"""Fixtures for the secrets tests: keys, key files, example configs, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from workshop import secrets

ROOT = Path(__file__).resolve().parents[2]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

PLAIN_SEED_CONFIG = """\
[default]
UseVPCe = true
GetCredentialsFrom = 2
Region = us-west-2
AccessKey = AKIAIOSFODNN7EXAMPLE
SecretKey = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
AssumeRoleARN = arn:aws:iam::111122223333:role/BedrockWorkshopRole
VPCEndpointURL = https://vpce-0123456789abcdef0-abcdefgh.bedrock-runtime.us-west-2.vpce.amazonaws.com
PromptFilePath = prompt.txt
Debug = false

[models]
Claude-3-Haiku = anthropic.claude-3-haiku-20240307-v1:0
"""

PLAIN_NEW_CONFIG = """\
[workshop]
Region = us-east-1
DefaultPath = cross-account

[path nat]
Kind = nat
CredentialMode = access-keys
AccessKey = AKIAIOSFODNN7EXAMPLE
SecretKey = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

[path cross-account]
Kind = cross-account
CredentialMode = assume-role
RoleARN = arn:aws:iam::444455556666:role/BedrockCrossAccountRole
ExternalId = workshop-external-id
EndpointURL = https://vpce-0123456789abcdef0-abcdefgh.bedrock-runtime.us-east-1.vpce.amazonaws.com
"""

CLEAR_SECRETS = (
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "arn:aws:iam::111122223333:role/BedrockWorkshopRole",
    "arn:aws:iam::444455556666:role/BedrockCrossAccountRole",
    "workshop-external-id",
    "vpce-0123456789abcdef0-abcdefgh",
)


@pytest.fixture
def keyring(tmp_path: Path) -> secrets.Keyring:
    """A keyring backed by a fresh 0600 key file."""
    return secrets.load_keyring(tmp_path / "keys" / "config.key", create=True)


@pytest.fixture
def key_file(keyring: secrets.Keyring) -> Path:
    assert keyring.key_file is not None
    return keyring.key_file


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., CliResult]:
    """Run ``python -m workshop ...`` in a subprocess with the test's isolated environment."""
    python = str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))

    def run(*args: str | Path, env: dict[str, str] | None = None) -> CliResult:
        environment = dict(os.environ)
        environment.update(env or {})
        done = subprocess.run(
            [python, "-m", "workshop", *map(str, args)],
            cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    return run


def new_key() -> str:
    return Fernet.generate_key().decode()

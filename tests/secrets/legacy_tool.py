"""The original workshop's encryptConfig.py, reproduced to make test fixtures.

The seed (../shared/seeds/000_*.txt) generates a Fernet key per run, stores every secret
as base64(Fernet token) and writes the key itself beside them in ``SecretKeyFernet``. One
variant of the tool wrote the encrypted Fernet key into the AccessKey slot; ``bug=True``
reproduces that. Only AWS's documented EXAMPLE credentials are used.

Run ``python tests/secrets/legacy_tool.py`` to regenerate ``tests/data/legacy_*``.
"""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.fernet import Fernet

EXAMPLE_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
EXAMPLE_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
EXAMPLE_ROLE_ARN = "arn:aws:iam::444455556666:role/BedrockCrossAccountRole"
EXAMPLE_VPCE_URL = "https://vpce-0123456789abcdef0-abcdefgh.bedrock-runtime.us-west-2.vpce.amazonaws.com"

ORIGINAL_VALUES: dict[str, str] = {
    "UseVPCe": "true",
    "GetCredentialsFrom": "2",
    "Region": "us-west-2",
    "AccessKey": EXAMPLE_ACCESS_KEY,
    "SecretKey": EXAMPLE_SECRET_KEY,
    "AssumeRoleARN": EXAMPLE_ROLE_ARN,
    "VPCEndpointURL": EXAMPLE_VPCE_URL,
    "PromptFilePath": "prompt.txt",
    "Debug": "true",
}
ENCRYPTED_BY_ORIGINAL = ("AccessKey", "SecretKey", "AssumeRoleARN", "VPCEndpointURL")
DATA = Path(__file__).resolve().parent.parent / "data"


def original_encrypt(value: str, fernet: Fernet) -> str:
    """What the original stored: base64 of the Fernet token (a token is already base64)."""
    token = fernet.encrypt(value.encode())
    return base64.b64encode(token).decode()


def legacy_config(
    values: dict[str, str] | None = None,
    *,
    bug: bool = False,
    encrypted: tuple[str, ...] = ENCRYPTED_BY_ORIGINAL,
) -> tuple[str, str]:
    """A config file as the original tool wrote it; returns ``(text, fernet_key)``."""
    key = Fernet.generate_key()
    fernet = Fernet(key)
    out = dict(ORIGINAL_VALUES if values is None else values)
    for name in encrypted:
        if name in out:
            out[name] = original_encrypt(out[name], fernet)
    if bug:
        # The original's bug: the AccessKey slot received the (encrypted) Fernet key.
        out["AccessKey"] = original_encrypt(key.decode(), fernet)
    out["SecretKeyFernet"] = key.decode()
    lines = ["[default]", *(f"{k} = {v}" for k, v in out.items()), "", "[models]",
             "Claude-3-Haiku = anthropic.claude-3-haiku-20240307-v1:0",
             "Titan-Text = amazon.titan-text-express-v1", ""]
    return "\n".join(lines), key.decode()


def write_fixtures(folder: Path = DATA) -> list[Path]:
    """Regenerate the committed fixtures (each run uses a new key, as the original did)."""
    written = []
    for name, bug in (("legacy_config.properties", False), ("legacy_config_accesskey_bug.properties", True)):
        text, _ = legacy_config(bug=bug)
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_fixtures():
        print(path)

"""Config secrets: Fernet encryption of config values, key handling, legacy import, redaction.

The original workshop encrypted its config with Fernet but stored the key in the same file
(``SecretKeyFernet``), so the encryption protected nothing. Here the key never lives in the
config: it comes from ``$WORKSHOP_CONFIG_KEY`` or a key file readable only by its owner
(0600, in a 0700 folder). Encrypted values are written ``enc:<fernet token>`` so a reader,
and the loader, can tell them from plain values. Key files and the variable may hold
several keys, newest first, so old tokens keep decrypting while a key is rotated
(``MultiFernet``).

One module per concern, all reachable from here as before:

* ``keys``: the key holder (``Keyring``), key files, ``load_keyring``;
* ``legacy``: the original workshop's format (``decrypt_legacy``, ``import_legacy_text``);
* ``configtext``: whole config files encrypted, decrypted or rotated (read with the one INI
  reader, ``workshop.ini``, that the config loader uses too);
* ``files``: ``atomic_write``;
* ``redaction``: ``redact``, ``mask``, ``RedactingFilter``, the one redaction used by logging,
  the console, exports and error messages.

The key and file-format modules (and so ``cryptography``) load on first use: the console's
first page needs only redaction.
"""

from __future__ import annotations

import importlib
import os  # noqa: F401  (tests patch secrets.os to fail a write half-way)
from typing import Any

from workshop.ini import parse_ini, render_ini
from workshop.secrets.constants import (
    ENCRYPTED_FLAG,
    ENCRYPTED_PREFIX,
    KEY_ENV,
    KEY_FILE_NAME,
    LEGACY_KEY_FIELD,
    SENSITIVE_KEYS,
    WORKSHOP_SECTION,
)
from workshop.secrets.files import atomic_write
from workshop.secrets.redaction import REDACTED, RedactingFilter, mask, redact

__all__ = [
    "ENCRYPTED_FLAG",
    "ENCRYPTED_PREFIX",
    "KEY_ENV",
    "KEY_FILE_NAME",
    "LEGACY_KEY_FIELD",
    "REDACTED",
    "SENSITIVE_KEYS",
    "WORKSHOP_SECTION",
    "Keyring",
    "LegacyImport",
    "RedactingFilter",
    "atomic_write",
    "decrypt_config_text",
    "decrypt_legacy",
    "default_key_file",
    "encrypt_config_text",
    "encrypt_parser",
    "generate_key",
    "import_legacy_text",
    "is_encrypted",
    "is_legacy_token",
    "is_sensitive",
    "load_keyring",
    "mask",
    "parse_ini",
    "plain_sensitive_fields",
    "redact",
    "render_ini",
    "rotate_config_text",
    "write_key_file",
]

_LAZY: dict[str, str] = {
    **dict.fromkeys(("Keyring", "default_key_file", "generate_key", "is_encrypted", "is_sensitive", "load_keyring",
                     "write_key_file"), "keys"),
    **dict.fromkeys(("LegacyImport", "decrypt_legacy", "import_legacy_text", "is_legacy_token"), "legacy"),
    **dict.fromkeys(("decrypt_config_text", "encrypt_config_text", "encrypt_parser", "plain_sensitive_fields",
                     "rotate_config_text"), "configtext"),
}


def __getattr__(name: str) -> Any:
    """Load the key, legacy and config-text modules (and cryptography) on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value

"""The names every part of the secrets package agrees on: markers, variables, sensitive keys."""

from __future__ import annotations

ENCRYPTED_PREFIX = "enc:"
"""Marks an encrypted value in a config file: ``enc:<fernet token>``."""

KEY_ENV = "WORKSHOP_CONFIG_KEY"
"""Environment variable holding the key (or several, comma-separated, newest first)."""

KEY_FILE_NAME = "config.key"

WORKSHOP_SECTION = "workshop"
ENCRYPTED_FLAG = "Encrypted"
"""Key in ``[workshop]`` saying the file's sensitive values are encrypted."""

LEGACY_KEY_FIELD = "SecretKeyFernet"
"""Where the original workshop stored its Fernet key, beside the values it protected."""

SENSITIVE_KEYS: frozenset[str] = frozenset(
    {"AccessKey", "SecretKey", "AssumeRoleARN", "RoleARN", "VPCEndpointURL", "EndpointURL", "ExternalId",
     "ApiKey"}
)
"""Config keys (in any section) whose values are encrypted on disk and masked on screen."""

_SENSITIVE_LOWER = frozenset(k.lower() for k in SENSITIVE_KEYS)



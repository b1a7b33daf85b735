"""The key holder: Fernet keys from $WORKSHOP_CONFIG_KEY or a private key file, newest first.

``Keyring`` encrypts and decrypts ``enc:`` values (MultiFernet: old tokens keep decrypting
while a key is rotated); ``load_keyring`` finds the keys and checks the key file is private
(0600 in a 0700 folder), ``write_key_file`` creates one that is.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from workshop import dirs
from workshop.errors import SecretsError
from workshop.secrets.constants import _SENSITIVE_LOWER, ENCRYPTED_PREFIX, KEY_ENV, KEY_FILE_NAME
from workshop.secrets.files import atomic_write

log = logging.getLogger("workshop.secrets")


# --------------------------------------------------------------------------- keys


def default_key_file() -> Path:
    """Where the key lives when neither ``--key-file`` nor ``$WORKSHOP_CONFIG_KEY`` is given."""
    return dirs.config_dir() / KEY_FILE_NAME


def generate_key() -> bytes:
    """A new random Fernet key (URL-safe base64, 44 characters)."""
    return Fernet.generate_key()


def is_encrypted(value: str) -> bool:
    """True when ``value`` is written in our encrypted form (``enc:<token>``)."""
    return isinstance(value, str) and value.strip().startswith(ENCRYPTED_PREFIX)


def is_sensitive(key: str) -> bool:
    """True when a config key holds a secret (case-insensitive, any section)."""
    return key.strip().lower() in _SENSITIVE_LOWER


@dataclass(frozen=True)
class Keyring:
    """The keys that encrypt and decrypt config values, newest first.

    ``source`` says where they came from (``$WORKSHOP_CONFIG_KEY`` or a file path) so error
    messages can name it; the keys themselves never appear in ``repr`` or messages.
    """

    keys: tuple[bytes, ...] = field(repr=False)
    source: str
    created: bool = False
    key_file: Path | None = None

    def __post_init__(self) -> None:
        if not self.keys:
            raise SecretsError("no key", source=self.source)

    @property
    def from_env(self) -> bool:
        """True when the keys came from the environment variable (which we cannot rewrite)."""
        return self.key_file is None

    @property
    def _fernet(self) -> MultiFernet:
        # Built on demand: MultiFernet encrypts with the first key, decrypts with any.
        return MultiFernet([Fernet(k) for k in self.keys])

    def encrypt(self, value: str) -> str:
        """Encrypt ``value`` with the newest key; returns ``enc:<token>``."""
        token = self._fernet.encrypt(value.encode("utf-8"))
        return ENCRYPTED_PREFIX + token.decode("ascii")

    def decrypt(self, value: str, *, field: str) -> str:
        """Decrypt an ``enc:`` value; plain values come back unchanged.

        Raises ``SecretsError`` naming ``field`` when the token is corrupted, or naming
        ``source`` when no key here matches.
        """
        if not is_encrypted(value):
            return value
        token = _token_bytes(value, field=field)
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken:
            raise self._no_match(field) from None
        except UnicodeDecodeError:
            raise SecretsError("decrypted value is not text", field=field,
                               fix="re-enter the value and encrypt the config again") from None

    def rotate(self, value: str, *, field: str) -> str:
        """Re-encrypt an ``enc:`` value under the newest key (plain values unchanged)."""
        if not is_encrypted(value):
            return value
        token = _token_bytes(value, field=field)
        try:
            return ENCRYPTED_PREFIX + self._fernet.rotate(token).decode("ascii")
        except InvalidToken:
            raise self._no_match(field) from None

    def with_new_key(self) -> Keyring:
        """A keyring with a fresh key first and the current keys after it (for rotation)."""
        return Keyring((generate_key(), *self.keys), source=self.source, key_file=self.key_file)

    def newest_only(self) -> Keyring:
        """This keyring without its older keys (once nothing is encrypted with them)."""
        return Keyring(self.keys[:1], source=self.source, key_file=self.key_file)

    def _no_match(self, field: str) -> SecretsError:
        return SecretsError(
            f"the key from {self.source} does not match (the value was encrypted with another "
            "key, or altered)",
            field=field,
            fix=f"use the key the file was encrypted with: its key file (--key-file FILE on the command line, "
            f"the Key file field in the console) or ${KEY_ENV}",
        )


def _token_bytes(value: str, *, field: str) -> bytes:
    """The Fernet token inside ``enc:<token>``, checked for shape so a damaged value is
    reported as corrupted (naming the field) rather than as a wrong key."""
    token = value.strip()[len(ENCRYPTED_PREFIX):].strip()
    corrupted = SecretsError(
        "encrypted value is corrupted (not a complete Fernet token)",
        field=field,
        fix="restore the file from its source or re-enter the value and run encrypt-config",
    )
    # Strict: urlsafe_b64decode would silently skip stray characters.
    if not re.fullmatch(r"[A-Za-z0-9_\-]+={0,2}", token):
        raise corrupted
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
    except (binascii.Error, ValueError):
        raise corrupted from None
    # Fernet layout: version 0x80 | 8-byte timestamp | 16-byte IV | AES-CBC blocks | 32-byte HMAC.
    if len(raw) < 1 + 8 + 16 + 16 + 32 or raw[0] != 0x80 or (len(raw) - 57) % 16:
        raise corrupted
    return token.encode("ascii")


def _parse_keys(text: str, *, source: str) -> tuple[bytes, ...]:
    """Keys from an env value (comma-separated) or a key file (one a line, '#' comments)."""
    keys: list[bytes] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0]
        for part in line.split(","):
            candidate = part.strip()
            if not candidate:
                continue
            try:
                Fernet(candidate.encode("ascii"))
            except (ValueError, binascii.Error, UnicodeEncodeError):
                where = f"line {number}" if "\n" in text.strip() else "value"
                raise SecretsError(
                    f"{where} is not a Fernet key (expected 44 characters of URL-safe base64)",
                    source=source,
                    fix="use a key produced by encrypt-config or Fernet.generate_key()",
                ) from None
            keys.append(candidate.encode("ascii"))
    if not keys:
        raise SecretsError("holds no key", source=source,
                           fix=f"put the key in it, or set ${KEY_ENV}")
    return tuple(keys)


def _check_private(path: Path) -> None:
    """Refuse a key file others can read or write: the key is the whole protection."""
    if os.name != "posix":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SecretsError(
            f"key file is readable or writable by others (mode {mode:04o})",
            source=str(path),
            fix=f"chmod 600 {path}",
        )


def _make_private_parent(path: Path) -> None:
    """Create the key file's folder 0700 when missing (umask would loosen mkdir's mode)."""
    parent = path.parent
    missing = []
    probe = parent
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    dirs.ensure_private_dir(parent)
    for made in missing:
        os.chmod(made, 0o700)
    # Our own config folder must be private even if something else created it first.
    if parent == dirs.config_dir():
        os.chmod(parent, 0o700)


def write_key_file(path: str | Path, keys: Iterable[bytes]) -> Path:
    """Atomically write ``keys`` (newest first, one a line) to ``path`` with mode 0600."""
    path = Path(path).expanduser()
    _make_private_parent(path)
    atomic_write(path, "".join(k.decode("ascii") + "\n" for k in keys), mode=0o600)
    return path


def load_keyring(key_file: str | Path | None = None, *, create: bool = False) -> Keyring:
    """The keys to use: ``key_file`` when given, else ``$WORKSHOP_CONFIG_KEY``, else the
    default key file.

    An explicit ``key_file`` wins over the environment (the usual flag > env > default
    order), so ``--key-file`` is never silently ignored. With ``create=True`` a missing key
    file is created with a new key (0600, folder 0700) and ``Keyring.created`` is True.
    """
    env_value = os.environ.get(KEY_ENV, "").strip()
    if key_file is None and env_value:
        return Keyring(_parse_keys(env_value, source=f"${KEY_ENV}"), source=f"${KEY_ENV}")

    path = Path(key_file).expanduser() if key_file is not None else default_key_file()
    if not path.exists():
        if create:
            key = generate_key()
            write_key_file(path, [key])
            log.info("created key file %s", path)
            return Keyring((key,), source=str(path), created=True, key_file=path)
        if key_file is not None:
            raise SecretsError("key file does not exist", source=str(path),
                               fix=f"check the path, or set ${KEY_ENV} instead")
        raise SecretsError(
            "no config key found",
            fix=f"set ${KEY_ENV} to the key, or put it in a key file "
            f"(--key-file FILE on the command line, the Key file field in the console; by default {path}, mode 600)",
        )
    if not path.is_file():
        raise SecretsError("key file is not a regular file", source=str(path),
                           fix="pass the path of the key file itself")
    _check_private(path)
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretsError(f"cannot read key file ({_os_reason(exc)})", source=str(path),
                           fix="check the file and its permissions") from None
    return Keyring(_parse_keys(text, source=str(path)), source=str(path), key_file=path)


def _os_reason(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__



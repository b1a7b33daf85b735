"""Config secrets: Fernet encryption of config values, key handling, legacy import, redaction.

The original workshop encrypted its config with Fernet but stored the key in the same file
(``SecretKeyFernet``), so the encryption protected nothing. Here the key never lives in the
config: it comes from ``$WORKSHOP_CONFIG_KEY`` or a key file readable only by its owner
(0600, in a 0700 folder). Encrypted values are written ``enc:<fernet token>`` so a reader,
and the loader, can tell them from plain values. Key files and the variable may hold
several keys, newest first, so old tokens keep decrypting while a key is rotated
(``MultiFernet``).

``redact`` is the one redaction function used by logging, the console, exports and error
messages: anything secret-shaped is masked before it leaves the process.
"""

from __future__ import annotations

import base64
import binascii
import configparser
import logging
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from workshop import dirs
from workshop.errors import InputError, SecretsError
from workshop.ini import parse_ini, render_ini

__all__ = [
    "ENCRYPTED_FLAG",
    "ENCRYPTED_PREFIX",
    "KEY_ENV",
    "LEGACY_KEY_FIELD",
    "SENSITIVE_KEYS",
    "Keyring",
    "LegacyImport",
    "RedactingFilter",
    "atomic_write",
    "decrypt_config_text",
    "decrypt_legacy",
    "default_key_file",
    "encrypt_config_text",
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
    {"AccessKey", "SecretKey", "AssumeRoleARN", "RoleARN", "VPCEndpointURL", "EndpointURL", "ExternalId"}
)
"""Config keys (in any section) whose values are encrypted on disk and masked on screen."""

_SENSITIVE_LOWER = frozenset(k.lower() for k in SENSITIVE_KEYS)


log = logging.getLogger(__name__)


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
            fix=f"use the key the file was encrypted with (--key-file FILE or ${KEY_ENV})",
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
            f"(--key-file FILE, default {path}, mode 600)",
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


# --------------------------------------------------------------------------- legacy format


def is_legacy_token(value: str) -> bool:
    """True for the original workshop's encrypted values: base64 of a Fernet token."""
    text = value.strip()
    if not text:
        return False
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False
    return raw.startswith(b"gAAAAA")


def _legacy_fernet(fernet_key: str) -> Fernet:
    """The original tool's key as written in ``SecretKeyFernet``: normally the key itself;
    its README also speaks of the key "converted to base64", so accept that form too."""
    text = fernet_key.strip()
    candidates = [text]
    try:
        candidates.append(base64.b64decode(text.encode("ascii"), validate=True).decode("ascii").strip())
    except (binascii.Error, ValueError, UnicodeError):
        pass
    for candidate in candidates:
        try:
            return Fernet(candidate.encode("ascii"))
        except (ValueError, binascii.Error, UnicodeEncodeError):
            continue
    raise SecretsError("is not a Fernet key", field=LEGACY_KEY_FIELD,
                       fix="use the file exactly as the original encryptConfig.py wrote it")


def decrypt_legacy(value: str, fernet_key: str, *, field: str) -> str:
    """Decrypt one value written by the original workshop: base64(Fernet token)."""
    fernet = _legacy_fernet(fernet_key)
    text = value.strip()
    try:
        token = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise SecretsError("is not an encrypted value from the original workshop (not base64)",
                           field=field, fix="restore the file or re-enter the value") from None
    if not token.startswith(b"gAAAAA"):
        # Some copies hold the bare token rather than its base64.
        token = text.encode("ascii") if text.startswith("gAAAAA") else token
    try:
        return fernet.decrypt(token).decode("utf-8")
    except InvalidToken:
        raise SecretsError(
            f"does not decrypt with the file's {LEGACY_KEY_FIELD} (corrupted, or from another file)",
            field=field, fix="restore the value from the original file or re-enter it",
        ) from None
    except UnicodeDecodeError:
        raise SecretsError("decrypted value is not text", field=field,
                           fix="re-enter the value") from None


@dataclass(frozen=True)
class LegacyImport:
    """Result of importing an original-workshop file."""

    text: str
    """The new config text, sensitive values encrypted with our key."""
    access_key_was_fernet_key: bool
    """The original tool's bug: AccessKey held the Fernet key; AccessKey is left empty."""
    decrypted_fields: tuple[str, ...]
    """``section.key`` of every legacy-encrypted value that was decrypted and re-encrypted."""


def import_legacy_text(text: str, keyring: Keyring, *, source: str = "input") -> LegacyImport:
    """Convert a file written by the original encryptConfig.py to our encrypted format.

    Every legacy value is decrypted with the file's own ``SecretKeyFernet``, which is then
    dropped; sensitive values are re-encrypted with ``keyring``.
    """
    parser = parse_ini(text, source=source)
    holder = next((s for s in parser.sections() if parser.has_option(s, LEGACY_KEY_FIELD)), None)
    if holder is None:
        raise InputError(
            f"has no {LEGACY_KEY_FIELD}: not a file written by the original workshop's encryptConfig.py",
            source=source, fix="encrypt a plain config with encrypt-config instead",
        )
    fernet_key = parser.get(holder, LEGACY_KEY_FIELD).strip()
    _legacy_fernet(fernet_key)  # fail on a bad key before touching any value
    parser.remove_option(holder, LEGACY_KEY_FIELD)

    bug = False
    decrypted: list[str] = []
    for section, key, value in _items(parser):
        if is_encrypted(value):
            continue  # already ours; encrypt_parser re-encrypts it with our key
        plain = value
        if is_legacy_token(value):
            plain = decrypt_legacy(value, fernet_key, field=f"{section}.{key}")
            decrypted.append(f"{section}.{key}")
        if key.lower() == "accesskey" and plain.strip() and plain.strip() == fernet_key:
            # The original tool wrote its Fernet key into AccessKey: that value is not an
            # access key, and it is the key that "protected" the file. Leave it unset.
            bug = True
            plain = ""
        parser.set(section, key, plain)
    encrypt_parser(parser, keyring)
    return LegacyImport(render_ini(parser), bug, tuple(decrypted))


# --------------------------------------------------------------------------- INI level


def _items(parser: configparser.RawConfigParser) -> Iterator[tuple[str, str, str]]:
    for section in parser.sections():
        for key in list(parser.options(section)):
            yield section, key, parser.get(section, key)


def _claims_encrypted(parser: configparser.RawConfigParser) -> bool:
    if not parser.has_section(WORKSHOP_SECTION):
        return False
    flag = next((k for k in parser.options(WORKSHOP_SECTION) if k.lower() == ENCRYPTED_FLAG.lower()), None)
    return flag is not None and parser.get(WORKSHOP_SECTION, flag).strip().lower() in {"true", "yes", "1", "on"}


def _set_encrypted_flag(parser: configparser.RawConfigParser, on: bool) -> None:
    """Set (or remove) ``Encrypted = true`` in ``[workshop]``; added for the seed format."""
    if not parser.has_section(WORKSHOP_SECTION):
        if not on:
            return
        parser.add_section(WORKSHOP_SECTION)
    for key in parser.options(WORKSHOP_SECTION):
        if key.lower() == ENCRYPTED_FLAG.lower():
            parser.remove_option(WORKSHOP_SECTION, key)
    if on:
        parser.set(WORKSHOP_SECTION, ENCRYPTED_FLAG, "true")
    elif not parser.options(WORKSHOP_SECTION):
        parser.remove_section(WORKSHOP_SECTION)  # it only existed to carry the flag


def plain_sensitive_fields(text: str, *, source: str = "config") -> list[str]:
    """``section.key`` of every sensitive value left in clear in a file that says it is
    encrypted (empty when the file does not claim ``Encrypted = true``)."""
    parser = parse_ini(text, source=source)
    if not _claims_encrypted(parser):
        return []
    return [f"{s}.{k}" for s, k, v in _items(parser) if is_sensitive(k) and v.strip() and not is_encrypted(v)]


def _reject_legacy(parser: configparser.RawConfigParser, source: str) -> None:
    if any(parser.has_option(s, LEGACY_KEY_FIELD) for s in parser.sections()):
        raise InputError(
            f"was written by the original workshop (it has {LEGACY_KEY_FIELD})",
            source=source, field=LEGACY_KEY_FIELD,
            fix="convert it with: python -m workshop import-legacy IN OUT",
        )


def encrypt_parser(parser: configparser.RawConfigParser, keyring: Keyring) -> None:
    """Encrypt every sensitive value in place (already-encrypted ones move to the newest
    key, which also proves they decrypt) and set ``Encrypted = true``."""
    for section, key, value in _items(parser):
        if not is_sensitive(key) or not value.strip():
            continue
        where = f"{section}.{key}"
        log.debug("encrypting %s with the newest key from %s", where, keyring.source)
        if is_encrypted(value):
            parser.set(section, key, keyring.rotate(value, field=where))
        else:
            parser.set(section, key, keyring.encrypt(value.strip()))
    _set_encrypted_flag(parser, True)


def encrypt_config_text(text: str, keyring: Keyring, *, source: str = "config") -> str:
    """Config text with every sensitive value encrypted and ``Encrypted = true`` set.

    Accepts the seed's ``[default]`` format (a ``[workshop]`` section is added for the flag)
    and the new format. Comments are not carried over (configparser drops them).
    """
    parser = parse_ini(text, source=source)
    _reject_legacy(parser, source)
    encrypt_parser(parser, keyring)
    return render_ini(parser)


def decrypt_config_text(
    text: str, keyring: Keyring | None, *, reveal: bool = False, source: str = "config"
) -> str:
    """Config text with ``enc:`` values decrypted.

    Without ``reveal`` sensitive values are masked (``AKIA…MPLE``) and everything else is
    passed through ``redact``: safe to print. With ``reveal`` the result is a plain config
    (the ``Encrypted`` flag is removed so the loader does not warn about it). ``keyring``
    may be None for a file with nothing encrypted in it.
    """
    parser = parse_ini(text, source=source)
    for section, key, value in _items(parser):
        plain = value
        if is_encrypted(value):
            plain = (keyring or load_keyring()).decrypt(value, field=f"{section}.{key}")
        if not reveal:
            plain = mask(plain) if is_sensitive(key) and plain.strip() else redact(plain)
        parser.set(section, key, plain)
    _set_encrypted_flag(parser, False)
    return render_ini(parser)


def rotate_config_text(text: str, keyring: Keyring, *, source: str = "config") -> str:
    """Re-encrypt every value under ``keyring``'s newest key (``MultiFernet.rotate``);
    plain sensitive values are encrypted too."""
    return encrypt_config_text(text, keyring, source=source)


# --------------------------------------------------------------------------- files


def atomic_write(path: str | Path, text: str, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``text`` all at once: temp file in the same folder, fsync,
    ``os.replace``. On any failure the old file is untouched and no temp file is left."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # Mode before content, so the secret is never readable by others, not even briefly.
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            fd = -1  # now owned by handle
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        if fd != -1:
            os.close(fd)
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable; not every filesystem allows fsync on a folder
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


# --------------------------------------------------------------------------- redaction

REDACTED = "[REDACTED]"

_B64 = r"A-Za-z0-9+/"
_URLSAFE = r"A-Za-z0-9_\-"

# Quoted or unquoted values of headers that carry a signature or a session token, also in
# dict reprs such as  'Authorization': b'AWS4-HMAC-SHA256 ...'.
_HEADER_RE = re.compile(
    r"(?i)\b(authorization|x-amz-security-token)(['\"]?\s*[:=]\s*)(?:(b?)(['\"])(.*?)\4|([^\r\n&'\"]+))"
)
# Values of keys named like secrets: SecretAccessKey=..., "SessionToken": "...", <SessionToken>...
_SECRET_NAMES = (
    r"(?:aws_)?secret_?access_?key|secret_?key|(?:aws_)?session_?token|security_?token|"
    + LEGACY_KEY_FIELD
    + r"|password"
)
_KEYED_RE = re.compile(r"(?i)\b(" + _SECRET_NAMES + r")(['\"]?\s*[:=]\s*b?['\"]?\s*)([^\s'\"<,&}]+)")
_XML_KEYED_RE = re.compile(r"(?i)(<(?:" + _SECRET_NAMES + r")>)([^<]+)(</)")
_ACCESS_KEY_ID_RE = re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA|AGPA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b")
_ENC_RE = re.compile(re.escape(ENCRYPTED_PREFIX) + r"[" + _URLSAFE + r"=]+")
_FERNET_TOKEN_RE = re.compile(r"gAAAAA[" + _URLSAFE + r"]+=*")
_LEGACY_TOKEN_RE = re.compile(r"Z0FBQUFB[" + _B64 + r"]+=*")  # base64 of "gAAAAA..."
_FERNET_KEY_RE = re.compile(r"(?<![" + _URLSAFE + r"])[" + _URLSAFE + r"]{43}=(?![" + _URLSAFE + r"=])")
# 40 characters of base64 with both letter cases: an AWS secret access key, not a git SHA.
_SECRET_KEY_RE = re.compile(
    r"(?<![" + _B64 + r"])(?=[" + _B64 + r"]*[A-Z])(?=[" + _B64 + r"]*[a-z])[" + _B64 + r"]{40}(?![" + _B64 + r"=])"
)
# Session tokens are hundreds of base64 characters; anything that long is treated as one.
_LONG_B64_RE = re.compile(r"[" + _B64 + r"]{100,}=*")


def mask(value: str) -> str:
    """A recognisable but useless form of a secret: ``AKIA…MPLE``, or ``••••`` when short."""
    text = "" if value is None else str(value).strip()
    if len(text) < 12:
        return "••••"
    return f"{text[:4]}…{text[-4:]}"


def _header_sub(match: re.Match[str]) -> str:
    name, sep, bprefix, quote = match.group(1), match.group(2), match.group(3), match.group(4)
    if quote:
        return f"{name}{sep}{bprefix}{quote}{REDACTED}{quote}"
    return f"{name}{sep}{REDACTED}"


_SHORTEST_BARE_SECRET = 20  # an access key id; keys, secrets and tokens are longer
_SEPARATORS = frozenset(":=<")


def redact(text: str) -> str:
    """Mask every secret-shaped string in ``text``: access key ids (shown as ``AKIA…MPLE``),
    secret keys, session tokens, Fernet keys and tokens, ``enc:`` values, legacy tokens and
    ``Authorization`` / ``X-Amz-Security-Token`` header values. Used everywhere text can
    leave the process (logs, console, exports, errors)."""
    if not text:
        return text
    text = str(text)
    if len(text) < _SHORTEST_BARE_SECRET and not _SEPARATORS.intersection(text):
        # Fast path for the many short strings of a request body ("role", "user", ...):
        # every pattern below needs 20+ characters or a ':' / '=' / '<' to match.
        return text
    text = _HEADER_RE.sub(_header_sub, text)
    text = _KEYED_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _XML_KEYED_RE.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", text)
    text = _ENC_RE.sub(ENCRYPTED_PREFIX + REDACTED, text)
    text = _FERNET_TOKEN_RE.sub(REDACTED, text)
    text = _LEGACY_TOKEN_RE.sub(REDACTED, text)
    text = _LONG_B64_RE.sub(REDACTED, text)
    text = _FERNET_KEY_RE.sub(REDACTED, text)
    text = _SECRET_KEY_RE.sub(REDACTED, text)
    text = _ACCESS_KEY_ID_RE.sub(lambda m: mask(m.group(0)), text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites every record with its secrets redacted (message with args, traceback, stack).

    Attached to handlers and to the chatty wire loggers, so a record is clean before any
    handler (ours, pytest's, Streamlit's) formats it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the record, nor leak its args
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True

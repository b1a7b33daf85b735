"""The original workshop's encryption: Fernet tokens with the key stored beside them (``SecretKeyFernet``).

Reading it (``decrypt_legacy``, used by the config loader) and converting a whole file to
the new format with a key kept outside it (``import_legacy_text``).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken

from workshop.errors import InputError, SecretsError
from workshop.ini import parse_ini, render_ini
from workshop.secrets.configtext import _items, encrypt_parser
from workshop.secrets.constants import LEGACY_KEY_FIELD
from workshop.secrets.keys import Keyring, is_encrypted

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



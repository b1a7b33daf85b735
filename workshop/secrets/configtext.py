"""Whole config files: encrypt, decrypt (masked or revealed) and rotate every sensitive value.

The file is read with the one INI reader (``workshop.ini``), as the loader reads it.
"""

from __future__ import annotations

import configparser
import logging
from collections.abc import Iterator

from workshop.errors import InputError
from workshop.ini import parse_ini, render_ini
from workshop.secrets.constants import ENCRYPTED_FLAG, LEGACY_KEY_FIELD, WORKSHOP_SECTION
from workshop.secrets.keys import Keyring, is_encrypted, is_sensitive, load_keyring
from workshop.secrets.redaction import mask, redact

log = logging.getLogger("workshop.secrets")


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



"""Config secrets commands: encrypt-config, decrypt-config, rotate-key, import-legacy.

The non-interactive successors of the seed's encryptConfig.py. Every command works out
its whole result in memory first and writes only when everything succeeded (atomically),
so a failure leaves no half-written config and no orphan key file. Keys are never
printed: only the path of the file that holds them.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from workshop import secrets
from workshop.commands.common import add_key_file_argument
from workshop.errors import InputError, SecretsError
from workshop.secrets import Keyring

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the four secrets commands."""
    p = subparsers.add_parser(
        "encrypt-config",
        help="encrypt the secrets of a config file (the seed's encryptConfig.py)",
        description="Encrypt every sensitive value (AccessKey, SecretKey, role ARNs, endpoint URLs, "
        "ExternalId) of IN into OUT. Creates a key file when no key exists and prints its path, never "
        "the key. Accepts the original [default] format and the new one.",
    )
    p.add_argument("input", metavar="IN", help="plain config file")
    p.add_argument("output", metavar="OUT", help="encrypted config file to write")
    add_key_file_argument(p)
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    p.set_defaults(handler=encrypt_config)

    p = subparsers.add_parser(
        "decrypt-config",
        help="show an encrypted config with its secrets masked",
        description="Print IN with encrypted values decrypted and secrets masked (AKIA…MPLE). "
        "--reveal prints the full values: a plain config, so mind where it goes.",
    )
    p.add_argument("input", metavar="IN", help="encrypted config file")
    add_key_file_argument(p)
    p.add_argument("--reveal", action="store_true", help="print full secret values (not masked)")
    p.set_defaults(handler=decrypt_config)

    p = subparsers.add_parser(
        "rotate-key",
        help="re-encrypt a config with a new key",
        description="Generate a new key, put it first in the key file (the old key stays so both "
        "decrypt while IN is rewritten), re-encrypt every value of IN with it, then drop the old key. "
        f"When the key comes from ${secrets.KEY_ENV}, pass --new-key-file: the new key is written "
        "there (mode 600) and you set the variable from it.",
    )
    p.add_argument("input", metavar="IN", help="encrypted config file (rewritten in place)")
    add_key_file_argument(p)
    p.add_argument("--new-key-file", metavar="N",
                   help="write the new key here instead of into the current key file "
                   f"(required when the key comes from ${secrets.KEY_ENV})")
    p.add_argument("--keep-old-key", action="store_true",
                   help="keep the old key after the new one (other configs still use it)")
    p.set_defaults(handler=rotate_key)

    p = subparsers.add_parser(
        "import-legacy",
        help="convert a config encrypted by the original workshop",
        description="Read a file written by the original encryptConfig.py (values are base64 of "
        "Fernet tokens, the key beside them in SecretKeyFernet), decrypt it with that key, re-encrypt "
        "with ours into OUT and drop SecretKeyFernet.",
    )
    p.add_argument("input", metavar="IN", help="config written by the original workshop")
    p.add_argument("output", metavar="OUT", help="encrypted config file to write")
    add_key_file_argument(p)
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    p.set_defaults(handler=import_legacy)


# --------------------------------------------------------------------------- handlers


def encrypt_config(args: argparse.Namespace) -> int:
    """``encrypt-config IN OUT``."""
    text = _read(args.input)
    _check_output(args.output, args.force)
    keyring = _keyring_or_new(args.key_file)
    for name in secrets.plain_sensitive_fields(text, source=args.input):
        _warn(f"{args.input}: {name} was in clear although the file says Encrypted = true; encrypting it")
    new_text = secrets.encrypt_config_text(text, keyring, source=args.input)
    _commit(keyring, args.output, new_text)
    count = sum(1 for line in new_text.splitlines() if secrets.ENCRYPTED_PREFIX in line)
    print(f"encrypted {count} value(s) into {args.output}")
    _report_key(keyring)
    _advise_delete(args.input, args.output, "it holds the secrets in clear")
    return 0


def decrypt_config(args: argparse.Namespace) -> int:
    """``decrypt-config IN``: masked unless ``--reveal``."""
    text = _read(args.input)
    parser = secrets.parse_ini(text, source=args.input)
    needs_key = any(secrets.is_encrypted(parser.get(s, k)) for s in parser.sections() for k in parser.options(s))
    keyring = secrets.load_keyring(args.key_file) if needs_key else None
    for name in secrets.plain_sensitive_fields(text, source=args.input):
        _warn(f"{args.input}: {name} is not encrypted although the file says Encrypted = true "
              f"— run encrypt-config on it")
    sys.stdout.write(secrets.decrypt_config_text(text, keyring, reveal=args.reveal, source=args.input))
    if args.reveal:
        _warn("secrets printed in clear: do not paste this output anywhere")
    return 0


def rotate_key(args: argparse.Namespace) -> int:
    """``rotate-key IN``: new key first, config rewritten, old key dropped."""
    text = _read(args.input)
    old = secrets.load_keyring(args.key_file)
    target = _rotation_target(old, args.new_key_file)
    rotated = Keyring(old.with_new_key().keys, source=str(target), key_file=target)
    # Decrypts every value with the old keys before anything is written: a wrong key or a
    # corrupted value stops here.
    new_text = secrets.rotate_config_text(text, rotated, source=args.input)
    rotate_files(Path(args.input), new_text, rotated, old, keep_old=args.keep_old_key)

    print(f"re-encrypted {args.input} with a new key")
    if old.from_env:
        print(f"new key written to {target} (mode 600); set {secrets.KEY_ENV} from that file, e.g. "
              f'export {secrets.KEY_ENV}="$(cat {target})", or pass --key-file {target}')
    else:
        print(f"new key in {target}")
    if args.keep_old_key:
        print("the old key is kept after it (other files encrypted with it still decrypt)")
    else:
        print("the old key was removed: any other file encrypted with it needs rotate-key "
              "with --keep-old-key, or the old key")
    return 0


def rotate_files(config_path: Path, new_text: str, rotated: Keyring, old: Keyring, *, keep_old: bool) -> None:
    """Write the rotated key file and config in the order that never strands a value.

    1. key file <- new key + old keys: both the current config and the rewritten one decrypt.
    2. config <- ``new_text`` (atomic).
    3. key file <- new key only (unless ``keep_old``).

    A crash between steps leaves files that still decrypt. A failure in step 2 puts the
    key file back as it was, so a failed rotation changes nothing.
    """
    target = rotated.key_file
    assert target is not None
    previous = target.read_text(encoding="ascii") if target.exists() else None
    _write_key(target, rotated.keys)
    try:
        _write(config_path, new_text)
    except BaseException:
        try:
            if previous is None:
                target.unlink()
            else:
                secrets.atomic_write(target, previous, mode=0o600)
        except OSError:
            log.warning("could not restore %s; it holds the old and the new key, both work", target)
        raise
    if not keep_old:
        _write_key(target, rotated.newest_only().keys)


def import_legacy(args: argparse.Namespace) -> int:
    """``import-legacy IN OUT``."""
    text = _read(args.input)
    _check_output(args.output, args.force)
    keyring = _keyring_or_new(args.key_file)
    result = secrets.import_legacy_text(text, keyring, source=args.input)
    _commit(keyring, args.output, result.text)
    print(f"imported {args.input} into {args.output}: {len(result.decrypted_fields)} value(s) "
          f"decrypted and re-encrypted, {secrets.LEGACY_KEY_FIELD} dropped")
    if result.access_key_was_fernet_key:
        _warn(f"{args.input}: AccessKey held the file's Fernet key, not an access key (a bug in the "
              f"original encryptConfig.py). AccessKey is left empty in {args.output}: re-enter it, then "
              f"run encrypt-config {args.output} {args.output} --force")
    _report_key(keyring)
    _advise_delete(args.input, args.output, "its key sits beside its values, so it protects nothing")
    return 0


# --------------------------------------------------------------------------- helpers


def _keyring_or_new(key_file: str | None) -> Keyring:
    """The existing keys, or a new in-memory key (saved by ``_commit`` only on success)."""
    if key_file is None and os.environ.get(secrets.KEY_ENV, "").strip():
        return secrets.load_keyring()
    path = Path(key_file).expanduser() if key_file else secrets.default_key_file()
    if path.exists():
        return secrets.load_keyring(path)
    return Keyring((secrets.generate_key(),), source=str(path), created=True, key_file=path)


def _commit(keyring: Keyring, output: str, text: str) -> None:
    """Save a new key file (if any) then the output; undo the key file if the output fails."""
    if keyring.created and keyring.key_file is not None:
        _write_key(keyring.key_file, keyring.keys)
    try:
        _write(Path(output), text)
    except BaseException:
        if keyring.created and keyring.key_file is not None:
            keyring.key_file.unlink(missing_ok=True)
        raise


def _rotation_target(old: Keyring, new_key_file: str | None) -> Path:
    if new_key_file:
        path = Path(new_key_file).expanduser()
        if path.exists() and path != old.key_file:
            raise InputError("already exists", source=str(path),
                             fix="choose a new path for the new key file")
        return path
    if old.key_file is None:
        raise InputError(
            f"the key comes from ${secrets.KEY_ENV}, which rotate-key cannot rewrite",
            field="--new-key-file",
            fix="pass --new-key-file FILE: the new key is written there (mode 600)",
        )
    return old.key_file


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", source=path, fix="check the path") from None
    except IsADirectoryError:
        raise InputError("is a folder, not a config file", source=path, fix="pass the file's path") from None
    except UnicodeDecodeError:
        raise InputError("is not a text file", source=path, fix="pass an INI config file") from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", source=path, fix="check its permissions") from None


def _write(path: Path, text: str) -> None:
    try:
        secrets.atomic_write(path, text, mode=0o600)
    except OSError as exc:
        raise InputError(f"cannot write ({exc.strerror or type(exc).__name__}); nothing was written",
                         source=str(path), fix="check that the folder exists and is writable") from None


def _write_key(path: Path, keys: tuple[bytes, ...]) -> None:
    try:
        secrets.write_key_file(path, keys)
    except OSError as exc:
        raise SecretsError(f"cannot write key file ({exc.strerror or type(exc).__name__})",
                           source=str(path), fix="check that its folder is writable") from None


def _check_output(output: str, force: bool) -> None:
    if Path(output).exists() and not force:
        raise InputError("already exists", source=output, fix="pass --force to overwrite it")
    if Path(output).is_dir():
        raise InputError("is a folder", source=output, fix="give a file path for the output")


def _report_key(keyring: Keyring) -> None:
    if keyring.created:
        print(f"created key file {keyring.source} (mode 600): send it to participants separately, "
              "never next to the config")
    else:
        print(f"key from {keyring.source}")


def _advise_delete(input_path: str, output: str, why: str) -> None:
    if Path(input_path).resolve() != Path(output).resolve():
        print(f"now delete {input_path}: {why}")


def _warn(message: str) -> None:
    print(f"warning: {secrets.redact(message)}", file=sys.stderr)

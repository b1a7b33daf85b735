"""The one redaction function: anything secret-shaped is masked before it leaves the process.

Used by logging (``RedactingFilter``), the console, exports and error messages. Needs no
cryptography: the console's first page imports it without paying for Fernet.
"""

from __future__ import annotations

import logging
import re

from workshop.secrets.constants import ENCRYPTED_PREFIX, LEGACY_KEY_FIELD

# --------------------------------------------------------------------------- redaction

REDACTED = "[REDACTED]"

_B64 = r"A-Za-z0-9+/"
_URLSAFE = r"A-Za-z0-9_\-"

# Quoted or unquoted values of headers that carry a signature or a session token, also in
# dict reprs such as  'Authorization': b'AWS4-HMAC-SHA256 ...'.
_HEADER_RE = re.compile(
    r"(?i)\b(authorization|x-amz-security-token|x-api-key)(['\"]?\s*[:=]\s*)(?:(b?)(['\"])(.*?)\4|([^\r\n&'\"]+))"
)  # x-api-key: an api-gateway path's API key (issue 12)
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
# The password of a URL's user information (https://user:password@host): a proxy URL may
# carry one, and a user may paste one into any URL field.
_URL_PASSWORD_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s/@:'\"]*:)([^\s/@'\"]+)(@)")
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
    ``Authorization`` / ``X-Amz-Security-Token`` header values, and the password of a URL's
    ``user:password@``. Used everywhere text can
    leave the process (logs, console, exports, errors)."""
    if not text:
        return text
    text = str(text)
    if len(text) < _SHORTEST_BARE_SECRET and not _SEPARATORS.intersection(text):
        # Fast path for the many short strings of a request body ("role", "user", ...):
        # every pattern below needs 20+ characters or a ':' / '=' / '<' to match.
        return text
    text = _HEADER_RE.sub(_header_sub, text)
    text = _URL_PASSWORD_RE.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", text)
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

"""Logging for the CLI and the console: one handler on the root logger, secrets redacted.

``configure(debug=True)`` is the seed's ``Debug = true``: it shows botocore's wire detail
(requests, signing, responses) so participants can see what travels over each path, with
every key, token and signature masked by ``workshop.secrets.redact``.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from workshop.secrets import RedactingFilter

WIRE_LOGGERS: tuple[str, ...] = (
    "botocore.endpoint",  # the request about to be sent (url, headers, body)
    "botocore.parsers",  # response headers and body
    "botocore.auth",  # canonical request, string to sign
    "botocore.credentials",  # where credentials came from (refreshes)
    "botocore.retryhandler",  # why a call was retried
    "urllib3.connectionpool",  # new connections: connection reuse is part of what we measure
)
"""Loggers that carry wire detail; DEBUG only in debug mode, always redacted at the source."""

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MARK = "_workshop_handler"


def configure(debug: bool = False, stream: TextIO | None = None) -> logging.Handler:
    """Install the workshop's redacting handler on the root logger (replacing a previous
    one, so calling twice does not duplicate lines) and return it.

    Without ``debug`` only warnings and the workshop's own info messages show; with it the
    botocore wire loggers log at DEBUG.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
        old.close()

    redacting = RedactingFilter()
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    setattr(handler, _MARK, True)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(redacting)
    root.addHandler(handler)
    # Handlers installed by others (pytest, Streamlit) get the filter too: a secret must
    # not reach any of them.
    for other in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in other.filters):
            other.addFilter(redacting)

    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    logging.getLogger("workshop").setLevel(logging.DEBUG if debug else logging.INFO)
    for name in WIRE_LOGGERS:
        wire = logging.getLogger(name)
        wire.setLevel(logging.DEBUG if debug else logging.WARNING)
        # A logger's filter runs before the record propagates, so every handler sees it clean.
        if not any(isinstance(f, RedactingFilter) for f in wire.filters):
            wire.addFilter(redacting)
    if debug:
        # botocore.hooks and friends log every event emitted: noise that hides the wire detail.
        for noisy in ("botocore.hooks", "botocore.loaders", "botocore.regions", "botocore.utils"):
            logging.getLogger(noisy).setLevel(logging.INFO)
    return handler


def unconfigure() -> None:
    """Remove the workshop's handler (tests; an embedding app that wants its own logging)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
        old.close()

"""One error type per kind of user mistake.

Each carries the field that is wrong and the fix, so the console and the CLI render the
same one-line message. Tracebacks are for bugs only: anything a user can cause is one of
these.
"""

from __future__ import annotations


class WorkshopError(Exception):
    """A mistake the user can fix. ``str(err)`` is the one-line message to show."""

    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        fix: str | None = None,
        source: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.fix = fix
        self.source = source

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.source, self.field) if part)
        text = f"{where}: {self.message}" if where else self.message
        if self.fix:
            text = f"{text} — {self.fix}"
        return text


class ConfigError(WorkshopError):
    """The config file or a config value is wrong (names file, section, key, value)."""

    kind = "config"


class SecretsError(WorkshopError):
    """Encryption key missing, wrong, too widely readable, or a token is corrupted."""

    kind = "secrets"


class TemplateError(WorkshopError):
    """The request body is not valid JSON or does not fit the model family."""

    kind = "template"

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.line = line
        self.column = column


class CredentialError(WorkshopError):
    """Credentials could not be obtained for a path (profile, keys, AssumeRole)."""

    kind = "credentials"


class EndpointError(WorkshopError):
    """An endpoint URL is malformed or unreachable."""

    kind = "endpoint"


class InputError(WorkshopError):
    """A command-line or form value is malformed (account id, ARN, region, number)."""

    kind = "input"


class QuotaError(WorkshopError):
    """The facilitator's per-participant quota or rate is exhausted; nothing was sent."""

    kind = "quota"


class StoreError(WorkshopError):
    """The results store cannot be opened or written (bad URL, unreachable server)."""

    kind = "store"

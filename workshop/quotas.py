"""Facilitator quotas: how many invocations a participant may make, in total and per minute.

Seed 004 caps a shared Bedrock proxy with an API Gateway usage plan: past the limit the
gateway answers ``HTTP 429 LimitExceededException`` ("Limit Exceeded") and the model is never
called. The workshop does the same locally: the config's ``[quota]`` section sets
``MaxInvocations`` (per participant, ever) and ``PerMinute`` (per participant, sliding
60-second window), :func:`check_quota` runs *before* a call, and a refusal raises
:class:`~workshop.errors.QuotaError` so nothing is sent.

Usage is counted from the invocation log (``Store.count_invocations``), so the quota holds
across processes sharing one store (every console session and CLI run of a room pointed
at the facilitator's database), and a participant cannot reset it by restarting.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from workshop.errors import InputError, QuotaError

WINDOW = timedelta(minutes=1)
"""The rate window. Invocations logged at or after ``now - WINDOW`` count against PerMinute."""

HTTP_STATUS = 429
ERROR_CODE = "LimitExceededException"


class InvocationCounter(Protocol):
    """What quotas need from the store (``workshop.store.Store`` satisfies it)."""

    def count_invocations(self, participant: str, *, since: datetime | None = None) -> int: ...


class QuotaLike(Protocol):
    """``workshop.config.QuotaSettings``: None means unlimited."""

    max_invocations: int | None
    per_minute: int | None


@dataclass(frozen=True)
class QuotaStatus:
    """What is left of a participant's quota; None fields mean "no limit set"."""

    participant: str
    used: int
    max_invocations: int | None
    remaining_total: int | None
    used_last_minute: int
    per_minute: int | None
    remaining_this_minute: int | None

    @property
    def limited(self) -> bool:
        return self.max_invocations is not None or self.per_minute is not None

    @property
    def remaining(self) -> int | None:
        """The tighter of the two limits: how many calls may be sent right now."""
        values = [v for v in (self.remaining_total, self.remaining_this_minute) if v is not None]
        return min(values) if values else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["remaining"] = self.remaining
        data["limited"] = self.limited
        return data


def participant_id(kind: str = "cli", session_id: str | None = None) -> str:
    """Who a quota and the invocation log attribute calls to when no name was given.

    The participant's name from ``$WORKSHOP_PARTICIPANT`` when the lab set one (both kinds:
    the CLI and the console on one lab instance are one participant, with one quota);
    otherwise an unnamed id:

    * ``cli``: the OS user running the command (``cli:alice``) — one participant per login
      on a shared lab box, whichever terminal they use
    * ``console``: the Streamlit session (``console:<session id>``) — one participant per
      browser session

    A name typed in the console or given with ``--participant`` wins over both (see
    ``workshop.participants.resolve``).
    """
    from workshop import participants

    if kind not in ("cli", "console"):
        raise InputError(f"unknown participant kind {kind!r}", field="kind", fix="use 'cli' or 'console'")
    named = participants.from_environment()
    if named is not None:
        return named
    if kind == "cli":
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # a container uid with no passwd entry has no name
            user = f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"
        return f"cli:{user}"
    if kind == "console":
        if not session_id:
            raise InputError("a console participant needs the Streamlit session id", field="session_id",
                             fix="pass the session id from the Streamlit script run context")
        return f"console:{session_id}"
    raise InputError(f"unknown participant kind {kind!r}", field="kind", fix="use 'cli' or 'console'")


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo else now.replace(tzinfo=UTC)


def is_limited(quota: QuotaLike | None) -> bool:
    """True when the facilitator set any limit (so checking needs the store at all)."""
    return _is_limited(quota)


def _is_limited(quota: QuotaLike | None) -> bool:
    return quota is not None and (quota.max_invocations is not None or quota.per_minute is not None)


def remaining(quota: QuotaLike | None, store: InvocationCounter, participant: str, *,
              now: datetime | None = None) -> QuotaStatus:
    """The participant's usage and what is left (for the console's quota meter)."""
    now = _now(now)
    limited = _is_limited(quota)
    used = store.count_invocations(participant) if limited else 0
    recent = (
        store.count_invocations(participant, since=now - WINDOW)
        if quota is not None and quota.per_minute is not None else 0
    )
    max_total = quota.max_invocations if quota is not None else None
    per_minute = quota.per_minute if quota is not None else None
    return QuotaStatus(
        participant=participant,
        used=used,
        max_invocations=max_total,
        remaining_total=None if max_total is None else max(0, max_total - used),
        used_last_minute=recent,
        per_minute=per_minute,
        remaining_this_minute=None if per_minute is None else max(0, per_minute - recent),
    )


def _refuse(message: str, fix: str, *, limit: int, used: int, key: str) -> QuotaError:
    err = QuotaError(f"Limit Exceeded: {message} ({HTTP_STATUS} {ERROR_CODE})", fix=fix)
    # Data for the console (the message is what the CLI prints): the same fields an API
    # Gateway 429 carries, plus which [quota] key was hit.
    err.http_status = HTTP_STATUS  # type: ignore[attr-defined]
    err.error_code = ERROR_CODE  # type: ignore[attr-defined]
    err.limit = limit  # type: ignore[attr-defined]
    err.used = used  # type: ignore[attr-defined]
    err.quota_key = key  # type: ignore[attr-defined]
    return err


def check_quota(
    quota: QuotaLike | None,
    store: InvocationCounter,
    participant: str,
    *,
    now: datetime | None = None,
    cost: int = 1,
) -> None:
    """Raise QuotaError when ``cost`` more invocations would exceed the participant's quota.

    Called before anything is sent. With ``MaxInvocations = N`` the N-th call passes and the
    (N+1)-th is refused. ``cost`` lets a comparison check its whole planned budget against
    MaxInvocations up front, so it is refused before the first sample rather than half way.
    The per-minute rate is checked for the next call only: a long run spreads over many
    minutes, and each of its calls is checked again as it is made.
    """
    if cost < 1:
        raise InputError(f"cost must be at least 1, got {cost}", field="cost", fix="pass the number of calls planned")
    if not _is_limited(quota):
        return
    assert quota is not None  # for the type checker: _is_limited said so
    if quota.max_invocations is not None:
        used = store.count_invocations(participant)
        if used + cost > quota.max_invocations:
            planned = f" (this request needs {cost})" if cost > 1 else ""
            raise _refuse(
                f"{used} of {quota.max_invocations} invocations used for participant {participant}{planned}",
                "ask your facilitator to raise [quota] MaxInvocations",
                limit=quota.max_invocations, used=used, key="MaxInvocations",
            )
    if quota.per_minute is not None:
        since = _now(now) - WINDOW
        recent = store.count_invocations(participant, since=since)
        if recent + 1 > quota.per_minute:
            raise _refuse(
                f"{recent} of {quota.per_minute} invocations per minute used for participant {participant}",
                "wait a minute and retry, or ask your facilitator to raise [quota] PerMinute",
                limit=quota.per_minute, used=recent, key="PerMinute",
            )

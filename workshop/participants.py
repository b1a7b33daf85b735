"""Who a participant is: a name, stored with every run, sample and invocation-log record.

A room is 20-200 people on one database; the facilitator's board lists them by name and
pools their runs with the participant as the blocking factor (workshop/room.py). Where the
name comes from, first found:

1. the console's name field (``workshop.ui.participant``) or the CLI's ``--participant``;
2. ``$WORKSHOP_PARTICIPANT``: the lab (issue 11) sets it on each participant's instance,
   so the name needs no typing there;
3. nothing: the call is attributed to an *unnamed* id as before names existed
   (``cli:<login>`` for the CLI, ``console:<session>`` for a browser session), which the
   board shows as unnamed.

A name is a label, not a login: the console has no accounts. Where the lab set the name
(``$WORKSHOP_PARTICIPANT``), it is fixed: the name field is read-only and ``--participant``
may not name anyone else, so a participant cannot pass for another one and read their runs
through the console or the CLI (what the board shows never includes a prompt at all).

``$WORKSHOP_AZ`` (optional) names the instance's Availability Zone, for the board's per-AZ
breakdown; the region comes from the config.
"""

from __future__ import annotations

import os
import re

from workshop.errors import InputError

PARTICIPANT_ENV = "WORKSHOP_PARTICIPANT"
"""Set by the lab on each participant's instance (infra/participant-account.yaml)."""
AZ_ENV = "WORKSHOP_AZ"
"""The instance's Availability Zone, when the lab (or the facilitator) sets it."""

MAX_LENGTH = 64
UNNAMED_PREFIXES: tuple[str, ...] = ("cli:", "console:")
"""Ids given to calls made without a name (``quotas.participant_id``)."""

_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 ._@+-]*[A-Za-z0-9._])?")
_AZ = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d[a-z]|[a-z]{3}\d-az\d")
NAME_RULE = (f"1-{MAX_LENGTH} characters: letters, digits, spaces and . _ @ + - "
             "(starting with a letter or digit), e.g. participant-7 or Ana Silva")


def validate_name(text: str | None, *, field: str = "participant") -> str:
    """``text`` as a participant name (surrounding spaces removed); InputError naming
    ``field`` when it is empty, too long or has characters a name may not have."""
    name = (text or "").strip()
    if not name:
        raise InputError("no participant name given", field=field, fix=f"type a name: {NAME_RULE}")
    if len(name) > MAX_LENGTH:
        raise InputError(f"the participant name is {len(name)} characters long", field=field,
                         fix=f"use at most {MAX_LENGTH}")
    if name.startswith(UNNAMED_PREFIXES) or not _NAME.fullmatch(name):
        raise InputError(f"{name!r} is not a participant name", field=field, fix=f"use {NAME_RULE}")
    return name


def from_environment() -> str | None:
    """``$WORKSHOP_PARTICIPANT`` as a checked name, None when it is unset or empty."""
    value = os.environ.get(PARTICIPANT_ENV, "").strip()
    return validate_name(value, field=PARTICIPANT_ENV) if value else None


def fixed_by_environment() -> bool:
    """True when the lab set this instance's name (the name field is then read-only)."""
    return bool(os.environ.get(PARTICIPANT_ENV, "").strip())


def resolve(explicit: str | None, *, field: str = "--participant") -> str | None:
    """The participant name to use: ``explicit`` (checked), else ``$WORKSHOP_PARTICIPANT``,
    else None (the caller then uses an unnamed id, see ``quotas.participant_id``).

    Where the environment fixes the name, an ``explicit`` other name is refused
    (InputError naming ``field``): nobody on a lab instance can act as someone else.
    """
    fixed = from_environment()
    if explicit is None or not explicit.strip():
        return fixed
    name = validate_name(explicit, field=field)
    if fixed is not None and name != fixed:
        raise InputError(
            f"this instance belongs to participant {fixed!r} (${PARTICIPANT_ENV}); {name!r} is someone else",
            field=field,
            fix=f"leave {field} out (the name is {fixed!r}), or run on a machine of your own",
        )
    return name


def is_named(participant: str | None) -> bool:
    """True for a real name; False for None and for the unnamed ids."""
    return bool(participant) and not str(participant).startswith(UNNAMED_PREFIXES)


def display(participant: str | None) -> str:
    """How the board shows a participant: the name, or "unnamed (…)" for an unnamed id."""
    if not participant:
        return "unnamed"
    if not is_named(participant):
        kind, _, rest = str(participant).partition(":")
        short = rest[:8] if kind == "console" else rest
        return f"unnamed ({kind} {short})"
    return str(participant)


def availability_zone() -> str | None:
    """``$WORKSHOP_AZ`` when it looks like an AZ name (us-east-1a) or id (use1-az2); else None."""
    value = os.environ.get(AZ_ENV, "").strip().lower()
    return value if value and _AZ.fullmatch(value) else None

"""Where comparison runs, their samples and the invocation log are kept.

One small class over SQLAlchemy Core. The default is a SQLite file in the user's data
folder (WAL journal, busy timeout), so a participant needs nothing installed; a URL
(``WORKSHOP_STORE_URL`` or the config's ``StoreURL``) points many consoles at one
PostgreSQL instead, which is how a facilitator collects a room's results.

Durability model: every sample is its own committed transaction, written the moment the
invocation completes. A cancelled or killed run therefore keeps every sample it reported;
``mark_stale_runs`` later relabels a run whose process died as ``incomplete``. In SQLite
WAL mode with ``synchronous=NORMAL`` a commit is an append to the WAL file without fsync:
it survives the process being killed (the OS has the bytes), only a power cut may lose the
last few, which is the right trade for a benchmark that commits thousands of rows.

A room's PostgreSQL can go away mid-run (a restart, a failover, the network): writes then
wait for it (``OUTAGE_S``, retrying with back-off) and go through when it is back, so the
samples measured meanwhile are written late, not lost. If it stays away longer, the run is
closed ``incomplete`` with a note saying how many measured samples were not stored and when
they were measured: what the store reported as written is there, and the gap is labelled.
Every row says whose it is (``participant``: runs, samples, invocation log).

Schema changes are migrations: plain functions, applied in order when the store opens and
recorded in ``schema_migrations`` (one row per applied function), so an older database
file or server upgrades itself.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from workshop.dirs import data_dir, ensure_own_private_dir, make_private
from workshop.errors import InputError, StoreError
from workshop.results import InvocationResult

if TYPE_CHECKING:  # pandas and numpy are imported where samples are read, not when a run starts
    import numpy as np
    import pandas as pd

log = logging.getLogger(__name__)

STORE_URL_ENV = "WORKSHOP_STORE_URL"
DB_FILENAME = "workshop.db"
PG_POOL_SIZE = 4
PG_CONNECTIONS_PER_PROCESS = 4
"""PostgreSQL connections kept per process, and the most it opens under load (docs/room.md)."""
OUTAGE_S = 300.0
"""How long a write to a shared (PostgreSQL) store waits for the database to come back after
the connection was lost: a server restart or a failover takes seconds to a minute."""

RUN_STATUSES: tuple[str, ...] = ("running", "complete", "cancelled", "incomplete", "failed")
EXPORT_FORMATS: tuple[str, ...] = ("csv", "jsonl")

# Result fields that become sample columns (response_body is never stored; output_text
# only when the run asks for it).
RESULT_FIELDS: tuple[str, ...] = tuple(InvocationResult.field_names())

SAMPLE_COLUMNS: tuple[str, ...] = (
    "run_id",
    "seq",
    "path",
    "warmup",
    "cold",
    *(name for name in RESULT_FIELDS if name != "path"),
)

# Keys that must never reach the store, whatever a caller puts in a run's settings: whole
# names (lower case, without "-" and "_"), not substrings — "max_tokens" is not a secret.
_SECRET_KEY_NAMES = frozenset({
    "secret", "secretkey", "secretaccesskey", "awssecretaccesskey", "clientsecret", "password", "passwd",
    "token", "sessiontoken", "awssessiontoken", "securitytoken", "accesstoken", "refreshtoken", "idtoken",
    "bearertoken", "apikey", "xapikey", "accesskey", "accesskeyid", "awsaccesskeyid", "credential",
    "credentials", "fernet", "fernetkey", "secretkeyfernet", "privatekey", "authorization",
})


class _Everyone:
    """``visible_to`` default: no participant filter."""

    def __repr__(self) -> str:
        return "EVERYONE"


EVERYONE: Any = _Everyone()


def visible_clause(column: Any, participant: str | None) -> Any:
    """Rows ``participant`` may see: their own when they have a name; when they have none
    (an unnamed id, or None) the rows nobody named — a laptop's own history from before
    names, or from sessions that never gave one. Never another named participant's."""
    from workshop.participants import UNNAMED_PREFIXES, is_named

    if is_named(participant):
        return column == participant
    return sa.or_(column.is_(None), *(column.like(f"{prefix}%") for prefix in UNNAMED_PREFIXES))


def default_url() -> str:
    """``sqlite:///<data_dir>/workshop.db`` (the folder is created with mode 0700)."""
    folder = ensure_own_private_dir(data_dir())
    return f"sqlite:///{folder / DB_FILENAME}"


def resolve_url(url: str | None = None, *, config_url: str | None = None) -> str:
    """The store URL to use, first found: ``url`` (e.g. ``--store``), ``$WORKSHOP_STORE_URL``,
    the config's ``StoreURL`` (``config_url``), the default SQLite file."""
    return url or os.environ.get(STORE_URL_ENV) or config_url or default_url()


# --------------------------------------------------------------------------------------
# Column types


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC datetimes in and out, stored naive-UTC on every engine.

    SQLite has no time zones and PostgreSQL would convert to the session's zone; storing
    naive UTC everywhere keeps the two engines byte-for-byte comparable.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# --------------------------------------------------------------------------------------
# The current schema (what queries use). Migrations below build it step by step; a test
# checks the migrated database matches these definitions.

metadata = sa.MetaData()

schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("applied_at", UTCDateTime(), nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("started_at", UTCDateTime()),
    sa.Column("ended_at", UTCDateTime()),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("settings", sa.JSON(), nullable=False),
    sa.Column("paths", sa.JSON(), nullable=False),
    sa.Column("model_id", sa.String(200), nullable=False),
    sa.Column("api", sa.String(32), nullable=False),
    sa.Column("sandbox", sa.Boolean(), nullable=False),
    sa.Column("label", sa.String(200)),
    sa.Column("notes", sa.Text()),
    sa.Column("owner", sa.String(300)),
    sa.Column("participant", sa.String(200)),
    sa.Column("region", sa.String(64)),
    sa.Column("az", sa.String(64)),
    sa.Index("ix_runs_participant", "participant", "created_at"),
)

samples = sa.Table(
    "samples",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(36), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("path", sa.String(64), nullable=False),
    sa.Column("warmup", sa.Boolean(), nullable=False),
    sa.Column("cold", sa.Boolean(), nullable=False),
    sa.Column("model_id", sa.String(200), nullable=False),
    sa.Column("api", sa.String(32), nullable=False),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("client_ms", sa.Float()),
    sa.Column("ttft_ms", sa.Float()),
    sa.Column("server_ms", sa.Float()),
    sa.Column("overhead_ms", sa.Float()),
    sa.Column("credentials_ms", sa.Float()),
    sa.Column("retries", sa.Integer(), nullable=False),
    sa.Column("http_status", sa.Integer()),
    sa.Column("error_code", sa.String(100)),
    sa.Column("error_message", sa.Text()),
    sa.Column("error_hint", sa.Text()),
    sa.Column("input_tokens", sa.Integer()),
    sa.Column("output_tokens", sa.Integer()),
    sa.Column("request_id", sa.String(100)),
    sa.Column("output_text", sa.Text()),
    sa.Column("stop_reason", sa.String(64)),
    sa.Column("ttfb_ms", sa.Float()),
    sa.Column("request_bytes", sa.Integer()),
    sa.Column("response_bytes", sa.Integer()),
    sa.Column("modelled_network_ms", sa.Float()),
    sa.Column("participant", sa.String(200)),
    sa.Column("gateway_ms", sa.Float()),
    sa.Column("upstream_ms", sa.Float()),
    sa.Column("init_ms", sa.Float()),
    sa.Index("ix_samples_run_seq", "run_id", "seq", unique=True),
)

run_analyses = sa.Table(
    "run_analyses",
    metadata,
    sa.Column("run_id", sa.String(36), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("sample_count", sa.Integer(), nullable=False),
    sa.Column("computed_at", UTCDateTime(), nullable=False),
    sa.Column("payload", sa.Text(), nullable=False),
)

invocation_log = sa.Table(
    "invocation_log",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("timestamp", UTCDateTime(), nullable=False),
    sa.Column("participant", sa.String(200), nullable=False),
    sa.Column("path", sa.String(64), nullable=False),
    sa.Column("model_id", sa.String(200)),
    sa.Column("operation", sa.String(64)),
    sa.Column("request_id", sa.String(100)),
    sa.Column("record", sa.JSON(), nullable=False),
    sa.Column("error_code", sa.String(100)),
    sa.Column("entry_id", sa.String(36)),
    sa.Index("ix_invocation_log_participant_ts", "participant", "timestamp"),
    sa.Index("ix_invocation_log_path", "path"),
    sa.Index("ix_invocation_log_model", "model_id"),
    sa.Index("ux_invocation_log_entry", "entry_id", unique=True),
)

run_path_stats = sa.Table(
    "run_path_stats",
    metadata,
    sa.Column("run_id", sa.String(36), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("path", sa.String(64), primary_key=True),
    sa.Column("participant", sa.String(200)),
    sa.Column("n", sa.Integer(), nullable=False),
    sa.Column("errors", sa.Integer(), nullable=False),
    sa.Column("retried", sa.Integer(), nullable=False),
    sa.Column("overhead_p50", sa.Float()),
    sa.Column("client_p50", sa.Float()),
    sa.Column("server_p50", sa.Float()),
    sa.Column("computed_at", UTCDateTime(), nullable=False),
)


# --------------------------------------------------------------------------------------
# Migrations: each a function of a connection inside the migration transaction. Append new
# ones at the end; never edit one that has shipped. They spell out their own DDL instead of
# reusing the tables above, because the tables above are the *latest* shape.

Migration = Callable[[Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    """Register ``fn`` as the next migration (its name is the record in schema_migrations)."""
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_runs_and_samples(conn: Connection) -> None:
    md = sa.MetaData()
    sa.Table(
        "runs",
        md,
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime()),
        sa.Column("ended_at", UTCDateTime()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("paths", sa.JSON(), nullable=False),
        sa.Column("model_id", sa.String(200), nullable=False),
        sa.Column("api", sa.String(32), nullable=False),
        sa.Column("sandbox", sa.Boolean(), nullable=False),
        sa.Column("label", sa.String(200)),
    )
    sa.Table(
        "samples",
        md,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(36), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(64), nullable=False),
        sa.Column("warmup", sa.Boolean(), nullable=False),
        sa.Column("cold", sa.Boolean(), nullable=False),
        sa.Column("model_id", sa.String(200), nullable=False),
        sa.Column("api", sa.String(32), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("client_ms", sa.Float()),
        sa.Column("ttft_ms", sa.Float()),
        sa.Column("server_ms", sa.Float()),
        sa.Column("overhead_ms", sa.Float()),
        sa.Column("credentials_ms", sa.Float()),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("http_status", sa.Integer()),
        sa.Column("error_code", sa.String(100)),
        sa.Column("error_message", sa.Text()),
        sa.Column("input_tokens", sa.Integer()),
        sa.Column("output_tokens", sa.Integer()),
        sa.Column("request_id", sa.String(100)),
        sa.Column("output_text", sa.Text()),
        sa.Column("stop_reason", sa.String(64)),
        sa.Index("ix_samples_run_seq", "run_id", "seq", unique=True),
    )
    md.create_all(conn)


@migration
def m002_invocation_log(conn: Connection) -> None:
    md = sa.MetaData()
    sa.Table(
        "invocation_log",
        md,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("timestamp", UTCDateTime(), nullable=False),
        sa.Column("participant", sa.String(200), nullable=False),
        sa.Column("path", sa.String(64), nullable=False),
        sa.Column("model_id", sa.String(200)),
        sa.Column("operation", sa.String(64)),
        sa.Column("request_id", sa.String(100)),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Index("ix_invocation_log_participant_ts", "participant", "timestamp"),
        sa.Index("ix_invocation_log_path", "path"),
        sa.Index("ix_invocation_log_model", "model_id"),
    )
    md.create_all(conn)


@migration
def m003_run_notes_owner_error_hint(conn: Connection) -> None:
    # History wants free-text notes; mark_stale_runs needs to know which process owns a
    # running run; samples keep the hint shown next to an error.
    for ddl in (
        "ALTER TABLE runs ADD COLUMN notes TEXT",
        "ALTER TABLE runs ADD COLUMN owner VARCHAR(300)",
        "ALTER TABLE samples ADD COLUMN error_hint TEXT",
    ):
        conn.exec_driver_sql(ddl)


@migration
def m004_run_analyses(conn: Connection) -> None:
    # A run's analysis (summary, verdicts, chart aggregates and specs) computed once and
    # kept, so viewing a run reads one small row instead of every sample. ``sample_count``
    # (every sample, warm-up included, at the time) and ``version`` (the analysis code's)
    # tell when it has to be computed again.
    md = sa.MetaData()
    sa.Table("runs", md, sa.Column("id", sa.String(36), primary_key=True))
    sa.Table(
        "run_analyses",
        md,
        sa.Column("run_id", sa.String(36), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("sample_count", sa.Integer(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
    )
    md.tables["run_analyses"].create(conn)


@migration
def m005_sample_bytes_and_first_byte(conn: Connection) -> None:
    # Time to first byte kept apart from time to first token (streams only); bytes on the
    # wire for the cost of data processed per path; the sandbox's planned network delay,
    # so a participant sees measured overhead next to what the model planned.
    for ddl in (
        "ALTER TABLE samples ADD COLUMN ttfb_ms FLOAT",
        "ALTER TABLE samples ADD COLUMN request_bytes INTEGER",
        "ALTER TABLE samples ADD COLUMN response_bytes INTEGER",
        "ALTER TABLE samples ADD COLUMN modelled_network_ms FLOAT",
    ):
        conn.exec_driver_sql(ddl)


@migration
def m006_participants(conn: Connection) -> None:
    # The room (issue 15): every run, sample and invocation-log record says whose it is;
    # runs say where they ran (region from the config, AZ when the lab says) for the board's
    # breakdown. The log gets its error code as a column (the board counts errors without
    # reading JSON) and a client-made entry id, so a write retried after a lost connection
    # cannot be counted twice.
    for ddl in (
        "ALTER TABLE runs ADD COLUMN participant VARCHAR(200)",
        "ALTER TABLE runs ADD COLUMN region VARCHAR(64)",
        "ALTER TABLE runs ADD COLUMN az VARCHAR(64)",
        "ALTER TABLE samples ADD COLUMN participant VARCHAR(200)",
        "ALTER TABLE invocation_log ADD COLUMN error_code VARCHAR(100)",
        "ALTER TABLE invocation_log ADD COLUMN entry_id VARCHAR(36)",
        "CREATE INDEX ix_runs_participant ON runs (participant, created_at)",
        "CREATE UNIQUE INDEX ux_invocation_log_entry ON invocation_log (entry_id)",
    ):
        conn.exec_driver_sql(ddl)
    # Older rows: the error code and the region were already there, inside the JSON.
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("UPDATE invocation_log SET error_code = json_extract(record, '$.errorCode')")
        conn.exec_driver_sql("UPDATE runs SET region = json_extract(settings, '$.region')")
    else:
        conn.exec_driver_sql("UPDATE invocation_log SET error_code = record->>'errorCode'")
        conn.exec_driver_sql("UPDATE runs SET region = settings->>'region'")


@migration
def m007_run_path_stats(conn: Connection) -> None:
    # Per finished run and path, the figures the room pools (measured samples, medians):
    # taken once from the run's kept analysis, so the board's refresh reads a row per run
    # and path instead of every sample (workshop/room.py).
    md = sa.MetaData()
    sa.Table("runs", md, sa.Column("id", sa.String(36), primary_key=True))
    sa.Table(
        "run_path_stats",
        md,
        sa.Column("run_id", sa.String(36), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("path", sa.String(64), primary_key=True),
        sa.Column("participant", sa.String(200)),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("retried", sa.Integer(), nullable=False),
        sa.Column("overhead_p50", sa.Float()),
        sa.Column("client_p50", sa.Float()),
        sa.Column("server_p50", sa.Float()),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
    )
    md.tables["run_path_stats"].create(conn)


@migration
def m008_gateway_hop(conn: Connection) -> None:
    # The gateway paths (issue 12): the hop a gateway adds, split from what it waited for
    # Bedrock, and a Lambda's cold start apart. NULL on the direct paths and on older rows.
    for ddl in (
        "ALTER TABLE samples ADD COLUMN gateway_ms FLOAT",
        "ALTER TABLE samples ADD COLUMN upstream_ms FLOAT",
        "ALTER TABLE samples ADD COLUMN init_ms FLOAT",
    ):
        conn.exec_driver_sql(ddl)


# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunInfo:
    """One comparison run as History lists it."""

    id: str
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    status: str
    paths: tuple[str, ...]
    model_id: str
    api: str
    sandbox: bool
    label: str | None = None
    notes: str | None = None
    settings: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    sample_count: int = 0  # measured samples (warm-up excluded)
    error_count: int = 0
    owner: str | None = field(default=None, repr=False)
    participant: str | None = None
    region: str | None = None
    az: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (datetimes as ISO 8601 UTC)."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            out[name] = value
        out.pop("owner", None)
        return out


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _scrub(settings: dict[str, Any]) -> dict[str, Any]:
    """Drop anything that looks like a secret (defence in depth: callers should not pass one)."""
    clean: dict[str, Any] = {}
    for key, value in settings.items():
        if str(key).lower().replace("-", "").replace("_", "") in _SECRET_KEY_NAMES:
            continue
        clean[key] = _scrub(value) if isinstance(value, dict) else value
    return clean


def _json_safe(value: Any) -> Any:
    """Round-trip through JSON so tuples, datetimes and NaN become storable values."""
    return json.loads(json.dumps(value, default=str, allow_nan=False))


def _reason(exc: BaseException) -> str:
    """The first line of a driver error (what went wrong; drivers never print the password)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


class Store:
    """Runs, samples and the invocation log in one database. Thread-safe; open once, share."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self.is_sqlite = engine.dialect.name == "sqlite"
        # SQLite allows one writer at a time and its busy handler backs off in milliseconds;
        # serialising this process's writers with a lock keeps them off that path entirely
        # (other processes still wait on busy_timeout).
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self._sample_conn: Any = None  # SQLite: held DBAPI connection for add_sample
        self._write_engine = engine.execution_options(sqlite_begin="BEGIN IMMEDIATE")
        self.outage_s = OUTAGE_S
        """How long a write waits for a shared database that went away (see :meth:`_write`)."""
        self._state_lock = threading.Lock()
        self._run_participants: dict[str, str | None] = {}
        self._unstored: dict[str, list[Any]] = {}  # run id -> [count, first, last] given up on
        self._outage_since: float | None = None

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(cls, url: str | None = None, *, config_url: str | None = None, migrate: bool = True) -> Store:
        """Open (and upgrade) the store at ``url`` (see :func:`resolve_url`).

        Raises StoreError (field ``StoreURL``) for a malformed URL, a missing driver or an
        unreachable server, with the fix in the message.
        """
        resolved = resolve_url(url, config_url=config_url)
        engine = _create_engine(resolved)
        shown = engine.url.render_as_string(hide_password=True)
        store = cls(engine, shown)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            if migrate:
                store.migrate()
        except SQLAlchemyError as exc:
            engine.dispose()
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise StoreError(
                f"cannot open the results store at {shown} ({reason})",
                field="StoreURL",
                fix="check the host, port, database name and credentials, and that the server is "
                "running; or remove StoreURL / WORKSHOP_STORE_URL to use the local SQLite file",
            ) from exc
        return store

    def migrate(self, *, upto: str | None = None) -> list[str]:
        """Apply pending migrations (through ``upto`` if given); return the names applied.

        Runs in one transaction holding the database's write lock (SQLite: BEGIN
        IMMEDIATE; PostgreSQL: an advisory lock), so two consoles opening a fresh database
        at once do not both create it.
        """
        applied: list[str] = []
        if upto is None and self._up_to_date():
            return applied  # the usual case: fifty consoles of a room open without queueing for the lock
        with self._write_engine.begin() as conn:
            if not self.is_sqlite:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7157462)"))
            schema_migrations.create(conn, checkfirst=True)
            done = set(conn.execute(sa.select(schema_migrations.c.name)).scalars())
            for name, fn in MIGRATIONS:
                if name not in done:
                    fn(conn)
                    conn.execute(schema_migrations.insert().values(name=name, applied_at=_now()))
                    applied.append(name)
                if name == upto:
                    break
        return applied

    def _up_to_date(self) -> bool:
        """True when every migration is recorded already (read without taking the lock)."""
        try:
            with self.engine.connect() as conn:
                if not sa.inspect(conn).has_table("schema_migrations"):
                    return False
                done = set(conn.execute(sa.select(schema_migrations.c.name)).scalars())
        except SQLAlchemyError:
            return False
        return all(name in done for name, _ in MIGRATIONS)

    def applied_migrations(self) -> list[str]:
        """Names recorded in schema_migrations, in the order they were applied."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(schema_migrations.c.name).order_by(schema_migrations.c.applied_at))
            return list(rows.scalars())

    def close(self) -> None:
        """Release pooled connections."""
        if self._write_lock is not None:
            with self._write_lock:
                if self._sample_conn is not None:
                    self._sample_conn.close()
                    self._sample_conn = None
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, work: Callable[[Connection], Any], *, what: str) -> Any:
        """Run ``work(conn)`` in one committed transaction; on PostgreSQL, ride out a lost
        connection.

        A server restart, a failover or a dropped network connection raises a disconnect
        error; the write is then retried (backing off to one attempt a second) until it
        commits or ``outage_s`` has passed, after which StoreError says what could not be
        written. The caller blocks meanwhile: the comparison engine's writer keeps the
        samples measured in the meantime queued (nothing is reported before its commit),
        and writes them when the database is back. Writes that a retry could apply twice
        are idempotent (samples by run and seq, log records by entry id).
        """
        if self.is_sqlite:
            with self._writing() as conn:
                return work(conn)
        deadline: float | None = None
        delay = 0.05
        while True:
            try:
                with self._write_engine.begin() as conn:
                    out = work(conn)
            except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self.outage_s
                    with self._state_lock:
                        if self._outage_since is None:
                            self._outage_since = now
                            log.warning("the store at %s is unreachable; writes wait up to %.0f s for it (%s)",
                                        self.url, self.outage_s, _reason(exc))
                if now >= deadline:
                    raise StoreError(
                        f"cannot write {what} to {self.url}: the database was unreachable for "
                        f"{self.outage_s:.0f} s ({_reason(exc)})",
                        field="StoreURL",
                        fix="check the database server is running and reachable; the run keeps every sample "
                        "written before, and says how many were not",
                    ) from exc
                time.sleep(min(delay, max(0.0, deadline - now)))
                delay = min(delay * 2, 1.0)
                continue
            with self._state_lock:
                if self._outage_since is not None:
                    log.warning("the store at %s is back after %.1f s", self.url,
                                time.monotonic() - self._outage_since)
                    self._outage_since = None
            return out

    @property
    def unreachable_since(self) -> float | None:
        """``time.monotonic()`` when writes began waiting for the database (None: no outage)."""
        with self._state_lock:
            return self._outage_since

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        if self._write_lock is None:
            with self._write_engine.begin() as conn:
                yield conn
            return
        with self._write_lock, self._write_engine.begin() as conn:
            yield conn

    # ---------------------------------------------------------------- runs

    def create_run(
        self,
        settings: dict[str, Any],
        *,
        paths: Sequence[str],
        model_id: str,
        api: str,
        sandbox: bool,
        label: str | None = None,
        notes: str | None = None,
        run_id: str | None = None,
        participant: str | None = None,
        az: str | None = None,
    ) -> str:
        """Record a new run in status ``running``; return its id (a UUID string, or
        ``run_id`` when the caller chose it, as the console does for a runner process).

        ``participant`` (a name or an unnamed id) is kept with the run and every sample of
        it; the region is the settings' ``region``, ``az`` the instance's AZ when known."""
        run_id = run_id or str(uuid.uuid4())
        now = _now()
        clean = _json_safe(_scrub(dict(settings)))
        region = clean.get("region") if isinstance(clean.get("region"), str) else None
        values = {
            "id": run_id, "created_at": now, "started_at": now, "status": "running", "settings": clean,
            "paths": list(paths), "model_id": model_id, "api": api, "sandbox": bool(sandbox), "label": label,
            "notes": notes, "owner": _owner(),
        }
        # Columns of m006 only when set: a store opened without migrating (tests of upgrades) still takes runs.
        values.update({k: v for k, v in (("participant", participant), ("region", region), ("az", az)) if v})
        self._write(lambda conn: conn.execute(runs.insert().values(**values)), what=f"run {run_id[:8]}")
        with self._state_lock:
            self._run_participants[run_id] = participant
        return run_id

    def _participant_of(self, run_id: str) -> str | None:
        """The run's participant, for its samples (remembered from create_run, else read once)."""
        with self._state_lock:
            if run_id in self._run_participants:
                return self._run_participants[run_id]
        with self.engine.connect() as conn:
            who = conn.execute(sa.select(runs.c.participant).where(runs.c.id == run_id)).scalar()
        with self._state_lock:
            self._run_participants[run_id] = who
        return who

    def add_sample(
        self,
        run_id: str,
        result: InvocationResult,
        *,
        seq: int,
        warmup: bool = False,
        cold: bool = False,
        keep_text: bool = False,
    ) -> None:
        """Write one sample now, in its own committed transaction (see module docstring)."""
        self.add_samples(run_id, [(result, seq, warmup, cold)], keep_text=keep_text)

    def add_samples(
        self,
        run_id: str,
        items: Sequence[tuple[InvocationResult, int, bool, bool]],
        *,
        keep_text: bool = False,
    ) -> None:
        """Write ``(result, seq, warmup, cold)`` samples in one committed transaction.

        The comparison engine's writer thread uses this for what completed while the last
        commit ran (group commit): one commit per batch instead of per sample, and nothing
        is reported before its batch is committed.
        """
        if not items:
            return
        who = self._participant_of(run_id)
        rows = [
            _sample_row(run_id, result, seq, warmup, cold, keep_text) for result, seq, warmup, cold in items
        ]
        for row in rows:
            row["participant"] = who
        if self.is_sqlite:
            params = [
                tuple(_sqlite_datetime(r[n]) if n == "started_at" else r[n] for n in _SAMPLE_INSERT_COLUMNS)
                for r in rows
            ]
            self._sqlite_insert(_SQLITE_INSERT_SAMPLE, params, what="samples")
            return
        try:
            # ON CONFLICT: a retry after a commit whose answer was lost must not fail on its own rows.
            self._write(lambda conn: conn.execute(_PG_INSERT_SAMPLE, rows), what=f"{len(rows)} sample(s)")
        except StoreError:
            self._note_unstored(run_id, items)
            raise

    def _note_unstored(self, run_id: str, items: Sequence[tuple[InvocationResult, int, bool, bool]]) -> None:
        """Remember measured samples the store gave up on, so the run says so when it closes."""
        stamps = [r.started_at for r, *_ in items if r.started_at is not None]
        with self._state_lock:
            entry = self._unstored.setdefault(run_id, [0, None, None])
            entry[0] += len(items)
            if stamps:
                entry[1] = min([t for t in (entry[1], *stamps) if t is not None])
                entry[2] = max([t for t in (entry[2], *stamps) if t is not None])

    def unstored(self, run_id: str) -> int:
        """How many of the run's samples this store could not write (a lost database)."""
        with self._state_lock:
            return int(self._unstored.get(run_id, [0])[0])

    def _sqlite_insert(self, sql: str, params: list[tuple[Any, ...]], *, what: str) -> None:
        """Run INSERTs in one IMMEDIATE transaction on the held connection.

        Going through SQLAlchemy's pool, events and statement machinery costs several times
        the write itself, and the engine writes thousands of rows a second from several
        threads. Values are converted as SQLAlchemy's SQLite types would (naive-UTC
        datetime text, 0/1 booleans, JSON text), so reads through SQLAlchemy see the same.
        """
        assert self._write_lock is not None
        with self._write_lock:
            if self._sample_conn is None:
                self._sample_conn = self.engine.raw_connection()
            cur = self._sample_conn.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE")
                try:
                    cur.executemany(sql, params)
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
            except Exception as exc:
                raise StoreError(
                    f"cannot write {what} to {self.url} ({exc})",
                    field="StoreURL",
                    fix="check the disk has space and the file is writable",
                ) from exc
            finally:
                cur.close()

    def finish_run(self, run_id: str, status: str, *, notes: str | None = None) -> None:
        """Close a run with its final status (complete, cancelled, incomplete, failed).

        ``notes`` (e.g. "stopped by the time limit") is appended to the run's notes.
        """
        if status not in RUN_STATUSES or status == "running":
            raise InputError(
                f"unknown final run status {status!r}",
                field="status",
                fix="use one of " + ", ".join(s for s in RUN_STATUSES if s != "running"),
            )
        with self._state_lock:
            lost = self._unstored.get(run_id)
        if lost:
            # Some measured samples never reached the database: the run is incomplete, and
            # says how many and from when, instead of leaving a silent gap.
            count, first, last = lost
            when = f" (measured {first:%H:%M:%S}–{last:%H:%M:%S} UTC)" if first and last else ""
            status = "incomplete"
            gap = f"{count} measured sample(s) were not stored: the database was unreachable{when}"
            notes = f"{gap}\n{notes}" if notes else gap
        values: dict[str, Any] = {"status": status, "ended_at": _now()}

        def close(conn: Connection) -> None:
            if notes:
                before = conn.execute(sa.select(runs.c.notes).where(runs.c.id == run_id)).scalar()
                values["notes"] = f"{before}\n{notes}" if before else notes
            conn.execute(runs.update().where(runs.c.id == run_id).values(**values))

        self._write(close, what=f"the end of run {run_id[:8]}")

    def mark_stale_runs(self, *, stale_after: timedelta = timedelta(hours=1)) -> list[str]:
        """Relabel runs left ``running`` by a process that died as ``incomplete``.

        A run owned by this host is stale when its process no longer exists. A run owned by
        another host (a shared PostgreSQL) cannot be checked that way, so it is stale when
        neither it nor any of its samples has started within ``stale_after``.
        Returns the ids relabelled.
        """
        host = socket.gethostname()
        me = os.getpid()
        cutoff = _now() - stale_after
        last_sample = (
            sa.select(samples.c.run_id, sa.func.max(samples.c.started_at).label("last"))
            .group_by(samples.c.run_id)
            .subquery()
        )
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(runs.c.id, runs.c.owner, runs.c.started_at, last_sample.c.last)
                .outerjoin(last_sample, last_sample.c.run_id == runs.c.id)
                .where(runs.c.status == "running")
            ).all()
        stale: list[str] = []
        for run_id, owner, started_at, last in rows:
            owner_host, _, pid_text = (owner or "").rpartition(":")
            if owner_host == host and pid_text.isdigit():
                pid = int(pid_text)
                if pid != me and not _pid_alive(pid):
                    stale.append(run_id)
            else:
                latest = max(t for t in (started_at, _aware(last)) if t is not None)
                if latest < cutoff:
                    stale.append(run_id)
        if stale:
            note = ("closed as incomplete: the process running it stopped without closing it; "
                    "every sample it stored is kept")
            with self._writing() as conn:
                conn.execute(
                    runs.update()
                    .where(runs.c.id.in_(stale), runs.c.status == "running")
                    .values(status="incomplete", ended_at=_now(),
                            notes=sa.case((runs.c.notes.is_(None), note), else_=runs.c.notes + "\n" + note))
                )
        return stale

    def list_runs(self, *, limit: int | None = None, visible_to: Any = EVERYONE) -> list[RunInfo]:
        """Every run, newest first, with its measured-sample and error counts.

        ``visible_to`` (a participant name or unnamed id) keeps the runs that participant may
        open (:func:`visible_clause`); the default lists everyone's (the board, tests)."""
        counts = (
            sa.select(
                samples.c.run_id,
                sa.func.count().label("n"),
                sa.func.count(samples.c.error_code).label("errors"),
            )
            .where(samples.c.warmup == sa.false())
            .group_by(samples.c.run_id)
            .subquery()
        )
        query = (
            sa.select(runs, counts.c.n, counts.c.errors)
            .outerjoin(counts, counts.c.run_id == runs.c.id)
            .order_by(runs.c.created_at.desc(), runs.c.id)
        )
        if visible_to is not EVERYONE:
            query = query.where(visible_clause(runs.c.participant, visible_to))
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_run_info(row) for row in conn.execute(query).mappings()]

    def get_run(self, run_id: str) -> RunInfo:
        """One run by id; InputError when there is no such run."""
        # Both counts in one pass over the run's samples (two scalar subqueries scan twice).
        counts = (
            sa.select(sa.func.count().label("n"), sa.func.count(samples.c.error_code).label("errors"))
            .where(samples.c.run_id == run_id, samples.c.warmup == sa.false())
            .subquery()
        )
        query = sa.select(runs, counts.c.n, counts.c.errors).join(counts, sa.true()).where(runs.c.id == run_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            raise InputError(
                f"no run with id {run_id!r}",
                field="RUN_ID",
                fix="list the stored runs with `python -m workshop export --list`",
            )
        return _run_info(row)

    def samples(self, run_id: str, *, include_warmup: bool = False) -> pd.DataFrame:
        """The run's samples in ``seq`` order, one row each, columns :data:`SAMPLE_COLUMNS`.

        ``started_at`` is a UTC datetime column; timings are float milliseconds (NaN when
        absent); ``warmup``/``cold`` are booleans.

        Read through the driver's own cursor and turned into columns in bulk: wrapping
        100k rows in SQLAlchemy ``Row`` objects and letting pandas infer every column from
        per-row values costs about as much again as the fetch itself.
        """
        # run_id is the filter: not fetched, filled in. started_at is read raw (SQLite: its
        # text; PostgreSQL: a naive-UTC datetime) and converted in one vectorised step.
        fetched = SAMPLE_COLUMNS[1:]
        mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        sql = f"SELECT {', '.join(fetched)} FROM samples WHERE run_id = {mark}"
        params: tuple[Any, ...] = (run_id,)
        if not include_warmup:
            sql += f" AND warmup = {mark}"
            params += (False,)
        sql += " ORDER BY seq"
        with self.engine.connect() as conn:
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
            finally:
                cursor.close()
        return _samples_frame(run_id, fetched, rows)

    def sample_total(self, run_id: str) -> int:
        """How many samples the run has, warm-up included (an index-only count)."""
        query = sa.select(sa.func.count()).select_from(samples).where(samples.c.run_id == run_id)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    # ---------------------------------------------------------------- stored analyses

    def save_analysis(self, run_id: str, payload: str, *, version: str, sample_count: int) -> None:
        """Keep a run's analysis (a JSON text, see ``compare.run_analysis``), replacing any
        earlier one. ``sample_count`` is how many samples (warm-up included) it was computed
        from; ``version`` the analysis code's. StoreError when it cannot be written (e.g. the
        run was deleted meanwhile, or the database is read-only)."""
        values = {
            "run_id": run_id,
            "version": version,
            "sample_count": int(sample_count),
            "computed_at": _now(),
            "payload": payload,
        }
        if self.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        stmt = insert(run_analyses).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[run_analyses.c.run_id],
            set_={k: stmt.excluded[k] for k in ("version", "sample_count", "computed_at", "payload")},
        )
        try:
            with self._writing() as conn:
                conn.execute(stmt)
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise StoreError(
                f"cannot keep the analysis of run {run_id[:8]} in {self.url} ({reason})",
                field="StoreURL",
                fix="check the run still exists and the store is writable",
            ) from exc

    def load_analysis(self, run_id: str, *, version: str) -> str | None:
        """The kept analysis of a run (its JSON text), or None when there is none, it was
        computed by another ``version`` of the analysis code, or the run's sample count has
        changed since (a sample added or removed)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(run_analyses.c.version, run_analyses.c.sample_count, run_analyses.c.payload).where(
                    run_analyses.c.run_id == run_id
                )
            ).first()
            if row is None or row.version != version:
                return None
            total = conn.execute(
                sa.select(sa.func.count()).select_from(samples).where(samples.c.run_id == run_id)
            ).scalar_one()
        return row.payload if int(total) == row.sample_count else None

    def save_path_stats(self, run_id: str, participant: str | None, figures: Sequence[dict[str, Any]]) -> None:
        """Keep a finished run's per-path figures for the room (``workshop.room``): one row per
        path with ``path``, ``n``, ``errors``, ``retried``, ``overhead_p50``, ``client_p50``,
        ``server_p50``. Replaces earlier rows of the run (derived data: any console may write it)."""
        now = _now()
        rows = [{**f, "run_id": run_id, "participant": participant, "computed_at": now} for f in figures]

        def keep(conn: Connection) -> None:
            conn.execute(run_path_stats.delete().where(run_path_stats.c.run_id == run_id))
            if rows:
                conn.execute(run_path_stats.insert(), rows)

        try:
            self._write(keep, what=f"the room figures of run {run_id[:8]}")
        except SQLAlchemyError as exc:  # the run was deleted meanwhile (foreign key), or a twin wrote first
            log.info("room figures of run %s not kept: %s", run_id[:8], _reason(exc))

    def delete_run(self, run_id: str) -> None:
        """Remove a run and its samples (unknown ids are ignored)."""
        with self._writing() as conn:
            conn.execute(samples.delete().where(samples.c.run_id == run_id))
            conn.execute(run_path_stats.delete().where(run_path_stats.c.run_id == run_id))
            conn.execute(run_analyses.delete().where(run_analyses.c.run_id == run_id))
            conn.execute(runs.delete().where(runs.c.id == run_id))

    def export_run(self, run_id: str, fmt: str = "csv") -> str:
        """The run as text: ``csv`` (one row per sample, warm-up included and flagged) or
        ``jsonl`` (a ``{"record": "run", ...}`` line with the settings, then one
        ``{"record": "sample", ...}`` line per sample). Secrets are never stored, so never
        exported.
        """
        if fmt not in EXPORT_FORMATS:
            raise InputError(f"unknown export format {fmt!r}", field="format", fix="use csv or jsonl")
        info = self.get_run(run_id)
        import pandas as pd

        df = self.samples(run_id, include_warmup=True)
        df = df.assign(started_at=df["started_at"].map(lambda t: t.isoformat() if not pd.isna(t) else None))
        if fmt == "csv":
            buf = io.StringIO()
            df.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
            return buf.getvalue()
        lines = [json.dumps({"record": "run", **info.to_dict()}, default=str)]
        for rec in df.to_dict(orient="records"):
            clean = {k: (None if _is_missing(v) else _plain(v)) for k, v in rec.items()}
            lines.append(json.dumps({"record": "sample", **clean}))
        return "\n".join(lines) + "\n"

    # ---------------------------------------------------------------- invocation log

    def add_invocation_log(self, record: dict[str, Any], *, participant: str, path: str) -> None:
        """Keep one ModelInvocationLog record (see workshop/invocation_log.py)."""
        stamp = _parse_time(record.get("timestamp")) or _now()
        error_code = record.get("errorCode")
        error_code = str(error_code)[:100] if error_code else None
        entry_id = str(uuid.uuid4())
        if self.is_sqlite:  # every invocation lands here: same fast path as add_sample
            params = (
                _sqlite_datetime(stamp),
                participant,
                path,
                record.get("modelId"),
                record.get("operation"),
                record.get("requestId"),
                json.dumps(record, default=str),
                error_code,
                entry_id,
            )
            self._sqlite_insert(_SQLITE_INSERT_LOG, [params], what="an invocation log record")
            return
        values = {
            "timestamp": stamp, "participant": participant, "path": path, "model_id": record.get("modelId"),
            "operation": record.get("operation"), "request_id": record.get("requestId"),
            "record": _json_safe(record), "error_code": error_code, "entry_id": entry_id,
        }
        # ON CONFLICT: a retry after a commit whose answer was lost must not log the call twice.
        self._write(lambda conn: conn.execute(_PG_INSERT_LOG, values), what="an invocation log record")

    def invocation_log(
        self,
        *,
        participant: str | None = None,
        path: str | None = None,
        model_id: str | None = None,
        operation: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
        visible_to: Any = EVERYONE,
    ) -> list[dict[str, Any]]:
        """Logged invocations, newest first, filtered by any of the given fields.

        ``visible_to`` keeps the records that participant may read (the log holds prompts:
        a participant reads their own, see :func:`visible_clause`)."""
        t = invocation_log
        query = sa.select(t)
        if visible_to is not EVERYONE:
            query = query.where(visible_clause(t.c.participant, visible_to))
        for column, value in (
            (t.c.participant, participant),
            (t.c.path, path),
            (t.c.model_id, model_id),
            (t.c.operation, operation),
        ):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(t.c.timestamp >= since)
        query = query.order_by(t.c.timestamp.desc(), t.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def count_invocations(self, participant: str, *, since: datetime | None = None) -> int:
        """How many invocations ``participant`` has logged (since ``since``); for quotas."""
        query = (
            sa.select(sa.func.count())
            .select_from(invocation_log)
            .where(invocation_log.c.participant == participant)
        )
        if since is not None:
            query = query.where(invocation_log.c.timestamp >= since)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())


def _sample_row(
    run_id: str, result: InvocationResult, seq: int, warmup: bool, cold: bool, keep_text: bool
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "seq": int(seq),
        "path": result.path,
        "warmup": bool(warmup),
        "cold": bool(cold),
        "model_id": result.model_id,
        "api": result.api,
        "started_at": result.started_at,
        "client_ms": _finite(result.client_ms),
        "ttft_ms": _finite(result.ttft_ms),
        "server_ms": _finite(result.server_ms),
        "overhead_ms": _finite(result.overhead_ms),
        "credentials_ms": _finite(result.credentials_ms),
        "retries": int(result.retries or 0),
        "http_status": result.http_status,
        "error_code": result.error_code,
        "error_message": result.error_message,
        "error_hint": result.error_hint,
        "input_tokens": result.input_tokens,
        "output_tokens": result.output_tokens,
        "request_id": result.request_id,
        "output_text": result.output_text if keep_text else None,
        "stop_reason": result.stop_reason,
        "ttfb_ms": _finite(result.ttfb_ms),
        "request_bytes": result.request_bytes,
        "response_bytes": result.response_bytes,
        "modelled_network_ms": _finite(result.modelled_network_ms),
        "gateway_ms": _finite(result.gateway_ms),
        "upstream_ms": _finite(result.upstream_ms),
        "init_ms": _finite(result.init_ms),
    }


# Compiled once: building an insert per sample is measurable at thousands per second.
_SAMPLE_INSERT_COLUMNS: tuple[str, ...] = (*SAMPLE_COLUMNS, "participant")


def _pg_inserts() -> tuple[Any, Any]:
    from sqlalchemy.dialects.postgresql import insert

    return (insert(samples).on_conflict_do_nothing(index_elements=["run_id", "seq"]),
            insert(invocation_log).on_conflict_do_nothing(index_elements=["entry_id"]))


_PG_INSERT_SAMPLE, _PG_INSERT_LOG = _pg_inserts()
_SQLITE_INSERT_SAMPLE = (
    f"INSERT INTO samples ({', '.join(_SAMPLE_INSERT_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _SAMPLE_INSERT_COLUMNS)})"
)


_SQLITE_INSERT_LOG = (
    "INSERT INTO invocation_log (timestamp, participant, path, model_id, operation, request_id, record, "
    "error_code, entry_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _sqlite_datetime(value: datetime) -> str:
    """SQLAlchemy's SQLite DATETIME text for ``value`` (naive UTC, microseconds always)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


# --------------------------------------------------------------------------------------
# helpers


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, str) and value:
        try:
            return _aware(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


def _is_missing(value: Any) -> bool:
    import pandas as pd

    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars for json.dumps."""
    return value.item() if hasattr(value, "item") else value


def _run_info(row: Any) -> RunInfo:
    return RunInfo(
        id=row["id"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        status=row["status"],
        paths=tuple(row["paths"] or ()),
        model_id=row["model_id"],
        api=row["api"],
        sandbox=bool(row["sandbox"]),
        label=row["label"],
        notes=row["notes"],
        settings=dict(row["settings"] or {}),
        sample_count=int(row["n"] or 0),
        error_count=int(row["errors"] or 0),
        owner=row["owner"],
        participant=row["participant"],
        region=row["region"],
        az=row["az"],
    )


_FLOAT_COLUMNS = ("client_ms", "ttft_ms", "server_ms", "overhead_ms", "credentials_ms", "ttfb_ms",
                  "modelled_network_ms")
_INT_COLUMNS = ("retries", "http_status", "input_tokens", "output_tokens", "request_bytes", "response_bytes")


def _samples_frame(run_id: str, fetched: Sequence[str], rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """Columns :data:`SAMPLE_COLUMNS` from driver rows of the ``fetched`` columns.

    Numbers go straight into numpy arrays (None -> NaN / a masked Int64); text columns
    keep pandas' own inference, so the dtypes are what ``pd.DataFrame`` of the values
    would give.
    """
    import numpy as np
    import pandas as pd

    n = len(rows)
    values = dict(zip(fetched, zip(*rows, strict=True), strict=True)) if rows else dict.fromkeys(fetched, ())
    data: dict[str, Any] = {"run_id": pd.Series([run_id] * n) if n else []}
    for name in fetched:
        col = values[name]
        if name in _FLOAT_COLUMNS:
            data[name] = _float_array(col)
        elif name in _INT_COLUMNS:
            floats = _float_array(col)
            missing = np.isnan(floats)
            data[name] = pd.arrays.IntegerArray(np.where(missing, 0, floats).astype("int64"), missing)
        elif name == "seq":
            data[name] = np.asarray(col, dtype="int64")
        elif name in ("warmup", "cold"):
            data[name] = np.asarray(col, dtype=bool)
        elif name == "started_at":
            data[name] = pd.to_datetime(list(col), utc=True, format="ISO8601")
        else:
            data[name] = pd.Series(list(col)) if n else []  # [] as pd.DataFrame infers it
    return pd.DataFrame(data, columns=list(SAMPLE_COLUMNS))


def _float_array(col: Sequence[Any]) -> np.ndarray:
    import numpy as np
    import pandas as pd

    try:
        return np.asarray(col, dtype="float64")  # None -> NaN
    except (TypeError, ValueError):  # something that is not a number: NaN, as pd.to_numeric would
        return pd.to_numeric(pd.Series(list(col), dtype=object), errors="coerce").to_numpy("float64")


def decrypt_url(url: str) -> sa.engine.URL:
    """The store URL parsed, its secret parts decrypted.

    The room's URL carries a database password, so it may be encrypted like the config's
    other secrets: the whole URL as an ``enc:`` token, or only the password
    (``postgresql+psycopg://room:enc:gAAAA...@db.example:5432/room``). Both are decrypted with
    the config key (``$WORKSHOP_CONFIG_KEY`` or the key file); ``python -m workshop room
    --encrypt-url URL`` makes the token. StoreError when the text is not a URL (never
    repeating it: it may hold a password).
    """
    from workshop import secrets

    if secrets.is_encrypted(url):
        url = secrets.load_keyring().decrypt(url, field="StoreURL")
    try:
        parsed = sa.make_url(url)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise StoreError(
            "the store URL is not a database URL",
            field="StoreURL",
            fix="use sqlite:////absolute/path/workshop.db or postgresql+psycopg://user:password@host:5432/dbname",
        ) from exc
    if parsed.password is not None and secrets.is_encrypted(str(parsed.password)):
        plain = secrets.load_keyring().decrypt(str(parsed.password), field="StoreURL password")
        parsed = parsed.set(password=plain)
    return parsed


def _create_engine(url: str) -> Engine:
    parsed = decrypt_url(url)
    kwargs: dict[str, Any] = {"future": True}
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            _private_sqlite_file(Path(database).expanduser())
        else:
            # One shared in-memory database for all threads (tests, throwaway consoles).
            kwargs["poolclass"] = sa.pool.StaticPool
            kwargs["connect_args"] = {"check_same_thread": False}
    elif backend == "postgresql":
        # Fail fast on an unreachable server instead of hanging a page for minutes.
        kwargs["connect_args"] = {"connect_timeout": 5}
        kwargs["pool_pre_ping"] = True
        # A room is 20-200 consoles on one server, each with a runner process: few connections
        # each (a write holds one for a millisecond or two; threads queue for it), so the
        # server's max_connections is about PG_CONNECTIONS_PER_PROCESS x 2 x participants.
        kwargs["pool_size"] = PG_POOL_SIZE
        kwargs["max_overflow"] = PG_CONNECTIONS_PER_PROCESS - PG_POOL_SIZE
        kwargs["pool_timeout"] = 60
    else:
        raise StoreError(
            f"unsupported database {backend!r} in the store URL",
            field="StoreURL",
            fix="use sqlite:///... or postgresql+psycopg://...",
        )
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StoreError(
            f"cannot use the store URL {parsed.render_as_string(hide_password=True)} ({exc})",
            field="StoreURL",
            fix="for PostgreSQL use the psycopg driver: postgresql+psycopg://user:password@host:5432/dbname",
        ) from exc
    if backend == "sqlite":
        _configure_sqlite(engine)
    return engine


def _private_sqlite_file(db: Path) -> None:
    """The SQLite file exists with mode 0600 before SQLite opens it (SQLite creates its -wal and
    -shm files with the database's mode); an existing file readable by others is made 0600."""
    db.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(db, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError:
        return  # a read-only location: SQLite itself will say what is wrong
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        make_private(path, 0o600)


def _configure_sqlite(engine: Engine) -> None:
    """WAL + busy timeout on every connection; explicit BEGIN so writes can be IMMEDIATE.

    pysqlite's own transaction handling never emits BEGIN before DDL and cannot take the
    write lock up front, so (as SQLAlchemy's docs recommend) the driver runs in autocommit
    mode and SQLAlchemy's ``begin`` event emits the BEGIN we choose.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 30000")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))

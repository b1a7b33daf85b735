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

Schema changes are migrations: plain functions, applied in order when the store opens and
recorded in ``schema_migrations`` (one row per applied function), so an older database
file or server upgrades itself.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import socket
import threading
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

from workshop.dirs import data_dir, ensure_private_dir
from workshop.errors import InputError, StoreError
from workshop.results import InvocationResult

if TYPE_CHECKING:  # pandas and numpy are imported where samples are read, not when a run starts
    import numpy as np
    import pandas as pd

STORE_URL_ENV = "WORKSHOP_STORE_URL"
DB_FILENAME = "workshop.db"

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


def default_url() -> str:
    """``sqlite:///<data_dir>/workshop.db`` (the folder is created with mode 0700)."""
    folder = ensure_private_dir(data_dir())
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
    sa.Index("ix_invocation_log_participant_ts", "participant", "timestamp"),
    sa.Index("ix_invocation_log_path", "path"),
    sa.Index("ix_invocation_log_model", "model_id"),
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
    ) -> str:
        """Record a new run in status ``running``; return its id (a UUID string, or
        ``run_id`` when the caller chose it, as the console does for a runner process)."""
        run_id = run_id or str(uuid.uuid4())
        now = _now()
        with self._writing() as conn:
            conn.execute(
                runs.insert().values(
                    id=run_id,
                    created_at=now,
                    started_at=now,
                    status="running",
                    settings=_json_safe(_scrub(dict(settings))),
                    paths=list(paths),
                    model_id=model_id,
                    api=api,
                    sandbox=bool(sandbox),
                    label=label,
                    notes=notes,
                    owner=_owner(),
                )
            )
        return run_id

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
        rows = [
            _sample_row(run_id, result, seq, warmup, cold, keep_text) for result, seq, warmup, cold in items
        ]
        if self.is_sqlite:
            params = [
                tuple(_sqlite_datetime(r[n]) if n == "started_at" else r[n] for n in _SAMPLE_INSERT_COLUMNS)
                for r in rows
            ]
            self._sqlite_insert(_SQLITE_INSERT_SAMPLE, params, what="samples")
            return
        with self._writing() as conn:
            conn.execute(_INSERT_SAMPLE, rows)

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
        values: dict[str, Any] = {"status": status, "ended_at": _now()}
        with self._writing() as conn:
            if notes:
                before = conn.execute(sa.select(runs.c.notes).where(runs.c.id == run_id)).scalar()
                values["notes"] = f"{before}\n{notes}" if before else notes
            conn.execute(runs.update().where(runs.c.id == run_id).values(**values))

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
            with self._writing() as conn:
                conn.execute(
                    runs.update()
                    .where(runs.c.id.in_(stale), runs.c.status == "running")
                    .values(status="incomplete", ended_at=_now())
                )
        return stale

    def list_runs(self, *, limit: int | None = None) -> list[RunInfo]:
        """Every run, newest first, with its measured-sample and error counts."""
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

    def delete_run(self, run_id: str) -> None:
        """Remove a run and its samples (unknown ids are ignored)."""
        with self._writing() as conn:
            conn.execute(samples.delete().where(samples.c.run_id == run_id))
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
        if self.is_sqlite:  # every invocation lands here: same fast path as add_sample
            params = (
                _sqlite_datetime(stamp),
                participant,
                path,
                record.get("modelId"),
                record.get("operation"),
                record.get("requestId"),
                json.dumps(record, default=str),
            )
            self._sqlite_insert(_SQLITE_INSERT_LOG, [params], what="an invocation log record")
            return
        with self._writing() as conn:
            conn.execute(
                invocation_log.insert().values(
                    timestamp=stamp,
                    participant=participant,
                    path=path,
                    model_id=record.get("modelId"),
                    operation=record.get("operation"),
                    request_id=record.get("requestId"),
                    record=_json_safe(record),
                )
            )

    def invocation_log(
        self,
        *,
        participant: str | None = None,
        path: str | None = None,
        model_id: str | None = None,
        operation: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """Logged invocations, newest first, filtered by any of the given fields."""
        t = invocation_log
        query = sa.select(t)
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
    }


# Compiled once: building an insert per sample is measurable at thousands per second.
_INSERT_SAMPLE = samples.insert()
_SAMPLE_INSERT_COLUMNS: tuple[str, ...] = SAMPLE_COLUMNS
_SQLITE_INSERT_SAMPLE = (
    f"INSERT INTO samples ({', '.join(_SAMPLE_INSERT_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _SAMPLE_INSERT_COLUMNS)})"
)


_SQLITE_INSERT_LOG = (
    "INSERT INTO invocation_log (timestamp, participant, path, model_id, operation, request_id, record) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
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


def _create_engine(url: str) -> Engine:
    try:
        parsed = sa.make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"{url!r} is not a database URL",
            field="StoreURL",
            fix="use sqlite:////absolute/path/workshop.db or postgresql+psycopg://user:password@host:5432/dbname",
        ) from exc
    kwargs: dict[str, Any] = {"future": True}
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        else:
            # One shared in-memory database for all threads (tests, throwaway consoles).
            kwargs["poolclass"] = sa.pool.StaticPool
            kwargs["connect_args"] = {"check_same_thread": False}
    elif backend == "postgresql":
        # Fail fast on an unreachable server instead of hanging a page for minutes.
        kwargs["connect_args"] = {"connect_timeout": 5}
        kwargs["pool_pre_ping"] = True
        kwargs["pool_size"] = 10
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

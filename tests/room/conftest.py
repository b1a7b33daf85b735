"""Fixtures for the room: a store on each engine (PostgreSQL is what a room runs on), runs with
known figures written through the store, as participants' runners write them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.pg import ENGINES, engine_url, fresh_pg_database, pg_server_or_skip
from workshop.results import InvocationResult

MODEL = "amazon.nova-micro-v1:0"
PROMPT = "ZEBRA-7: the participant's private question about their quarterly numbers"
"""A prompt only its participant may read: tests look for it everywhere else."""


@pytest.fixture(params=ENGINES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store's URL, once per engine."""
    yield from engine_url(request.param, tmp_path)


@pytest.fixture
def pg_server() -> str:
    """The PostgreSQL server's URL (skips locally without one, fails under $CI)."""
    return pg_server_or_skip()


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database."""
    yield from fresh_pg_database(pg_server)


@pytest.fixture
def store(store_url: str) -> Iterator[Any]:
    from workshop.store import Store

    with Store.open(store_url) as opened:
        yield opened


def sample(path: str, overhead: float, when: datetime, *, server: float = 200.0, error: str | None = None,
           text: str | None = None) -> InvocationResult:
    return InvocationResult(
        path=path, model_id=MODEL, api="invoke", started_at=when, client_ms=server + overhead, server_ms=server,
        overhead_ms=overhead, credentials_ms=0.0, http_status=500 if error else 200, error_code=error,
        input_tokens=12, output_tokens=40, request_id=f"req-{when.timestamp()}", output_text=text,
    )


def finished_run(store: Any, participant: str | None, overheads: Mapping[str, Sequence[float]], *,
                 status: str = "complete", sandbox: bool = True, region: str = "us-east-1", az: str | None = None,
                 start: datetime | None = None, prompt: str = PROMPT, analyse: bool = False) -> str:
    """A run of ``participant`` with the given measured overheads per path (plus one cold
    warm-up call each), written through the store as a runner writes it; ``analyse`` keeps its
    analysis, as the engine does when a run finishes (the room reads either)."""
    from workshop.compare import analyse_run

    paths = tuple(overheads)
    body = {"messages": [{"role": "user", "content": [{"text": prompt}]}]}
    run_id = store.create_run({"samples": max(len(v) for v in overheads.values()), "seed": 0, "region": region,
                               "body": body}, paths=paths, model_id=MODEL, api="invoke", sandbox=sandbox,
                              participant=participant, az=az)
    t = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    seq = 0
    items = []
    for path in paths:
        items.append((sample(path, 50.0, t, text=prompt), seq, True, True))
        seq += 1
    for i in range(max(len(v) for v in overheads.values())):
        for path in paths:
            values = overheads[path]
            if i < len(values):
                items.append((sample(path, float(values[i]), t + timedelta(milliseconds=10 * seq), text=prompt),
                              seq, False, False))
                seq += 1
    store.add_samples(run_id, items, keep_text=True)
    store.finish_run(run_id, status)
    if analyse:
        analyse_run(store, run_id)
    return run_id


def log_call(store: Any, participant: str, path: str = "nat", *, when: datetime | None = None,
             error: str | None = None, prompt: str = PROMPT) -> None:
    """One invocation-log record with a prompt in it, as the console writes it."""
    record: dict[str, Any] = {
        "schemaType": "ModelInvocationLog", "schemaVersion": "1.0",
        "timestamp": (when or datetime.now(UTC)).isoformat().replace("+00:00", "Z"),
        "accountId": "111122223333", "identity": {"arn": "arn:aws:iam::111122223333:user/workshop-participant"},
        "region": "us-east-1", "requestId": "req", "operation": "InvokeModel", "modelId": MODEL,
        "input": {"inputContentType": "application/json", "inputBodyJson": {"prompt": prompt}},
    }
    if error:
        record["errorCode"] = error
    else:
        record["output"] = {"outputContentType": "application/json", "outputBodyJson": {"text": prompt + " answer"}}
    store.add_invocation_log(record, participant=participant, path=path)

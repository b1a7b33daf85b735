"""Workbench.invoke enforces the facilitator's quota and keeps the invocation log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from workshop.config import bind_sandbox, parse_config
from workshop.errors import QuotaError
from workshop.invocation_log import validate_record
from workshop.prompts import template
from workshop.store import Store
from workshop.workbench import Workbench

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


def _workbench(sandbox: Any, extra: str = "") -> Workbench:
    config = parse_config(f"[workshop]\nSandbox = true\n{extra}", source="governance.ini")
    return Workbench(bind_sandbox(config, sandbox), sandbox=sandbox, owns_sandbox=False, store=Store.open())


@pytest.fixture
def sends() -> list[str]:
    return []


def _count_sends(bench: Workbench, path: str, sends: list[str]) -> None:
    bench.client(path).runtime.meta.events.register("before-send", lambda request, **_: sends.append(request.url))


@pytest.fixture
def limited(sandbox: Any, sends: list[str]) -> Iterator[Workbench]:
    bench = _workbench(sandbox, "[quota]\nMaxInvocations = 2\n")
    _count_sends(bench, "nat", sends)
    yield bench
    bench.close()


def test_an_invocation_is_logged_in_bedrocks_own_schema(sandbox: Any) -> None:
    bench = _workbench(sandbox)
    try:
        result = bench.invoke("nat", HAIKU, template("claude-messages"), "invoke-stream", participant="alice")
        records = bench.store.invocation_log(participant="alice")
    finally:
        bench.close()
    assert result.ok
    assert len(records) == 1
    record = records[0]["record"]
    assert validate_record(record) == []
    assert record["operation"] == "InvokeModelWithResponseStream"
    assert record["requestId"] == result.request_id
    assert record["accountId"] == "111122223333"
    assert record["input"]["inputBodyJson"]["messages"]


def test_log_bodies_off_keeps_the_record_but_not_the_bodies(sandbox: Any) -> None:
    bench = _workbench(sandbox, "LogBodies = false\n")
    try:
        bench.invoke("vpce", HAIKU, template("claude-messages"), participant="bob")
        records = bench.store.invocation_log(participant="bob")
    finally:
        bench.close()
    record = records[0]["record"]
    assert "inputBodyJson" not in record["input"]
    assert "outputBodyJson" not in record["output"]
    assert record["input"]["inputTokenCount"] > 0


def test_the_quota_allows_exactly_max_invocations(limited: Workbench, sends: list[str]) -> None:
    for _ in range(2):
        assert limited.invoke("nat", HAIKU, template("claude-messages"), participant="carol").ok
    assert len(sends) == 2


def test_past_the_quota_nothing_is_sent_and_the_refusal_says_429(limited: Workbench, sends: list[str]) -> None:
    for _ in range(2):
        limited.invoke("nat", HAIKU, template("claude-messages"), participant="dave")
    with pytest.raises(QuotaError) as refused:
        limited.invoke("nat", HAIKU, template("claude-messages"), participant="dave")
    assert len(sends) == 2
    assert "429" in str(refused.value) and "MaxInvocations" in str(refused.value)


def test_each_participant_has_their_own_quota(limited: Workbench, sends: list[str]) -> None:
    for _ in range(2):
        limited.invoke("nat", HAIKU, template("claude-messages"), participant="erin")
    assert limited.invoke("nat", HAIKU, template("claude-messages"), participant="frank").ok
    assert len(sends) == 3

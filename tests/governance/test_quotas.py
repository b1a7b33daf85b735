"""Quotas: the facilitator's MaxInvocations and PerMinute, counted from the real store's
invocation log, refused the way an API Gateway usage plan answers (429
LimitExceededException) before anything is sent. Time is injected, never slept."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from workshop import invocation_log, quotas
from workshop.config import QuotaSettings, parse_config
from workshop.errors import InputError, QuotaError
from workshop.results import InvocationResult
from workshop.store import Store

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
ALICE = "cli:alice"


@pytest.fixture
def store() -> Iterator[Store]:
    with Store.open() as opened:
        yield opened


def log_call(store: Store, at: datetime, participant: str = ALICE) -> None:
    """One logged invocation started at ``at`` (what Workbench.invoke leaves behind)."""
    result = InvocationResult(path="nat", model_id="amazon.titan-text-lite-v1", api="invoke", started_at=at,
                              input_tokens=3, output_tokens=2, request_id=f"req-{at.timestamp()}")
    invocation_log.record_invocation(store, result, body={"inputText": "hi"}, identity=None, region="us-east-1",
                                     participant=participant, capture_bodies=False)


def calls(store: Store, n: int, *, start: datetime = T0 - timedelta(hours=1), participant: str = ALICE) -> None:
    for i in range(n):
        log_call(store, start + timedelta(seconds=i), participant)


# --------------------------------------------------------------------------- total


def test_no_quota_never_refuses(store: Store) -> None:
    calls(store, 5)
    quotas.check_quota(QuotaSettings(), store, ALICE, now=T0)
    quotas.check_quota(None, store, ALICE, now=T0)


def test_the_nth_call_is_allowed(store: Store) -> None:
    calls(store, 2)  # N-1 used: the N-th call passes
    quotas.check_quota(QuotaSettings(max_invocations=3), store, ALICE, now=T0)


def test_at_n_used_the_next_call_is_refused_with_a_429(store: Store) -> None:
    calls(store, 3)
    with pytest.raises(QuotaError) as err:
        quotas.check_quota(QuotaSettings(max_invocations=3), store, ALICE, now=T0)
    message = str(err.value)
    assert message.startswith("Limit Exceeded: 3 of 3 invocations used for participant cli:alice")
    assert "429 LimitExceededException" in message
    assert "[quota] MaxInvocations" in message
    assert (err.value.http_status, err.value.error_code, err.value.quota_key) == (429, "LimitExceededException",
                                                                                  "MaxInvocations")
    assert (err.value.limit, err.value.used) == (3, 3)


def test_over_the_limit_stays_refused(store: Store) -> None:
    calls(store, 4)
    with pytest.raises(QuotaError):
        quotas.check_quota(QuotaSettings(max_invocations=3), store, ALICE, now=T0)


def test_a_zero_quota_refuses_the_first_call(store: Store) -> None:
    with pytest.raises(QuotaError):
        quotas.check_quota(QuotaSettings(max_invocations=0), store, ALICE, now=T0)


def test_quotas_are_per_participant(store: Store) -> None:
    calls(store, 3, participant="cli:bob")
    quotas.check_quota(QuotaSettings(max_invocations=3), store, ALICE, now=T0)


def test_cost_checks_a_whole_comparison_budget_up_front(store: Store) -> None:
    calls(store, 4)
    limit = QuotaSettings(max_invocations=10)
    quotas.check_quota(limit, store, ALICE, now=T0, cost=6)  # 4 + 6 = 10: fits exactly
    with pytest.raises(QuotaError) as err:
        quotas.check_quota(limit, store, ALICE, now=T0, cost=7)
    assert "needs 7" in str(err.value)


def test_cost_must_be_positive(store: Store) -> None:
    with pytest.raises(InputError):
        quotas.check_quota(QuotaSettings(max_invocations=1), store, ALICE, cost=0)


# --------------------------------------------------------------------------- per minute


def test_per_minute_allows_up_to_the_rate(store: Store) -> None:
    calls(store, 2, start=T0 - timedelta(seconds=30))
    quotas.check_quota(QuotaSettings(per_minute=3), store, ALICE, now=T0)


def test_per_minute_refuses_once_the_window_is_full(store: Store) -> None:
    calls(store, 3, start=T0 - timedelta(seconds=30))
    with pytest.raises(QuotaError) as err:
        quotas.check_quota(QuotaSettings(per_minute=3), store, ALICE, now=T0)
    assert "3 of 3 invocations per minute" in str(err.value)
    assert "[quota] PerMinute" in str(err.value)
    assert err.value.quota_key == "PerMinute"


def test_a_call_exactly_one_minute_old_still_counts(store: Store) -> None:
    log_call(store, T0 - timedelta(seconds=60))
    with pytest.raises(QuotaError):
        quotas.check_quota(QuotaSettings(per_minute=1), store, ALICE, now=T0)


def test_a_call_just_over_one_minute_old_no_longer_counts(store: Store) -> None:
    log_call(store, T0 - timedelta(seconds=60, milliseconds=1))
    quotas.check_quota(QuotaSettings(per_minute=1), store, ALICE, now=T0)


def test_the_window_slides_with_now(store: Store) -> None:
    log_call(store, T0)
    limit = QuotaSettings(per_minute=1)
    with pytest.raises(QuotaError):
        quotas.check_quota(limit, store, ALICE, now=T0 + timedelta(seconds=59))
    quotas.check_quota(limit, store, ALICE, now=T0 + timedelta(seconds=61))


def test_per_minute_ignores_cost_because_a_long_run_spreads_over_minutes(store: Store) -> None:
    quotas.check_quota(QuotaSettings(per_minute=2), store, ALICE, now=T0, cost=50)


def test_both_limits_apply_and_the_total_is_checked_first(store: Store) -> None:
    calls(store, 5, start=T0 - timedelta(seconds=10))
    with pytest.raises(QuotaError) as err:
        quotas.check_quota(QuotaSettings(max_invocations=5, per_minute=5), store, ALICE, now=T0)
    assert err.value.quota_key == "MaxInvocations"


def test_a_naive_now_is_taken_as_utc(store: Store) -> None:
    log_call(store, T0)
    with pytest.raises(QuotaError):
        quotas.check_quota(QuotaSettings(per_minute=1), store, ALICE, now=T0.replace(tzinfo=None))


# --------------------------------------------------------------------------- remaining, participants, config


def test_remaining_reports_both_limits(store: Store) -> None:
    calls(store, 3, start=T0 - timedelta(hours=1))
    calls(store, 2, start=T0 - timedelta(seconds=20))
    status = quotas.remaining(QuotaSettings(max_invocations=10, per_minute=4), store, ALICE, now=T0)
    assert (status.used, status.remaining_total) == (5, 5)
    assert (status.used_last_minute, status.remaining_this_minute) == (2, 2)
    assert status.remaining == 2
    assert status.limited
    assert status.to_dict()["remaining"] == 2


def test_remaining_never_goes_negative_and_is_unlimited_without_a_quota(store: Store) -> None:
    calls(store, 4)
    assert quotas.remaining(QuotaSettings(max_invocations=2), store, ALICE, now=T0).remaining_total == 0
    free = quotas.remaining(QuotaSettings(), store, ALICE, now=T0)
    assert (free.remaining, free.limited) == (None, False)


def test_cli_participant_is_the_os_user() -> None:
    assert quotas.participant_id("cli") == f"cli:{getpass.getuser()}"


def test_console_participant_is_the_streamlit_session() -> None:
    assert quotas.participant_id("console", "3f2a-session") == "console:3f2a-session"
    with pytest.raises(InputError):
        quotas.participant_id("console")
    with pytest.raises(InputError):
        quotas.participant_id("browser", "x")


def test_the_config_quota_section_drives_the_check(store: Store) -> None:
    config = parse_config("[workshop]\nSandbox = true\n[quota]\nMaxInvocations = 2\nPerMinute = 10\n")
    assert config.quota == QuotaSettings(max_invocations=2, per_minute=10)
    calls(store, 2)
    with pytest.raises(QuotaError):
        quotas.check_quota(config.quota, store, ALICE, now=T0)

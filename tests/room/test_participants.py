"""Participant names: what a name may be, where it comes from, and the lab's lock on it."""

from __future__ import annotations

import getpass

import pytest

from workshop import participants, quotas
from workshop.errors import InputError


@pytest.mark.parametrize("name", ["participant-7", "Ana Silva", "ana.silva@example.com", "p7", "X"])
def test_a_name_is_kept_as_typed_without_surrounding_spaces(name: str) -> None:
    assert participants.validate_name(f"  {name} ") == name


@pytest.mark.parametrize("text, why", [
    ("", "no participant name"), ("   ", "no participant name"), ("x" * 65, "65 characters"),
    ("-dash-first", "not a participant name"), ("semi;colon", "not a participant name"),
    ("tab\tinside", "not a participant name"), ("cli:alice", "not a participant name"),
    ("console:abc", "not a participant name"),
])
def test_a_bad_name_gets_one_message_naming_the_field_and_the_rule(text: str, why: str) -> None:
    with pytest.raises(InputError) as err:
        participants.validate_name(text, field="--participant")
    assert why in str(err.value) and err.value.field == "--participant"
    assert "letters, digits" in (err.value.fix or "") or "at most 64" in (err.value.fix or "")


def test_the_labs_environment_names_the_participant(monkeypatch: pytest.MonkeyPatch) -> None:
    assert participants.from_environment() is None and participants.resolve(None) is None
    monkeypatch.setenv(participants.PARTICIPANT_ENV, "participant-3")
    assert participants.from_environment() == "participant-3"
    assert participants.resolve(None) == "participant-3"
    assert participants.resolve("participant-3") == "participant-3"
    assert participants.fixed_by_environment()


def test_on_a_lab_instance_nobody_can_act_as_another_participant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(participants.PARTICIPANT_ENV, "participant-3")
    with pytest.raises(InputError) as err:
        participants.resolve("participant-4")
    assert "belongs to participant 'participant-3'" in str(err.value) and err.value.field == "--participant"


def test_without_the_lab_any_valid_name_may_be_given() -> None:
    assert participants.resolve("Ana") == "Ana"
    assert not participants.fixed_by_environment()


def test_a_malformed_environment_name_is_reported_with_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(participants.PARTICIPANT_ENV, "bad;name")
    with pytest.raises(InputError) as err:
        participants.from_environment()
    assert err.value.field == participants.PARTICIPANT_ENV


def test_quotas_attribute_calls_to_the_labs_name_for_cli_and_console_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    assert quotas.participant_id("cli") == f"cli:{getpass.getuser()}"
    assert quotas.participant_id("console", "s1") == "console:s1"
    monkeypatch.setenv(participants.PARTICIPANT_ENV, "participant-9")
    assert quotas.participant_id("cli") == quotas.participant_id("console", "s1") == "participant-9"


def test_unnamed_ids_are_shown_as_unnamed() -> None:
    assert participants.display("Ana") == "Ana"
    assert participants.display("cli:alice") == "unnamed (cli alice)"
    assert participants.display("console:0123456789abcdef") == "unnamed (console 01234567)"
    assert participants.display(None) == "unnamed"
    assert participants.is_named("Ana") and not participants.is_named("cli:alice") and not participants.is_named(None)


@pytest.mark.parametrize("value, expected", [("us-east-1a", "us-east-1a"), ("USE1-AZ2", "use1-az2"),
                                             ("eu-central-1b", "eu-central-1b"), ("nowhere", None), ("", None)])
def test_the_availability_zone_comes_from_the_environment_when_it_looks_like_one(
        monkeypatch: pytest.MonkeyPatch, value: str, expected: str | None) -> None:
    monkeypatch.setenv(participants.AZ_ENV, value)
    assert participants.availability_zone() == expected

"""The pieces under the server: event-stream frames, text generation, latency model, principals."""

from __future__ import annotations

import json

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from workshop.catalog import FAMILIES
from workshop.sandbox import eventstream
from workshop.sandbox.latency import LatencyModel, load_profile
from workshop.sandbox.principals import PARTICIPANT, AssumeRoleDenied, Principals
from workshop.sandbox.textgen import PLACEHOLDER_PREFIX, count_tokens, generate, tokenize


def _decode(data: bytes) -> list:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def test_event_frame_decodes_with_botocore_headers_and_payload() -> None:
    [message] = _decode(eventstream.event("chunk", {"bytes": "aGk="}))
    assert message.headers == {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}
    assert json.loads(message.payload) == {"bytes": "aGk="}


def test_exception_frame_carries_exception_type() -> None:
    [message] = _decode(eventstream.exception("throttlingException", "slow down"))
    assert message.headers[":message-type"] == "exception"
    assert message.headers[":exception-type"] == "throttlingException"


def test_corrupted_frame_fails_botocore_crc_check() -> None:
    frame = bytearray(eventstream.event("chunk", {"bytes": "aGk="}))
    frame[-6] ^= 0xFF
    with pytest.raises(ChecksumMismatch):
        _decode(bytes(frame))


def test_tokens_concatenate_back_to_the_text() -> None:
    text = "Hello, world!  It's 42 degrees.\n\nNew paragraph "
    assert "".join(tokenize(text)) == text
    assert count_tokens("Hello, world!") == 4


def test_a_placeholder_is_deterministic_and_model_specific() -> None:
    one = generate("Write a haiku about autumn", "amazon.nova-lite-v1:0", 500)
    assert one == generate("Write a haiku about autumn", "amazon.nova-lite-v1:0", 500)
    assert one.text != generate("Write a haiku about autumn", "amazon.nova-pro-v1:0", 500).text
    assert one.stop == "end"


def test_a_question_the_sandbox_does_not_know_gets_a_labelled_placeholder_of_modelled_length() -> None:
    answer = generate("Write a haiku about autumn", "m.x", 500)
    assert answer.text.startswith(PLACEHOLDER_PREFIX)
    assert "no model runs in the sandbox" in answer.text and "Write a haiku about autumn" in answer.text
    assert 40 <= answer.output_tokens <= 150  # the modelled 40-140 tokens, finished at a sentence end


def test_the_workshop_topics_get_a_real_answer() -> None:
    text = generate("Tell me about PrivateLink", "m.x", 500).text
    assert "privatelink" in text.lower() and not text.startswith(PLACEHOLDER_PREFIX)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_template_prompt_gets_the_correct_square_root_step_by_step(family: str) -> None:
    from workshop.families import get
    from workshop.prompts import template

    prompt = get(family).parse(template(family)).prompt
    text = generate(prompt, "anthropic.claude-3-haiku-20240307-v1:0", 500).text
    assert text.startswith("The square root of 16 is 4.")
    assert "4 × 4 = 16" in text
    assert "provide" not in text.lower() and "explanation" not in text.lower()


@pytest.mark.parametrize(("question", "says"), [
    ("What is the square root of 81?", "The square root of 81 is 9."),
    ("What is the square root of 2?", "The square root of 2 is 1.4142."),
    ("What is the cube root of 27?", "The cube root of 27 is 3."),
    ("What is 12 * 12?", "12 * 12 = 144."),
])
def test_small_maths_questions_are_answered_correctly(question: str, says: str) -> None:
    assert generate(question, "m.x", 500).text.startswith(says)


def test_generation_respects_max_tokens_exactly() -> None:
    answer = generate("Explain NAT gateways", "m.x", 7)
    assert answer.output_tokens == 7 and answer.stop == "length"
    assert count_tokens(answer.text) == 7


def test_no_delay_latency_model_is_all_zero() -> None:
    model = LatencyModel(no_delay=True)
    assert model.network_ms("nat") == 0.0
    assert model.model_timing("claude-messages", "anthropic.claude-3-haiku-20240307-v1:0").total_ms(100) == 0.0


def test_latency_samples_are_reproducible_from_the_seed() -> None:
    first, second = LatencyModel(seed=3), LatencyModel(seed=3)
    assert [first.network_ms("vpce") for _ in range(5)] == [second.network_ms("vpce") for _ in range(5)]


def test_profile_orders_paths_as_documented() -> None:
    paths = load_profile()["paths"]
    total = {name: spec["rtt_median_ms"] + spec["hop_ms"] for name, spec in paths.items()}
    assert total["vpce"] < total["nat"]
    assert total["vpce"] < total["cross-account"]


def test_model_override_changes_the_timing() -> None:
    model = LatencyModel(seed=1)
    assert model.model_timing("claude-messages", "anthropic.claude-3-haiku-20240307-v1:0").tokens_per_second == 120


def test_expire_refuses_long_term_keys() -> None:
    with pytest.raises(KeyError):
        Principals().expire(PARTICIPANT.access_key)


def test_assume_role_below_minimum_duration_is_rejected() -> None:
    from workshop.sandbox import WORKSHOP_ROLE_ARN

    with pytest.raises(AssumeRoleDenied) as caught:
        Principals().assume_role(PARTICIPANT, WORKSHOP_ROLE_ARN, "short", 899, None)
    assert caught.value.status == 400 and "greater than or equal to 900" in caught.value.message


def test_principal_repr_hides_secrets() -> None:
    assert PARTICIPANT.secret_key not in repr(PARTICIPANT)

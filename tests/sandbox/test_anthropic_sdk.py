"""Anthropic's own SDK against the sandbox, as a participant would use it: its Bedrock client
signs with botocore, puts its ``anthropic_version`` in the body and reads the event stream
itself — an independent client for the Messages API, out of the box."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from workshop.sandbox import PARTICIPANT_ACCESS_KEY, PARTICIPANT_SECRET_KEY

# Claude 3 Haiku speaks the Messages API natively; Claude 2.1 and Instant 1.2 accept it too (AWS's
# "Supported models" list for the Messages API).
MODELS = ["anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-v2:1", "anthropic.claude-instant-v1"]


@pytest.fixture(scope="module")
def client(sandbox: Any) -> anthropic.AnthropicBedrock:
    return anthropic.AnthropicBedrock(aws_access_key=PARTICIPANT_ACCESS_KEY, aws_secret_key=PARTICIPANT_SECRET_KEY,
                                      aws_region=sandbox.region, base_url=sandbox.endpoints["nat"], max_retries=0)


@pytest.mark.parametrize("model", MODELS)
def test_the_sdks_bedrock_client_gets_an_answer_with_its_default_version(client: Any, model: str) -> None:
    message = client.messages.create(model=model, max_tokens=60,
                                     messages=[{"role": "user", "content": "What is the square root of 16?"}])
    assert "4" in message.content[0].text
    assert message.usage.output_tokens > 0
    assert message.stop_reason in ("end_turn", "max_tokens")


@pytest.mark.parametrize("model", MODELS[:2])
def test_the_sdks_stream_arrives_as_text_events(client: Any, model: str) -> None:
    with client.messages.stream(model=model, max_tokens=60, system="Answer briefly.",
                                messages=[{"role": "user", "content": "What is 2 + 3?"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert "5" in text
    assert final.content[0].text == text


def test_a_version_outside_the_documented_set_is_refused(client: Any) -> None:
    with pytest.raises(anthropic.BadRequestError, match="anthropic_version"):
        client.messages.create(model=MODELS[0], max_tokens=10, messages=[{"role": "user", "content": "hi"}],
                               extra_body={"anthropic_version": "2019-01-01"})

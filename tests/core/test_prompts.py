"""Templates, body validation, response extraction and Converse conversion per family.

Response literals follow the shapes in the Bedrock model-parameters documentation.
"""

from __future__ import annotations

import json

import pytest

from workshop import families
from workshop.catalog import FAMILIES
from workshop.errors import InputError, TemplateError
from workshop.prompts import (
    PROMPTS_DIR,
    chunk_stop_reason,
    chunk_text,
    detect_family,
    extract,
    parse_body,
    prompt_of,
    template,
    template_text,
    to_converse,
    validate_body,
)

QUESTION = "square root of 16"


# --------------------------------------------------------------------------- templates


def test_there_is_one_template_file_per_family_plus_converse() -> None:
    names = {p.stem for p in PROMPTS_DIR.glob("*.json")}
    assert names == {*FAMILIES, "converse"}


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_template_parses_validates_and_is_detected_as_its_family(family: str) -> None:
    text = template_text(family)
    body = parse_body(text, family)
    assert validate_body(body, family, "invoke") == []
    assert detect_family(body) == family
    assert QUESTION in prompt_of(body, family).lower()


@pytest.mark.parametrize("api", ["converse", "converse-stream"])
@pytest.mark.parametrize("family", FAMILIES)
def test_converse_apis_get_the_converse_template_for_every_family(family: str, api: str) -> None:
    body = parse_body(template_text(family, api), family, api)
    assert set(body) == {"messages", "system", "inferenceConfig"}
    assert body == json.loads((PROMPTS_DIR / "converse.json").read_text())


def test_template_text_is_pretty_json() -> None:
    text = template_text("claude-messages")
    assert text.startswith("{\n  ")
    assert json.loads(text)["anthropic_version"] == "bedrock-2023-05-31"


def test_the_legacy_claude_v2_template_is_the_seed_prompt() -> None:
    body = template("claude-text")
    assert body["max_tokens_to_sample"] == 300
    assert body["stop_sequences"] == ["\n\nHuman:", "\n\nAssistant"]
    assert (body["temperature"], body["top_p"], body["top_k"]) == (1, 0.9, 250)
    assert "What is square root of 16? Provide step by step explaination" in body["prompt"]


def test_an_unknown_family_is_an_input_error() -> None:
    with pytest.raises(InputError):
        template_text("gpt")


# --------------------------------------------------------------------------- JSON errors


@pytest.mark.parametrize(
    ("text", "line", "column", "says"),
    [
        # A missing comma is reported at the end of the line that lacks it, not where the next value starts.
        ('{\n  "a": 1\n  "b": 2\n}', 2, 9, "a ',' is missing after this value"),
        ('{\n  "max_tokens": 300,\n  "anthropic_version": "bedrock-2023-05-31"\n  "messages": []\n}', 3, 44,
         "a ',' is missing after this value"),
        ('{"a": 1,}', 1, 8, "a trailing ',' before '}' (remove it)"),
        ('{\n  "a": [1, 2,\n  ]\n}', 2, 13, "a trailing ',' before ']' (remove it)"),
        ("", 1, 1, "Expecting value"),
        ('{\n  "prompt": "unterminated\n}', 2, 26, "Invalid control character"),
        ('{"prompt": "never closed', 1, 12, "Unterminated string"),
        ('{"a": 1}\n{"b": 2}', 2, 1, "Extra data"),
    ],
)
def test_json_errors_report_line_and_column(text: str, line: int, column: int, says: str) -> None:
    with pytest.raises(TemplateError) as err:
        parse_body(text, "claude-messages")
    assert (err.value.line, err.value.column) == (line, column)
    assert f"line {line}, column {column}: {says}" in str(err.value)
    assert err.value.field == "body"


def test_a_json_array_is_not_a_body() -> None:
    with pytest.raises(TemplateError, match="must be a JSON object"):
        parse_body("[1, 2]", "llama")


# --------------------------------------------------------------------------- family keys


def _without(family: str, *keys: str) -> dict:
    body = template(family)
    for key in keys:
        body.pop(key)
    return body


@pytest.mark.parametrize(
    ("family", "missing"),
    [
        ("claude-messages", "max_tokens"),
        ("claude-messages", "anthropic_version"),
        ("claude-messages", "messages"),
        ("claude-text", "prompt"),
        ("claude-text", "max_tokens_to_sample"),
        ("titan-text", "inputText"),
        ("nova", "messages"),
        ("llama", "prompt"),
        ("mistral", "prompt"),
        ("cohere-command-r", "message"),
        ("jamba", "messages"),
    ],
)
def test_a_missing_required_key_is_named(family: str, missing: str) -> None:
    problems = validate_body(_without(family, missing), family, "invoke")
    assert any(f"`{missing}` is missing" in p for p in problems), problems


def test_messages_must_be_a_list_for_claude() -> None:
    body = template("claude-messages")
    body["messages"] = {"role": "user", "content": "hi"}
    with pytest.raises(TemplateError, match="`messages` must be a non-empty list"):
        parse_body(json.dumps(body), "claude-messages")


def test_wrong_anthropic_version_is_named_with_the_expected_value() -> None:
    body = template("claude-messages") | {"anthropic_version": "2023-01-01"}
    assert any('must be "bedrock-2023-05-31"' in p for p in validate_body(body, "claude-messages"))


@pytest.mark.parametrize("version", ["bedrock-2023-05-31", "2023-06-01", "2026-10-21"])
def test_every_anthropic_version_current_sdks_send_is_accepted(version: str) -> None:
    # AWS documents bedrock-2023-05-31; anthropic 2.x's AnthropicBedrock sends its API version.
    body = template("claude-messages") | {"anthropic_version": version}
    assert validate_body(body, "claude-messages") == []


def test_all_problems_are_reported_at_once_and_parse_body_carries_them() -> None:
    body = {"messages": "hello", "temperatur": 0.5}
    with pytest.raises(TemplateError) as err:
        parse_body(json.dumps(body), "claude-messages")
    problems = err.value.problems
    assert any("anthropic_version" in p for p in problems)
    assert any("max_tokens" in p for p in problems)
    assert any("`messages` must be" in p for p in problems)
    assert any("unknown key `temperatur`" in p for p in problems)


@pytest.mark.parametrize(
    ("family", "change", "says"),
    [
        ("claude-messages", {"max_tokens": 0}, "`max_tokens` must be a positive integer"),
        ("claude-messages", {"temperature": 3}, "`temperature` must be a number between 0 and 1"),
        ("claude-messages", {"messages": [{"role": "assistant", "content": "hi"}]}, "starts with the user"),
        ("claude-messages", {"messages": [{"role": "bot", "content": "hi"}]}, "`messages[0].role` must be one of"),
        ("claude-text", {"prompt": "What is 2+2?"}, 'end with "Assistant:"'),
        ("titan-text", {"textGenerationConfig": {"maxTokens": 10}}, "unknown key `textGenerationConfig.maxTokens`"),
        ("llama", {"max_tokens": 10}, "`max_gen_len`"),
        ("cohere-command-r", {"chat_history": [{"role": "user", "message": "x"}]}, "`chat_history[0]`"),
        ("jamba", {"messages": [{"role": "user", "content": 42}]}, "must be a string for Jamba"),
        ("nova", {"inferenceConfig": {"maxTokenCount": 5}}, "unknown key `inferenceConfig.maxTokenCount`"),
    ],
)
def test_wrong_values_are_named(family: str, change: dict, says: str) -> None:
    problems = validate_body(template(family) | change, family, "invoke")
    assert any(says in p for p in problems), problems


def test_converse_body_rejects_native_inference_keys() -> None:
    body = template("converse")
    body["inferenceConfig"]["top_k"] = 5
    problems = validate_body(body, "claude-messages", "converse")
    assert any("additionalModelRequestFields" in p for p in problems)


# --------------------------------------------------------------------------- cross-family


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("other", FAMILIES)
def test_a_body_from_another_family_is_detected_and_named(family: str, other: str) -> None:
    if family == other:
        return
    if other in families.get(family).also_speaks:  # Claude 2 takes Messages-API bodies too (AWS documents it)
        assert parse_body(template_text(other), family) == template(other)
        return
    with pytest.raises(TemplateError) as err:
        parse_body(template_text(other), family)
    message = str(err.value)
    assert family in message
    assert other in message or "load the template" in message


def test_titan_body_sent_to_claude_says_which_template_to_load() -> None:
    problems = validate_body(template("titan-text"), "claude-messages")
    assert problems == [
        "this body looks like a titan-text request but the model is claude-messages — "
        "load the template for claude-messages"
    ]


def test_a_converse_body_on_invoke_says_to_switch_the_api() -> None:
    problems = validate_body(template("converse"), "llama", "invoke")
    assert len(problems) == 1 and "looks like a Converse request" in problems[0] and "converse" in problems[0]


def test_a_native_body_on_converse_says_to_load_the_converse_template() -> None:
    problems = validate_body(template("claude-messages"), "claude-messages", "converse")
    assert len(problems) == 1 and "Converse template" in problems[0]


def test_nova_accepts_the_converse_spelling_natively() -> None:
    body = template("converse")
    assert validate_body(body, "nova", "invoke") == []


def test_mistral_accepts_the_chat_completion_form() -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 50}
    assert validate_body(body, "mistral", "invoke") == []


def test_detect_family_gives_none_for_ambiguous_or_non_objects() -> None:
    assert detect_family({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}) is None
    assert detect_family([1, 2]) is None
    assert detect_family({}) is None


# --------------------------------------------------------------------------- responses

RESPONSES = {
    "claude-messages": {
        "id": "msg_bdrk_01", "type": "message", "role": "assistant", "model": "claude-3-haiku-20240307",
        "content": [{"type": "text", "text": "The square root of 16 is 4."}],
        "stop_reason": "end_turn", "stop_sequence": None, "usage": {"input_tokens": 21, "output_tokens": 11},
    },
    "claude-text": {"completion": " The square root of 16 is 4.", "stop_reason": "stop_sequence", "stop": "\n\nHuman:"},
    "titan-text": {
        "inputTextTokenCount": 15,
        "results": [{"tokenCount": 9, "outputText": "The square root of 16 is 4.", "completionReason": "FINISH"}],
    },
    "nova": {
        "output": {"message": {"role": "assistant", "content": [{"text": "The square root of 16 is 4."}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 18, "outputTokens": 10, "totalTokens": 28,
                  "cacheReadInputTokenCount": 0, "cacheWriteInputTokenCount": 0},
    },
    "llama": {"generation": "The square root of 16 is 4.", "prompt_token_count": 30,
              "generation_token_count": 10, "stop_reason": "stop"},
    "mistral": {"outputs": [{"text": "The square root of 16 is 4.", "stop_reason": "stop"}]},
    "cohere-command-r": {
        "response_id": "a1", "text": "The square root of 16 is 4.", "generation_id": "g1",
        "chat_history": [], "finish_reason": "COMPLETE",
        "meta": {"api_version": {"version": "1"}, "billed_units": {"input_tokens": 12, "output_tokens": 10}},
    },
    "jamba": {
        "id": "chatcmpl-1", "model": "jamba-1.5-large",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "The square root of 16 is 4."},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 25, "completion_tokens": 10, "total_tokens": 35},
    },
}

EXPECTED_USAGE = {
    "claude-messages": (21, 11, "end_turn"),
    "claude-text": (None, None, "stop_sequence"),  # Claude v2's body has no usage: headers carry it
    "titan-text": (15, 9, "FINISH"),
    "nova": (18, 10, "end_turn"),
    "llama": (30, 10, "stop"),
    "mistral": (None, None, "stop"),
    "cohere-command-r": (12, 10, "COMPLETE"),
    "jamba": (25, 10, "stop"),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_extract_reads_text_usage_and_stop_reason_from_every_family(family: str) -> None:
    got = extract(family, RESPONSES[family])
    assert got.text.strip() == "The square root of 16 is 4."
    assert (got.input_tokens, got.output_tokens, got.stop_reason) == EXPECTED_USAGE[family]


def test_extract_reads_a_converse_response() -> None:
    response = {
        "output": {"message": {"role": "assistant", "content": [{"text": "Four."}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 5, "outputTokens": 2, "totalTokens": 7},
        "metrics": {"latencyMs": 321},
    }
    got = extract("converse", response)
    assert (got.text, got.input_tokens, got.output_tokens, got.stop_reason) == ("Four.", 5, 2, "end_turn")


def test_extract_reads_mistral_large_chat_completion() -> None:
    response = {
        "id": "x", "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Four."}, "stop_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
    }
    got = extract("mistral", response)
    assert (got.text, got.input_tokens, got.output_tokens, got.stop_reason) == ("Four.", 9, 2, "stop")


def test_extract_of_an_empty_response_is_empty_not_an_exception() -> None:
    for family in FAMILIES:
        assert extract(family, {}).text == ""


STREAMS = {
    "claude-messages": [
        {"type": "message_start", "message": {"usage": {"input_tokens": 21, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Four"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "."}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"output_tokens": 2}},
        {"type": "message_stop", "amazon-bedrock-invocationMetrics": {"inputTokenCount": 21, "outputTokenCount": 2,
                                                                       "invocationLatency": 400, "firstByteLatency": 200}},
    ],
    "claude-text": [
        {"completion": "Four", "stop_reason": None, "stop": None},
        {"completion": ".", "stop_reason": "stop_sequence", "stop": "\n\nHuman:"},
    ],
    "titan-text": [
        {"outputText": "Four", "index": 0, "totalOutputTextTokenCount": 1, "completionReason": None,
         "inputTextTokenCount": 15},
        {"outputText": ".", "index": 0, "totalOutputTextTokenCount": 2, "completionReason": "FINISH",
         "inputTextTokenCount": 15},
    ],
    "nova": [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"delta": {"text": "Four"}, "contentBlockIndex": 0}},
        {"contentBlockDelta": {"delta": {"text": "."}, "contentBlockIndex": 0}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "end_turn"}},
        {"metadata": {"usage": {"inputTokens": 18, "outputTokens": 2}, "metrics": {}, "trace": {}}},
    ],
    "llama": [
        {"generation": "Four", "prompt_token_count": 30, "generation_token_count": 1, "stop_reason": None},
        {"generation": ".", "prompt_token_count": None, "generation_token_count": 2, "stop_reason": "stop"},
    ],
    "mistral": [
        {"outputs": [{"text": "Four", "stop_reason": None}]},
        {"outputs": [{"text": ".", "stop_reason": "stop"}]},
    ],
    "cohere-command-r": [
        {"is_finished": False, "event_type": "stream-start", "generation_id": "g1"},
        {"is_finished": False, "event_type": "text-generation", "text": "Four"},
        {"is_finished": False, "event_type": "text-generation", "text": "."},
        {"is_finished": True, "event_type": "stream-end", "finish_reason": "COMPLETE",
         "response": {"text": "Four."}},
    ],
    "jamba": [
        {"id": "c1", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]},
        {"id": "c1", "choices": [{"index": 0, "delta": {"content": "Four"}, "finish_reason": None}]},
        {"id": "c1", "choices": [{"index": 0, "delta": {"content": "."}, "finish_reason": "stop"}]},
    ],
}

STREAM_STOP = {
    "claude-messages": "end_turn", "claude-text": "stop_sequence", "titan-text": "FINISH", "nova": "end_turn",
    "llama": "stop", "mistral": "stop", "cohere-command-r": "COMPLETE", "jamba": "stop",
}


@pytest.mark.parametrize("family", FAMILIES)
def test_stream_chunks_give_text_deltas_and_the_stop_reason(family: str) -> None:
    chunks = STREAMS[family]
    assert "".join(chunk_text(family, c) for c in chunks) == "Four."
    reasons = [r for r in (chunk_stop_reason(family, c) for c in chunks) if r]
    assert reasons == [STREAM_STOP[family]]


def test_mistral_chat_stream_chunks_are_read_too() -> None:
    chunk = {"choices": [{"index": 0, "delta": {"content": "Four"}, "finish_reason": None}]}
    assert chunk_text("mistral", chunk) == "Four"


# --------------------------------------------------------------------------- to Converse


@pytest.mark.parametrize("family", FAMILIES)
def test_to_converse_turns_every_template_into_a_valid_converse_body(family: str) -> None:
    converse = to_converse(template(family), family)
    assert validate_body(converse, family, "converse") == []
    assert converse["messages"][-1]["role"] == "user"
    assert QUESTION in converse["messages"][-1]["content"][0]["text"].lower()
    assert converse["inferenceConfig"]["maxTokens"] == 300


@pytest.mark.parametrize(
    ("family", "system"),
    [("claude-messages", True), ("nova", True), ("llama", True), ("cohere-command-r", True), ("jamba", True),
     ("claude-text", False), ("titan-text", False), ("mistral", False)],
)
def test_to_converse_moves_system_prompts_to_system(family: str, system: bool) -> None:
    converse = to_converse(template(family), family)
    assert ("system" in converse) is system
    if system:
        assert converse["system"] == [{"text": "You are a patient maths tutor."}]


def test_to_converse_maps_settings_without_a_converse_slot_to_additional_fields() -> None:
    assert to_converse(template("claude-messages"), "claude-messages")["additionalModelRequestFields"] == {"top_k": 250}
    assert to_converse(template("nova"), "nova")["additionalModelRequestFields"] == {"inferenceConfig": {"topK": 50}}
    assert to_converse(template("cohere-command-r"), "cohere-command-r")["additionalModelRequestFields"] == {"k": 0}


def test_to_converse_keeps_a_multi_turn_llama_conversation() -> None:
    prompt = (
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    )
    converse = to_converse({"prompt": prompt, "max_gen_len": 20}, "llama")
    assert [(m["role"], m["content"][0]["text"]) for m in converse["messages"]] == [
        ("user", "Hi"), ("assistant", "Hello!"), ("user", "What is 2+2?")
    ]


def test_to_converse_keeps_cohere_chat_history() -> None:
    body = {"message": "And 3+3?", "chat_history": [{"role": "USER", "message": "2+2?"},
                                                     {"role": "CHATBOT", "message": "4"}]}
    roles = [m["role"] for m in to_converse(body, "cohere-command-r")["messages"]]
    assert roles == ["user", "assistant", "user"]


def test_claude_text_turn_markers_are_dropped_from_stop_sequences() -> None:
    converse = to_converse(template("claude-text"), "claude-text")
    assert "stopSequences" not in converse["inferenceConfig"]

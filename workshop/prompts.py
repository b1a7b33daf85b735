"""Request templates per model family, body validation, and reading responses.

Every model family speaks its own JSON on InvokeModel; Converse speaks one shape for all.
This module knows those shapes so the console can say *what* is wrong with a body before
Bedrock answers with a terse ValidationException, and can pull text, token counts and the
stop reason out of any family's response or stream chunk.

Templates live in ``prompts/<family>.json`` (plus ``prompts/converse.json``) at the repo
root so facilitators can edit them without touching code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from workshop.catalog import FAMILIES
from workshop.errors import InputError, TemplateError

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
CONVERSE = "converse"
CONVERSE_APIS = ("converse", "converse-stream")
ANTHROPIC_VERSION = "bedrock-2023-05-31"


@dataclass(frozen=True)
class Extracted:
    """What a response says, whatever its family: text, usage and why it stopped."""

    text: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    stop_reason: str | None = None


def _check_family(family: str) -> None:
    if family not in FAMILIES and family != CONVERSE:
        raise InputError(
            f"unknown model family {family!r}", field="family", fix="one of: " + ", ".join(FAMILIES)
        )


def _shape(family: str, api: str) -> str:
    """The body shape an API expects: the family's own, or Converse for both converse APIs."""
    return CONVERSE if api in CONVERSE_APIS else family


# --------------------------------------------------------------------------- templates


@cache
def _template_json(name: str) -> str:
    return (PROMPTS_DIR / f"{name}.json").read_text(encoding="utf-8")


def template(family: str, api: str = "invoke") -> dict:
    """A fresh copy of the template body for ``family`` (Converse's for the converse APIs)."""
    _check_family(family)
    return json.loads(_template_json(_shape(family, api)))


def template_text(family: str, api: str = "invoke") -> str:
    """The template as pretty JSON, ready for the editor."""
    return json.dumps(template(family, api), indent=2, ensure_ascii=False)


# --------------------------------------------------------------------------- validation

# Keys each shape accepts at the top level. Anthropic and Titan reject unknown keys
# outright ("extraneous key [x] is not permitted"), so naming them here saves a round trip.
_KNOWN_KEYS: dict[str, frozenset[str]] = {
    "claude-messages": frozenset(
        {
            "anthropic_version",
            "anthropic_beta",
            "max_tokens",
            "messages",
            "system",
            "temperature",
            "top_p",
            "top_k",
            "stop_sequences",
            "tools",
            "tool_choice",
            "thinking",
            "metadata",
        }
    ),
    "claude-text": frozenset(
        {
            "prompt",
            "max_tokens_to_sample",
            "stop_sequences",
            "temperature",
            "top_p",
            "top_k",
            "anthropic_version",
        }
    ),
    "titan-text": frozenset({"inputText", "textGenerationConfig"}),
    "nova": frozenset({"schemaVersion", "system", "messages", "inferenceConfig", "toolConfig"}),
    "llama": frozenset({"prompt", "max_gen_len", "temperature", "top_p", "images"}),
    "mistral": frozenset(
        {
            "prompt",
            "messages",
            "max_tokens",
            "stop",
            "temperature",
            "top_p",
            "top_k",
            "tools",
            "tool_choice",
            "response_format",
        }
    ),
    "cohere-command-r": frozenset(
        {
            "message",
            "chat_history",
            "documents",
            "search_queries_only",
            "preamble",
            "max_tokens",
            "temperature",
            "p",
            "k",
            "prompt_truncation",
            "frequency_penalty",
            "presence_penalty",
            "seed",
            "return_prompt",
            "tools",
            "tool_results",
            "stop_sequences",
            "raw_prompting",
        }
    ),
    "jamba": frozenset(
        {
            "messages",
            "n",
            "max_tokens",
            "temperature",
            "top_p",
            "stop",
            "frequency_penalty",
            "presence_penalty",
            "documents",
            "tools",
            "response_format",
        }
    ),
    CONVERSE: frozenset(
        {
            "messages",
            "system",
            "inferenceConfig",
            "additionalModelRequestFields",
            "toolConfig",
            "guardrailConfig",
            "promptVariables",
            "additionalModelResponseFieldPaths",
            "requestMetadata",
            "performanceConfig",
        }
    ),
}

_TITAN_CONFIG_KEYS = frozenset({"maxTokenCount", "stopSequences", "temperature", "topP"})
_NOVA_CONFIG_KEYS = frozenset(
    {
        "max_new_tokens",
        "maxTokens",
        "temperature",
        "top_p",
        "topP",
        "top_k",
        "topK",
        "stopSequences",
        "reasoningConfig",
    }
)
_CONVERSE_CONFIG_KEYS = frozenset({"maxTokens", "temperature", "topP", "stopSequences"})


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _chat_like(body: dict) -> bool:
    """OpenAI-style chat: messages whose content is a plain string (Jamba, Mistral chat)."""
    msgs = body.get("messages")
    return (
        isinstance(msgs, list)
        and bool(msgs)
        and all(isinstance(m, dict) and isinstance(m.get("content"), str) for m in msgs)
    )


def _block_messages(body: dict) -> bool:
    """Messages whose content is a list of ``{"text": ...}`` blocks (Nova, Converse)."""
    msgs = body.get("messages")
    return (
        isinstance(msgs, list)
        and bool(msgs)
        and all(
            isinstance(m, dict)
            and isinstance(m.get("content"), list)
            and all(isinstance(b, dict) and "type" not in b for b in m["content"])
            for m in msgs
        )
    )


def detect_family(body: Any) -> str | None:
    """The family (or ``"converse"``) a body's keys point to, or None if they are ambiguous.

    Only distinctive markers count, so a partly edited body is not misjudged: a plain
    OpenAI-style chat body could be Jamba or Mistral chat and gives None.
    """
    if not isinstance(body, dict):
        return None
    keys = set(body)
    if "anthropic_version" in keys and "messages" in keys:
        return "claude-messages"
    if "max_tokens_to_sample" in keys or (
        isinstance(body.get("prompt"), str) and "Human:" in body["prompt"] and "Assistant:" in body["prompt"]
    ):
        return "claude-text"
    if "inputText" in keys or "textGenerationConfig" in keys:
        return "titan-text"
    if "max_gen_len" in keys or (
        isinstance(body.get("prompt"), str) and "<|start_header_id|>" in body["prompt"]
    ):
        return "llama"
    if "message" in keys or "chat_history" in keys or "preamble" in keys:
        return "cohere-command-r"
    if isinstance(body.get("prompt"), str) and "[INST]" in body["prompt"]:
        return "mistral"
    if "schemaVersion" in keys:
        return "nova"
    config = body.get("inferenceConfig")
    if isinstance(config, dict) and ({"max_new_tokens", "top_p", "top_k"} & set(config)):
        return "nova"
    if "inferenceConfig" in keys or "additionalModelRequestFields" in keys or _block_messages(body):
        return CONVERSE
    msgs = body.get("messages")
    if isinstance(msgs, list) and any(
        isinstance(m, dict)
        and isinstance(m.get("content"), list)
        and any(isinstance(b, dict) and b.get("type") == "text" for b in m["content"])
        for m in msgs
    ):
        return "claude-messages"
    if "n" in keys or "documents" in keys:
        return "jamba"
    return None


# Shapes that legitimately look like one another: a Nova body without its snake_case
# markers is a valid Converse body, and Nova 2 accepts the Converse spelling natively.
_COMPATIBLE = {("nova", CONVERSE), (CONVERSE, "nova")}


def _label(shape: str) -> str:
    return "Converse" if shape == CONVERSE else shape


def validate_body(body: Any, family: str, api: str = "invoke") -> list[str]:
    """Every problem with ``body`` for ``family`` on ``api`` (empty list: looks right).

    Used live by the editor, so it never raises for a bad body, only for an unknown family.
    """
    _check_family(family)
    if not isinstance(body, dict):
        return [f"the body must be a JSON object {{...}}, not {type(body).__name__}"]
    shape = _shape(family, api)
    problems: list[str] = []
    detected = detect_family(body)
    if detected and detected != shape and (detected, shape) not in _COMPATIBLE:
        if shape == CONVERSE:
            problems.append(
                f"this body looks like a {detected} InvokeModel request but the API is {api} — "
                f"load the Converse template (messages/system/inferenceConfig) or switch the API to invoke"
            )
        elif detected == CONVERSE:
            problems.append(
                f"this body looks like a Converse request but the API is {api} and the model is {family} — "
                f"switch the API to converse or load the template for {family}"
            )
        else:
            problems.append(
                f"this body looks like a {detected} request but the model is {family} — "
                f"load the template for {family}"
            )
        return problems  # per-key complaints about the wrong family would only be noise
    checker = _CHECKS[shape]
    checker(body, problems)
    known = _KNOWN_KEYS[shape]
    for key in body:
        if key not in known:
            problems.append(f"unknown key `{key}` for {_label(shape)} (expected: {', '.join(sorted(known))})")
    return problems


def _require(body: dict, key: str, what: str, ok: Any, problems: list[str], shape: str) -> bool:
    if key not in body:
        problems.append(f"`{key}` is missing: {_label(shape)} needs {what}")
        return False
    if not ok(body[key]):
        problems.append(f"`{key}` must be {what}, not {json.dumps(body[key])[:60]}")
        return False
    return True


def _optional(body: dict, key: str, what: str, ok: Any, problems: list[str]) -> None:
    if key in body and not ok(body[key]):
        problems.append(f"`{key}` must be {what}, not {json.dumps(body[key])[:60]}")


def _positive_int(v: Any) -> bool:
    return _is_int(v) and v > 0


def _str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _nonempty_str(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip())


def _roles(msgs: list, allowed: tuple[str, ...], field: str, problems: list[str]) -> None:
    for i, m in enumerate(msgs):
        if not isinstance(m, dict):
            problems.append(f"`{field}[{i}]` must be an object with role and content")
            continue
        if m.get("role") not in allowed:
            problems.append(
                f"`{field}[{i}].role` must be one of {', '.join(allowed)}, not {json.dumps(m.get('role'))}"
            )
        if "content" not in m:
            problems.append(f"`{field}[{i}].content` is missing")


def _check_claude_messages(body: dict, problems: list[str]) -> None:
    if (
        _require(
            body,
            "anthropic_version",
            f'the string "{ANTHROPIC_VERSION}"',
            _nonempty_str,
            problems,
            "claude-messages",
        )
        and body["anthropic_version"] != ANTHROPIC_VERSION
    ):
        problems.append(
            f'`anthropic_version` must be "{ANTHROPIC_VERSION}" on Bedrock, not {json.dumps(body["anthropic_version"])}'
        )
    _require(
        body,
        "max_tokens",
        "a positive integer (the output token limit)",
        _positive_int,
        problems,
        "claude-messages",
    )
    if _require(
        body,
        "messages",
        "a non-empty list of {role, content}",
        lambda v: isinstance(v, list) and bool(v),
        problems,
        "claude-messages",
    ):
        _roles(body["messages"], ("user", "assistant"), "messages", problems)
        for i, m in enumerate(body["messages"]):
            c = m.get("content") if isinstance(m, dict) else None
            if c is not None and not (
                isinstance(c, str)
                or (isinstance(c, list) and all(isinstance(b, dict) and "type" in b for b in c))
            ):
                problems.append(
                    f'`messages[{i}].content` must be a string or a list of {{"type": "text", "text": ...}} blocks'
                )
        first = body["messages"][0]
        if isinstance(first, dict) and first.get("role") == "assistant":
            problems.append("`messages[0].role` must be user: a Claude conversation starts with the user")
    _optional(
        body, "system", "a string or a list of text blocks", lambda v: isinstance(v, str | list), problems
    )
    _optional(
        body, "temperature", "a number between 0 and 1", lambda v: _is_number(v) and 0 <= v <= 1, problems
    )
    _optional(body, "top_p", "a number between 0 and 1", lambda v: _is_number(v) and 0 <= v <= 1, problems)
    _optional(body, "top_k", "a non-negative integer", lambda v: _is_int(v) and v >= 0, problems)
    _optional(body, "stop_sequences", "a list of strings", _str_list, problems)


def _check_claude_text(body: dict, problems: list[str]) -> None:
    if _require(
        body, "prompt", 'a string "\\n\\nHuman: ...\\n\\nAssistant:"', _nonempty_str, problems, "claude-text"
    ):
        prompt = body["prompt"]
        if "Human:" not in prompt or not prompt.rstrip().endswith("Assistant:"):
            problems.append(
                '`prompt` must contain "Human:" and end with "Assistant:" (Claude v2 text completion turns)'
            )
    _require(body, "max_tokens_to_sample", "a positive integer", _positive_int, problems, "claude-text")
    _optional(
        body, "temperature", "a number between 0 and 1", lambda v: _is_number(v) and 0 <= v <= 1, problems
    )
    _optional(body, "top_p", "a number between 0 and 1", lambda v: _is_number(v) and 0 <= v <= 1, problems)
    _optional(body, "top_k", "a non-negative integer", lambda v: _is_int(v) and v >= 0, problems)
    _optional(body, "stop_sequences", "a list of strings", _str_list, problems)


def _check_titan(body: dict, problems: list[str]) -> None:
    _require(body, "inputText", "the prompt string", _nonempty_str, problems, "titan-text")
    if "textGenerationConfig" in body:
        cfg = body["textGenerationConfig"]
        if not isinstance(cfg, dict):
            problems.append("`textGenerationConfig` must be an object")
            return
        _optional(cfg, "maxTokenCount", "a positive integer", _positive_int, problems)
        _optional(
            cfg, "temperature", "a number between 0 and 1", lambda v: _is_number(v) and 0 <= v <= 1, problems
        )
        _optional(cfg, "topP", "a number between 0 and 1", lambda v: _is_number(v) and 0 <= v <= 1, problems)
        _optional(cfg, "stopSequences", "a list of strings", _str_list, problems)
        for key in cfg:
            if key not in _TITAN_CONFIG_KEYS:
                problems.append(
                    f"unknown key `textGenerationConfig.{key}` (expected: {', '.join(sorted(_TITAN_CONFIG_KEYS))})"
                )


def _check_block_messages(body: dict, problems: list[str], shape: str) -> None:
    if _require(
        body,
        "messages",
        'a non-empty list of {"role", "content": [{"text": ...}]}',
        lambda v: isinstance(v, list) and bool(v),
        problems,
        shape,
    ):
        _roles(body["messages"], ("user", "assistant"), "messages", problems)
        for i, m in enumerate(body["messages"]):
            c = m.get("content") if isinstance(m, dict) else None
            if c is not None and not (isinstance(c, list) and all(isinstance(b, dict) for b in c)):
                problems.append(f'`messages[{i}].content` must be a list of blocks like {{"text": "..."}}')
    if "system" in body and not (
        isinstance(body["system"], list) and all(isinstance(b, dict) for b in body["system"])
    ):
        problems.append('`system` must be a list of blocks like [{"text": "..."}]')


def _check_nova(body: dict, problems: list[str]) -> None:
    _check_block_messages(body, problems, "nova")
    _optional(body, "schemaVersion", '"messages-v1"', lambda v: v == "messages-v1", problems)
    cfg = body.get("inferenceConfig")
    if cfg is not None:
        if not isinstance(cfg, dict):
            problems.append("`inferenceConfig` must be an object")
            return
        for key in ("max_new_tokens", "maxTokens"):
            _optional(cfg, key, "a positive integer", _positive_int, problems)
        for key in cfg:
            if key not in _NOVA_CONFIG_KEYS:
                problems.append(
                    f"unknown key `inferenceConfig.{key}` (expected: {', '.join(sorted(_NOVA_CONFIG_KEYS))})"
                )


def _check_converse(body: dict, problems: list[str]) -> None:
    _check_block_messages(body, problems, CONVERSE)
    cfg = body.get("inferenceConfig")
    if cfg is not None:
        if not isinstance(cfg, dict):
            problems.append("`inferenceConfig` must be an object")
            return
        _optional(cfg, "maxTokens", "a positive integer", _positive_int, problems)
        _optional(
            cfg, "temperature", "a number between 0 and 1", lambda v: _is_number(v) and 0 <= v <= 1, problems
        )
        _optional(cfg, "topP", "a number between 0 and 1", lambda v: _is_number(v) and 0 <= v <= 1, problems)
        _optional(cfg, "stopSequences", "a list of strings", _str_list, problems)
        for key in cfg:
            if key not in _CONVERSE_CONFIG_KEYS:
                problems.append(
                    f"unknown key `inferenceConfig.{key}` (expected: {', '.join(sorted(_CONVERSE_CONFIG_KEYS))}; "
                    "model-specific settings go in additionalModelRequestFields)"
                )


def _check_llama(body: dict, problems: list[str]) -> None:
    _require(body, "prompt", "the prompt string (Llama 3 chat format)", _nonempty_str, problems, "llama")
    _optional(body, "max_gen_len", "a positive integer", _positive_int, problems)
    _optional(
        body, "temperature", "a number between 0 and 1", lambda v: _is_number(v) and 0 <= v <= 1, problems
    )
    _optional(body, "top_p", "a number between 0 and 1", lambda v: _is_number(v) and 0 <= v <= 1, problems)
    if "max_tokens" in body:
        problems.append("Llama calls the output limit `max_gen_len`, not `max_tokens`")


def _check_mistral(body: dict, problems: list[str]) -> None:
    if "prompt" not in body and "messages" not in body:
        problems.append('`prompt` is missing: mistral needs a prompt string like "<s>[INST] ... [/INST]"')
    _optional(body, "prompt", "a string", _nonempty_str, problems)
    if "messages" in body:
        if isinstance(body["messages"], list) and body["messages"]:
            _roles(body["messages"], ("system", "user", "assistant", "tool"), "messages", problems)
        else:
            problems.append("`messages` must be a non-empty list of {role, content}")
    _optional(body, "max_tokens", "a positive integer", _positive_int, problems)
    _optional(
        body, "temperature", "a number between 0 and 1", lambda v: _is_number(v) and 0 <= v <= 1, problems
    )
    _optional(body, "top_p", "a number between 0 and 1", lambda v: _is_number(v) and 0 <= v <= 1, problems)
    _optional(body, "top_k", "a non-negative integer", lambda v: _is_int(v) and v >= 0, problems)
    _optional(body, "stop", "a list of strings", _str_list, problems)


def _check_cohere(body: dict, problems: list[str]) -> None:
    _require(body, "message", "the user message string", _nonempty_str, problems, "cohere-command-r")
    if "chat_history" in body:
        hist = body["chat_history"]
        if not isinstance(hist, list):
            problems.append("`chat_history` must be a list of {role: USER|CHATBOT, message}")
        else:
            for i, turn in enumerate(hist):
                if (
                    not isinstance(turn, dict)
                    or turn.get("role") not in ("USER", "CHATBOT", "SYSTEM")
                    or "message" not in turn
                ):
                    problems.append(
                        f'`chat_history[{i}]` must be {{"role": "USER"|"CHATBOT", "message": ...}}'
                    )
    _optional(body, "preamble", "a string", lambda v: isinstance(v, str), problems)
    _optional(body, "max_tokens", "a positive integer", _positive_int, problems)
    _optional(
        body, "temperature", "a number between 0 and 1", lambda v: _is_number(v) and 0 <= v <= 1, problems
    )
    _optional(body, "p", "a number between 0.01 and 0.99", lambda v: _is_number(v) and 0 <= v <= 1, problems)
    _optional(body, "k", "an integer between 0 and 500", lambda v: _is_int(v) and 0 <= v <= 500, problems)
    _optional(body, "stop_sequences", "a list of strings", _str_list, problems)


def _check_jamba(body: dict, problems: list[str]) -> None:
    if _require(
        body,
        "messages",
        "a non-empty list of {role, content}",
        lambda v: isinstance(v, list) and bool(v),
        problems,
        "jamba",
    ):
        _roles(body["messages"], ("system", "user", "assistant"), "messages", problems)
        for i, m in enumerate(body["messages"]):
            if isinstance(m, dict) and "content" in m and not isinstance(m["content"], str):
                problems.append(f"`messages[{i}].content` must be a string for Jamba")
    _optional(body, "max_tokens", "a positive integer", _positive_int, problems)
    _optional(
        body, "temperature", "a number between 0 and 2", lambda v: _is_number(v) and 0 <= v <= 2, problems
    )
    _optional(body, "top_p", "a number between 0 and 1", lambda v: _is_number(v) and 0 <= v <= 1, problems)
    _optional(body, "n", "an integer between 1 and 16", lambda v: _is_int(v) and 1 <= v <= 16, problems)
    _optional(body, "stop", "a list of strings", _str_list, problems)


_CHECKS = {
    "claude-messages": _check_claude_messages,
    "claude-text": _check_claude_text,
    "titan-text": _check_titan,
    "nova": _check_nova,
    "llama": _check_llama,
    "mistral": _check_mistral,
    "cohere-command-r": _check_cohere,
    "jamba": _check_jamba,
    CONVERSE: _check_converse,
}


def parse_body(text: str, family: str, api: str = "invoke") -> dict:
    """Parse and validate the editor's text; raise TemplateError saying what and where.

    JSON errors carry line and column ("line 3, column 18: Expecting ',' delimiter");
    family errors name the key (``max_tokens`` missing for Claude Messages) or the family
    the body belongs to instead.
    """
    _check_family(family)
    try:
        body = json.loads(text)
    except json.JSONDecodeError as err:
        raise TemplateError(
            f"line {err.lineno}, column {err.colno}: {err.msg}",
            line=err.lineno,
            column=err.colno,
            field="body",
            fix="fix the JSON there (or reload the template)",
        ) from None
    problems = validate_body(body, family, api)
    if problems:
        error = TemplateError(
            "; ".join(problems),
            field="body",
            fix=f"compare with the {_label(_shape(family, api))} template",
        )
        error.problems = problems  # type: ignore[attr-defined]  # the editor lists them one by one
        raise error
    return body


# --------------------------------------------------------------------------- responses


def _int(v: Any) -> int | None:
    try:
        return int(v) if v is not None else None
    except (TypeError, ValueError):
        return None


def _blocks_text(blocks: Any) -> str:
    if isinstance(blocks, str):
        return blocks
    if not isinstance(blocks, list):
        return ""
    return "".join(
        b.get("text", "") for b in blocks if isinstance(b, dict) and isinstance(b.get("text"), str)
    )


def _extract_converse_like(r: dict) -> Extracted:
    # Nova's native response and Converse's share this shape.
    msg = (r.get("output") or {}).get("message") or {}
    usage = r.get("usage") or {}
    return Extracted(
        _blocks_text(msg.get("content")),
        _int(usage.get("inputTokens")),
        _int(usage.get("outputTokens")),
        r.get("stopReason"),
    )


def _extract_choices(r: dict) -> Extracted:
    choices = r.get("choices") or [{}]
    first = choices[0] if isinstance(choices[0], dict) else {}
    message = first.get("message") or {}
    usage = r.get("usage") or {}
    return Extracted(
        message.get("content") or "",
        _int(usage.get("prompt_tokens")),
        _int(usage.get("completion_tokens")),
        first.get("finish_reason") or first.get("stop_reason"),
    )


def extract(family: str, response: dict) -> Extracted:
    """Text, token usage and stop reason from a non-streaming response of ``family``.

    ``family`` may also be ``"converse"`` for a Converse response. Token counts a body does
    not carry (Claude v2, Mistral) are None: InvokeModel's headers have them.
    """
    _check_family(family)
    r = response if isinstance(response, dict) else {}
    if family == "claude-messages":
        usage = r.get("usage") or {}
        return Extracted(
            _blocks_text(r.get("content")),
            _int(usage.get("input_tokens")),
            _int(usage.get("output_tokens")),
            r.get("stop_reason"),
        )
    if family == "claude-text":
        return Extracted(r.get("completion") or "", None, None, r.get("stop_reason"))
    if family == "titan-text":
        results = r.get("results") or [{}]
        first = results[0] if isinstance(results[0], dict) else {}
        return Extracted(
            first.get("outputText") or "",
            _int(r.get("inputTextTokenCount")),
            _int(first.get("tokenCount")),
            first.get("completionReason"),
        )
    if family in ("nova", CONVERSE):
        return _extract_converse_like(r)
    if family == "llama":
        return Extracted(
            r.get("generation") or "",
            _int(r.get("prompt_token_count")),
            _int(r.get("generation_token_count")),
            r.get("stop_reason"),
        )
    if family == "mistral":
        if "choices" in r:  # Mistral Large 2 chat-completion response
            return _extract_choices(r)
        outputs = r.get("outputs") or [{}]
        first = outputs[0] if isinstance(outputs[0], dict) else {}
        return Extracted(first.get("text") or "", None, None, first.get("stop_reason"))
    if family == "cohere-command-r":
        billed = ((r.get("meta") or {}).get("billed_units")) or {}
        return Extracted(
            r.get("text") or "",
            _int(billed.get("input_tokens")),
            _int(billed.get("output_tokens")),
            r.get("finish_reason"),
        )
    return _extract_choices(r)  # jamba


def chunk_text(family: str, chunk: dict) -> str:
    """The text delta in one InvokeModelWithResponseStream chunk (already JSON-decoded)."""
    if not isinstance(chunk, dict):
        return ""
    if family == "claude-messages":
        if chunk.get("type") == "content_block_delta":
            return (chunk.get("delta") or {}).get("text") or ""
        return ""
    if family == "claude-text":
        return chunk.get("completion") or ""
    if family == "titan-text":
        return chunk.get("outputText") or ""
    if family in ("nova", CONVERSE):
        delta = (chunk.get("contentBlockDelta") or {}).get("delta") or {}
        return delta.get("text") or ""
    if family == "llama":
        return chunk.get("generation") or ""
    if family == "cohere-command-r":
        return chunk.get("text") or "" if chunk.get("event_type") == "text-generation" else ""
    if family == "mistral" and "outputs" in chunk:
        outs = chunk.get("outputs") or [{}]
        return (outs[0] or {}).get("text") or ""
    # jamba and Mistral chat: OpenAI-style deltas
    choices = chunk.get("choices") or [{}]
    first = choices[0] if isinstance(choices[0], dict) else {}
    return ((first.get("delta") or {}).get("content")) or ((first.get("message") or {}).get("content")) or ""


def chunk_stop_reason(family: str, chunk: dict) -> str | None:
    """The stop reason if this stream chunk carries one (usually the last content chunk)."""
    if not isinstance(chunk, dict):
        return None
    if family == "claude-messages":
        if chunk.get("type") == "message_delta":
            return (chunk.get("delta") or {}).get("stop_reason")
        return None
    if family in ("claude-text", "llama"):
        return chunk.get("stop_reason")
    if family == "titan-text":
        return chunk.get("completionReason")
    if family in ("nova", CONVERSE):
        return (chunk.get("messageStop") or {}).get("stopReason")
    if family == "cohere-command-r":
        return chunk.get("finish_reason") if chunk.get("event_type") == "stream-end" else None
    if family == "mistral" and "outputs" in chunk:
        return ((chunk.get("outputs") or [{}])[0] or {}).get("stop_reason")
    choices = chunk.get("choices") or [{}]
    first = choices[0] if isinstance(choices[0], dict) else {}
    return first.get("finish_reason") or first.get("stop_reason")


# --------------------------------------------------------------------------- to Converse

_LLAMA_TURN = re.compile(
    r"<\|start_header_id\|>(system|user|assistant)<\|end_header_id\|>\s*(.*?)(?:<\|eot_id\|>|$)", re.S
)
_MISTRAL_INST = re.compile(r"\[INST\](.*?)\[/INST\]([^\[]*)", re.S)


def _text_msg(role: str, text: str) -> dict:
    return {"role": role, "content": [{"text": text}]}


def _claude_text_turns(prompt: str) -> list[dict]:
    turns: list[dict] = []
    for part in re.split(r"(Human:|Assistant:)", prompt):
        if part in ("Human:", "Assistant:"):
            turns.append({"role": "user" if part == "Human:" else "assistant", "text": ""})
        elif turns:
            turns[-1]["text"] += part
    return [_text_msg(t["role"], t["text"].strip()) for t in turns if t["text"].strip()]


def _inference(max_tokens: Any = None, temperature: Any = None, top_p: Any = None, stop: Any = None) -> dict:
    cfg: dict[str, Any] = {}
    if max_tokens is not None:
        cfg["maxTokens"] = max_tokens
    if temperature is not None:
        cfg["temperature"] = temperature
    if top_p is not None:
        cfg["topP"] = top_p
    if stop:
        cfg["stopSequences"] = list(stop)
    return cfg


def _assemble(messages: list[dict], system: list[dict], config: dict, extra: dict | None = None) -> dict:
    out: dict[str, Any] = {"messages": messages}
    if system:
        out["system"] = system
    if config:
        out["inferenceConfig"] = config
    if extra:
        out["additionalModelRequestFields"] = extra
    return out


def to_converse(body: dict, family: str) -> dict:
    """The same prompt as a Converse request (messages / system / inferenceConfig).

    Settings Converse has no slot for (``top_k`` ...) go to ``additionalModelRequestFields``
    in the family's own spelling, as Bedrock expects.
    """
    _check_family(family)
    b = body if isinstance(body, dict) else {}
    if family == CONVERSE:
        return dict(b)
    if family == "claude-messages":
        msgs = []
        for m in b.get("messages") or []:
            content = m.get("content")
            blocks = (
                [{"text": content}]
                if isinstance(content, str)
                else [
                    {"text": blk.get("text", "")}
                    for blk in content or []
                    if isinstance(blk, dict) and blk.get("type") == "text"
                ]
            )
            msgs.append({"role": m.get("role", "user"), "content": blocks})
        sys_ = b.get("system")
        system = (
            [{"text": sys_}]
            if isinstance(sys_, str) and sys_
            else [{"text": s.get("text", "")} for s in sys_ or [] if isinstance(s, dict)]
        )
        extra = {"top_k": b["top_k"]} if "top_k" in b else None
        return _assemble(
            msgs,
            system,
            _inference(b.get("max_tokens"), b.get("temperature"), b.get("top_p"), b.get("stop_sequences")),
            extra,
        )
    if family == "claude-text":
        # The Human:/Assistant: stop sequences exist only to end a text completion; in
        # Converse the turns are structural, so they are dropped.
        stops = [
            s for s in b.get("stop_sequences") or [] if s.strip() not in ("Human:", "Assistant", "Assistant:")
        ]
        extra = {"top_k": b["top_k"]} if "top_k" in b else None
        return _assemble(
            _claude_text_turns(b.get("prompt") or ""),
            [],
            _inference(b.get("max_tokens_to_sample"), b.get("temperature"), b.get("top_p"), stops),
            extra,
        )
    if family == "titan-text":
        text = (b.get("inputText") or "").strip()
        text = re.sub(r"^User:\s*", "", text)
        text = re.sub(r"\s*Bot:\s*$", "", text)
        cfg = b.get("textGenerationConfig") or {}
        return _assemble(
            [_text_msg("user", text)],
            [],
            _inference(
                cfg.get("maxTokenCount"), cfg.get("temperature"), cfg.get("topP"), cfg.get("stopSequences")
            ),
        )
    if family == "nova":
        cfg = b.get("inferenceConfig") or {}
        msgs = [
            {"role": m.get("role"), "content": list(m.get("content") or [])} for m in b.get("messages") or []
        ]
        top_k = cfg.get("top_k", cfg.get("topK"))
        extra = {"inferenceConfig": {"topK": top_k}} if top_k is not None else None
        return _assemble(
            msgs,
            list(b.get("system") or []),
            _inference(
                cfg.get("max_new_tokens", cfg.get("maxTokens")),
                cfg.get("temperature"),
                cfg.get("top_p", cfg.get("topP")),
                cfg.get("stopSequences"),
            ),
            extra,
        )
    if family == "llama":
        prompt = b.get("prompt") or ""
        turns = _LLAMA_TURN.findall(prompt)
        system = [{"text": t.strip()} for r, t in turns if r == "system" and t.strip()]
        msgs = [_text_msg(r, t.strip()) for r, t in turns if r != "system" and t.strip()]
        if not turns:
            msgs = [_text_msg("user", prompt.replace("<|begin_of_text|>", "").strip())]
        return _assemble(msgs, system, _inference(b.get("max_gen_len"), b.get("temperature"), b.get("top_p")))
    if family == "mistral":
        extra = {"top_k": b["top_k"]} if "top_k" in b else None
        cfg = _inference(b.get("max_tokens"), b.get("temperature"), b.get("top_p"), b.get("stop"))
        if "messages" in b:
            return _assemble(*_chat_to_converse(b.get("messages") or []), cfg, extra)
        prompt = b.get("prompt") or ""
        msgs = []
        for user, answer in _MISTRAL_INST.findall(prompt):
            msgs.append(_text_msg("user", user.strip()))
            answer = answer.replace("</s>", "").replace("<s>", "").strip()
            if answer:
                msgs.append(_text_msg("assistant", answer))
        if not msgs:
            msgs = [_text_msg("user", prompt.replace("<s>", "").strip())]
        return _assemble(msgs, [], cfg, extra)
    if family == "cohere-command-r":
        msgs = []
        for turn in b.get("chat_history") or []:
            if isinstance(turn, dict) and turn.get("role") in ("USER", "CHATBOT"):
                msgs.append(
                    _text_msg("user" if turn["role"] == "USER" else "assistant", str(turn.get("message", "")))
                )
        msgs.append(_text_msg("user", b.get("message") or ""))
        system = [{"text": b["preamble"]}] if b.get("preamble") else []
        extra = {"k": b["k"]} if "k" in b else None
        return _assemble(
            msgs,
            system,
            _inference(b.get("max_tokens"), b.get("temperature"), b.get("p"), b.get("stop_sequences")),
            extra,
        )
    # jamba
    return _assemble(
        *_chat_to_converse(b.get("messages") or []),
        _inference(b.get("max_tokens"), b.get("temperature"), b.get("top_p"), b.get("stop")),
    )


def _chat_to_converse(messages: list) -> tuple[list[dict], list[dict]]:
    msgs: list[dict] = []
    system: list[dict] = []
    for m in messages:
        if not isinstance(m, dict):
            continue
        content = m.get("content")
        text = content if isinstance(content, str) else _blocks_text(content)
        if m.get("role") == "system":
            system.append({"text": text})
        else:
            msgs.append(_text_msg(m.get("role", "user"), text))
    return msgs, system


def prompt_of(body: dict, family: str) -> str:
    """The last user message's text: what the participant asked, for lists and logs."""
    converse = to_converse(body, family)
    for m in reversed(converse.get("messages") or []):
        if isinstance(m, dict) and m.get("role") == "user":
            return _blocks_text(m.get("content"))
    return ""

"""Anthropic Claude on the Messages API (Claude 3 and later): ``anthropic_version`` + ``messages``."""

from __future__ import annotations

from typing import Any, ClassVar

from workshop.families.base import (
    POSITIVE,
    STRINGS,
    UNIT,
    Context,
    Extracted,
    Family,
    ParsedRequest,
    Rule,
    as_int,
    as_list,
    as_text,
    assemble,
    blocks_text,
    check_object,
    check_roles,
    inference,
    messages_text,
    non_negative_int,
    nonempty_list,
    nonempty_str,
    positive,
    positive_int,
    service_error,
    shown,
    str_list,
    strings,
    text_of,
    unit_interval,
    validation,
)

ANTHROPIC_VERSION = "bedrock-2023-05-31"
"""What AWS documents for ``anthropic_version`` on bedrock-runtime (and what templates use)."""

ANTHROPIC_VERSIONS: frozenset[str] = frozenset({
    ANTHROPIC_VERSION,  # AWS's documentation, and Anthropic's SDKs up to 0.x (DEFAULT_VERSION)
    "2023-06-01",  # Anthropic's API version, sent as a header on bedrock-mantle and by some clients in the body
    "2026-10-21",  # anthropic 2.x (Python): ANTHROPIC_API_VERSION, set in the body by AnthropicBedrock
})
"""Every ``anthropic_version`` the sandbox and the editor accept (docs/sandbox.md lists them)."""


class ClaudeMessages(Family):
    name = "claude-messages"
    label = "Anthropic Claude (Messages API)"
    order = 10
    default_max_tokens = 4096
    rules = (
        Rule("anthropic_version", f'the string "{ANTHROPIC_VERSION}"', nonempty_str, required=True),
        Rule("max_tokens", f"{POSITIVE} (the output token limit)", positive_int, required=True),
        Rule("messages", "a non-empty list of {role, content}", nonempty_list, required=True),
        Rule("system", "a string or a list of text blocks", lambda v: isinstance(v, str | list)),
        Rule("temperature", UNIT, unit_interval),
        Rule("top_p", UNIT, unit_interval),
        Rule("top_k", "a non-negative integer", non_negative_int),
        Rule("stop_sequences", STRINGS, str_list),
    )
    known_keys = frozenset({
        "anthropic_version", "anthropic_beta", "max_tokens", "messages", "system", "temperature", "top_p",
        "top_k", "stop_sequences", "tools", "tool_choice", "thinking", "metadata",
    })
    server_required: ClassVar[dict[str, str]] = {
        "anthropic_version": "String", "max_tokens": "Integer", "messages": "JSONArray"}
    server_optional: ClassVar[dict[str, str]] = {
        "system": "Any", "stop_sequences": "JSONArray", "temperature": "Number", "top_p": "Number",
        "top_k": "Integer", "tools": "JSONArray", "tool_choice": "JSONObject", "anthropic_beta": "JSONArray",
        "thinking": "JSONObject", "metadata": "JSONObject"}
    _STOP: ClassVar[dict[str, str]] = {"end": "end_turn", "length": "max_tokens", "stop": "stop_sequence"}

    def matches(self, base_model_id: str) -> bool:
        provider, _, name = base_model_id.partition(".")
        return (provider == "anthropic" and name.startswith("claude-")
                and not name.startswith(("claude-v2", "claude-instant")) and name != "claude-v1")

    def detect(self, body: dict) -> bool:
        return "anthropic_version" in body and "messages" in body

    def detect_weak(self, body: dict) -> bool:
        # Typed content blocks ({"type": "text"}) are Anthropic's; Converse blocks have no type.
        msgs = body.get("messages")
        return isinstance(msgs, list) and any(
            isinstance(m, dict) and isinstance(m.get("content"), list)
            and any(isinstance(b, dict) and b.get("type") == "text" for b in m["content"])
            for m in msgs)

    def check(self, body: dict, problems: list[str]) -> None:
        version = body.get("anthropic_version")
        if nonempty_str(version) and version not in ANTHROPIC_VERSIONS:
            problems.append(f'`anthropic_version` must be "{ANTHROPIC_VERSION}" on Bedrock '
                            f'(or {", ".join(sorted(ANTHROPIC_VERSIONS - {ANTHROPIC_VERSION}))}), '
                            f"not {shown(version)}")
        msgs = body.get("messages")
        if not nonempty_list(msgs):
            return
        check_roles(msgs, ("user", "assistant"), "messages", problems)
        for i, m in enumerate(msgs):
            c = m.get("content") if isinstance(m, dict) else None
            if c is not None and not (
                isinstance(c, str) or (isinstance(c, list) and all(isinstance(b, dict) and "type" in b for b in c))
            ):
                problems.append(f'`messages[{i}].content` must be a string or a list of {{"type": "text", "text": ...}} blocks')
        if isinstance(msgs[0], dict) and msgs[0].get("role") == "assistant":
            problems.append("`messages[0].role` must be user: a Claude conversation starts with the user")

    def extract(self, r: dict) -> Extracted:
        usage = r.get("usage") or {}
        return Extracted(blocks_text(r.get("content")), as_int(usage.get("input_tokens")),
                         as_int(usage.get("output_tokens")), r.get("stop_reason"))

    def chunk_text(self, chunk: dict) -> str:
        if chunk.get("type") == "content_block_delta":
            return (chunk.get("delta") or {}).get("text") or ""
        return ""

    def chunk_stop_reason(self, chunk: dict) -> str | None:
        if chunk.get("type") == "message_delta":
            return (chunk.get("delta") or {}).get("stop_reason")
        return None

    def to_converse(self, b: dict) -> dict:
        msgs = []
        for m in as_list(b.get("messages")):
            if not isinstance(m, dict):
                continue
            content = m.get("content")
            blocks = ([{"text": content}] if isinstance(content, str) else
                      [{"text": as_text(blk.get("text"))} for blk in as_list(content)
                       if isinstance(blk, dict) and blk.get("type") == "text"])
            role = m.get("role")
            msgs.append({"role": role if role in ("user", "assistant") else "user", "content": blocks})
        sys_ = b.get("system")
        system = ([{"text": sys_}] if isinstance(sys_, str) and sys_ else
                  [{"text": as_text(s.get("text"))} for s in as_list(sys_) if isinstance(s, dict)])
        extra = {"top_k": b["top_k"]} if "top_k" in b else None
        return assemble(msgs, system, inference(b.get("max_tokens"), b.get("temperature"), b.get("top_p"),
                                                b.get("stop_sequences")), extra)

    # --- sandbox -----------------------------------------------------------------------------
    def parse(self, body: Any) -> ParsedRequest:
        check_object(body, self.server_required, self.server_optional)
        if body["anthropic_version"] not in ANTHROPIC_VERSIONS:
            raise validation(f"#/anthropic_version: {body['anthropic_version'][:80]} is not a valid enum value")
        messages = body["messages"]
        if not messages:
            raise service_error("ValidationException", "messages: at least one message is required")
        text = messages_text(messages)
        if messages[0].get("role") != "user":
            raise service_error("ValidationException", 'messages: first message must use the "user" role')
        system = text_of(body["system"], "#/system") if "system" in body else ""
        prompt = f"{system}\n{text}" if system else text
        return ParsedRequest(prompt, positive(body["max_tokens"], "#/max_tokens"),
                             strings(body.get("stop_sequences"), "#/stop_sequences"))

    def response(self, req: ParsedRequest, gen: Any, ctx: Context) -> dict:
        return {
            "id": f"msg_bdrk_{ctx.short_id}",
            "type": "message",
            "role": "assistant",
            "model": ctx.model_id.split(".", 1)[-1].rsplit("-v", 1)[0],
            "content": [{"type": "text", "text": gen.text}],
            "stop_reason": self._STOP[gen.stop],
            "stop_sequence": gen.stop_sequence,
            "usage": {"input_tokens": ctx.input_tokens, "output_tokens": gen.output_tokens},
        }

    def stream_head(self, req: ParsedRequest, ctx: Context) -> list[dict]:
        message = {"id": f"msg_bdrk_{ctx.short_id}", "type": "message", "role": "assistant",
                   "model": ctx.model_id.split(".", 1)[-1].rsplit("-v", 1)[0], "content": [],
                   "stop_reason": None, "stop_sequence": None,
                   "usage": {"input_tokens": ctx.input_tokens, "output_tokens": 1}}
        return [
            {"type": "message_start", "message": message},
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ]

    def stream_piece(self, req: ParsedRequest, text: str, emitted: int, ctx: Context) -> list[dict]:
        return [{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}]

    def stream_tail(self, req: ParsedRequest, gen: Any, ctx: Context) -> list[dict]:
        return [
            {"type": "content_block_stop", "index": 0},
            {"type": "message_delta", "delta": {"stop_reason": self._STOP[gen.stop], "stop_sequence": gen.stop_sequence},
             "usage": {"output_tokens": gen.output_tokens}},
            {"type": "message_stop"},
        ]


FAMILY = ClaudeMessages()

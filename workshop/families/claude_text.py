"""Anthropic Claude v2 text completions (legacy): a ``prompt`` with Human:/Assistant: turns."""

from __future__ import annotations

import re
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
    as_list,
    as_text,
    assemble,
    check_object,
    inference,
    non_negative_int,
    nonempty_str,
    positive,
    positive_int,
    prompt_marker,
    service_error,
    str_list,
    strings,
    text_msg,
    unit_interval,
)


def _messages() -> Family:
    from workshop.families.claude_messages import FAMILY as MESSAGES

    return MESSAGES


def _is_messages(body: Any) -> bool:
    """A Messages-API body (Claude 2 / 2.1 / Instant 1.2 accept them beside text completions)."""
    return isinstance(body, dict) and "messages" in body and "prompt" not in body


class ClaudeText(Family):
    name = "claude-text"
    label = "Anthropic Claude v2 (text completions, legacy)"
    order = 20
    default_max_tokens = 4096
    HUMAN = "\n\nHuman:"
    rules = (
        Rule("prompt", 'a string "\\n\\nHuman: ...\\n\\nAssistant:"', nonempty_str, required=True),
        Rule("max_tokens_to_sample", POSITIVE, positive_int, required=True),
        Rule("temperature", UNIT, unit_interval),
        Rule("top_p", UNIT, unit_interval),
        Rule("top_k", "a non-negative integer", non_negative_int),
        Rule("stop_sequences", STRINGS, str_list),
    )
    known_keys = frozenset({"prompt", "max_tokens_to_sample", "stop_sequences", "temperature", "top_p", "top_k",
                            "anthropic_version"})
    server_required: ClassVar[dict[str, str]] = {"prompt": "String", "max_tokens_to_sample": "Integer"}
    server_optional: ClassVar[dict[str, str]] = {
        "stop_sequences": "JSONArray", "temperature": "Number", "top_p": "Number", "top_k": "Integer",
        "anthropic_version": "String"}
    also_speaks = ("claude-messages",)

    def matches(self, base_model_id: str) -> bool:
        provider, _, name = base_model_id.partition(".")
        return provider == "anthropic" and (name.startswith(("claude-v2", "claude-instant")) or name == "claude-v1")

    def detect(self, body: dict) -> bool:
        return "max_tokens_to_sample" in body or prompt_marker(body, "Human:", "Assistant:")

    def check(self, body: dict, problems: list[str]) -> None:
        prompt = body.get("prompt")
        if nonempty_str(prompt) and ("Human:" not in prompt or not prompt.rstrip().endswith("Assistant:")):
            problems.append('`prompt` must contain "Human:" and end with "Assistant:" (Claude v2 text completion turns)')

    # A Messages-API answer (type "message", or a stream event with its "type") is read as one.
    def extract(self, r: dict) -> Extracted:
        if r.get("type") == "message":
            return _messages().extract(r)
        return Extracted(r.get("completion") or "", None, None, r.get("stop_reason"))

    def chunk_text(self, chunk: dict) -> str:
        if chunk.get("type", "completion") != "completion":
            return _messages().chunk_text(chunk)
        return chunk.get("completion") or ""

    def chunk_stop_reason(self, chunk: dict) -> str | None:
        if chunk.get("type", "completion") != "completion":
            return _messages().chunk_stop_reason(chunk)
        return chunk.get("stop_reason")

    def to_converse(self, b: dict) -> dict:
        if _is_messages(b):
            return _messages().to_converse(b)
        # The Human:/Assistant: stop sequences exist only to end a text completion; in
        # Converse the turns are structural, so they are dropped.
        stops = [s for s in as_list(b.get("stop_sequences"))
                 if isinstance(s, str) and s.strip() not in ("Human:", "Assistant", "Assistant:")]
        extra = {"top_k": b["top_k"]} if "top_k" in b else None
        return assemble(_turns(as_text(b.get("prompt"))), [],
                        inference(b.get("max_tokens_to_sample"), b.get("temperature"), b.get("top_p"), stops), extra)

    # --- sandbox -----------------------------------------------------------------------------
    def parse(self, body: Any) -> ParsedRequest:
        if _is_messages(body):
            req = _messages().parse(body)
            req.mode = "messages"
            return req
        check_object(body, self.server_required, self.server_optional)
        prompt = body["prompt"]
        if not prompt.lstrip(" ").startswith(self.HUMAN.strip(" ")) and self.HUMAN not in prompt:
            raise service_error("ValidationException", 'prompt must start with "\n\nHuman:" turn after an optional system prompt')
        if not prompt.rstrip(" ").endswith("\n\nAssistant:"):
            raise service_error("ValidationException", 'prompt must end with "\n\nAssistant:" turn')
        stops = strings(body.get("stop_sequences"), "#/stop_sequences")
        return ParsedRequest(prompt, positive(body["max_tokens_to_sample"], "#/max_tokens_to_sample"), stops)

    def _stop(self, gen: Any) -> tuple[str, str | None]:
        if gen.stop == "length":
            return "max_tokens", None
        # A natural end of a Claude 2 completion is the model emitting "\n\nHuman:".
        return "stop_sequence", gen.stop_sequence or self.HUMAN

    def response(self, req: ParsedRequest, gen: Any, ctx: Context) -> dict:
        if req.mode == "messages":
            return _messages().response(req, gen, ctx)
        reason, stop = self._stop(gen)
        return {"type": "completion", "completion": " " + gen.text if gen.text else "", "stop_reason": reason,
                "stop": stop}

    def stream_head(self, req: ParsedRequest, ctx: Context) -> list[dict]:
        return _messages().stream_head(req, ctx) if req.mode == "messages" else []

    def stream_piece(self, req: ParsedRequest, text: str, emitted: int, ctx: Context) -> list[dict]:
        if req.mode == "messages":
            return _messages().stream_piece(req, text, emitted, ctx)
        return [{"type": "completion", "completion": text, "stop_reason": None, "stop": None}]

    def stream_tail(self, req: ParsedRequest, gen: Any, ctx: Context) -> list[dict]:
        if req.mode == "messages":
            return _messages().stream_tail(req, gen, ctx)
        reason, stop = self._stop(gen)
        return [{"type": "completion", "completion": "", "stop_reason": reason, "stop": stop}]


def _turns(prompt: str) -> list[dict]:
    turns: list[dict] = []
    for part in re.split(r"(Human:|Assistant:)", prompt):
        if part in ("Human:", "Assistant:"):
            turns.append({"role": "user" if part == "Human:" else "assistant", "text": ""})
        elif turns:
            turns[-1]["text"] += part
    return [text_msg(t["role"], t["text"].strip()) for t in turns if t["text"].strip()]


FAMILY = ClaudeText()

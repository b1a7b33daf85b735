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
    text_msg,
    unit_interval,
)


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

    def matches(self, base_model_id: str) -> bool:
        provider, _, name = base_model_id.partition(".")
        return provider == "anthropic" and (name.startswith(("claude-v2", "claude-instant")) or name == "claude-v1")

    def detect(self, body: dict) -> bool:
        return "max_tokens_to_sample" in body or prompt_marker(body, "Human:", "Assistant:")

    def check(self, body: dict, problems: list[str]) -> None:
        prompt = body.get("prompt")
        if nonempty_str(prompt) and ("Human:" not in prompt or not prompt.rstrip().endswith("Assistant:")):
            problems.append('`prompt` must contain "Human:" and end with "Assistant:" (Claude v2 text completion turns)')

    def extract(self, r: dict) -> Extracted:
        return Extracted(r.get("completion") or "", None, None, r.get("stop_reason"))

    def chunk_text(self, chunk: dict) -> str:
        return chunk.get("completion") or ""

    def chunk_stop_reason(self, chunk: dict) -> str | None:
        return chunk.get("stop_reason")

    def to_converse(self, b: dict) -> dict:
        # The Human:/Assistant: stop sequences exist only to end a text completion; in
        # Converse the turns are structural, so they are dropped.
        stops = [s for s in b.get("stop_sequences") or [] if s.strip() not in ("Human:", "Assistant", "Assistant:")]
        extra = {"top_k": b["top_k"]} if "top_k" in b else None
        return assemble(_turns(b.get("prompt") or ""), [],
                        inference(b.get("max_tokens_to_sample"), b.get("temperature"), b.get("top_p"), stops), extra)

    # --- sandbox -----------------------------------------------------------------------------
    def parse(self, body: Any) -> ParsedRequest:
        check_object(body, self.server_required, self.server_optional)
        prompt = body["prompt"]
        if not prompt.lstrip(" ").startswith(self.HUMAN.strip(" ")) and self.HUMAN not in prompt:
            raise service_error("ValidationException", 'prompt must start with "\n\nHuman:" turn after an optional system prompt')
        if not prompt.rstrip(" ").endswith("\n\nAssistant:"):
            raise service_error("ValidationException", 'prompt must end with "\n\nAssistant:" turn')
        stops = list(body.get("stop_sequences") or [])
        return ParsedRequest(prompt, positive(body["max_tokens_to_sample"], "#/max_tokens_to_sample"), stops)

    def _stop(self, gen: Any) -> tuple[str, str | None]:
        if gen.stop == "length":
            return "max_tokens", None
        # A natural end of a Claude 2 completion is the model emitting "\n\nHuman:".
        return "stop_sequence", gen.stop_sequence or self.HUMAN

    def response(self, req: ParsedRequest, gen: Any, ctx: Context) -> dict:
        reason, stop = self._stop(gen)
        return {"type": "completion", "completion": " " + gen.text if gen.text else "", "stop_reason": reason,
                "stop": stop}

    def stream_piece(self, req: ParsedRequest, text: str, emitted: int, ctx: Context) -> list[dict]:
        return [{"type": "completion", "completion": text, "stop_reason": None, "stop": None}]

    def stream_tail(self, req: ParsedRequest, gen: Any, ctx: Context) -> list[dict]:
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

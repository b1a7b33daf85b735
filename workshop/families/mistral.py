"""Mistral AI: a ``[INST]`` prompt string, or (Mistral Large 2) OpenAI-style chat ``messages``."""

from __future__ import annotations

import re
import time
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
    chat_to_converse,
    check_object,
    check_roles,
    choices_delta,
    choices_stop,
    extract_choices,
    inference,
    messages_text,
    non_negative_int,
    nonempty_str,
    positive,
    positive_int,
    prompt_marker,
    str_list,
    strings,
    text_msg,
    unit_interval,
)

_INST = re.compile(r"\[INST\](.*?)\[/INST\]([^\[]*)", re.S)


class Mistral(Family):
    name = "mistral"
    label = "Mistral AI"
    order = 60
    default_max_tokens = 512
    rules = (
        Rule("prompt", "a string", nonempty_str),
        Rule("max_tokens", POSITIVE, positive_int),
        Rule("temperature", UNIT, unit_interval),
        Rule("top_p", UNIT, unit_interval),
        Rule("top_k", "a non-negative integer", non_negative_int),
        Rule("stop", STRINGS, str_list),
    )
    known_keys = frozenset({"prompt", "messages", "max_tokens", "stop", "temperature", "top_p", "top_k", "tools",
                            "tool_choice", "response_format"})
    _COMMON: ClassVar[dict[str, str]] = {
        "max_tokens": "Integer", "temperature": "Number", "top_p": "Number", "top_k": "Integer", "stop": "JSONArray"}
    server_required: ClassVar[dict[str, str]] = {"prompt": "String"}
    server_optional: ClassVar[dict[str, str]] = _COMMON
    _STOP: ClassVar[dict[str, str]] = {"end": "stop", "length": "length", "stop": "stop"}

    def matches(self, base_model_id: str) -> bool:
        return base_model_id.partition(".")[0] == "mistral"

    def detect(self, body: dict) -> bool:
        return prompt_marker(body, "[INST]")

    def check(self, body: dict, problems: list[str]) -> None:
        if "prompt" not in body and "messages" not in body:
            problems.insert(0, '`prompt` is missing: mistral needs a prompt string like "<s>[INST] ... [/INST]"')
        if "messages" in body:
            if isinstance(body["messages"], list) and body["messages"]:
                check_roles(body["messages"], ("system", "user", "assistant", "tool"), "messages", problems)
            else:
                problems.append("`messages` must be a non-empty list of {role, content}")

    def extract(self, r: dict) -> Extracted:
        if "choices" in r:  # Mistral Large 2 chat-completion response
            return extract_choices(r)
        outputs = r.get("outputs") or [{}]
        first = outputs[0] if isinstance(outputs[0], dict) else {}
        return Extracted(first.get("text") or "", None, None, first.get("stop_reason"))

    def chunk_text(self, chunk: dict) -> str:
        if "outputs" in chunk:
            outs = chunk.get("outputs") or [{}]
            return (outs[0] or {}).get("text") or ""
        return choices_delta(chunk)

    def chunk_stop_reason(self, chunk: dict) -> str | None:
        if "outputs" in chunk:
            return ((chunk.get("outputs") or [{}])[0] or {}).get("stop_reason")
        return choices_stop(chunk)

    def to_converse(self, b: dict) -> dict:
        extra = {"top_k": b["top_k"]} if "top_k" in b else None
        cfg = inference(b.get("max_tokens"), b.get("temperature"), b.get("top_p"), b.get("stop"))
        if "messages" in b:
            return assemble(*chat_to_converse(as_list(b.get("messages"))), cfg, extra)
        prompt = as_text(b.get("prompt"))
        msgs = []
        for user, answer in _INST.findall(prompt):
            msgs.append(text_msg("user", user.strip()))
            answer = answer.replace("</s>", "").replace("<s>", "").strip()
            if answer:
                msgs.append(text_msg("assistant", answer))
        if not msgs:
            msgs = [text_msg("user", prompt.replace("<s>", "").strip())]
        return assemble(msgs, [], cfg, extra)

    # --- sandbox -----------------------------------------------------------------------------
    def parse(self, body: Any) -> ParsedRequest:
        if isinstance(body, dict) and "messages" in body:
            # Mistral Large's chat-completion form.
            check_object(body, {"messages": "JSONArray"},
                         self._COMMON | {"tools": "JSONArray", "tool_choice": "Any", "response_format": "JSONObject"})
            text, mode = messages_text(body["messages"]), "chat"
        else:
            check_object(body, self.server_required, self.server_optional)
            text, mode = body["prompt"], "text"
        return ParsedRequest(text, positive(body.get("max_tokens", 512), "#/max_tokens"), strings(body.get("stop"), "#/stop"),
                             mode)

    def response(self, req: ParsedRequest, gen: Any, ctx: Context) -> dict:
        if req.mode == "chat":
            return {
                "id": ctx.short_id, "object": "chat.completion", "created": int(time.time()), "model": ctx.model_id,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": gen.text},
                             "finish_reason": self._STOP[gen.stop]}],
                "usage": {"prompt_tokens": ctx.input_tokens, "completion_tokens": gen.output_tokens,
                          "total_tokens": ctx.input_tokens + gen.output_tokens},
            }
        return {"outputs": [{"text": gen.text, "stop_reason": self._STOP[gen.stop]}]}

    def stream_piece(self, req: ParsedRequest, text: str, emitted: int, ctx: Context) -> list[dict]:
        if req.mode == "chat":
            return [{"id": ctx.short_id, "object": "chat.completion.chunk",
                     "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": None}]}]
        return [{"outputs": [{"text": text, "stop_reason": None}]}]

    def stream_tail(self, req: ParsedRequest, gen: Any, ctx: Context) -> list[dict]:
        if req.mode == "chat":
            return [{"id": ctx.short_id, "object": "chat.completion.chunk",
                     "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": self._STOP[gen.stop]}]}]
        return [{"outputs": [{"text": "", "stop_reason": self._STOP[gen.stop]}]}]


FAMILY = Mistral()

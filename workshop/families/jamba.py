"""AI21 Jamba: OpenAI-style chat ``messages`` with string contents."""

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
    as_list,
    assemble,
    chat_to_converse,
    check_object,
    check_roles,
    choices_delta,
    choices_stop,
    extract_choices,
    inference,
    is_int,
    is_number,
    messages_text,
    nonempty_list,
    positive,
    positive_int,
    str_list,
    strings,
    unit_interval,
)


class Jamba(Family):
    name = "jamba"
    label = "AI21 Jamba"
    order = 80
    default_max_tokens = 4096
    rules = (
        Rule("messages", "a non-empty list of {role, content}", nonempty_list, required=True),
        Rule("max_tokens", POSITIVE, positive_int),
        Rule("temperature", "a number between 0 and 2", lambda v: is_number(v) and 0 <= v <= 2),
        Rule("top_p", UNIT, unit_interval),
        Rule("n", "an integer between 1 and 16", lambda v: is_int(v) and 1 <= v <= 16),
        Rule("stop", STRINGS, str_list),
    )
    known_keys = frozenset({"messages", "n", "max_tokens", "temperature", "top_p", "stop", "frequency_penalty",
                            "presence_penalty", "documents", "tools", "response_format"})
    server_required: ClassVar[dict[str, str]] = {"messages": "JSONArray"}
    server_optional: ClassVar[dict[str, str]] = {
        "max_tokens": "Integer", "temperature": "Number", "top_p": "Number", "stop": "Any", "n": "Integer",
        "frequency_penalty": "Number", "presence_penalty": "Number", "response_format": "JSONObject",
        "tools": "JSONArray", "documents": "JSONArray"}
    _STOP: ClassVar[dict[str, str]] = {"end": "stop", "length": "length", "stop": "stop"}

    def matches(self, base_model_id: str) -> bool:
        provider, _, name = base_model_id.partition(".")
        return provider == "ai21" and name.startswith("jamba")

    def detect_weak(self, body: dict) -> bool:
        # A plain chat body could be Jamba or Mistral chat: only Jamba's own keys decide.
        return "n" in body or "documents" in body

    def check(self, body: dict, problems: list[str]) -> None:
        msgs = body.get("messages")
        if not nonempty_list(msgs):
            return
        check_roles(msgs, ("system", "user", "assistant"), "messages", problems)
        for i, m in enumerate(msgs):
            if isinstance(m, dict) and "content" in m and not isinstance(m["content"], str):
                problems.append(f"`messages[{i}].content` must be a string for Jamba")

    def extract(self, r: dict) -> Extracted:
        return extract_choices(r)

    def chunk_text(self, chunk: dict) -> str:
        return choices_delta(chunk)

    def chunk_stop_reason(self, chunk: dict) -> str | None:
        return choices_stop(chunk)

    def to_converse(self, b: dict) -> dict:
        return assemble(*chat_to_converse(as_list(b.get("messages"))),
                        inference(b.get("max_tokens"), b.get("temperature"), b.get("top_p"), b.get("stop")))

    # --- sandbox -----------------------------------------------------------------------------
    def parse(self, body: Any) -> ParsedRequest:
        check_object(body, self.server_required, self.server_optional)
        stop = body.get("stop")
        stops = [stop] if isinstance(stop, str) else strings(stop, "#/stop")
        return ParsedRequest(messages_text(body["messages"]), positive(body.get("max_tokens", 4096), "#/max_tokens"), stops)

    def _usage(self, ctx: Context, out: int) -> dict:
        return {"prompt_tokens": ctx.input_tokens, "completion_tokens": out, "total_tokens": ctx.input_tokens + out}

    def response(self, req: ParsedRequest, gen: Any, ctx: Context) -> dict:
        return {"id": f"chatcmpl-{ctx.short_id}", "model": ctx.model_id.split(".", 1)[-1],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": gen.text, "tool_calls": None},
                             "finish_reason": self._STOP[gen.stop]}],
                "usage": self._usage(ctx, gen.output_tokens), "meta": {"requestDurationMillis": 0}}

    def stream_piece(self, req: ParsedRequest, text: str, emitted: int, ctx: Context) -> list[dict]:
        return [{"id": f"chatcmpl-{ctx.short_id}",
                 "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}], "usage": None}]

    def stream_tail(self, req: ParsedRequest, gen: Any, ctx: Context) -> list[dict]:
        return [{"id": f"chatcmpl-{ctx.short_id}",
                 "choices": [{"index": 0, "delta": {}, "finish_reason": self._STOP[gen.stop]}],
                 "usage": self._usage(ctx, gen.output_tokens)}]


FAMILY = Jamba()

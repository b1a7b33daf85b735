"""Cohere Command R / R+: ``message`` + ``chat_history`` (USER / CHATBOT turns), ``preamble``."""

from __future__ import annotations

from typing import Any, ClassVar

from workshop.families.base import (
    POSITIVE,
    STRINGS,
    Context,
    Extracted,
    Family,
    ParsedRequest,
    Rule,
    as_int,
    as_list,
    as_text,
    assemble,
    check_object,
    inference,
    is_int,
    is_number,
    nonempty_str,
    positive,
    positive_int,
    str_list,
    strings,
    text_msg,
    unit_interval,
)


class CohereCommandR(Family):
    name = "cohere-command-r"
    label = "Cohere Command R"
    order = 50
    default_max_tokens = 4000
    rules = (
        Rule("message", "the user message string", nonempty_str, required=True),
        Rule("preamble", "a string", lambda v: isinstance(v, str)),
        Rule("max_tokens", POSITIVE, positive_int),
        Rule("temperature", "a number between 0 and 1", unit_interval),
        Rule("p", "a number between 0.01 and 0.99", lambda v: is_number(v) and 0 <= v <= 1),
        Rule("k", "an integer between 0 and 500", lambda v: is_int(v) and 0 <= v <= 500),
        Rule("stop_sequences", STRINGS, str_list),
    )
    known_keys = frozenset({
        "message", "chat_history", "documents", "search_queries_only", "preamble", "max_tokens", "temperature",
        "p", "k", "prompt_truncation", "frequency_penalty", "presence_penalty", "seed", "return_prompt", "tools",
        "tool_results", "stop_sequences", "raw_prompting",
    })
    server_required: ClassVar[dict[str, str]] = {"message": "String"}
    server_optional: ClassVar[dict[str, str]] = {
        "chat_history": "JSONArray", "documents": "JSONArray", "search_queries_only": "Boolean",
        "preamble": "String", "max_tokens": "Integer", "temperature": "Number", "p": "Number", "k": "Number",
        "prompt_truncation": "String", "frequency_penalty": "Number", "presence_penalty": "Number",
        "seed": "Integer", "return_prompt": "Boolean", "tools": "JSONArray", "tool_results": "JSONArray",
        "stop_sequences": "JSONArray", "raw_prompting": "Boolean"}
    _REASON: ClassVar[dict[str, str]] = {"end": "COMPLETE", "length": "MAX_TOKENS", "stop": "STOP_SEQUENCE"}

    def matches(self, base_model_id: str) -> bool:
        provider, _, name = base_model_id.partition(".")
        return provider == "cohere" and name.startswith("command-r")

    def detect(self, body: dict) -> bool:
        return "message" in body or "chat_history" in body or "preamble" in body

    def check(self, body: dict, problems: list[str]) -> None:
        if "chat_history" not in body:
            return
        hist = body["chat_history"]
        if not isinstance(hist, list):
            problems.append("`chat_history` must be a list of {role: USER|CHATBOT, message}")
            return
        for i, turn in enumerate(hist):
            if not isinstance(turn, dict) or turn.get("role") not in ("USER", "CHATBOT", "SYSTEM") or "message" not in turn:
                problems.append(f'`chat_history[{i}]` must be {{"role": "USER"|"CHATBOT", "message": ...}}')

    def extract(self, r: dict) -> Extracted:
        billed = ((r.get("meta") or {}).get("billed_units")) or {}
        return Extracted(r.get("text") or "", as_int(billed.get("input_tokens")), as_int(billed.get("output_tokens")),
                         r.get("finish_reason"))

    def chunk_text(self, chunk: dict) -> str:
        return chunk.get("text") or "" if chunk.get("event_type") == "text-generation" else ""

    def chunk_stop_reason(self, chunk: dict) -> str | None:
        return chunk.get("finish_reason") if chunk.get("event_type") == "stream-end" else None

    def to_converse(self, b: dict) -> dict:
        msgs = []
        for turn in as_list(b.get("chat_history")):
            if isinstance(turn, dict) and turn.get("role") in ("USER", "CHATBOT"):
                msgs.append(text_msg("user" if turn["role"] == "USER" else "assistant", str(turn.get("message", ""))))
        msgs.append(text_msg("user", as_text(b.get("message"))))
        system = [{"text": b["preamble"]}] if isinstance(b.get("preamble"), str) and b["preamble"] else []
        extra = {"k": b["k"]} if "k" in b else None
        return assemble(msgs, system, inference(b.get("max_tokens"), b.get("temperature"), b.get("p"),
                                                b.get("stop_sequences")), extra)

    # --- sandbox -----------------------------------------------------------------------------
    def parse(self, body: Any) -> ParsedRequest:
        check_object(body, self.server_required, self.server_optional)
        history = "\n".join(str(turn.get("message", "")) for turn in body.get("chat_history") or []
                            if isinstance(turn, dict))
        parts = [p for p in (body.get("preamble"), history, body["message"]) if p]
        return ParsedRequest("\n".join(parts), positive(body.get("max_tokens", 4000), "#/max_tokens"),
                             strings(body.get("stop_sequences"), "#/stop_sequences"),
                             extra={"message": body["message"], "history": body.get("chat_history") or []})

    def response(self, req: ParsedRequest, gen: Any, ctx: Context) -> dict:
        history = [*req.extra["history"], {"role": "USER", "message": req.extra["message"]},
                   {"role": "CHATBOT", "message": gen.text}]
        return {"response_id": ctx.request_id, "text": gen.text, "generation_id": f"gen-{ctx.short_id}",
                "chat_history": history, "finish_reason": self._REASON[gen.stop],
                "meta": {"billed_units": {"input_tokens": ctx.input_tokens, "output_tokens": gen.output_tokens}}}

    def stream_head(self, req: ParsedRequest, ctx: Context) -> list[dict]:
        return [{"is_finished": False, "event_type": "stream-start", "generation_id": f"gen-{ctx.short_id}"}]

    def stream_piece(self, req: ParsedRequest, text: str, emitted: int, ctx: Context) -> list[dict]:
        return [{"is_finished": False, "event_type": "text-generation", "text": text}]

    def stream_tail(self, req: ParsedRequest, gen: Any, ctx: Context) -> list[dict]:
        return [{"is_finished": True, "event_type": "stream-end", "finish_reason": self._REASON[gen.stop],
                 "response": self.response(req, gen, ctx)}]


FAMILY = CohereCommandR()

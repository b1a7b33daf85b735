"""Amazon Nova (text): ``messages`` of ``{"text"}`` blocks, ``inferenceConfig`` in snake or camel case."""

from __future__ import annotations

from typing import Any, ClassVar

from workshop.families.base import (
    POSITIVE,
    BlockMessagesShape,
    Context,
    Nested,
    ParsedRequest,
    Rule,
    as_dict,
    as_list,
    assemble,
    check_object,
    inference,
    messages_text,
    nonempty_list,
    optional_object,
    positive,
    positive_int,
    service_error,
    strings,
    text_of,
    validation,
)

CONFIG_KEYS = frozenset({"max_new_tokens", "maxTokens", "temperature", "top_p", "topP", "top_k", "topK",
                         "stopSequences", "reasoningConfig"})
MESSAGES = 'a non-empty list of {"role", "content": [{"text": ...}]}'


class Nova(BlockMessagesShape):
    name = "nova"
    label = "Amazon Nova"
    order = 70
    default_max_tokens = 5000
    rules = (
        Rule("messages", MESSAGES, nonempty_list, required=True),
        Rule("schemaVersion", '"messages-v1"', lambda v: v == "messages-v1"),
    )
    nested = (Nested("inferenceConfig", (Rule("max_new_tokens", POSITIVE, positive_int),
                                         Rule("maxTokens", POSITIVE, positive_int)), CONFIG_KEYS),)
    known_keys = frozenset({"schemaVersion", "system", "messages", "inferenceConfig", "toolConfig"})
    server_required: ClassVar[dict[str, str]] = {"messages": "JSONArray"}
    server_optional: ClassVar[dict[str, str]] = {
        "schemaVersion": "String", "system": "JSONArray", "inferenceConfig": "JSONObject", "toolConfig": "JSONObject"}
    _STOP: ClassVar[dict[str, str]] = {"end": "end_turn", "length": "max_tokens", "stop": "stop_sequence"}

    def matches(self, base_model_id: str) -> bool:
        provider, _, name = base_model_id.partition(".")
        return provider == "amazon" and name.startswith("nova-") and not name.startswith(
            ("nova-canvas", "nova-reel", "nova-sonic"))

    def detect(self, body: dict) -> bool:
        if "schemaVersion" in body:
            return True
        config = body.get("inferenceConfig")
        return isinstance(config, dict) and bool({"max_new_tokens", "top_p", "top_k"} & set(config))

    def to_converse(self, b: dict) -> dict:
        cfg = as_dict(b.get("inferenceConfig"))
        msgs = [{"role": m.get("role") if m.get("role") in ("user", "assistant") else "user",
                 "content": [blk for blk in as_list(m.get("content")) if isinstance(blk, dict)]}
                for m in as_list(b.get("messages")) if isinstance(m, dict)]
        top_k = cfg.get("top_k", cfg.get("topK"))
        extra = {"inferenceConfig": {"topK": top_k}} if top_k is not None else None
        return assemble(msgs, [s for s in as_list(b.get("system")) if isinstance(s, dict)],
                        inference(cfg.get("max_new_tokens", cfg.get("maxTokens")), cfg.get("temperature"),
                                  cfg.get("top_p", cfg.get("topP")), cfg.get("stopSequences")), extra)

    # --- sandbox -----------------------------------------------------------------------------
    def parse(self, body: Any) -> ParsedRequest:
        check_object(body, self.server_required, self.server_optional)
        if body.get("schemaVersion", "messages-v1") != "messages-v1":
            raise validation(f"#/schemaVersion: {body['schemaVersion']} is not a valid enum value")
        config = optional_object(body, "inferenceConfig")
        check_object(config, {}, {"maxTokens": "Integer", "max_new_tokens": "Integer", "temperature": "Number",
                                  "topP": "Number", "top_p": "Number", "topK": "Integer", "top_k": "Integer",
                                  "stopSequences": "JSONArray"}, "#/inferenceConfig")
        if not body["messages"]:
            raise service_error("ValidationException", "A conversation must start with a user message. "
                                "Try again with a conversation that starts with a user message.")
        text = messages_text(body["messages"])
        system = text_of(body.get("system", []), "#/system")
        max_tokens = positive(config.get("maxTokens", config.get("max_new_tokens", 5000)), "#/inferenceConfig/maxTokens")
        prompt = f"{system}\n{text}" if system else text
        return ParsedRequest(prompt, max_tokens, strings(config.get("stopSequences"), "#/inferenceConfig/stopSequences"))

    def _usage(self, ctx: Context, out: int) -> dict:
        return {"inputTokens": ctx.input_tokens, "outputTokens": out, "totalTokens": ctx.input_tokens + out,
                "cacheReadInputTokenCount": 0, "cacheWriteInputTokenCount": 0}

    def response(self, req: ParsedRequest, gen: Any, ctx: Context) -> dict:
        return {"output": {"message": {"role": "assistant", "content": [{"text": gen.text}]}},
                "stopReason": self._STOP[gen.stop], "usage": self._usage(ctx, gen.output_tokens)}

    def stream_head(self, req: ParsedRequest, ctx: Context) -> list[dict]:
        return [{"messageStart": {"role": "assistant"}}]

    def stream_piece(self, req: ParsedRequest, text: str, emitted: int, ctx: Context) -> list[dict]:
        return [{"contentBlockDelta": {"delta": {"text": text}, "contentBlockIndex": 0}}]

    def stream_tail(self, req: ParsedRequest, gen: Any, ctx: Context) -> list[dict]:
        return [
            {"contentBlockStop": {"contentBlockIndex": 0}},
            {"messageStop": {"stopReason": self._STOP[gen.stop]}},
            {"metadata": {"usage": self._usage(ctx, gen.output_tokens), "metrics": {}, "trace": {}}},
        ]



FAMILY = Nova()

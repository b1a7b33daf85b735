"""Amazon Titan Text: ``inputText`` + ``textGenerationConfig``."""

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
    Nested,
    ParsedRequest,
    Rule,
    as_dict,
    as_int,
    as_text,
    assemble,
    check_object,
    inference,
    nonempty_str,
    optional_object,
    positive,
    positive_int,
    str_list,
    strings,
    text_msg,
    unit_interval,
)

CONFIG_KEYS = frozenset({"maxTokenCount", "stopSequences", "temperature", "topP"})


class TitanText(Family):
    name = "titan-text"
    label = "Amazon Titan Text"
    order = 30
    default_max_tokens = 512
    rules = (Rule("inputText", "the prompt string", nonempty_str, required=True),)
    nested = (Nested("textGenerationConfig", (
        Rule("maxTokenCount", POSITIVE, positive_int),
        Rule("temperature", UNIT, unit_interval),
        Rule("topP", UNIT, unit_interval),
        Rule("stopSequences", STRINGS, str_list),
    ), CONFIG_KEYS),)
    known_keys = frozenset({"inputText", "textGenerationConfig"})
    server_required: ClassVar[dict[str, str]] = {"inputText": "String"}
    server_optional: ClassVar[dict[str, str]] = {"textGenerationConfig": "JSONObject"}
    _REASON: ClassVar[dict[str, str]] = {"end": "FINISH", "length": "LENGTH", "stop": "STOP_CRITERIA_MET"}

    def matches(self, base_model_id: str) -> bool:
        provider, _, name = base_model_id.partition(".")
        return provider == "amazon" and name.startswith(("titan-text", "titan-tg1"))

    def detect(self, body: dict) -> bool:
        return "inputText" in body or "textGenerationConfig" in body

    def extract(self, r: dict) -> Extracted:
        results = r.get("results") or [{}]
        first = results[0] if isinstance(results[0], dict) else {}
        return Extracted(first.get("outputText") or "", as_int(r.get("inputTextTokenCount")),
                         as_int(first.get("tokenCount")), first.get("completionReason"))

    def chunk_text(self, chunk: dict) -> str:
        return chunk.get("outputText") or ""

    def chunk_stop_reason(self, chunk: dict) -> str | None:
        return chunk.get("completionReason")

    def to_converse(self, b: dict) -> dict:
        text = as_text(b.get("inputText")).strip()
        text = re.sub(r"^User:\s*", "", text)
        text = re.sub(r"\s*Bot:\s*$", "", text)
        cfg = as_dict(b.get("textGenerationConfig"))
        return assemble([text_msg("user", text)], [],
                        inference(cfg.get("maxTokenCount"), cfg.get("temperature"), cfg.get("topP"),
                                  cfg.get("stopSequences")))

    # --- sandbox -----------------------------------------------------------------------------
    def parse(self, body: Any) -> ParsedRequest:
        check_object(body, self.server_required, self.server_optional)
        config = optional_object(body, "textGenerationConfig")
        check_object(config, {}, {"maxTokenCount": "Integer", "stopSequences": "JSONArray", "temperature": "Number",
                                  "topP": "Number"}, "#/textGenerationConfig")
        max_tokens = positive(config.get("maxTokenCount", 512), "#/textGenerationConfig/maxTokenCount")
        return ParsedRequest(body["inputText"], max_tokens,
                             strings(config.get("stopSequences"), "#/textGenerationConfig/stopSequences"))

    def response(self, req: ParsedRequest, gen: Any, ctx: Context) -> dict:
        return {"inputTextTokenCount": ctx.input_tokens,
                "results": [{"tokenCount": gen.output_tokens, "outputText": gen.text,
                             "completionReason": self._REASON[gen.stop]}]}

    def stream_piece(self, req: ParsedRequest, text: str, emitted: int, ctx: Context) -> list[dict]:
        return [{"outputText": text, "index": 0, "totalOutputTextTokenCount": emitted, "completionReason": None,
                 "inputTextTokenCount": ctx.input_tokens}]

    def stream_tail(self, req: ParsedRequest, gen: Any, ctx: Context) -> list[dict]:
        return [{"outputText": "", "index": 0, "totalOutputTextTokenCount": gen.output_tokens,
                 "completionReason": self._REASON[gen.stop], "inputTextTokenCount": ctx.input_tokens}]


FAMILY = TitanText()

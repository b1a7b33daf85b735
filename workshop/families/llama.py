"""Meta Llama 3 / 4: one ``prompt`` string in Llama's chat format, ``max_gen_len``."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from workshop.families.base import (
    POSITIVE,
    UNIT,
    Context,
    Extracted,
    Family,
    ParsedRequest,
    Rule,
    as_int,
    as_text,
    assemble,
    check_object,
    inference,
    nonempty_str,
    positive,
    positive_int,
    prompt_marker,
    text_msg,
    unit_interval,
)

_TURN = re.compile(r"<\|start_header_id\|>(system|user|assistant)<\|end_header_id\|>\s*(.*?)(?:<\|eot_id\|>|$)", re.S)


class Llama(Family):
    name = "llama"
    label = "Meta Llama 3 / 4"
    order = 40
    default_max_tokens = 512
    rules = (
        Rule("prompt", "the prompt string (Llama 3 chat format)", nonempty_str, required=True),
        Rule("max_gen_len", POSITIVE, positive_int),
        Rule("temperature", UNIT, unit_interval),
        Rule("top_p", UNIT, unit_interval),
    )
    known_keys = frozenset({"prompt", "max_gen_len", "temperature", "top_p", "images"})
    server_required: ClassVar[dict[str, str]] = {"prompt": "String"}
    server_optional: ClassVar[dict[str, str]] = {
        "max_gen_len": "Integer", "temperature": "Number", "top_p": "Number", "images": "JSONArray"}
    _STOP: ClassVar[dict[str, str]] = {"end": "stop", "length": "length", "stop": "stop"}

    def matches(self, base_model_id: str) -> bool:
        provider, _, name = base_model_id.partition(".")
        return provider == "meta" and name.startswith("llama")

    def detect(self, body: dict) -> bool:
        return "max_gen_len" in body or prompt_marker(body, "<|start_header_id|>")

    def check(self, body: dict, problems: list[str]) -> None:
        if "max_tokens" in body:
            problems.append("Llama calls the output limit `max_gen_len`, not `max_tokens`")

    def extract(self, r: dict) -> Extracted:
        return Extracted(r.get("generation") or "", as_int(r.get("prompt_token_count")),
                         as_int(r.get("generation_token_count")), r.get("stop_reason"))

    def chunk_text(self, chunk: dict) -> str:
        return chunk.get("generation") or ""

    def chunk_stop_reason(self, chunk: dict) -> str | None:
        return chunk.get("stop_reason")

    def to_converse(self, b: dict) -> dict:
        prompt = as_text(b.get("prompt"))
        turns = _TURN.findall(prompt)
        system = [{"text": t.strip()} for r, t in turns if r == "system" and t.strip()]
        msgs = [text_msg(r, t.strip()) for r, t in turns if r != "system" and t.strip()]
        if not turns:
            msgs = [text_msg("user", prompt.replace("<|begin_of_text|>", "").strip())]
        return assemble(msgs, system, inference(b.get("max_gen_len"), b.get("temperature"), b.get("top_p")))

    # --- sandbox -----------------------------------------------------------------------------
    def parse(self, body: Any) -> ParsedRequest:
        check_object(body, self.server_required, self.server_optional)
        return ParsedRequest(body["prompt"], positive(body.get("max_gen_len", 512), "#/max_gen_len"))

    def response(self, req: ParsedRequest, gen: Any, ctx: Context) -> dict:
        return {"generation": gen.text, "prompt_token_count": ctx.input_tokens,
                "generation_token_count": gen.output_tokens, "stop_reason": self._STOP[gen.stop]}

    def stream_piece(self, req: ParsedRequest, text: str, emitted: int, ctx: Context) -> list[dict]:
        from workshop.sandbox.textgen import count_tokens

        first = emitted == count_tokens(text)  # Llama reports the prompt count on the first chunk only
        return [{"generation": text, "prompt_token_count": ctx.input_tokens if first else None,
                 "generation_token_count": emitted, "stop_reason": None}]

    def stream_tail(self, req: ParsedRequest, gen: Any, ctx: Context) -> list[dict]:
        return [{"generation": "", "prompt_token_count": None, "generation_token_count": gen.output_tokens,
                 "stop_reason": self._STOP[gen.stop]}]


FAMILY = Llama()

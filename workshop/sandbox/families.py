"""Per-family request schemas, response bodies and stream chunks (InvokeModel's native formats).

Each family validates its body the way Bedrock does (JSON-schema style messages such as
``#: required key [max_tokens] not found``), extracts the text that counts as input, and
renders the answer in the provider's own response and stream-chunk JSON. Converse is
family-agnostic and lives in the server.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from workshop.sandbox.awserrors import ServiceError, validation
from workshop.sandbox.textgen import Generation, count_tokens

# JSON-schema type names as Bedrock's validator prints them.
_TYPES: dict[str, tuple[type, ...]] = {
    "String": (str,),
    "Integer": (int,),
    "Number": (int, float),
    "Boolean": (bool,),
    "JSONArray": (list,),
    "JSONObject": (dict,),
}
_JSON_NAMES = {str: "String", int: "Integer", float: "Number", bool: "Boolean", list: "JSONArray", dict: "JSONObject"}


def _type_ok(value: Any, kind: str) -> bool:
    if kind == "Any":
        return True
    if isinstance(value, bool) and kind != "Boolean":
        return False  # JSON true is not a number, although Python says so
    return isinstance(value, _TYPES[kind])


def check_object(body: Any, required: dict[str, str], optional: dict[str, str], where: str = "#") -> None:
    """Validate keys and value types of one JSON object, raising Bedrock's ValidationException."""
    if not isinstance(body, dict):
        raise validation(f"{where}: expected type: JSONObject, found: {_JSON_NAMES.get(type(body), 'Null')}")
    for key in required:
        if key not in body:
            raise validation(f"{where}: required key [{key}] not found")
    allowed = required | optional
    for key, value in body.items():
        if key not in allowed:
            raise validation(f"{where}: extraneous key [{key}] is not permitted")
        kind = allowed[key]
        if value is not None and not _type_ok(value, kind):
            raise validation(
                f"{where}/{key}: expected type: {kind}, found: {_JSON_NAMES.get(type(value), 'Null')}"
            )


def _positive(value: int, where: str) -> int:
    if value < 1:
        raise validation(f"{where}: {value} is not greater or equal to 1")
    return value


def _text_of(content: Any) -> str:
    """Text inside a message content: a string, or a list of blocks with ``text``."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(block.get("text", "") for block in content if isinstance(block, dict))
    return ""


def _messages_text(messages: list, where: str = "#/messages") -> str:
    parts = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise validation(f"{where}/{i}: expected type: JSONObject, found: {_JSON_NAMES.get(type(message), 'Null')}")
        if "role" not in message:
            raise validation(f"{where}/{i}: required key [role] not found")
        if "content" not in message:
            raise validation(f"{where}/{i}: required key [content] not found")
        parts.append(_text_of(message["content"]))
    return "\n".join(parts)


@dataclass
class ParsedRequest:
    """What a family extracted from an InvokeModel body."""

    prompt: str
    max_tokens: int
    stop_sequences: list[str] = field(default_factory=list)
    mode: str = "default"  # e.g. mistral "chat" vs "text"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def input_tokens(self) -> int:
        return count_tokens(self.prompt)


@dataclass(frozen=True)
class Context:
    """Per-invocation facts a family needs to render a response."""

    model_id: str
    request_id: str
    input_tokens: int

    @property
    def short_id(self) -> str:
        return hashlib.sha256(self.request_id.encode()).hexdigest()[:24]


class Family:
    """One model family's native InvokeModel format."""

    name = ""

    def parse(self, body: Any) -> ParsedRequest:
        raise NotImplementedError

    def response(self, req: ParsedRequest, gen: Generation, ctx: Context) -> dict:
        raise NotImplementedError

    def stream_head(self, req: ParsedRequest, ctx: Context) -> list[dict]:
        """Chunks sent before the first text (with the first group)."""
        return []

    def stream_piece(self, req: ParsedRequest, text: str, emitted: int, ctx: Context) -> list[dict]:
        """Chunks for one group of tokens; ``emitted`` counts tokens sent so far, this group included."""
        raise NotImplementedError

    def stream_tail(self, req: ParsedRequest, gen: Generation, ctx: Context) -> list[dict]:
        """Closing chunks; the server adds ``amazon-bedrock-invocationMetrics`` to the last one."""
        raise NotImplementedError


class ClaudeMessages(Family):
    name = "claude-messages"
    _STOP: ClassVar[dict[str, str]] = {"end": "end_turn", "length": "max_tokens", "stop": "stop_sequence"}

    def parse(self, body: Any) -> ParsedRequest:
        check_object(
            body,
            {"anthropic_version": "String", "max_tokens": "Integer", "messages": "JSONArray"},
            {"system": "Any", "stop_sequences": "JSONArray", "temperature": "Number", "top_p": "Number",
             "top_k": "Integer", "tools": "JSONArray", "tool_choice": "JSONObject", "anthropic_beta": "JSONArray",
             "thinking": "JSONObject", "metadata": "JSONObject"},
        )
        if body["anthropic_version"] != "bedrock-2023-05-31":
            raise validation(f"#/anthropic_version: {body['anthropic_version']} is not a valid enum value")
        messages = body["messages"]
        if not messages:
            raise ServiceError("ValidationException", "messages: at least one message is required")
        text = _messages_text(messages)
        if messages[0].get("role") != "user":
            raise ServiceError("ValidationException", 'messages: first message must use the "user" role')
        system = _text_of(body.get("system") or "")
        prompt = f"{system}\n{text}" if system else text
        return ParsedRequest(prompt, _positive(body["max_tokens"], "#/max_tokens"), list(body.get("stop_sequences") or []))

    def response(self, req: ParsedRequest, gen: Generation, ctx: Context) -> dict:
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
        message = self.response(req, Generation("", (), "end"), ctx)
        message.update(content=[], stop_reason=None, stop_sequence=None)
        message["usage"] = {"input_tokens": ctx.input_tokens, "output_tokens": 1}
        return [
            {"type": "message_start", "message": message},
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ]

    def stream_piece(self, req: ParsedRequest, text: str, emitted: int, ctx: Context) -> list[dict]:
        return [{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}]

    def stream_tail(self, req: ParsedRequest, gen: Generation, ctx: Context) -> list[dict]:
        return [
            {"type": "content_block_stop", "index": 0},
            {"type": "message_delta", "delta": {"stop_reason": self._STOP[gen.stop], "stop_sequence": gen.stop_sequence},
             "usage": {"output_tokens": gen.output_tokens}},
            {"type": "message_stop"},
        ]


class ClaudeText(Family):
    name = "claude-text"
    HUMAN = "\n\nHuman:"

    def parse(self, body: Any) -> ParsedRequest:
        check_object(
            body,
            {"prompt": "String", "max_tokens_to_sample": "Integer"},
            {"stop_sequences": "JSONArray", "temperature": "Number", "top_p": "Number", "top_k": "Integer",
             "anthropic_version": "String"},
        )
        prompt = body["prompt"]
        if not prompt.lstrip(" ").startswith(self.HUMAN.strip(" ")) and self.HUMAN not in prompt:
            raise ServiceError("ValidationException", 'prompt must start with "\n\nHuman:" turn after an optional system prompt')
        if not prompt.rstrip(" ").endswith("\n\nAssistant:"):
            raise ServiceError("ValidationException", 'prompt must end with "\n\nAssistant:" turn')
        stops = list(body.get("stop_sequences") or [])
        return ParsedRequest(prompt, _positive(body["max_tokens_to_sample"], "#/max_tokens_to_sample"), stops)

    def _stop(self, gen: Generation) -> tuple[str, str | None]:
        if gen.stop == "length":
            return "max_tokens", None
        # A natural end of a Claude 2 completion is the model emitting "\n\nHuman:".
        return "stop_sequence", gen.stop_sequence or self.HUMAN

    def response(self, req: ParsedRequest, gen: Generation, ctx: Context) -> dict:
        reason, stop = self._stop(gen)
        return {"type": "completion", "completion": " " + gen.text if gen.text else "", "stop_reason": reason,
                "stop": stop}

    def stream_piece(self, req: ParsedRequest, text: str, emitted: int, ctx: Context) -> list[dict]:
        return [{"type": "completion", "completion": text, "stop_reason": None, "stop": None}]

    def stream_tail(self, req: ParsedRequest, gen: Generation, ctx: Context) -> list[dict]:
        reason, stop = self._stop(gen)
        return [{"type": "completion", "completion": "", "stop_reason": reason, "stop": stop}]


class TitanText(Family):
    name = "titan-text"
    _REASON: ClassVar[dict[str, str]] = {"end": "FINISH", "length": "LENGTH", "stop": "STOP_CRITERIA_MET"}

    def parse(self, body: Any) -> ParsedRequest:
        check_object(body, {"inputText": "String"}, {"textGenerationConfig": "JSONObject"})
        config = body.get("textGenerationConfig") or {}
        check_object(
            config, {}, {"maxTokenCount": "Integer", "stopSequences": "JSONArray", "temperature": "Number",
                         "topP": "Number"}, "#/textGenerationConfig",
        )
        max_tokens = _positive(config.get("maxTokenCount", 512), "#/textGenerationConfig/maxTokenCount")
        return ParsedRequest(body["inputText"], max_tokens, list(config.get("stopSequences") or []))

    def response(self, req: ParsedRequest, gen: Generation, ctx: Context) -> dict:
        return {
            "inputTextTokenCount": ctx.input_tokens,
            "results": [{"tokenCount": gen.output_tokens, "outputText": gen.text,
                         "completionReason": self._REASON[gen.stop]}],
        }

    def stream_piece(self, req: ParsedRequest, text: str, emitted: int, ctx: Context) -> list[dict]:
        return [{"outputText": text, "index": 0, "totalOutputTextTokenCount": emitted, "completionReason": None,
                 "inputTextTokenCount": ctx.input_tokens}]

    def stream_tail(self, req: ParsedRequest, gen: Generation, ctx: Context) -> list[dict]:
        return [{"outputText": "", "index": 0, "totalOutputTextTokenCount": gen.output_tokens,
                 "completionReason": self._REASON[gen.stop], "inputTextTokenCount": ctx.input_tokens}]


class Nova(Family):
    name = "nova"
    _STOP: ClassVar[dict[str, str]] = {"end": "end_turn", "length": "max_tokens", "stop": "stop_sequence"}

    def parse(self, body: Any) -> ParsedRequest:
        check_object(
            body, {"messages": "JSONArray"},
            {"schemaVersion": "String", "system": "JSONArray", "inferenceConfig": "JSONObject",
             "toolConfig": "JSONObject"},
        )
        if body.get("schemaVersion", "messages-v1") != "messages-v1":
            raise validation(f"#/schemaVersion: {body['schemaVersion']} is not a valid enum value")
        config = body.get("inferenceConfig") or {}
        check_object(
            config, {}, {"maxTokens": "Integer", "max_new_tokens": "Integer", "temperature": "Number",
                         "topP": "Number", "top_p": "Number", "topK": "Integer", "top_k": "Integer",
                         "stopSequences": "JSONArray"}, "#/inferenceConfig",
        )
        if not body["messages"]:
            raise ServiceError("ValidationException", "A conversation must start with a user message. "
                               "Try again with a conversation that starts with a user message.")
        text = _messages_text(body["messages"])
        system = "\n".join(_text_of([s]) for s in body.get("system") or [])
        max_tokens = _positive(config.get("maxTokens", config.get("max_new_tokens", 5000)), "#/inferenceConfig/maxTokens")
        prompt = f"{system}\n{text}" if system else text
        return ParsedRequest(prompt, max_tokens, list(config.get("stopSequences") or []))

    def _usage(self, ctx: Context, out: int) -> dict:
        return {"inputTokens": ctx.input_tokens, "outputTokens": out, "totalTokens": ctx.input_tokens + out,
                "cacheReadInputTokenCount": 0, "cacheWriteInputTokenCount": 0}

    def response(self, req: ParsedRequest, gen: Generation, ctx: Context) -> dict:
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": gen.text}]}},
            "stopReason": self._STOP[gen.stop],
            "usage": self._usage(ctx, gen.output_tokens),
        }

    def stream_head(self, req: ParsedRequest, ctx: Context) -> list[dict]:
        return [{"messageStart": {"role": "assistant"}}]

    def stream_piece(self, req: ParsedRequest, text: str, emitted: int, ctx: Context) -> list[dict]:
        return [{"contentBlockDelta": {"delta": {"text": text}, "contentBlockIndex": 0}}]

    def stream_tail(self, req: ParsedRequest, gen: Generation, ctx: Context) -> list[dict]:
        return [
            {"contentBlockStop": {"contentBlockIndex": 0}},
            {"messageStop": {"stopReason": self._STOP[gen.stop]}},
            {"metadata": {"usage": self._usage(ctx, gen.output_tokens), "metrics": {}, "trace": {}}},
        ]


class Llama(Family):
    name = "llama"
    _STOP: ClassVar[dict[str, str]] = {"end": "stop", "length": "length", "stop": "stop"}

    def parse(self, body: Any) -> ParsedRequest:
        check_object(body, {"prompt": "String"}, {"max_gen_len": "Integer", "temperature": "Number",
                                                   "top_p": "Number", "images": "JSONArray"})
        return ParsedRequest(body["prompt"], _positive(body.get("max_gen_len", 512), "#/max_gen_len"))

    def response(self, req: ParsedRequest, gen: Generation, ctx: Context) -> dict:
        return {"generation": gen.text, "prompt_token_count": ctx.input_tokens,
                "generation_token_count": gen.output_tokens, "stop_reason": self._STOP[gen.stop]}

    def stream_piece(self, req: ParsedRequest, text: str, emitted: int, ctx: Context) -> list[dict]:
        first = emitted == count_tokens(text)  # Llama reports the prompt count on the first chunk only
        return [{"generation": text, "prompt_token_count": ctx.input_tokens if first else None,
                 "generation_token_count": emitted, "stop_reason": None}]

    def stream_tail(self, req: ParsedRequest, gen: Generation, ctx: Context) -> list[dict]:
        return [{"generation": "", "prompt_token_count": None, "generation_token_count": gen.output_tokens,
                 "stop_reason": self._STOP[gen.stop]}]


class Mistral(Family):
    name = "mistral"
    _STOP: ClassVar[dict[str, str]] = {"end": "stop", "length": "length", "stop": "stop"}

    def parse(self, body: Any) -> ParsedRequest:
        common = {"max_tokens": "Integer", "temperature": "Number", "top_p": "Number", "top_k": "Integer",
                  "stop": "JSONArray"}
        if isinstance(body, dict) and "messages" in body:
            # Mistral Large's chat-completion form.
            check_object(body, {"messages": "JSONArray"}, common | {"tools": "JSONArray", "tool_choice": "Any",
                                                                    "response_format": "JSONObject"})
            text, mode = _messages_text(body["messages"]), "chat"
        else:
            check_object(body, {"prompt": "String"}, common)
            text, mode = body["prompt"], "text"
        return ParsedRequest(text, _positive(body.get("max_tokens", 512), "#/max_tokens"),
                             list(body.get("stop") or []), mode)

    def response(self, req: ParsedRequest, gen: Generation, ctx: Context) -> dict:
        if req.mode == "chat":
            return {
                "id": ctx.short_id, "object": "chat.completion", "created": int(time.time()),
                "model": ctx.model_id,
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

    def stream_tail(self, req: ParsedRequest, gen: Generation, ctx: Context) -> list[dict]:
        if req.mode == "chat":
            return [{"id": ctx.short_id, "object": "chat.completion.chunk",
                     "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": self._STOP[gen.stop]}]}]
        return [{"outputs": [{"text": "", "stop_reason": self._STOP[gen.stop]}]}]


class CohereCommandR(Family):
    name = "cohere-command-r"
    _REASON: ClassVar[dict[str, str]] = {"end": "COMPLETE", "length": "MAX_TOKENS", "stop": "STOP_SEQUENCE"}

    def parse(self, body: Any) -> ParsedRequest:
        check_object(
            body, {"message": "String"},
            {"chat_history": "JSONArray", "documents": "JSONArray", "search_queries_only": "Boolean",
             "preamble": "String", "max_tokens": "Integer", "temperature": "Number", "p": "Number", "k": "Number",
             "prompt_truncation": "String", "frequency_penalty": "Number", "presence_penalty": "Number",
             "seed": "Integer", "return_prompt": "Boolean", "tools": "JSONArray", "tool_results": "JSONArray",
             "stop_sequences": "JSONArray", "raw_prompting": "Boolean"},
        )
        history = "\n".join(str(turn.get("message", "")) for turn in body.get("chat_history") or []
                            if isinstance(turn, dict))
        parts = [p for p in (body.get("preamble"), history, body["message"]) if p]
        return ParsedRequest("\n".join(parts), _positive(body.get("max_tokens", 4000), "#/max_tokens"),
                             list(body.get("stop_sequences") or []), extra={"message": body["message"],
                                                                         "history": body.get("chat_history") or []})

    def response(self, req: ParsedRequest, gen: Generation, ctx: Context) -> dict:
        history = [*req.extra["history"], {"role": "USER", "message": req.extra["message"]},
                   {"role": "CHATBOT", "message": gen.text}]
        return {"response_id": ctx.request_id, "text": gen.text, "generation_id": f"gen-{ctx.short_id}",
                "chat_history": history, "finish_reason": self._REASON[gen.stop],
                "meta": {"billed_units": {"input_tokens": ctx.input_tokens, "output_tokens": gen.output_tokens}}}

    def stream_head(self, req: ParsedRequest, ctx: Context) -> list[dict]:
        return [{"is_finished": False, "event_type": "stream-start", "generation_id": f"gen-{ctx.short_id}"}]

    def stream_piece(self, req: ParsedRequest, text: str, emitted: int, ctx: Context) -> list[dict]:
        return [{"is_finished": False, "event_type": "text-generation", "text": text}]

    def stream_tail(self, req: ParsedRequest, gen: Generation, ctx: Context) -> list[dict]:
        return [{"is_finished": True, "event_type": "stream-end", "finish_reason": self._REASON[gen.stop],
                 "response": self.response(req, gen, ctx)}]


class Jamba(Family):
    name = "jamba"
    _STOP: ClassVar[dict[str, str]] = {"end": "stop", "length": "length", "stop": "stop"}

    def parse(self, body: Any) -> ParsedRequest:
        check_object(
            body, {"messages": "JSONArray"},
            {"max_tokens": "Integer", "temperature": "Number", "top_p": "Number", "stop": "Any", "n": "Integer",
             "frequency_penalty": "Number", "presence_penalty": "Number", "response_format": "JSONObject",
             "tools": "JSONArray", "documents": "JSONArray"},
        )
        stop = body.get("stop") or []
        stops = [stop] if isinstance(stop, str) else list(stop)
        return ParsedRequest(_messages_text(body["messages"]), _positive(body.get("max_tokens", 4096), "#/max_tokens"),
                             stops)

    def _usage(self, ctx: Context, out: int) -> dict:
        return {"prompt_tokens": ctx.input_tokens, "completion_tokens": out, "total_tokens": ctx.input_tokens + out}

    def response(self, req: ParsedRequest, gen: Generation, ctx: Context) -> dict:
        return {"id": f"chatcmpl-{ctx.short_id}", "model": ctx.model_id.split(".", 1)[-1],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": gen.text, "tool_calls": None},
                             "finish_reason": self._STOP[gen.stop]}],
                "usage": self._usage(ctx, gen.output_tokens), "meta": {"requestDurationMillis": 0}}

    def stream_piece(self, req: ParsedRequest, text: str, emitted: int, ctx: Context) -> list[dict]:
        return [{"id": f"chatcmpl-{ctx.short_id}",
                 "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}], "usage": None}]

    def stream_tail(self, req: ParsedRequest, gen: Generation, ctx: Context) -> list[dict]:
        return [{"id": f"chatcmpl-{ctx.short_id}",
                 "choices": [{"index": 0, "delta": {}, "finish_reason": self._STOP[gen.stop]}],
                 "usage": self._usage(ctx, gen.output_tokens)}]


FAMILIES: dict[str, Family] = {
    f.name: f for f in (ClaudeMessages(), ClaudeText(), TitanText(), Nova(), Llama(), Mistral(), CohereCommandR(), Jamba())
}
"""Family name (as in ``workshop.catalog``) -> its native-format handler."""

DEFAULT_MAX_TOKENS: dict[str, int] = {
    "claude-messages": 4096, "claude-text": 4096, "titan-text": 512, "nova": 5000, "llama": 512,
    "mistral": 512, "cohere-command-r": 4000, "jamba": 4096,
}
"""What Converse uses when ``inferenceConfig.maxTokens`` is absent."""

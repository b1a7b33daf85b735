"""What every model family module fills in: one class, both sides of the wire.

A model family is one request/response dialect of InvokeModel (Claude Messages, Titan
Text, Llama ...). Its module in ``workshop/families/`` says everything the workshop knows
about it, for the client and for the sandbox alike:

* client side: which model ids speak it, its template (``prompts/<name>.json``), the rules
  the editor checks (as data: :class:`Rule` rows), the markers that recognise a body of
  it, how to read a response and a stream chunk, and how the same prompt looks on Converse;
* sandbox side: how Bedrock validates a body (key -> JSON type tables, Bedrock's own
  messages), and how the provider's response and stream chunks look.

Nothing here imports botocore or the sandbox server; the sandbox's error type and text
generator are imported lazily by the sandbox-side methods only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

# --------------------------------------------------------------------------- value checks
# Named predicates, so a rule row reads as data: Rule("top_p", UNIT, unit_interval).


def is_number(v: Any) -> bool:
    """A JSON number (``true`` is not one, although Python says so)."""
    return isinstance(v, int | float) and not isinstance(v, bool)


def is_int(v: Any) -> bool:
    """A JSON integer."""
    return isinstance(v, int) and not isinstance(v, bool)


def positive_int(v: Any) -> bool:
    """An integer from 1 to 2,147,483,647 (Bedrock's counts are 32-bit)."""
    return is_int(v) and 0 < v <= 2**31 - 1


def non_negative_int(v: Any) -> bool:
    """An integer from 0 to 2,147,483,647."""
    return is_int(v) and 0 <= v <= 2**31 - 1


def unit_interval(v: Any) -> bool:
    """A number from 0 to 1."""
    return is_number(v) and 0 <= v <= 1


def str_list(v: Any) -> bool:
    """A list of strings."""
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def nonempty_str(v: Any) -> bool:
    """A string with something in it."""
    return isinstance(v, str) and bool(v.strip())


def nonempty_list(v: Any) -> bool:
    """A list with at least one item."""
    return isinstance(v, list) and bool(v)


def is_object(v: Any) -> bool:
    """A JSON object."""
    return isinstance(v, dict)


def block_list(v: Any) -> bool:
    """A list of objects (content blocks such as ``{"text": ...}``)."""
    return isinstance(v, list) and all(isinstance(b, dict) for b in v)


def shown(value: Any, limit: int = 60) -> str:
    """A short JSON preview of a value for a problem line; never raises (a huge integer, a
    deeply nested value or a lone surrogate are shown by their kind instead)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**limit:
        return f"an integer of {len(str(abs(value))) if abs(value) < 10**4000 else 'over 4,000'} digits"
    if isinstance(value, list | dict) and len(value) > limit:
        return "a list" if isinstance(value, list) else "an object"
    try:
        text = json.dumps(value, ensure_ascii=False)
        text.encode("utf-8")
    except (ValueError, RecursionError, UnicodeEncodeError):
        return "a value that is not valid JSON text"
    return text if len(text) <= limit else text[: limit - 1] + "…"


UNIT = "a number between 0 and 1"
STRINGS = "a list of strings"
POSITIVE = "a positive integer"


@dataclass(frozen=True)
class Rule:
    """One key of a request body the editor checks: what it must be, and whether it must be there."""

    key: str
    what: str
    ok: Callable[[Any], bool]
    required: bool = False


@dataclass(frozen=True)
class Nested:
    """An object-valued key (``textGenerationConfig``) with its own rules and allowed keys."""

    key: str
    rules: tuple[Rule, ...]
    known: frozenset[str]
    hint: str = ""  # appended to the "unknown key" message (where the setting belongs instead)


def apply_rules(body: dict, rules: tuple[Rule, ...], label: str, problems: list[str], prefix: str = "") -> None:
    """Check ``body`` against ``rules``, appending one line per problem."""
    for rule in rules:
        name = prefix + rule.key
        if rule.key not in body:
            if rule.required:
                problems.append(f"`{name}` is missing: {label} needs {rule.what}")
            continue
        if not rule.ok(body[rule.key]):
            problems.append(f"`{name}` must be {rule.what}, not {shown(body[rule.key])}")


def apply_nested(body: dict, nested: Nested, problems: list[str]) -> None:
    """Check one object-valued key: its type, its rules, and keys it does not allow."""
    if nested.key not in body:
        return
    value = body[nested.key]
    if not isinstance(value, dict):
        problems.append(f"`{nested.key}` must be an object")
        return
    apply_rules(value, nested.rules, nested.key, problems, prefix=f"{nested.key}.")
    for key in value:
        if key not in nested.known:
            problems.append(f"unknown key `{nested.key}.{key}` (expected: {', '.join(sorted(nested.known))}"
                            f"{'; ' + nested.hint if nested.hint else ''})")


def check_roles(msgs: list, allowed: tuple[str, ...], field_name: str, problems: list[str]) -> None:
    """Each message is an object with an allowed role and a content."""
    for i, m in enumerate(msgs):
        if not isinstance(m, dict):
            problems.append(f"`{field_name}[{i}]` must be an object with role and content")
            continue
        if m.get("role") not in allowed:
            problems.append(
                f"`{field_name}[{i}].role` must be one of {', '.join(allowed)}, not {shown(m.get('role'))}"
            )
        if "content" not in m:
            problems.append(f"`{field_name}[{i}].content` is missing")


def check_block_messages(body: dict, problems: list[str]) -> None:
    """Messages and system as lists of ``{"text": ...}`` blocks (Nova, Converse)."""
    if isinstance(body.get("messages"), list) and body["messages"]:
        check_roles(body["messages"], ("user", "assistant"), "messages", problems)
        for i, m in enumerate(body["messages"]):
            c = m.get("content") if isinstance(m, dict) else None
            if c is not None and not block_list(c):
                problems.append(f'`messages[{i}].content` must be a list of blocks like {{"text": "..."}}')
    if "system" in body and not block_list(body["system"]):
        problems.append('`system` must be a list of blocks like [{"text": "..."}]')


def block_messages(body: dict) -> bool:
    """Messages whose content is a list of ``{"text": ...}`` blocks without ``type`` (Nova, Converse)."""
    msgs = body.get("messages")
    return (
        isinstance(msgs, list)
        and bool(msgs)
        and all(
            isinstance(m, dict)
            and isinstance(m.get("content"), list)
            and all(isinstance(b, dict) and "type" not in b for b in m["content"])
            for m in msgs
        )
    )


# --------------------------------------------------------------------------- reading answers


@dataclass(frozen=True)
class Extracted:
    """What a response says, whatever its family: text, usage and why it stopped."""

    text: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    stop_reason: str | None = None


def as_text(v: Any) -> str:
    """A string, or "" for anything else (a body being edited may hold any JSON there)."""
    return v if isinstance(v, str) else ""


def as_list(v: Any) -> list:
    """A list, or [] for anything else."""
    return v if isinstance(v, list) else []


def as_dict(v: Any) -> dict:
    """An object, or {} for anything else."""
    return v if isinstance(v, dict) else {}


def as_int(v: Any) -> int | None:
    """An int, or None for anything that is not one."""
    try:
        return int(v) if v is not None else None
    except (TypeError, ValueError):
        return None


def blocks_text(blocks: Any) -> str:
    """The text of a string or a list of ``{"text": ...}`` blocks."""
    if isinstance(blocks, str):
        return blocks
    if not isinstance(blocks, list):
        return ""
    return "".join(b.get("text", "") for b in blocks if isinstance(b, dict) and isinstance(b.get("text"), str))


def extract_converse_like(r: dict) -> Extracted:
    """Converse's response shape (Nova's native response shares it)."""
    msg = (r.get("output") or {}).get("message") or {}
    usage = r.get("usage") or {}
    return Extracted(blocks_text(msg.get("content")), as_int(usage.get("inputTokens")),
                     as_int(usage.get("outputTokens")), r.get("stopReason"))


def extract_choices(r: dict) -> Extracted:
    """An OpenAI-style chat completion (Jamba, Mistral Large chat)."""
    choices = r.get("choices") or [{}]
    first = choices[0] if isinstance(choices[0], dict) else {}
    message = first.get("message") or {}
    usage = r.get("usage") or {}
    return Extracted(message.get("content") or "", as_int(usage.get("prompt_tokens")),
                     as_int(usage.get("completion_tokens")), first.get("finish_reason") or first.get("stop_reason"))


def choices_delta(chunk: dict) -> str:
    """The text of an OpenAI-style stream delta."""
    choices = chunk.get("choices") or [{}]
    first = choices[0] if isinstance(choices[0], dict) else {}
    return ((first.get("delta") or {}).get("content")) or ((first.get("message") or {}).get("content")) or ""


def choices_stop(chunk: dict) -> str | None:
    """The finish reason of an OpenAI-style stream chunk."""
    choices = chunk.get("choices") or [{}]
    first = choices[0] if isinstance(choices[0], dict) else {}
    return first.get("finish_reason") or first.get("stop_reason")


# --------------------------------------------------------------------------- Converse mapping


def text_msg(role: str, text: str) -> dict:
    """One Converse message with one text block."""
    return {"role": role, "content": [{"text": text}]}


def inference(max_tokens: Any = None, temperature: Any = None, top_p: Any = None, stop: Any = None) -> dict:
    """Converse's ``inferenceConfig`` from the settings a family has (absent ones left out)."""
    cfg: dict[str, Any] = {}
    if max_tokens is not None:
        cfg["maxTokens"] = max_tokens
    if temperature is not None:
        cfg["temperature"] = temperature
    if top_p is not None:
        cfg["topP"] = top_p
    if isinstance(stop, list) and stop:
        cfg["stopSequences"] = [s for s in stop if isinstance(s, str)]
    return cfg


def assemble(messages: list[dict], system: list[dict], config: dict, extra: dict | None = None) -> dict:
    """A Converse request from its parts (empty parts left out)."""
    out: dict[str, Any] = {"messages": messages}
    if system:
        out["system"] = system
    if config:
        out["inferenceConfig"] = config
    if extra:
        out["additionalModelRequestFields"] = extra
    return out


def chat_to_converse(messages: list) -> tuple[list[dict], list[dict]]:
    """OpenAI-style chat messages as Converse (messages, system)."""
    msgs: list[dict] = []
    system: list[dict] = []
    for m in messages:
        if not isinstance(m, dict):
            continue
        content = m.get("content")
        text = content if isinstance(content, str) else blocks_text(content)
        role = m.get("role")
        if role == "system":
            system.append({"text": text})
        else:
            msgs.append(text_msg(role if role in ("user", "assistant") else "user", text))
    return msgs, system


# --------------------------------------------------------------------------- sandbox side

# JSON-schema type names as Bedrock's validator prints them.
_TYPES: dict[str, tuple[type, ...]] = {
    "String": (str,), "Integer": (int,), "Number": (int, float), "Boolean": (bool,),
    "JSONArray": (list,), "JSONObject": (dict,),
}
_JSON_NAMES = {str: "String", int: "Integer", float: "Number", bool: "Boolean", list: "JSONArray", dict: "JSONObject"}


def validation(message: str) -> Exception:
    """Bedrock's ValidationException, as the sandbox raises it (imported lazily: client code never needs it)."""
    from workshop.sandbox.awserrors import validation as _validation

    return _validation(message)


def service_error(code: str, message: str) -> Exception:
    """Any Bedrock service error, as the sandbox raises it."""
    from workshop.sandbox.awserrors import ServiceError

    return ServiceError(code, message)


from workshop.limits import MAX_INT  # noqa: E402  (a count's ceiling, shared with the editor's rules)


def _type_ok(value: Any, kind: str) -> bool:
    if kind == "Any":
        return True
    if value is None:
        return False  # JSON null is a type of its own: Bedrock says "found: Null"
    if isinstance(value, bool) and kind != "Boolean":
        return False  # JSON true is not a number, although Python says so
    return isinstance(value, _TYPES[kind])


def json_name(value: Any) -> str:
    """The JSON-schema type name of a value, as Bedrock's validator prints it."""
    return _JSON_NAMES.get(type(value), "Null")


def check_object(body: Any, required: dict[str, str], optional: dict[str, str], where: str = "#") -> None:
    """Validate keys and value types of one JSON object, raising Bedrock's ValidationException."""
    if not isinstance(body, dict):
        raise validation(f"{where}: expected type: JSONObject, found: {json_name(body)}")
    for key in required:
        if key not in body:
            raise validation(f"{where}: required key [{key}] not found")
    allowed = required | optional
    for key, value in body.items():
        if key not in allowed:
            raise validation(f"{where}: extraneous key [{key}] is not permitted")
        kind = allowed[key]
        if not _type_ok(value, kind):
            raise validation(f"{where}/{key}: expected type: {kind}, found: {json_name(value)}")


def optional_object(body: dict, key: str, where: str = "#") -> dict:
    """``body[key]`` when it is an object, ``{}`` when absent; ValidationException otherwise."""
    value = body.get(key, {})
    if not isinstance(value, dict):
        raise validation(f"{where}/{key}: expected type: JSONObject, found: {json_name(value)}")
    return value


def strings(value: Any, where: str) -> list[str]:
    """A list of strings (stop sequences), or Bedrock's message for the first item that is not one."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise validation(f"{where}: expected type: JSONArray, found: {json_name(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise validation(f"{where}/{i}: expected type: String, found: {json_name(item)}")
    return list(value)


def positive(value: Any, where: str) -> int:
    """``value`` when it is an integer from 1 to MAX_INT, else Bedrock's type or range message."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise validation(f"{where}: expected type: Integer, found: {json_name(value)}")
    if value < 1:
        raise validation(f"{where}: {value} is not greater or equal to 1")
    if value > MAX_INT:
        raise validation(f"{where}: {value} is not less or equal to {MAX_INT}")
    return value


def text_of(content: Any, where: str = "#/content") -> str:
    """Text inside a message content: a string, or a list of block objects whose ``text`` is a
    string; ValidationException for anything else."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise validation(f"{where}: expected type: String or JSONArray, found: {json_name(content)}")
    parts = []
    for i, block in enumerate(content):
        if not isinstance(block, dict):
            raise validation(f"{where}/{i}: expected type: JSONObject, found: {json_name(block)}")
        text = block.get("text", "")
        if not isinstance(text, str):
            raise validation(f"{where}/{i}/text: expected type: String, found: {json_name(text)}")
        parts.append(text)
    return "\n".join(parts)


def messages_text(messages: Any, where: str = "#/messages") -> str:
    """The text of every message, checking each has a string role and a content as Bedrock does."""
    if not isinstance(messages, list):
        raise validation(f"{where}: expected type: JSONArray, found: {json_name(messages)}")
    parts = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise validation(f"{where}/{i}: expected type: JSONObject, found: {json_name(message)}")
        if "role" not in message:
            raise validation(f"{where}/{i}: required key [role] not found")
        if not isinstance(message["role"], str):
            raise validation(f"{where}/{i}/role: expected type: String, found: {json_name(message['role'])}")
        if "content" not in message:
            raise validation(f"{where}/{i}: required key [content] not found")
        parts.append(text_of(message["content"], f"{where}/{i}/content"))
    return "\n".join(parts)


def lone_surrogate_path(value: Any) -> str | None:
    """Where the first string holding a lone UTF-16 surrogate is (``#/messages/0/content``), or
    None. Such a string came from a ``\\ud800`` escape: it is not Unicode text and cannot be
    encoded, logged or answered. Iterative: a deeply nested body must not exhaust the stack."""
    stack: list[tuple[str, Any]] = [("#", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return where
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and _has_surrogate(key):
                    return where
                stack.append((f"{where}/{key}", child))
        elif isinstance(item, list):
            stack.extend((f"{where}/{i}", child) for i, child in enumerate(item))
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


@dataclass
class ParsedRequest:
    """What a family extracted from an InvokeModel body (sandbox side)."""

    prompt: str
    max_tokens: int
    stop_sequences: list[str] = field(default_factory=list)
    mode: str = "default"  # e.g. mistral "chat" vs "text"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def input_tokens(self) -> int:
        from workshop.sandbox.textgen import count_tokens

        return count_tokens(self.prompt)


@dataclass(frozen=True)
class Context:
    """Per-invocation facts a family needs to render a response (sandbox side)."""

    model_id: str
    request_id: str
    input_tokens: int

    @property
    def short_id(self) -> str:
        return hashlib.sha256(self.request_id.encode()).hexdigest()[:24]


# --------------------------------------------------------------------------- the class


class Family:
    """One model family: subclass it in a module of ``workshop/families/`` and set ``FAMILY``.

    Class attributes are the data (name, label, order, rules, known keys, sandbox schema);
    methods are the few readings that are code. Defaults suit a family whose body has only
    top-level keys; override what differs.
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    order: ClassVar[int] = 100
    """Position in lists and in detection (lower first)."""
    template_name: ClassVar[str] = ""
    """The template file's stem in ``prompts/`` (the family's name unless set)."""
    rules: ClassVar[tuple[Rule, ...]] = ()
    nested: ClassVar[tuple[Nested, ...]] = ()
    known_keys: ClassVar[frozenset[str]] = frozenset()
    default_max_tokens: ClassVar[int] = 512
    """What the sandbox uses on Converse when ``inferenceConfig.maxTokens`` is absent."""
    sandbox_latency: ClassVar[dict[str, float] | None] = None
    """Modelled timing (``ttft_median_ms``, ``ttft_sigma``, ``tokens_per_second``) for a family
    ``sandbox/latency.json`` does not list yet; the data file wins when it has one."""
    server_required: ClassVar[dict[str, str]] = {}
    server_optional: ClassVar[dict[str, str]] = {}
    """Bedrock's own schema for the body (key -> JSON type), checked by the sandbox."""
    also_speaks: ClassVar[tuple[str, ...]] = ()
    """Other families whose bodies this family's models accept too (Claude 2 and Instant take
    Messages-API bodies, as AWS documents)."""

    # --- which models ------------------------------------------------------------------
    def matches(self, base_model_id: str) -> bool:
        """True when a foundation-model id (no profile prefix) speaks this family."""
        return False

    # --- the editor ----------------------------------------------------------------------
    @property
    def rule_label(self) -> str:
        """How a "missing key" message names the body's shape."""
        return self.name

    @property
    def template_file(self) -> str:
        return self.template_name or self.name

    def detect(self, body: dict) -> bool:
        """Strong markers: keys only this family uses (checked in ``order``)."""
        return False

    def detect_weak(self, body: dict) -> bool:
        """Weaker hints, checked only after every family's strong markers failed."""
        return False

    def validate(self, body: dict, problems: list[str]) -> None:
        """Append every problem of ``body`` (a dict) for this family."""
        apply_rules(body, self.rules, self.rule_label, problems)
        for nested in self.nested:
            apply_nested(body, nested, problems)
        self.check(body, problems)

    def check(self, body: dict, problems: list[str]) -> None:
        """Checks that are not one key against one rule (roles, message order)."""

    # --- reading answers -------------------------------------------------------------------
    def extract(self, response: dict) -> Extracted:
        """Text, usage and stop reason of a non-streaming response."""
        raise NotImplementedError

    def chunk_text(self, chunk: dict) -> str:
        """The text delta in one stream chunk (already JSON-decoded)."""
        raise NotImplementedError

    def chunk_stop_reason(self, chunk: dict) -> str | None:
        """The stop reason if this stream chunk carries one."""
        return None

    def to_converse(self, body: dict) -> dict:
        """The same prompt as a Converse request."""
        raise NotImplementedError

    # --- the sandbox ---------------------------------------------------------------------------
    def parse(self, body: Any) -> ParsedRequest:
        """Validate a body as Bedrock does and extract what the generator needs."""
        raise NotImplementedError

    def response(self, req: ParsedRequest, gen: Any, ctx: Context) -> dict:
        """The provider's response body for one generated answer."""
        raise NotImplementedError

    def stream_head(self, req: ParsedRequest, ctx: Context) -> list[dict]:
        """Chunks sent before the first text (with the first group)."""
        return []

    def stream_piece(self, req: ParsedRequest, text: str, emitted: int, ctx: Context) -> list[dict]:
        """Chunks for one group of tokens; ``emitted`` counts tokens sent so far, this group included."""
        raise NotImplementedError

    def stream_tail(self, req: ParsedRequest, gen: Any, ctx: Context) -> list[dict]:
        """Closing chunks; the server adds ``amazon-bedrock-invocationMetrics`` to the last one."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<family {self.name}>"


def prompt_marker(body: dict, *needles: str) -> bool:
    """The body has a string ``prompt`` containing every one of ``needles``."""
    prompt = body.get("prompt")
    return isinstance(prompt, str) and all(n in prompt for n in needles)


class BlockMessagesShape(Family):
    """What Converse and Nova share: ``{"text"}`` block messages, Converse's response and stream events."""

    def check(self, body: dict, problems: list[str]) -> None:
        check_block_messages(body, problems)

    def extract(self, response: dict) -> Extracted:
        return extract_converse_like(response)

    def chunk_text(self, chunk: dict) -> str:
        delta = (chunk.get("contentBlockDelta") or {}).get("delta") or {}
        return delta.get("text") or ""

    def chunk_stop_reason(self, chunk: dict) -> str | None:
        return (chunk.get("messageStop") or {}).get("stopReason")

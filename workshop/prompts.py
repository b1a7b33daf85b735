"""Request templates per model family, body validation, and reading responses.

Every model family speaks its own JSON on InvokeModel; Converse speaks one shape for all.
This module knows those shapes so the console can say *what* is wrong with a body before
Bedrock answers with a terse ValidationException, and can pull text, token counts and the
stop reason out of any family's response or stream chunk.

Templates live in ``prompts/<family>.json`` (plus ``converse.json``), data files
a facilitator can edit without touching code; ``workshop/templates`` is a symlink to that folder,
so a wheel ships them as package data.
"""

from __future__ import annotations

import json
import math
import sys
from functools import cache
from pathlib import Path
from typing import Any

from workshop import families
from workshop.catalog import FAMILIES
from workshop.errors import InputError, TemplateError
from workshop.families.base import Extracted, blocks_text
from workshop.families.claude_messages import ANTHROPIC_VERSION

# The source tree's top-level prompts/ (workshop/templates is a symlink to it, so a wheel carries
# the templates as package data).
PROMPTS_DIR = Path(__file__).resolve().parent / "templates"
CONVERSE = families.CONVERSE
CONVERSE_APIS = families.CONVERSE_APIS
__all__ = ["ANTHROPIC_VERSION", "CONVERSE", "CONVERSE_APIS", "PROMPTS_DIR", "Extracted", "chunk_stop_reason",
           "chunk_text", "detect_family", "extract", "parse_body", "prompt_of", "template", "template_text",
           "to_converse", "validate_body"]


def _check_family(family: str) -> None:
    if family not in FAMILIES and family != CONVERSE:
        raise InputError(
            f"unknown model family {family!r}", field="family", fix="one of: " + ", ".join(FAMILIES)
        )


def _shape(family: str, api: str) -> str:
    """The body shape an API expects: the family's own, or Converse for both converse APIs."""
    return CONVERSE if api in CONVERSE_APIS else family


# --------------------------------------------------------------------------- templates


@cache
def _template_json(name: str) -> str:
    return (PROMPTS_DIR / f"{name}.json").read_text(encoding="utf-8")


def template(family: str, api: str = "invoke") -> dict:
    """A fresh copy of the template body for ``family`` (Converse's for the converse APIs)."""
    _check_family(family)
    return json.loads(_template_json(families.shape(family, api).template_file))


def template_text(family: str, api: str = "invoke") -> str:
    """The template as pretty JSON, ready for the editor."""
    return json.dumps(template(family, api), indent=2, ensure_ascii=False)


# --------------------------------------------------------------------------- validation

# Shapes that legitimately look like one another: a Nova body without its snake_case
# markers is a valid Converse body, and Nova 2 accepts the Converse spelling natively.
_COMPATIBLE = {("nova", CONVERSE), (CONVERSE, "nova")}


def _label(shape: str) -> str:
    return "Converse" if shape == CONVERSE else shape


def detect_family(body: Any) -> str | None:
    """The family (or ``"converse"``) a body's keys point to, or None if they are ambiguous.

    Only distinctive markers count, so a partly edited body is not misjudged: a plain
    OpenAI-style chat body could be Jamba or Mistral chat and gives None.
    """
    return families.detect(body)


def validate_body(body: Any, family: str, api: str = "invoke") -> list[str]:
    """Every problem with ``body`` for ``family`` on ``api`` (empty list: looks right).

    Used live by the editor, so it never raises for a bad body, only for an unknown family.
    """
    _check_family(family)
    if not isinstance(body, dict):
        return [f"the body must be a JSON object {{...}}, not {type(body).__name__}"]
    shape = _shape(family, api)
    problems: list[str] = []
    detected = detect_family(body)
    if detected in families.get(shape).also_speaks:
        shape = detected  # e.g. a Messages-API body for Claude 2: checked as the Messages API
    if detected and detected != shape and (detected, shape) not in _COMPATIBLE:
        if shape == CONVERSE:
            problems.append(
                f"this body looks like a {detected} InvokeModel request but the API is {api} — "
                f"load the Converse template (messages/system/inferenceConfig) or switch the API to invoke"
            )
        elif detected == CONVERSE:
            problems.append(
                f"this body looks like a Converse request but the API is {api} and the model is {family} — "
                f"switch the API to converse or load the template for {family}"
            )
        else:
            problems.append(
                f"this body looks like a {detected} request but the model is {family} — "
                f"load the template for {family}"
            )
        return problems  # per-key complaints about the wrong family would only be noise
    checker = families.get(shape)
    checker.validate(body, problems)
    known = checker.known_keys
    for key in body:
        if key not in known:
            problems.append(f"unknown key `{key}` for {_label(shape)} (expected: {', '.join(sorted(known))})")
    return problems


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def json_error_position(text: str, err: json.JSONDecodeError) -> tuple[int, int, str]:
    """Where a participant should look for ``err``: (line, column, message).

    ``json`` reports a missing comma where the *next* value starts, usually on the next
    line; the comma belongs right after the previous value, so point there. A trailing
    comma (``"a": 1,`` before ``}``) is reported at the brace; point at the comma.
    """
    before = text[: err.pos].rstrip()
    if err.msg == "Expecting ',' delimiter" and before:
        line, column = _line_col(text, len(before))
        return line, column, "a ',' is missing after this value"
    if err.msg.startswith(("Expecting property name", "Expecting value")) and before.endswith(","):
        after = text[err.pos: err.pos + 1]
        if after in ("}", "]"):
            line, column = _line_col(text, len(before) - 1)
            return line, column, f"a trailing ',' before '{after}' (remove it)"
    return err.lineno, err.colno, err.msg


def _too_deep(text: str, limit: int) -> int | None:
    """The position where ``text`` nests objects/arrays deeper than ``limit``, or None.

    A linear scan (strings and escapes skipped) run before ``json.loads``, whose recursion
    would otherwise end in RecursionError on a body nested a thousand levels deep.
    """
    depth = 0
    in_string = escaped = False
    for pos, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return pos
        elif ch in "]}":
            depth -= 1
    return None


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"the number {text[:20]} is too large for JSON (it would be Infinity)")
    return value


def _no_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not JSON (use a number or null)")


class _NotJson(ValueError):
    """A value Python's parser would take but JSON (and Bedrock) does not."""


def load_json(text: str, *, field: str = "body") -> Any:
    """``json.loads`` within the workshop's limits: TemplateError (naming the line and column,
    or the limit) for text that is not JSON, nested deeper than MAX_JSON_DEPTH, larger than
    MAX_BODY_BYTES, holding NaN/Infinity, an integer too long to convert, or a lone surrogate."""
    from workshop.families.base import lone_surrogate_path
    from workshop.limits import MAX_BODY_BYTES, MAX_JSON_DEPTH

    if len(text) > MAX_BODY_BYTES:
        raise TemplateError(f"the body is {len(text):,} characters, over the limit of {MAX_BODY_BYTES:,} "
                            "(MAX_BODY_BYTES, docs/limits.md)", field=field, fix="send a smaller body")
    deep = _too_deep(text, MAX_JSON_DEPTH)
    if deep is not None:
        line, column = _line_col(text, deep)
        raise TemplateError(f"line {line}, column {column}: the body nests objects and arrays deeper than "
                            f"{MAX_JSON_DEPTH} levels (MAX_JSON_DEPTH, docs/limits.md)", line=line, column=column,
                            field=field, fix="flatten the body; Bedrock's request bodies need a few levels")
    try:
        value = json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except json.JSONDecodeError:
        raise
    except _NotJson as err:
        raise TemplateError(str(err), field=field, fix="write a finite number") from None
    except ValueError:  # Python's int conversion limit: "Exceeds the limit (4300 digits) ..."
        raise TemplateError(f"an integer in the body has more than {sys.get_int_max_str_digits():,} digits",
                            field=field, fix=f"counts are at most {2**31 - 1:,}") from None
    where = lone_surrogate_path(value)
    if where is not None:
        raise TemplateError(f"the string at {where} holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape "
                            "without its pair): it is not Unicode text", field=field,
                            fix="remove the escape, or write the character itself")
    return value


def parse_body(text: str, family: str, api: str = "invoke") -> dict:
    """Parse and validate the editor's text; raise TemplateError saying what and where.

    JSON errors carry line and column ("line 3, column 18: Expecting ',' delimiter");
    family errors name the key (``max_tokens`` missing for Claude Messages) or the family
    the body belongs to instead. The limits of ``load_json`` apply.
    """
    _check_family(family)
    try:
        body = load_json(text)
    except json.JSONDecodeError as err:
        line, column, message = json_error_position(text, err)
        raise TemplateError(
            f"line {line}, column {column}: {message}",
            line=line,
            column=column,
            field="body",
            fix="fix the JSON there (or reload the template)",
        ) from None
    problems = validate_body(body, family, api)
    if problems:
        error = TemplateError(
            "; ".join(problems),
            field="body",
            fix=f"compare with the {_label(_shape(family, api))} template",
        )
        error.problems = problems  # type: ignore[attr-defined]  # the editor lists them one by one
        raise error
    return body


# --------------------------------------------------------------------------- responses


def extract(family: str, response: dict) -> Extracted:
    """Text, token usage and stop reason from a non-streaming response of ``family``.

    ``family`` may also be ``"converse"`` for a Converse response. Token counts a body does
    not carry (Claude v2, Mistral) are None: InvokeModel's headers have them.
    """
    _check_family(family)
    found = families.get(family).extract(response if isinstance(response, dict) else {})
    # A response is the service's data, not ours: whatever it holds, the reading is typed.
    return Extracted(found.text if isinstance(found.text, str) else "",
                     found.input_tokens if isinstance(found.input_tokens, int) else None,
                     found.output_tokens if isinstance(found.output_tokens, int) else None,
                     found.stop_reason if isinstance(found.stop_reason, str) else None)


def chunk_text(family: str, chunk: dict) -> str:
    """The text delta in one InvokeModelWithResponseStream chunk (already JSON-decoded)."""
    if not isinstance(chunk, dict):
        return ""
    text = _family_or_chat(family).chunk_text(chunk)
    return text if isinstance(text, str) else ""


def chunk_stop_reason(family: str, chunk: dict) -> str | None:
    """The stop reason if this stream chunk carries one (usually the last content chunk)."""
    if not isinstance(chunk, dict):
        return None
    stop = _family_or_chat(family).chunk_stop_reason(chunk)
    return stop if isinstance(stop, str) else None


def _family_or_chat(family: str) -> families.Family:
    # An unknown family reads chunks as OpenAI-style chat deltas, the commonest shape.
    try:
        return families.get(family)
    except KeyError:
        return families.get("jamba")


# --------------------------------------------------------------------------- to Converse


def to_converse(body: dict, family: str) -> dict:
    """The same prompt as a Converse request (messages / system / inferenceConfig).

    Settings Converse has no slot for (``top_k`` ...) go to ``additionalModelRequestFields``
    in the family's own spelling, as Bedrock expects.
    """
    _check_family(family)
    return families.get(family).to_converse(body if isinstance(body, dict) else {})


def prompt_of(body: dict, family: str) -> str:
    """The last user message's text: what the participant asked, for lists and logs."""
    converse = to_converse(body, family)
    for m in reversed(converse.get("messages") or []):
        if isinstance(m, dict) and m.get("role") == "user":
            return blocks_text(m.get("content"))
    return ""

"""Deterministic model output and a token counter the whole sandbox agrees on.

No model runs in the sandbox, and its answers say so. A prompt the workshop itself asks
(its templates' "square root of 16", other roots and small sums, the access-path topics
the console teaches) gets a short, correct, hand-written answer; anything else gets a
clearly labelled placeholder of the modelled length (40-140 tokens, seeded by a hash of
model id and prompt), so timings and token counts behave as a model's would without
pretending to be one. The same prompt to the same model always yields the same text, so
tests can assert it and a stop sequence taken from one answer truncates the next.

Tokens are words and punctuation marks with their leading whitespace: crude, but the counts
in bodies, headers, stream metrics and CountTokens all come from this one function, so they
agree with each other, which is what the workshop checks.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])|\s+$")

PLACEHOLDER_PREFIX = "[Sandbox placeholder"
"""How every placeholder answer starts (the console and tests recognise it by this)."""

def tokenize(text: str) -> list[str]:
    """Split ``text`` into tokens whose concatenation is ``text`` again."""
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    """The sandbox's token count for ``text`` (input and output alike)."""
    return len(_TOKEN.findall(text))


@dataclass(frozen=True)
class Generation:
    """One model answer: its text, tokens, and why it stopped.

    ``stop`` is ``"end"`` (natural end), ``"length"`` (max tokens reached) or ``"stop"``
    (a stop sequence matched; ``stop_sequence`` says which).
    """

    text: str
    tokens: tuple[str, ...]
    stop: str
    stop_sequence: str | None = None

    @property
    def output_tokens(self) -> int:
        return len(self.tokens)


# --------------------------------------------------------------------------- known prompts

_NUMBER = r"(-?\d+(?:\.\d+)?)"
_MARKUP = re.compile(r"<\|start_header_id\|>\w+<\|end_header_id\|>|<\|[^|]*\|>|\[/?INST\]|</?s>"
                     r"|\b(?:Human|Assistant|User|Bot):")


def _number(text: str) -> str:
    value = float(text)
    return str(int(value)) if value == int(value) else f"{value:g}"


def _square_root(match: re.Match[str]) -> str:
    n = float(match.group(1))
    if n < 0:
        return (f"{_number(match.group(1))} has no real square root: no real number multiplied by itself "
                "gives a negative result. Its square roots are imaginary numbers.")
    root = math.sqrt(n)
    shown = _number(str(root)) if root == int(root) else f"{root:.4f}"
    steps = [
        f"The square root of {_number(match.group(1))} is {shown}.",
        "",
        "Step by step:",
        f"1. We need a number that, multiplied by itself, gives {_number(match.group(1))}.",
    ]
    if root == int(root):
        steps += [f"2. Try {shown}: {shown} × {shown} = {_number(match.group(1))}. That works.",
                  f"3. (−{shown}) × (−{shown}) = {_number(match.group(1))} as well, but \"the\" square root "
                  "means the principal, non-negative one."]
    else:
        below, above = math.floor(root), math.ceil(root)
        steps += [f"2. It lies between {below} ({below * below}) and {above} ({above * above}).",
                  f"3. Narrowing it down gives about {shown}."]
    steps += ["", f"So √{_number(match.group(1))} = {shown}."]
    return "\n".join(steps)


def _cube_root(match: re.Match[str]) -> str:
    n = float(match.group(1))
    root = math.copysign(abs(n) ** (1 / 3), n)
    rounded = round(root)
    shown = str(rounded) if abs(rounded ** 3 - n) < 1e-9 else f"{root:.4f}"
    return (f"The cube root of {_number(match.group(1))} is {shown}.\n\n"
            f"Step by step: we need a number that, used three times as a factor, gives {_number(match.group(1))}; "
            f"{shown} × {shown} × {shown} = {_number(match.group(1))}.")


def _sum(match: re.Match[str]) -> str:
    a, op, b = float(match.group(1)), match.group(2), float(match.group(3))
    result = {"+": a + b, "-": a - b, "*": a * b, "x": a * b, "×": a * b}[op]
    return f"{_number(match.group(1))} {op} {_number(match.group(3))} = {_number(str(result))}."


_TOPICS: dict[str, str] = {
    "privatelink": (
        "AWS PrivateLink lets you reach Amazon Bedrock through an interface VPC endpoint: the traffic "
        "stays on private IP addresses inside your VPC instead of leaving through a NAT gateway to the "
        "public endpoint. An endpoint policy can limit which principals and models may use it."),
    "nat gateway": (
        "A NAT gateway lets instances in a private subnet open connections to the internet, for example to "
        "the public Bedrock endpoint, while nothing on the internet can open a connection to them. "
        "Traffic crosses the public AWS edge, and the gateway bills per hour and per gigabyte."),
    "vpc endpoint": (
        "An interface VPC endpoint puts network interfaces for a service such as bedrock-runtime into your "
        "subnets. With private DNS on, the usual service name resolves to those private addresses, so "
        "SDK clients need no change; without it, clients call the endpoint's own DNS name."),
    "cross-account": (
        "Cross-account access lets a central AI account serve others: a role in the other account calls "
        "sts:AssumeRole into the central account's role (usually with an ExternalId), and the temporary "
        "credentials it gets back call Bedrock there."),
}

_KNOWN: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(rf"square\s+root\s+of\s+{_NUMBER}", re.I), _square_root),
    (re.compile(rf"√\s*{_NUMBER}"), _square_root),
    (re.compile(rf"cube\s+root\s+of\s+{_NUMBER}", re.I), _cube_root),
    (re.compile(rf"\bwhat\s+is\s+{_NUMBER}\s*([-+*x×])\s*{_NUMBER}\s*\??\s*$", re.I), _sum),
)


def question_of(prompt: str) -> str:
    """The user's own question inside a family's prompt: the last paragraph, markup removed."""
    text = _MARKUP.sub("\n", prompt)
    parts = [p.strip() for p in re.split(r"\n\s*\n|\n", text) if p.strip()]
    return parts[-1] if parts else ""


def known_answer(prompt: str) -> str | None:
    """A correct, hand-written answer when the question is one the sandbox knows, else None."""
    question = question_of(prompt)
    for pattern, answer in _KNOWN:
        match = pattern.search(question)
        if match:
            return answer(match)
    lowered = question.lower()
    for topic, answer in _TOPICS.items():
        if topic in lowered:
            return answer
    return None


def placeholder(prompt: str, model_id: str, target_tokens: int) -> str:
    """A labelled stand-in for an answer of about ``target_tokens`` tokens: no model ran."""
    question = question_of(prompt)
    if len(question) > 80:
        question = question[:77].rstrip() + "..."
    head = (f"{PLACEHOLDER_PREFIX} for {model_id}: no model runs in the sandbox, so there is no real answer "
            f"to \u201c{question or 'this prompt'}\u201d. This text only fills the modelled answer length, so "
            "timings and token counts behave as a model's would.]")
    words = [head]
    n = 1
    while count_tokens(" ".join(words)) < target_tokens:
        words.append(f"Placeholder sentence {n}.")
        n += 1
    return " ".join(words)


@lru_cache(maxsize=2048)  # the same prompt is sent many times in a comparison run
def _full_answer(prompt: str, model_id: str) -> str:
    known = known_answer(prompt)
    if known is not None:
        return known
    seed = int.from_bytes(hashlib.sha256(f"{model_id}\n{prompt}".encode()).digest()[:8], "big")
    return placeholder(prompt, model_id, random.Random(seed).randint(40, 140))


def generate(prompt: str, model_id: str, max_tokens: int, stop_sequences: list[str] | tuple[str, ...] = ()) -> Generation:
    """The deterministic answer of ``model_id`` to ``prompt``, cut by stop sequences and max tokens."""
    full = _full_answer(prompt, model_id)
    text, stop, matched = full, "end", None
    cut_at = None
    for seq in stop_sequences:
        if seq:
            found = full.find(seq)
            if found != -1 and (cut_at is None or found < cut_at):
                cut_at, matched = found, seq
    if cut_at is not None:
        text, stop = full[:cut_at], "stop"
    tokens = tokenize(text)
    if len(tokens) > max_tokens:
        tokens, stop, matched = tokens[: max(max_tokens, 0)], "length", None
        text = "".join(tokens)
    return Generation(text=text, tokens=tuple(tokens), stop=stop, stop_sequence=matched)

"""Deterministic, readable model output and a token counter the whole sandbox agrees on.

The same prompt to the same model always yields the same answer (seeded by a hash of both),
so tests can assert exact text and a stop sequence taken from one answer truncates the next.
Tokens are words and punctuation marks with their leading whitespace: crude, but the counts
in bodies, headers, stream metrics and CountTokens all come from this one function, so they
agree with each other, which is what the workshop checks.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from functools import lru_cache

_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])|\s+$")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]{3,}")

_STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        """about above after again against also because been before being below between both
    could does doing down during each from further have having here hers herself himself
    into itself just more most myself only other ought ours ourselves over same should some
    such than that their theirs them themselves then there these they this those through
    under until very were what when where which while whom with would your yours yourself
    please tell explain describe write give make human assistant answer question short
    sentence sentences words using like know want need provide step steps explanation
    detail detailed brief briefly list summarise summarize""",
    )
)

_OPENERS = (
    "Here is a short answer about {a}.",
    "In short, {a} comes down to {b}.",
    "Good question: {a} is mostly about {b}.",
    "The key point about {a} is how it relates to {b}.",
)
_SENTENCES = (
    "{A} depends on {n1}, and {n2} makes the difference visible.",
    "When {n1} is involved, {a} usually {v} {n2}.",
    "A practical way to see it: {n1} {v} {n2}, so measure both.",
    "{A} works best when {n1} stays close to {n2}.",
    "Most teams start with {n1} and then look at {n2}.",
    "It helps to compare {a} with {b} under the same conditions.",
    "{N1} {v} {n2}, which is why {a} matters here.",
    "In a workshop setting, {n1} is the easiest thing to change.",
    "The numbers change with {n1}, but the shape of {a} does not.",
)
_CLOSERS = (
    "That is the essence of {a}.",
    "In summary, keep {n1} and {b} in view.",
    "So the answer is: it depends on {n1}, and now you know why.",
)
_NOUNS = (
    "the network path", "the endpoint", "a private subnet", "the model", "latency",
    "each request", "the response", "throughput", "the access policy", "the region",
    "time to first token", "the credentials", "the token budget", "a retry", "the prompt",
)
_VERBS = ("shapes", "adds a little to", "depends on", "travels with", "is measured against", "competes with")


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


def _topics(prompt: str) -> list[str]:
    """Topic phrases of the prompt, last (the user's own question) last.

    Runs of content words make one phrase ("square root", not "square" and "root"); a
    stopword, a short word or punctuation ends a phrase.
    """
    seen: list[str] = []
    phrase: list[str] = []

    def flush() -> None:
        if phrase:
            topic = " ".join(phrase[-3:])
            if topic not in seen:
                seen.append(topic)
            phrase.clear()

    for token in re.findall(r"[A-Za-z][A-Za-z0-9-]*|[^\sA-Za-z]", prompt):
        lower = token.lower()
        if _WORD.fullmatch(token) and lower not in _STOPWORDS:
            phrase.append(lower)
        else:
            flush()
    flush()
    return seen[-6:] or ["your question"]


@lru_cache(maxsize=2048)  # the same prompt is sent many times in a comparison run
def _full_answer(prompt: str, model_id: str) -> str:
    seed = int.from_bytes(hashlib.sha256(f"{model_id}\n{prompt}".encode()).digest()[:8], "big")
    rng = random.Random(seed)
    topics = _topics(prompt)
    a = topics[-1]  # what the user asked about last, not what the system prompt set up
    b = rng.choice([t for t in topics if t != a] or list(_NOUNS))
    target = rng.randint(40, 140)

    def fill(template: str) -> str:
        n1, n2 = rng.sample(_NOUNS, 2)
        s = template.format(a=a, b=b, n1=n1, n2=n2, v=rng.choice(_VERBS), A=a[:1].upper() + a[1:],
                            N1=n1[:1].upper() + n1[1:])
        return s

    sentences = [fill(rng.choice(_OPENERS))]
    while count_tokens(" ".join(sentences)) < target:
        sentences.append(fill(rng.choice(_SENTENCES)))
    sentences.append(fill(rng.choice(_CLOSERS)))
    return " ".join(sentences)


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

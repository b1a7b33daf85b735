"""A comparison's short answer: the output-token limit of any family's request body.

What an access path costs does not grow with how long the model talks: the path adds its
network, TLS and signing once per call, while the model's time grows with every token. A
comparison therefore defaults to a short answer (``COMPARE_MAX_TOKENS``): each call takes a
fraction of the time, so a minute holds several times more samples, and the overhead it
measures is the same — bench/answer_size.py measures that (bytes on the wire do grow with the
answer, and the cost estimate counts them from the run). The page says so next to the
setting, and a participant can turn it off to compare their own body as it is.
"""

from __future__ import annotations

import copy
from typing import Any

COMPARE_MAX_TOKENS = 16
"""The output-token limit a comparison applies by default (the Compare page and ``compare``)."""

# Where each request shape keeps its output-token limit.
LIMIT_KEYS: dict[str, tuple[str, ...]] = {
    "claude-messages": ("max_tokens",),
    "claude-text": ("max_tokens_to_sample",),
    "titan-text": ("textGenerationConfig", "maxTokenCount"),
    "nova": ("inferenceConfig", "max_new_tokens"),
    "llama": ("max_gen_len",),
    "mistral": ("max_tokens",),
    "cohere-command-r": ("max_tokens",),
    "jamba": ("max_tokens",),
    "converse": ("inferenceConfig", "maxTokens"),
}


def limit_key(family: str, api: str, body: Any = None) -> tuple[str, ...]:
    """The key path of the output-token limit for ``family`` on ``api`` (for ``body``: Claude 2
    also takes Messages-API bodies, whose limit is ``max_tokens``)."""
    if family == "claude-text" and isinstance(body, dict) and "messages" in body and "prompt" not in body:
        family = "claude-messages"
    return LIMIT_KEYS["converse" if api.startswith("converse") else family]


def with_max_tokens(body: dict[str, Any], family: str, api: str, max_tokens: int) -> dict[str, Any]:
    """A copy of ``body`` whose output-token limit is ``max_tokens`` (lowered, never raised:
    a body that already asks for fewer keeps its own limit)."""
    out = copy.deepcopy(body)
    *parents, leaf = limit_key(family, api, body)
    node = out
    for key in parents:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    if family == "nova" and not api.startswith("converse") and "maxTokens" in node and leaf not in node:
        leaf = "maxTokens"  # Nova accepts either spelling; keep the one the body uses
    current = node.get(leaf)
    if not (isinstance(current, int) and not isinstance(current, bool) and 0 < current <= max_tokens):
        node[leaf] = max_tokens
    return out


def max_tokens_of(body: dict[str, Any], family: str, api: str) -> int | None:
    """The body's output-token limit, when it sets one."""
    node: Any = body
    for key in limit_key(family, api, body):
        if not isinstance(node, dict) or key not in node:
            if family == "nova" and isinstance(node, dict) and "maxTokens" in node:
                return node["maxTokens"] if isinstance(node["maxTokens"], int) else None
            return None
        node = node[key]
    return node if isinstance(node, int) and not isinstance(node, bool) else None

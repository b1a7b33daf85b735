"""Hypothesis strategies: JSON values with the awkward cases the probes found, and request
bodies for every family and API made by mutating the real templates (so most examples are
near-valid and reach deep into the validators, not only their first type check)."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import strategies as st

from workshop import families
from workshop.prompts import PROMPTS_DIR

LONE_SURROGATES = st.sampled_from(["\ud800", "a\udfffb", "\udc00 tail", "x\ud83d"])
AWKWARD_INTS = st.sampled_from([0, -1, 1, 2**31, 2**63, -(2**63), 10**30, 10**4000])
AWKWARD_FLOATS = st.sampled_from([0.0, -0.0, 0.5, 1e308, -1e-308, 1.0000001])

leaves = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), AWKWARD_INTS,
    st.floats(allow_nan=False, allow_infinity=False), AWKWARD_FLOATS,
    st.text(max_size=30), LONE_SURROGATES,
    st.sampled_from(["user", "assistant", "system", "USER", "CHATBOT", "text", "", "messages-v1",
                     "bedrock-2023-05-31", "\n\nHuman: hi\n\nAssistant:", "<s>[INST] hi [/INST]"]),
)
json_values = st.recursive(
    leaves,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.one_of(st.text(max_size=12), st.sampled_from(
                                   ["text", "role", "content", "type", "maxTokens", "max_tokens"])),
                                   children, max_size=4)),
    max_leaves=12,
)

SHAPES: tuple[str, ...] = (*families.names(), families.CONVERSE)


def template(shape: str) -> dict:
    """The template body of a family (or Converse)."""
    name = families.get(shape).template_file
    return json.loads((PROMPTS_DIR / f"{name}.json").read_text(encoding="utf-8"))


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found.extend(_paths(child, (*prefix, i)))
    return found


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """``base`` with 1-3 mutations: a value replaced, a key dropped, a key added, a list emptied."""
    body = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(body)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "drop", "add", "wrap"]))
        if not path:
            if action == "replace":
                body = draw(json_values)
            continue
        parent = body
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        if action == "replace":
            parent[last] = draw(json_values)
        elif action == "drop":
            del parent[last]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(json_values)
        elif action == "wrap":
            parent[last] = [parent[last]]
    return body


def bodies(shape: str) -> st.SearchStrategy[Any]:
    """Bodies for ``shape``: mostly mutated templates, sometimes any JSON value at all."""
    return st.one_of(mutated(template(shape)), mutated(template(shape)), json_values)


any_shape_body = st.sampled_from(SHAPES).flatmap(lambda s: st.tuples(st.just(s), bodies(s)))


_GOOD = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
                    "messages": [{"role": "user", "content": "hi"}]})
AWKWARD_TEXTS = st.one_of(
    st.sampled_from([
        b"", b"null", b"[]", b"{", b"\xff\xfe", b"\xed\xa0\x80", b'{"a": NaN}', b'{"a": Infinity}', b"1e999",
        ("[" * 3000 + "]" * 3000).encode(), ('{"a":' * 3000 + "1" + "}" * 3000).encode(),
        _GOOD.replace('"hi"', '"\\ud800"').encode(), _GOOD.replace("10", "9" * 5000).encode(),
        _GOOD.replace("10", "1" + "0" * 40).encode(), _GOOD.replace("10", "-1").encode(),
        _GOOD.replace("10", "1.5").encode(), _GOOD.encode("utf-16"),
    ]),
    st.binary(max_size=200),
)
"""Request bodies as bytes that JSON or Bedrock cannot take: bad UTF-8, deep nesting, NaN,
huge integers, lone surrogates, another encoding, random bytes."""

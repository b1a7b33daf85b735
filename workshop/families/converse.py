"""Converse: the one request shape every model accepts on the Converse APIs.

Not a model family (no model "speaks" only Converse), but a shape the editor checks and
detects like one, so it lives here beside them. The sandbox serves Converse itself.
"""

from __future__ import annotations

from workshop.families.base import (
    POSITIVE,
    STRINGS,
    UNIT,
    BlockMessagesShape,
    Nested,
    Rule,
    block_messages,
    nonempty_list,
    positive_int,
    str_list,
    unit_interval,
)

NAME = "converse"
CONFIG_KEYS = frozenset({"maxTokens", "temperature", "topP", "stopSequences"})


class Converse(BlockMessagesShape):
    name = NAME
    label = "Converse (every model)"
    order = 75
    rules = (Rule("messages", 'a non-empty list of {"role", "content": [{"text": ...}]}', nonempty_list, required=True),)
    nested = (Nested("inferenceConfig", (
        Rule("maxTokens", POSITIVE, positive_int),
        Rule("temperature", UNIT, unit_interval),
        Rule("topP", UNIT, unit_interval),
        Rule("stopSequences", STRINGS, str_list),
    ), CONFIG_KEYS, hint="model-specific settings go in additionalModelRequestFields"),)
    known_keys = frozenset({"messages", "system", "inferenceConfig", "additionalModelRequestFields", "toolConfig",
                            "guardrailConfig", "promptVariables", "additionalModelResponseFieldPaths",
                            "requestMetadata", "performanceConfig"})

    @property
    def rule_label(self) -> str:
        return "Converse"

    def detect(self, body: dict) -> bool:
        return "inferenceConfig" in body or "additionalModelRequestFields" in body or block_messages(body)

    def to_converse(self, body: dict) -> dict:
        return dict(body)


SHAPE = Converse()

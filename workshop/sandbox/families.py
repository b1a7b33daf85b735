"""The sandbox's view of the model families: the same objects as ``workshop.families``.

Each family's request parser (Bedrock's own validation messages), response body and
stream chunks live in its one module in ``workshop/families/``, beside what the client
side knows of it; this module only names them the way the server looks them up.
Converse is family-agnostic and lives in the server.
"""

from __future__ import annotations

from workshop.families import all_families
from workshop.families.base import MAX_INT, Context, Family, ParsedRequest, check_object, lone_surrogate_path

__all__ = ["DEFAULT_MAX_TOKENS", "FAMILIES", "MAX_INT", "Context", "Family", "ParsedRequest", "check_object",
           "lone_surrogate_path"]

FAMILIES: dict[str, Family] = all_families()
"""Family name (as in ``workshop.catalog``) -> its family (parse, response, stream chunks)."""

DEFAULT_MAX_TOKENS: dict[str, int] = {name: family.default_max_tokens for name, family in FAMILIES.items()}
"""What Converse uses when ``inferenceConfig.maxTokens`` is absent."""

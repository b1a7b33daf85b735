"""One home per model family: every module here that defines ``FAMILY`` is one family.

Adding a family is adding one file: ``workshop/families/<name>.py`` with a
:class:`~workshop.families.base.Family` subclass and ``FAMILY = TheClass()``, plus its
template ``prompts/<name>.json``. The registry below finds it (no list to edit); the
editor's checks, the response and stream readers, the Converse mapping, the catalog's
model-id matching and the sandbox's request parser and response builders all come from it.
(The sandbox only *offers* a model when its own catalog lists one of that family, and
models it with the latency profile of that family when ``latency.json`` has one.)

``converse.py`` holds Converse's shape (``SHAPE``): not a family, but checked like one.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from workshop.families.base import Context, Extracted, Family, ParsedRequest
from workshop.families.converse import NAME as CONVERSE
from workshop.families.converse import SHAPE as CONVERSE_SHAPE

__all__ = ["CONVERSE", "CONVERSE_SHAPE", "Context", "Extracted", "Family", "ParsedRequest", "all_families",
           "detect", "get", "names", "shape"]

CONVERSE_APIS = ("converse", "converse-stream")


@cache
def _registry() -> dict[str, Family]:
    found: list[Family] = []
    for module in pkgutil.iter_modules(__path__):
        if module.name in ("base", "converse"):
            continue
        family = getattr(importlib.import_module(f"{__name__}.{module.name}"), "FAMILY", None)
        if isinstance(family, Family):
            found.append(family)
    return {f.name: f for f in sorted(found, key=lambda f: (f.order, f.name))}


def all_families() -> dict[str, Family]:
    """Family name -> family, in walk-through order (Claude first, Jamba last)."""
    return dict(_registry())


def names() -> tuple[str, ...]:
    """Every family's name, in order."""
    return tuple(_registry())


def get(name: str) -> Family:
    """The family (or Converse's shape for ``"converse"``); KeyError for anything else."""
    if name == CONVERSE:
        return CONVERSE_SHAPE
    return _registry()[name]


def shape(family: str, api: str) -> Family:
    """The body shape ``api`` expects: the family's own, or Converse's on both converse APIs."""
    return CONVERSE_SHAPE if api in CONVERSE_APIS else get(family)


def detect(body: object) -> str | None:
    """The family (or ``"converse"``) a body's keys point to, or None if they are ambiguous.

    Strong markers are tried in order first (Converse after Nova: a Nova body without its
    snake_case markers is a valid Converse body), then the weaker hints. A plain chat body
    could be Jamba or Mistral chat and gives None.
    """
    if not isinstance(body, dict):
        return None
    ordered = sorted([*_registry().values(), CONVERSE_SHAPE], key=lambda f: f.order)
    for family in ordered:
        if family.detect(body):
            return family.name
    for family in ordered:
        if family.detect_weak(body):
            return family.name
    return None


def for_model(base_model_id: str) -> Family | None:
    """The family a foundation-model id (no profile prefix) speaks, or None."""
    for family in _registry().values():
        if family.matches(base_model_id):
            return family
    return None

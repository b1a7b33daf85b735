"""docs/limits.md cannot drift: every row's number is the constant it names, and every
constant of workshop.limits and every SandboxLimits field has a row."""

from __future__ import annotations

import dataclasses
import importlib
import re
from pathlib import Path

from workshop import limits
from workshop.sandbox.framing import DEFAULT_LIMITS, SandboxLimits

DOC = Path(__file__).resolve().parents[2] / "docs" / "limits.md"
ROW = re.compile(r"^\| (?P<name>[^|]+) \| (?P<value>[^|]+) \| `(?P<const>[^`]+)` \|", re.M)


def rows() -> dict[str, str]:
    return {m["const"]: m["value"] for m in ROW.finditer(DOC.read_text(encoding="utf-8"))}


def resolve(const: str) -> float:
    module, _, name = const.partition(":")
    owner, _, field = name.partition(".")
    value = getattr(importlib.import_module(module), owner)
    if field:
        value = getattr(DEFAULT_LIMITS, field) if value is SandboxLimits else getattr(value, field)
    return float(value)


def test_every_number_on_the_page_is_the_codes() -> None:
    found = rows()
    assert len(found) >= 15
    for const, shown in found.items():
        number = float(re.match(r"[\d,.]+", shown.strip()).group(0).replace(",", ""))
        assert number == resolve(const), f"{const}: page says {shown.strip()}, code says {resolve(const):g}"


def test_every_limit_constant_has_a_row() -> None:
    documented = set(rows())
    constants = {f"workshop.limits:{n}" for n in dir(limits) if n.isupper()}
    fields = {f"workshop.sandbox.framing:SandboxLimits.{f.name}" for f in dataclasses.fields(SandboxLimits)}
    assert constants | fields <= documented

"""The sandbox's model catalog (``catalog.json``) and model-identifier resolution.

A runtime call may name a model by its id, its foundation-model ARN, an inference profile id
(``us.``/``eu.``/``apac.``/``global.`` + model id) or a profile ARN. Resolution answers with
the same errors Bedrock gives: an unparseable id is a ValidationException, a well-formed but
unknown one a ResourceNotFoundException, a profile-only model called on demand the
"use an inference profile" ValidationException.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from workshop.sandbox.awserrors import ServiceError

CATALOG_FILE = Path(__file__).with_name("catalog.json")

_MODEL_ID = re.compile(r"^[a-z0-9-]{1,63}\.[A-Za-z0-9._:-]{1,128}$")
_FM_ARN = re.compile(r"^arn:aws(?:-[a-z-]+)?:bedrock:([a-z0-9-]+)::foundation-model/(.+)$")
_PROFILE_ARN = re.compile(r"^arn:aws(?:-[a-z-]+)?:bedrock:([a-z0-9-]+):(\d{12}):inference-profile/(.+)$")
GEO_PREFIXES = ("us", "eu", "apac", "global")

INVALID_ID = "The provided model identifier is invalid."


@dataclass(frozen=True)
class CatalogModel:
    """One foundation model the sandbox serves."""

    model_id: str
    family: str
    provider: str
    name: str
    profile_only: bool
    enabled: bool
    streaming: bool
    profiles: tuple[str, ...]


@dataclass(frozen=True)
class Resolved:
    """A runtime model identifier resolved to a catalog model (and the profile used, if any)."""

    model: CatalogModel
    profile_id: str | None = None


@lru_cache(maxsize=1)
def load_catalog() -> dict[str, Any]:
    """The raw catalog data file, parsed once."""
    return json.loads(CATALOG_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def catalog_models() -> dict[str, CatalogModel]:
    """Model id -> catalog entry, in catalog order."""
    return {
        m["modelId"]: CatalogModel(
            model_id=m["modelId"], family=m["family"], provider=m["provider"], name=m["name"],
            profile_only=bool(m.get("profileOnly")), enabled=bool(m.get("enabled", True)),
            streaming=bool(m.get("streaming", True)), profiles=tuple(m.get("profiles", ())),
        )
        for m in load_catalog()["models"]
    }


def geography(region: str) -> str:
    """Inference-profile geography of a region (``us-east-1`` -> ``us``)."""
    if region.startswith("eu-"):
        return "eu"
    if region.startswith("ap-"):
        return "apac"
    return "us"


def profiles_for_region(region: str) -> list[tuple[str, CatalogModel]]:
    """(profile id, model) pairs visible from ``region``: its geography's and the global ones."""
    geo = geography(region)
    found = []
    for model in catalog_models().values():
        for prefix in model.profiles:
            if prefix in (geo, "global"):
                found.append((f"{prefix}.{model.model_id}", model))
    return found


def resolve(identifier: str, region: str) -> Resolved:
    """Resolve a (percent-decoded) runtime model identifier, raising Bedrock's error if it cannot."""
    models = catalog_models()
    ident = identifier.strip()
    fm = _FM_ARN.match(ident)
    if fm:
        ident = fm.group(2)
        if ident not in models:
            raise ServiceError("ResourceNotFoundException", "Could not resolve the foundation model from the provided model identifier.")
    profile_arn = _PROFILE_ARN.match(ident)
    if profile_arn:
        ident = profile_arn.group(3)
    prefix, _, rest = ident.partition(".")
    if prefix in GEO_PREFIXES and rest:
        model = models.get(rest)
        if model is None or prefix not in model.profiles or prefix not in (geography(region), "global"):
            # No such profile in this region's geography: Bedrock calls the identifier invalid.
            raise ServiceError("ValidationException", INVALID_ID)
        return Resolved(model, ident)
    if profile_arn:
        raise ServiceError("ResourceNotFoundException", f"Inference profile {ident} not found.")
    if not _MODEL_ID.match(ident):
        raise ServiceError("ValidationException", INVALID_ID)
    model = models.get(ident)
    if model is None:
        raise ServiceError("ResourceNotFoundException", "Could not resolve the foundation model from the provided model identifier.")
    return Resolved(model)


def on_demand_message(model_id: str) -> str:
    """Bedrock's exact wording when a profile-only model is called by its bare id."""
    return (
        f"Invocation of model ID {model_id} with on-demand throughput isn't supported. Retry your request "
        "with the ID or ARN of an inference profile that contains this model."
    )

"""Models: ids, families, inference profiles, and the catalog a path can see.

A model id tells us which request family (and so which template) a model speaks:
``anthropic.claude-3-haiku-20240307-v1:0`` is Claude Messages, ``amazon.titan-text-lite-v1``
is Titan text. Ids come in three forms and all of them are accepted everywhere:

* a foundation-model id: ``provider.name-version[:n]``
* an inference-profile id: a geography prefix (``us.``, ``eu.``, ``apac.``, ``global.`` ...)
  in front of a foundation-model id
* an ARN: ``.../foundation-model/<id>``, ``.../inference-profile/<profile id>`` or
  ``.../application-inference-profile/<opaque id>`` (the last one says nothing about the
  model behind it, so only the live catalog can tell its family)

:func:`list_models` merges the config's ``[models]`` list with what the path's control
plane lists live, so a participant sees which models need an inference profile before
the first "on-demand throughput isn't supported" error teaches it the hard way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from workshop import families
from workshop.errors import InputError, WorkshopError

FAMILIES: tuple[str, ...] = families.names()
"""Request/response families (one module each in ``workshop/families/``); each has a template ``prompts/<family>.json``."""

FAMILY_LABELS: dict[str, str] = {name: family.label for name, family in families.all_families().items()}

PROFILE_PREFIXES: tuple[str, ...] = ("us-gov", "us", "eu", "apac", "jp", "au", "ca", "global")
"""Inference-profile geography prefixes (``us-gov`` first: it also starts with ``us``)."""

# provider.name[-version][:n[:variant]] — the variant (``:200k``, ``:8k``) appears on ids
# ListFoundationModels returns for provisioned-throughput context lengths.
_FOUNDATION_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\.[a-z0-9][a-z0-9.\-]*(?::\d+(?::[a-z0-9]+)?)?$")
_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws|aws-us-gov|aws-cn):bedrock:(?P<region>[a-z0-9-]+):(?P<account>\d{12})?:"
    r"(?P<kind>foundation-model|inference-profile|application-inference-profile)/(?P<rest>.+)$"
)
_APP_PROFILE_ID_RE = re.compile(r"^[a-z0-9]{6,64}$")


@dataclass(frozen=True)
class ModelInfo:
    """One model a participant can pick.

    ``model_id`` is what gets sent (a foundation-model id, a profile id or an ARN);
    ``profile_id`` is the inference profile to use instead when ``needs_profile`` (the
    model has no on-demand throughput in this region) or the profile the id already is.
    """

    model_id: str
    label: str
    provider: str
    family: str
    profile_id: str | None = None
    needs_profile: bool = False
    base_model_id: str = ""
    source: Literal["config", "live", "builtin"] = "builtin"
    live_name: str | None = None
    """The live catalog's name for a model the config lists under its own label."""

    @property
    def invoke_id(self) -> str:
        """The id that will actually work: the profile when one is needed."""
        if self.needs_profile and self.profile_id:
            return self.profile_id
        return self.model_id


class ModelList(list):
    """``list[ModelInfo]`` plus ``notes``: why the live part is missing, what was skipped."""

    def __init__(self, models: Iterable[ModelInfo] = (), notes: Iterable[str] = ()) -> None:
        super().__init__(models)
        self.notes: list[str] = list(notes)


# --------------------------------------------------------------------------- id forms


def _bad_model(model_id: str, why: str) -> InputError:
    return InputError(
        f"{model_id!r} {why}",
        field="model",
        fix=(
            "use a Bedrock model id like anthropic.claude-3-haiku-20240307-v1:0, an inference "
            "profile id like us.anthropic.claude-3-5-haiku-20241022-v1:0, or a bedrock ARN"
        ),
    )


def _split_arn(model_id: str) -> re.Match[str] | None:
    return _ARN_RE.match(model_id) if model_id.startswith("arn:") else None


def profile_prefix(model_id: str) -> str | None:
    """The geography prefix of an inference-profile id or ARN (``us``, ``eu`` ...), else None."""
    arn = _split_arn(model_id)
    if arn:
        if arn["kind"] != "inference-profile":
            return None
        model_id = arn["rest"]
    head, dot, rest = model_id.partition(".")
    if dot and head in PROFILE_PREFIXES and "." in rest:
        return head
    return None


def base_model_id(model_id: str) -> str:
    """The foundation-model id behind a profile id or ARN (``us.x.y`` -> ``x.y``).

    An application inference profile ARN is returned unchanged: its id is opaque.
    """
    model_id = model_id.strip()
    arn = _split_arn(model_id)
    if arn:
        if arn["kind"] == "application-inference-profile":
            return model_id
        model_id = arn["rest"]
    prefix = profile_prefix(model_id)
    if prefix:
        return model_id[len(prefix) + 1 :]
    return model_id


def is_application_profile(model_id: str) -> bool:
    """True for an application-inference-profile ARN (no model hint in the id)."""
    arn = _split_arn(model_id.strip())
    return bool(arn and arn["kind"] == "application-inference-profile")


def validate_model_id(model_id: str) -> str:
    """Check the *form* of a model id, profile id or ARN; return it stripped.

    Raises InputError naming what is wrong. Says nothing about whether the model exists
    or is enabled — only Bedrock knows that.
    """
    if not isinstance(model_id, str) or not model_id.strip():
        raise _bad_model(str(model_id or ""), "is empty")
    model_id = model_id.strip()
    if any(ch.isspace() for ch in model_id):
        raise _bad_model(model_id, "contains whitespace")
    if model_id.startswith("arn:"):
        arn = _ARN_RE.match(model_id)
        if not arn:
            raise _bad_model(
                model_id,
                "is not a bedrock model ARN (expected arn:aws:bedrock:<region>:<account>:"
                "foundation-model/..., inference-profile/... or application-inference-profile/...)",
            )
        kind, rest = arn["kind"], arn["rest"]
        if kind == "application-inference-profile":
            if not _APP_PROFILE_ID_RE.match(rest):
                raise _bad_model(model_id, "has a malformed application inference profile id")
            if not arn["account"]:
                raise _bad_model(model_id, "needs the account id in an application inference profile ARN")
            return model_id
        if kind == "foundation-model" and profile_prefix(rest):
            raise _bad_model(model_id, "puts an inference-profile id in a foundation-model ARN")
        inner = base_model_id(rest) if kind == "inference-profile" else rest
        if kind == "inference-profile" and not profile_prefix(rest):
            raise _bad_model(
                model_id, "has no geography prefix (us., eu., apac., global. ...) in its profile id"
            )
        if not _FOUNDATION_RE.match(inner):
            raise _bad_model(model_id, f"has a malformed model id {inner!r} inside the ARN")
        return model_id
    if model_id != model_id.lower():
        raise _bad_model(model_id, "has upper-case letters (Bedrock ids are lower case)")
    if not _FOUNDATION_RE.match(base_model_id(model_id)):
        raise _bad_model(model_id, "is not of the form provider.model-name-version[:n]")
    # An unknown provider is still a well-formed id (Bedrock keeps adding providers):
    # the form check passes and family_of decides whether there is a template for it.
    return model_id


# --------------------------------------------------------------------------- families


def _family_from_base(base: str) -> str | None:
    family = families.for_model(base)
    return family.name if family is not None else None


def provider_of(model_id: str) -> str:
    """The provider part of the (base) model id: ``anthropic``, ``amazon`` ..."""
    return base_model_id(model_id).partition(".")[0]


def family_of(model_id: str, catalog: Iterable[ModelInfo] | None = None) -> str:
    """The request family of a model id, profile id or ARN.

    ``catalog`` (e.g. from :func:`list_models`) resolves ids that carry no hint, such as an
    application inference profile ARN. Raises InputError for an unknown provider or model
    kind (embeddings, image models) with the families that are supported.
    """
    model_id = validate_model_id(model_id)
    if catalog is not None:
        for info in catalog:
            if info.model_id == model_id or info.profile_id == model_id:
                return info.family
    if is_application_profile(model_id):
        raise InputError(
            f"{model_id!r} is an application inference profile: its ARN does not say which model it routes to",
            field="model",
            fix="pick it from the live model list (which reads ListInferenceProfiles) or use the "
            "foundation-model id behind it",
        )
    family = _family_from_base(base_model_id(model_id))
    if family is None:
        raise InputError(
            f"{model_id!r} is not a text model the workshop has a template for",
            field="model",
            fix="supported families: "
            + ", ".join(FAMILIES)
            + " (anthropic.claude-*, amazon.titan-text-*, amazon.nova-*, meta.llama3*/llama4*, "
            "mistral.*, cohere.command-r*, ai21.jamba*)",
        )
    return family


def region_profile_prefix(region: str | None) -> str:
    """The cross-region profile prefix that serves ``region`` (``us-west-2`` -> ``us``)."""
    region = (region or "").lower()
    if region.startswith("us-gov-"):
        return "us-gov"
    if region.startswith("eu-") or region.startswith("il-") or region.startswith("me-"):
        return "eu"
    if region.startswith("ap-"):
        # apac. profiles cover Tokyo and Sydney as well; the newer jp./au. ones are narrower.
        return "apac"
    # us-*, and regions without their own geography (ca-, sa-): the us. profiles are the
    # broadest guess; the live catalog replaces the guess with the real profile id.
    return "us"


def profile_id_for(model_id: str, region: str | None) -> str:
    """The system inference-profile id to use for ``model_id`` in ``region``."""
    base = base_model_id(model_id)
    return f"{region_profile_prefix(region)}.{base}"


# --------------------------------------------------------------------------- built-ins

_SEED_MODELS: tuple[tuple[str, str], ...] = (
    # The original workshop's [models] list (seed 000), labels as it wrote them.
    ("Claude-35-Sonnet", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
    ("Claude-3-Opus", "anthropic.claude-3-opus-20240229-v1:0"),
    ("Claude-3-Sonnet", "anthropic.claude-3-sonnet-20240229-v1:0"),
    ("Claude-3-Haiku", "anthropic.claude-3-haiku-20240307-v1:0"),
    ("Claude-21", "anthropic.claude-v2:1"),
    ("Llama-31-70b-Instruct", "meta.llama3-1-70b-instruct-v1:0"),
    ("Llama-31-8b-Instruct", "meta.llama3-1-8b-instruct-v1:0"),
    ("Llama-3-8b-Instruct", "meta.llama3-8b-instruct-v1:0"),
    ("Mistral-Large-2", "mistral.mistral-large-2407-v1:0"),
    ("Mistral-7b-Instruct", "mistral.mistral-7b-instruct-v0:2"),
    ("Mixtral-8x7b-Instruct", "mistral.mixtral-8x7b-instruct-v0:1"),
    ("Titan-Text-Lite", "amazon.titan-text-lite-v1"),
    ("Titan-Text", "amazon.titan-text-express-v1"),
)

# Current models; the flag says the model has no on-demand throughput and must be called
# through an inference profile (what ListFoundationModels shows as no ON_DEMAND).
_CURRENT_MODELS: tuple[tuple[str, str, bool], ...] = (
    ("Claude-35-Haiku", "anthropic.claude-3-5-haiku-20241022-v1:0", True),
    ("Claude-37-Sonnet", "anthropic.claude-3-7-sonnet-20250219-v1:0", True),
    ("Claude-Sonnet-4", "anthropic.claude-sonnet-4-20250514-v1:0", True),
    ("Claude-Haiku-45", "anthropic.claude-haiku-4-5-20251001-v1:0", True),
    ("Nova-Micro", "amazon.nova-micro-v1:0", False),
    ("Nova-Lite", "amazon.nova-lite-v1:0", False),
    ("Nova-Pro", "amazon.nova-pro-v1:0", False),
    ("Llama-33-70b-Instruct", "meta.llama3-3-70b-instruct-v1:0", True),
    ("Command-R", "cohere.command-r-v1:0", False),
    ("Command-R-Plus", "cohere.command-r-plus-v1:0", False),
    ("Jamba-15-Mini", "ai21.jamba-1-5-mini-v1:0", False),
    ("Jamba-15-Large", "ai21.jamba-1-5-large-v1:0", False),
)


def _info(
    model_id: str,
    label: str,
    source: str,
    *,
    needs_profile: bool = False,
    region: str | None = None,
    family: str | None = None,
    profile_id: str | None = None,
) -> ModelInfo:
    base = base_model_id(model_id)
    if profile_id is None and (needs_profile or profile_prefix(model_id)):
        profile_id = model_id if profile_prefix(model_id) else profile_id_for(model_id, region)
    return ModelInfo(
        model_id=model_id,
        label=label,
        provider=base.partition(".")[0] if not is_application_profile(model_id) else "",
        family=family or family_of(model_id),
        profile_id=profile_id,
        needs_profile=needs_profile,
        base_model_id=base,
        source=source,  # type: ignore[arg-type]
    )


def builtin_models(region: str | None = "us-east-1") -> list[ModelInfo]:
    """The seed workshop's list plus a handful of current models (profile ids for ``region``)."""
    models = [_info(mid, label, "builtin", region=region) for label, mid in _SEED_MODELS]
    models += [
        _info(mid, label, "builtin", needs_profile=needs, region=region)
        for label, mid, needs in _CURRENT_MODELS
    ]
    return models


# --------------------------------------------------------------------------- catalog


def _config_pairs(models: Any) -> list[tuple[str, str]]:
    """(label, model id) pairs from whatever shape the config keeps ``[models]`` in."""
    if not models:
        return []
    if isinstance(models, Mapping):
        return [(str(k), str(v)) for k, v in models.items()]
    pairs: list[tuple[str, str]] = []
    for item in models:
        if isinstance(item, str):
            pairs.append((item, item))
        elif isinstance(item, tuple | list) and len(item) == 2:
            pairs.append((str(item[0]), str(item[1])))
        else:
            mid = getattr(item, "model_id", None)
            if mid:
                pairs.append((str(getattr(item, "label", mid)), str(mid)))
    return pairs


def config_models(models: Any, region: str | None = None) -> ModelList:
    """ModelInfo for the config's ``[models]`` entries; bad entries become notes."""
    out = ModelList()
    for label, mid in _config_pairs(models):
        try:
            out.append(_info(mid, label, "config", region=region))
        except WorkshopError as err:
            out.notes.append(f"[models] {label}: {err}")
    return out


def _paginate(call: Any, key: str, **params: Any) -> list[dict]:
    items: list[dict] = []
    token: str | None = None
    for _ in range(50):  # a runaway nextToken must not loop forever
        response = call(**params, **({"nextToken": token} if token else {}))
        items.extend(response.get(key) or [])
        token = response.get("nextToken")
        if not token:
            break
    return items


def live_models(control: Any, region: str | None) -> ModelList:
    """The text models a control-plane client lists, with inference-profile hints.

    ``control`` is a boto3 ``bedrock`` client. Models with no template family (embeddings,
    images) are skipped and counted in a note. Raises whatever the client raises.
    """
    summaries = control.list_foundation_models(byOutputModality="TEXT").get("modelSummaries") or []
    profiles: list[dict] = []
    profile_note = None
    try:
        profiles = _paginate(control.list_inference_profiles, "inferenceProfileSummaries")
    except Exception as exc:  # profiles are a hint; foundation models are still useful alone
        profile_note = (
            f"ListInferenceProfiles failed ({_short(exc)}): profile ids are guessed from the region"
        )

    # base model id -> system profile ids, preferring this region's geography prefix
    wanted = region_profile_prefix(region)
    by_base: dict[str, list[str]] = {}
    app_profiles: list[dict] = []
    for p in profiles:
        pid = p.get("inferenceProfileId") or ""
        if p.get("type") == "APPLICATION" or pid.startswith("arn:") or not profile_prefix(pid):
            app_profiles.append(p)
            continue
        by_base.setdefault(base_model_id(pid), []).append(pid)

    def best_profile(base: str) -> str | None:
        candidates = by_base.get(base) or []
        for pid in candidates:
            if profile_prefix(pid) == wanted:
                return pid
        return candidates[0] if candidates else None

    out = ModelList()
    skipped = 0
    for s in summaries:
        mid = s.get("modelId") or ""
        family = _safe_family(mid)
        if family is None:
            skipped += 1
            continue
        types = s.get("inferenceTypesSupported") or []
        needs = "ON_DEMAND" not in types
        if needs and "INFERENCE_PROFILE" not in types and mid.count(":") > 1:
            # ``model:0:200k`` style ids are provisioned-throughput variants: not invokable here.
            skipped += 1
            continue
        profile = best_profile(mid)
        if needs and profile is None:
            profile = profile_id_for(mid, region)
        label = s.get("modelName") or mid
        out.append(_info(mid, label, "live", needs_profile=needs, family=family, profile_id=profile))
    for base, pids in by_base.items():
        family = _safe_family(base)
        if family is None:
            continue
        for pid in pids:
            out.append(_info(pid, f"{pid} (inference profile)", "live", family=family, profile_id=pid))
    for p in app_profiles:
        arn = p.get("inferenceProfileArn") or p.get("inferenceProfileId") or ""
        targets = [m.get("modelArn", "") for m in p.get("models") or []]
        family = next((f for f in (_safe_family(base_model_id(t)) for t in targets) if f), None)
        if not arn or family is None:
            continue
        base = base_model_id(targets[0]) if targets else ""
        out.append(
            ModelInfo(
                model_id=arn,
                label=p.get("inferenceProfileName") or arn,
                provider=base.partition(".")[0],
                family=family,
                profile_id=arn,
                needs_profile=False,
                base_model_id=base,
                source="live",
            )
        )
    if skipped:
        out.notes.append(f"{skipped} live model(s) without a text template family were left out")
    if profile_note:
        out.notes.append(profile_note)
    return out


def _safe_family(model_id: str) -> str | None:
    try:
        return family_of(model_id)
    except WorkshopError:
        return None


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    try:
        from workshop.secrets import redact
    except ImportError:  # secrets lands separately; a control-plane error carries no keys anyway
        return text[:200]
    return redact(text)[:200]


def merge_models(configured: Iterable[ModelInfo], live: Iterable[ModelInfo]) -> ModelList:
    """Config entries first (their labels win), enriched by what the live catalog knows."""
    live_by_id = {m.model_id: m for m in live}
    out = ModelList()
    seen: set[str] = set()
    for m in configured:
        known = live_by_id.get(m.model_id)
        if known is not None:
            m = replace(
                m,
                needs_profile=known.needs_profile,
                profile_id=known.profile_id or m.profile_id,
                family=known.family,
                live_name=known.label if known.label != known.model_id else None,
            )
        out.append(m)
        seen.add(m.model_id)
    for m in live_by_id.values():
        if m.model_id not in seen:
            out.append(m)
            seen.add(m.model_id)
    return out


def list_models(workbench: Any, path_name: str) -> ModelList:
    """The models path ``path_name`` offers: config ``[models]`` merged with the live catalog.

    Never raises for a live failure (no network, no permission, no control endpoint): the
    config list comes back with a note saying why the live part is missing. With no
    ``[models]`` in the config the built-in list stands in for it.
    """
    config = workbench.config
    path = config.path(path_name)  # an unknown path name is the caller's ConfigError
    region = getattr(path, "region", None) or getattr(config, "region", None)
    configured = config_models(getattr(config, "models", None), region)
    notes = list(configured.notes)
    if not configured:
        configured = ModelList(builtin_models(region))
        notes.append("the config has no [models] section: showing the built-in list")
    try:
        # Inside the try: credentials that cannot be obtained (a failing AssumeRole) are a
        # live failure too, and the config list still lets people pick a model.
        live = live_models(workbench.client(path_name).control(), region)
    except Exception as exc:  # degrade, never crash
        notes.append(
            f"live model list unavailable on path {path_name!r} ({_short(exc)}): showing the config list"
        )
        live = ModelList()
    merged = merge_models(configured, live)
    merged.notes = notes + live.notes
    return merged


def find_model(models: Iterable[ModelInfo], model_id: str) -> ModelInfo | None:
    """The entry for ``model_id`` (as model id or profile id), if listed."""
    for m in models:
        if model_id in (m.model_id, m.profile_id):
            return m
    return None


# --------------------------------------------------------------------------- one entry per model

PROVIDER_NAMES: dict[str, str] = {
    "anthropic": "Anthropic", "amazon": "Amazon", "meta": "Meta", "mistral": "Mistral AI", "cohere": "Cohere",
    "ai21": "AI21 Labs", "deepseek": "DeepSeek", "writer": "Writer", "qwen": "Qwen", "openai": "OpenAI",
}
"""Provider part of a model id -> how the provider writes its name (order: the picker's order)."""

_ID_SUFFIX = re.compile(r"(?:-\d{8})?(?:-v\d+)?(?::\d+)*$")


def readable_name(model_id: str) -> str:
    """A model's name as people write it, from its id: ``anthropic.claude-3-5-sonnet-…`` -> "Claude 3.5 Sonnet".

    Version digits split by dashes become dotted ("Llama 3.1 8B"), the date and API version
    suffixes go; Claude v2's ``claude-v2:1`` is "Claude 2.1". Used when no live catalog
    gives the name.
    """
    base = base_model_id(model_id) if not is_application_profile(model_id) else model_id
    name = base.partition(".")[2] or base
    legacy = re.fullmatch(r"claude-v(\d+)(?::(\d+))?", name)
    if legacy:
        return "Claude " + ".".join(g for g in legacy.groups() if g)
    name = _ID_SUFFIX.sub("", name)
    words: list[str] = []
    for part in re.findall(r"[a-z]+|\d+x\d+[a-z]?|\d+[a-z]?", name.replace("_", "-")):
        if part.isdigit() and len(part) == 1 and words and re.fullmatch(r"\d+(?:\.\d)*", words[-1]):
            words[-1] += "." + part  # 3-5 -> 3.5
        elif re.fullmatch(r"\d+(?:x\d+)?b", part):
            words.append(part[:-1] + "B")  # 8b -> 8B, 8x7b -> 8x7B
        else:
            words.append(part if part[0].isdigit() else part.capitalize())
    return " ".join(words) or model_id


@dataclass(frozen=True)
class ModelChoice:
    """One model as a participant picks it: a readable name, and the ids that invoke it.

    ``options`` are (invoke id, how) pairs: the model id itself when it has on-demand
    throughput, then each inference profile that routes to it. ``default_id`` is the one
    that works here (the profile when the model needs one).
    """

    key: str  # the base model id (an application profile: its ARN)
    name: str
    provider: str
    family: str
    options: tuple[tuple[str, str], ...]
    default_id: str
    needs_profile: bool = False
    config_labels: tuple[str, ...] = ()

    def has(self, invoke_id: str) -> bool:
        return any(i == invoke_id for i, _ in self.options)


def _how(invoke_id: str) -> str:
    prefix = profile_prefix(invoke_id)
    if is_application_profile(invoke_id):
        return "application inference profile"
    if prefix:
        return f"inference profile ({prefix}.)"
    return "on-demand (model id)"


def model_choices(models: Iterable[ModelInfo]) -> list[ModelChoice]:
    """Group a catalog (``list_models``) into one entry per model, ordered by provider.

    Inference profiles become options of the model they route to instead of entries of
    their own; the name is the live catalog's when it has one, else :func:`readable_name`.
    """
    groups: dict[str, dict[str, Any]] = {}
    for m in models:
        key = m.model_id if is_application_profile(m.model_id) else (m.base_model_id or base_model_id(m.model_id))
        group = groups.setdefault(key, {"name": None, "provider": m.provider, "family": m.family,
                                        "ids": [], "needs_profile": False, "default": None, "labels": []})
        is_profile = bool(profile_prefix(m.model_id)) or is_application_profile(m.model_id)
        if m.live_name and not is_profile:
            group["name"] = m.live_name
        elif m.label and ((m.source == "live" and not is_profile and m.label != m.model_id)
                          or is_application_profile(m.model_id)):
            group["name"] = m.label
        if m.source == "config":
            group["labels"].append(m.label)
        if not is_profile and not m.needs_profile:
            group["ids"].append(m.model_id)
        if m.profile_id:
            group["ids"].append(m.profile_id)
        if is_profile:
            group["ids"].append(m.model_id)
        if m.needs_profile and not is_profile:
            group["needs_profile"] = True
            group["default"] = group["default"] or m.invoke_id
    order = {p: i for i, p in enumerate(PROVIDER_NAMES)}
    out: list[ModelChoice] = []
    for key, g in groups.items():
        ids = list(dict.fromkeys(g["ids"]))
        # The model id itself first, then profiles; the working one is the default.
        ids.sort(key=lambda i: (bool(profile_prefix(i)) or is_application_profile(i)))
        if not ids:
            continue
        default = g["default"] if g["default"] in ids else ids[0]
        out.append(ModelChoice(
            key=key,
            name=g["name"] or readable_name(key),
            provider=PROVIDER_NAMES.get(g["provider"], g["provider"].capitalize() or "Other"),
            family=g["family"],
            options=tuple((i, _how(i)) for i in ids),
            default_id=default,
            needs_profile=g["needs_profile"],
            config_labels=tuple(dict.fromkeys(g["labels"])),
        ))
    out.sort(key=lambda c: order.get(next((k for k, v in PROVIDER_NAMES.items() if v == c.provider), ""), 99))
    return out


def choice_for(choices: Iterable[ModelChoice], invoke_id: str | None) -> ModelChoice | None:
    """The entry that ``invoke_id`` (a model or profile id) belongs to."""
    for choice in choices:
        if invoke_id and choice.has(invoke_id):
            return choice
    return None

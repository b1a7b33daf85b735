"""Each model family, once, through ``workshop.families``: one module says everything about it.

For every family the same specification: its template passes its own checks and is
recognised as that family; the sandbox accepts the template; the sandbox's response and
stream chunks are read back by the same family into the same text, token counts and stop
reason; the prompt survives the mapping to Converse.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop import catalog, families
from workshop.families import Context, Family
from workshop.prompts import PROMPTS_DIR, template
from workshop.sandbox.textgen import generate

FAMILY_NAMES = families.names()
QUESTION = "square root of 16"


def _family(name: str) -> Family:
    return families.get(name)


def test_every_module_in_the_package_is_a_family_or_the_converse_shape() -> None:
    modules = {p.stem for p in Path(families.__file__).parent.glob("*.py")} - {"__init__", "base"}
    registered = {name.replace("-", "_") for name in FAMILY_NAMES}
    assert modules == registered | {"converse"}


def test_the_catalog_lists_the_registered_families_with_their_labels() -> None:
    assert catalog.FAMILIES == FAMILY_NAMES
    assert all(catalog.FAMILY_LABELS[name] == _family(name).label for name in FAMILY_NAMES)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_the_family_has_a_template_that_passes_its_own_checks(name: str) -> None:
    family = _family(name)
    assert (PROMPTS_DIR / f"{family.template_file}.json").is_file()
    body = template(name)
    problems: list[str] = []
    family.validate(body, problems)
    assert problems == []
    assert families.detect(body) == name
    assert set(body) <= family.known_keys


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_a_missing_required_key_is_named_by_the_family_rules(name: str) -> None:
    family = _family(name)
    body = template(name)
    # Mistral needs a prompt or messages: no single rule row requires either, its check() does.
    key = next((rule.key for rule in family.rules if rule.required), "prompt")
    del body[key]
    problems: list[str] = []
    family.validate(body, problems)
    assert any(f"`{key}` is missing" in p for p in problems)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_the_sandbox_answer_reads_back_through_the_same_family(name: str) -> None:
    family = _family(name)
    req = family.parse(template(name))
    assert QUESTION in req.prompt.lower()
    gen = generate(req.prompt, "test.model-v1:0", req.max_tokens, req.stop_sequences)
    ctx = Context("test.model-v1:0", "req-1", req.input_tokens)
    read = family.extract(family.response(req, gen, ctx))
    assert read.text.strip() == gen.text.strip()
    assert read.stop_reason
    if read.output_tokens is not None:  # Claude v2 and Mistral's text form carry no usage in the body
        assert (read.input_tokens, read.output_tokens) == (req.input_tokens, gen.output_tokens)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_the_sandbox_stream_reads_back_as_the_whole_answer_and_a_stop_reason(name: str) -> None:
    family = _family(name)
    req = family.parse(template(name))
    gen = generate(req.prompt, "test.model-v1:0", req.max_tokens, req.stop_sequences)
    ctx = Context("test.model-v1:0", "req-1", req.input_tokens)
    chunks = list(family.stream_head(req, ctx))
    emitted = 0
    for start in range(0, len(gen.tokens), 3):
        piece = gen.tokens[start:start + 3]
        emitted += len(piece)
        chunks += family.stream_piece(req, "".join(piece), emitted, ctx)
    chunks += family.stream_tail(req, gen, ctx)
    assert "".join(family.chunk_text(c) for c in chunks) == gen.text
    assert [r for r in (family.chunk_stop_reason(c) for c in chunks) if r]


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_the_prompt_survives_the_mapping_to_converse(name: str) -> None:
    converse = _family(name).to_converse(template(name))
    users = [m for m in converse["messages"] if m["role"] == "user"]
    assert QUESTION in users[-1]["content"][0]["text"].lower()
    problems: list[str] = []
    families.CONVERSE_SHAPE.validate(converse, problems)
    assert problems == []


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_the_family_claims_its_own_models_and_no_other_familys(name: str) -> None:
    ids = [m.base_model_id for m in catalog.builtin_models() if m.family == name]
    for base in ids:
        assert families.for_model(base) is _family(name)


def test_a_family_the_latency_profile_does_not_list_is_modelled_with_its_own_timing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from workshop.sandbox.latency import LatencyModel, load_profile

    profile = load_profile()
    without = {**profile, "families": {k: v for k, v in profile["families"].items() if k != "jamba"}}
    monkeypatch.setattr(type(families.get("jamba")), "sandbox_latency",
                        {"ttft_median_ms": 500.0, "ttft_sigma": 0.0, "tokens_per_second": 42.0})
    timing = LatencyModel(seed=1, profile=without).model_timing("jamba", "ai21.jamba-1-5-large-v1:0")
    assert timing.tokens_per_second == 42.0
    assert timing.ttft_ms == pytest.approx(500.0)

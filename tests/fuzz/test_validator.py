"""The client side: any body, for any family and API, gets problems as data (the editor),
TemplateError (parse_body), or a value (readers, Converse mapping) — never an exception."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import SHAPES, any_shape_body, json_values
from workshop import catalog, prompts
from workshop.errors import TemplateError

APIS = ("invoke", "invoke-stream", "converse", "converse-stream")
FAMILIES = tuple(catalog.FAMILIES)


@given(case=any_shape_body, family=st.sampled_from(FAMILIES), api=st.sampled_from(APIS))
def test_validate_body_returns_problems_as_strings(case: tuple[str, Any], family: str, api: str) -> None:
    _, body = case
    problems = prompts.validate_body(body, family, api)
    assert isinstance(problems, list) and all(isinstance(p, str) and p for p in problems)


@given(case=any_shape_body, family=st.sampled_from(FAMILIES), api=st.sampled_from(APIS))
def test_parse_body_raises_only_template_errors(case: tuple[str, Any], family: str, api: str) -> None:
    _, body = case
    try:
        text = json.dumps(body)
    except (ValueError, RecursionError):
        return
    try:
        parsed = prompts.parse_body(text, family, api)
    except TemplateError as err:
        assert str(err)
        return
    assert isinstance(parsed, dict)
    json.dumps(parsed).encode("utf-8")  # what is accepted can be sent


@given(text=st.text(max_size=200), family=st.sampled_from(FAMILIES))
def test_parse_body_of_any_text_raises_only_template_errors(text: str, family: str) -> None:
    try:
        prompts.parse_body(text, family)
    except TemplateError:
        pass


@given(case=any_shape_body, shape=st.sampled_from(SHAPES))
def test_converse_mapping_and_prompt_never_raise(case: tuple[str, Any], shape: str) -> None:
    _, body = case
    converse = prompts.to_converse(body, shape)
    assert isinstance(converse, dict)
    assert isinstance(prompts.prompt_of(body, shape), str)
    assert prompts.detect_family(body) in (*SHAPES, None)


@given(response=json_values, shape=st.sampled_from(SHAPES))
def test_response_and_chunk_readers_never_raise(response: Any, shape: str) -> None:
    extracted = prompts.extract(shape, response)
    assert isinstance(extracted.text, str)
    assert isinstance(prompts.chunk_text(shape, response), str)
    stop = prompts.chunk_stop_reason(shape, response)
    assert stop is None or isinstance(stop, str)

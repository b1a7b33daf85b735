"""The sandbox side, in process: every family's parser (and Converse's) answers any body with
a ValidationException or a request the generator can serve — never another exception, and
never a wrong type accepted."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import bodies
from workshop import families
from workshop.sandbox.awserrors import ServiceError
from workshop.sandbox.families import FAMILIES
from workshop.sandbox.models import catalog_models
from workshop.sandbox.server import SandboxServer
from workshop.sandbox.textgen import count_tokens, generate

MODELS = {m.family: m for m in catalog_models().values()}


def _served(req: Any, model_id: str) -> None:
    assert isinstance(req.prompt, str)
    req.prompt.encode("utf-8")  # no lone surrogate got through
    assert isinstance(req.max_tokens, int) and not isinstance(req.max_tokens, bool) and req.max_tokens >= 1
    assert all(isinstance(s, str) for s in req.stop_sequences)
    count_tokens(req.prompt)
    generate(req.prompt, model_id, min(req.max_tokens, 200), req.stop_sequences)


@given(data=st.data(), name=st.sampled_from(tuple(FAMILIES)))
def test_family_parsers_answer_validation_or_a_servable_request(data: st.DataObject, name: str) -> None:
    body = data.draw(bodies(name))
    try:
        req = SandboxServer.parse_runtime_body(body, MODELS[name], "invoke")
    except ServiceError as err:
        assert err.code == "ValidationException" and err.status == 400
        return
    _served(req, MODELS[name].model_id)


@given(data=st.data(), name=st.sampled_from(tuple(FAMILIES)))
def test_converse_parser_answers_validation_or_a_servable_request(data: st.DataObject, name: str) -> None:
    body = data.draw(bodies(families.CONVERSE))
    model = MODELS[name]
    try:
        req = SandboxServer.parse_runtime_body(body, model, "converse")
    except ServiceError as err:
        assert err.code == "ValidationException" and err.status == 400
        return
    _served(req, model.model_id)
    # What Converse accepted has the types Converse requires.
    assert isinstance(body["messages"], list)
    for message in body["messages"]:
        assert all(isinstance(block, dict) for block in message["content"])
    assert isinstance(body.get("system", []), list)
    assert isinstance(body.get("inferenceConfig", {}), dict)

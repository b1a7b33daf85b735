"""Control plane: ListFoundationModels and ListInferenceProfiles from the sandbox catalog."""

from __future__ import annotations

import pytest

SEED_MODELS = (
    "anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic.claude-3-opus-20240229-v1:0",
    "anthropic.claude-3-sonnet-20240229-v1:0", "anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-v2:1",
    "meta.llama3-1-70b-instruct-v1:0", "meta.llama3-1-8b-instruct-v1:0", "meta.llama3-8b-instruct-v1:0",
    "mistral.mistral-large-2407-v1:0", "mistral.mistral-7b-instruct-v0:2", "mistral.mixtral-8x7b-instruct-v0:1",
    "amazon.titan-text-lite-v1", "amazon.titan-text-express-v1",
)


@pytest.fixture(scope="module")
def control(sandbox, participant):
    from tests.sandbox.conftest import NO_RETRY

    return participant.client("bedrock", endpoint_url=sandbox.control_endpoint, config=NO_RETRY)


def test_foundation_models_include_the_original_workshop_list(control) -> None:
    ids = {m["modelId"] for m in control.list_foundation_models()["modelSummaries"]}
    assert set(SEED_MODELS) <= ids


def test_foundation_model_summary_has_arn_and_inference_types(control) -> None:
    summaries = {m["modelId"]: m for m in control.list_foundation_models()["modelSummaries"]}
    haiku = summaries["anthropic.claude-3-haiku-20240307-v1:0"]
    assert haiku["modelArn"] == "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
    assert haiku["providerName"] == "Anthropic"
    assert "ON_DEMAND" in haiku["inferenceTypesSupported"]
    assert summaries["anthropic.claude-3-7-sonnet-20250219-v1:0"]["inferenceTypesSupported"] == ["INFERENCE_PROFILE"]


def test_foundation_models_filter_by_provider(control) -> None:
    providers = {m["providerName"] for m in control.list_foundation_models(byProvider="meta")["modelSummaries"]}
    assert providers == {"Meta"}


def test_inference_profiles_are_those_of_the_region_geography(control) -> None:
    ids = [p["inferenceProfileId"] for p in control.list_inference_profiles()["inferenceProfileSummaries"]]
    assert "us.anthropic.claude-3-7-sonnet-20250219-v1:0" in ids
    assert "global.anthropic.claude-sonnet-4-20250514-v1:0" in ids
    assert not [i for i in ids if i.startswith(("eu.", "apac."))]


def test_inference_profiles_paginate(control) -> None:
    paginator = control.get_paginator("list_inference_profiles")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 5}))
    everything = control.list_inference_profiles()["inferenceProfileSummaries"]
    assert len(pages) > 1
    assert [p["inferenceProfileId"] for page in pages for p in page["inferenceProfileSummaries"]] == \
        [p["inferenceProfileId"] for p in everything]


def test_inference_profile_lists_its_foundation_models(control) -> None:
    profiles = {p["inferenceProfileId"]: p for p in control.list_inference_profiles()["inferenceProfileSummaries"]}
    profile = profiles["us.amazon.nova-pro-v1:0"]
    assert profile["type"] == "SYSTEM_DEFINED" and profile["status"] == "ACTIVE"
    assert profile["inferenceProfileArn"].endswith(":inference-profile/us.amazon.nova-pro-v1:0")
    assert {m["modelArn"].split(":")[3] for m in profile["models"]} == {"us-east-1", "us-east-2", "us-west-2"}


def test_control_plane_answers_on_every_listener(sandbox, participant) -> None:
    for name in ("nat", "vpce"):
        client = participant.client("bedrock", endpoint_url=sandbox.endpoints[name])
        assert client.list_foundation_models()["modelSummaries"]

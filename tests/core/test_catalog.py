"""Model ids, families, inference profiles and the merged catalog (unit level)."""

from __future__ import annotations

import pytest

from workshop.catalog import (
    FAMILIES,
    ModelInfo,
    base_model_id,
    builtin_models,
    config_models,
    family_of,
    list_models,
    live_models,
    merge_models,
    profile_id_for,
    profile_prefix,
    region_profile_prefix,
    validate_model_id,
)
from workshop.errors import InputError

APP_PROFILE_ARN = "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/a1b2c3d4e5f6"


@pytest.mark.parametrize(
    ("model_id", "family"),
    [
        ("anthropic.claude-3-haiku-20240307-v1:0", "claude-messages"),
        ("anthropic.claude-3-5-sonnet-20240620-v1:0", "claude-messages"),
        ("anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-messages"),
        ("anthropic.claude-sonnet-4-20250514-v1:0", "claude-messages"),
        ("anthropic.claude-opus-4-1-20250805-v1:0", "claude-messages"),
        ("anthropic.claude-haiku-4-5-20251001-v1:0", "claude-messages"),
        ("anthropic.claude-v2", "claude-text"),
        ("anthropic.claude-v2:1", "claude-text"),
        ("anthropic.claude-instant-v1", "claude-text"),
        ("amazon.titan-text-express-v1", "titan-text"),
        ("amazon.titan-text-lite-v1", "titan-text"),
        ("amazon.titan-text-premier-v1:0", "titan-text"),
        ("amazon.nova-micro-v1:0", "nova"),
        ("amazon.nova-pro-v1:0", "nova"),
        ("meta.llama3-8b-instruct-v1:0", "llama"),
        ("meta.llama3-1-70b-instruct-v1:0", "llama"),
        ("meta.llama4-scout-17b-instruct-v1:0", "llama"),
        ("mistral.mistral-7b-instruct-v0:2", "mistral"),
        ("mistral.mixtral-8x7b-instruct-v0:1", "mistral"),
        ("mistral.mistral-large-2407-v1:0", "mistral"),
        ("cohere.command-r-v1:0", "cohere-command-r"),
        ("cohere.command-r-plus-v1:0", "cohere-command-r"),
        ("ai21.jamba-instruct-v1:0", "jamba"),
        ("ai21.jamba-1-5-large-v1:0", "jamba"),
    ],
)
def test_family_of_foundation_model_ids(model_id: str, family: str) -> None:
    assert family_of(model_id) == family


@pytest.mark.parametrize("prefix", ["us", "eu", "apac", "us-gov", "jp", "au", "global"])
def test_inference_profile_prefixes_keep_the_family_and_strip_to_the_base_id(prefix: str) -> None:
    profile = f"{prefix}.anthropic.claude-sonnet-4-20250514-v1:0"
    assert family_of(profile) == "claude-messages"
    assert profile_prefix(profile) == prefix
    assert base_model_id(profile) == "anthropic.claude-sonnet-4-20250514-v1:0"


def test_a_foundation_model_id_has_no_profile_prefix() -> None:
    assert profile_prefix("amazon.nova-lite-v1:0") is None
    assert base_model_id("amazon.nova-lite-v1:0") == "amazon.nova-lite-v1:0"


@pytest.mark.parametrize(
    ("arn", "family", "base"),
    [
        (
            "arn:aws:bedrock:us-west-2::foundation-model/meta.llama3-8b-instruct-v1:0",
            "llama",
            "meta.llama3-8b-instruct-v1:0",
        ),
        (
            "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.amazon.nova-pro-v1:0",
            "nova",
            "amazon.nova-pro-v1:0",
        ),
        (
            "arn:aws-us-gov:bedrock:us-gov-west-1:111122223333:inference-profile/us-gov.anthropic.claude-3-haiku-20240307-v1:0",
            "claude-messages",
            "anthropic.claude-3-haiku-20240307-v1:0",
        ),
    ],
)
def test_arns_resolve_to_their_model_family(arn: str, family: str, base: str) -> None:
    assert validate_model_id(arn) == arn
    assert family_of(arn) == family
    assert base_model_id(arn) == base


def test_application_inference_profile_arn_is_well_formed_but_needs_the_catalog() -> None:
    assert validate_model_id(APP_PROFILE_ARN) == APP_PROFILE_ARN
    with pytest.raises(InputError) as err:
        family_of(APP_PROFILE_ARN)
    assert err.value.field == "model"
    assert "application inference profile" in str(err.value)
    assert "live model list" in (err.value.fix or "")


def test_application_inference_profile_family_comes_from_the_live_catalog() -> None:
    listed = [
        ModelInfo(APP_PROFILE_ARN, "team-a", "anthropic", "claude-messages", profile_id=APP_PROFILE_ARN)
    ]
    assert family_of(APP_PROFILE_ARN, listed) == "claude-messages"


@pytest.mark.parametrize(
    "model_id",
    [
        "deepseek.r1-v1:0",
        "amazon.titan-embed-text-v2:0",
        "stability.sd3-large-v1:0",
        "amazon.nova-canvas-v1:0",
    ],
)
def test_unknown_providers_and_non_text_models_are_input_errors_listing_families(model_id: str) -> None:
    with pytest.raises(InputError) as err:
        family_of(model_id)
    assert err.value.field == "model"
    assert all(f in err.value.fix for f in FAMILIES)


@pytest.mark.parametrize(
    ("model_id", "says"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("claude", "provider.model-name-version"),
        ("Anthropic.Claude-3-Haiku", "upper-case"),
        ("anthropic.claude 3", "whitespace"),
        ("anthropic.claude-3-haiku-20240307-v1:x", "provider.model-name-version"),
        ("arn:aws:s3:::bucket/key", "not a bedrock model ARN"),
        ("arn:aws:bedrock:us-east-1::foundation-model/us.amazon.nova-pro-v1:0", "inference-profile id"),
        ("arn:aws:bedrock:us-east-1:111122223333:inference-profile/amazon.nova-pro-v1:0", "geography prefix"),
        ("arn:aws:bedrock:us-east-1::application-inference-profile/a1b2c3d4e5f6", "account id"),
    ],
)
def test_malformed_ids_are_rejected_with_what_is_wrong(model_id: str, says: str) -> None:
    with pytest.raises(InputError) as err:
        validate_model_id(model_id)
    assert says in str(err.value)
    assert err.value.field == "model"


def test_provisioned_context_variants_are_valid_forms() -> None:
    assert validate_model_id("anthropic.claude-3-haiku-20240307-v1:0:200k")


@pytest.mark.parametrize(
    ("region", "prefix"),
    [
        ("us-east-1", "us"),
        ("us-west-2", "us"),
        ("eu-central-1", "eu"),
        ("ap-southeast-2", "apac"),
        ("us-gov-west-1", "us-gov"),
        ("ca-central-1", "us"),
    ],
)
def test_region_maps_to_the_profile_geography(region: str, prefix: str) -> None:
    assert region_profile_prefix(region) == prefix
    assert profile_id_for("amazon.nova-pro-v1:0", region) == f"{prefix}.amazon.nova-pro-v1:0"


def test_builtins_hold_the_seed_list_and_current_models_with_profile_hints() -> None:
    models = {m.model_id: m for m in builtin_models("eu-west-1")}
    seed = [
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "anthropic.claude-3-opus-20240229-v1:0",
        "anthropic.claude-3-sonnet-20240229-v1:0",
        "anthropic.claude-3-haiku-20240307-v1:0",
        "anthropic.claude-v2:1",
        "meta.llama3-1-70b-instruct-v1:0",
        "meta.llama3-1-8b-instruct-v1:0",
        "meta.llama3-8b-instruct-v1:0",
        "mistral.mistral-large-2407-v1:0",
        "mistral.mistral-7b-instruct-v0:2",
        "mistral.mixtral-8x7b-instruct-v0:1",
        "amazon.titan-text-lite-v1",
        "amazon.titan-text-express-v1",
    ]
    assert all(mid in models for mid in seed)
    assert {m.family for m in models.values()} == set(FAMILIES)
    sonnet4 = models["anthropic.claude-sonnet-4-20250514-v1:0"]
    assert sonnet4.needs_profile and sonnet4.profile_id == "eu.anthropic.claude-sonnet-4-20250514-v1:0"
    assert sonnet4.invoke_id == sonnet4.profile_id
    assert models["anthropic.claude-3-haiku-20240307-v1:0"].needs_profile is False
    assert all(m.source == "builtin" for m in models.values())


def test_config_models_keep_labels_and_turn_bad_entries_into_notes() -> None:
    models = config_models(
        {"Haiku": "anthropic.claude-3-haiku-20240307-v1:0", "Embed": "amazon.titan-embed-text-v2:0"}
    )
    assert [(m.label, m.family, m.source) for m in models] == [("Haiku", "claude-messages", "config")]
    assert len(models.notes) == 1 and "Embed" in models.notes[0]


class FakeControl:
    """The two control-plane calls list_models makes, answering in the API's shapes."""

    def __init__(self, fail_profiles: bool = False) -> None:
        self.fail_profiles = fail_profiles

    def list_foundation_models(self, **params: object) -> dict:
        assert params == {"byOutputModality": "TEXT"}
        return {
            "modelSummaries": [
                {
                    "modelId": "anthropic.claude-3-haiku-20240307-v1:0",
                    "modelName": "Claude 3 Haiku",
                    "providerName": "Anthropic",
                    "inferenceTypesSupported": ["ON_DEMAND"],
                },
                {
                    "modelId": "anthropic.claude-sonnet-4-20250514-v1:0",
                    "modelName": "Claude Sonnet 4",
                    "providerName": "Anthropic",
                    "inferenceTypesSupported": ["INFERENCE_PROFILE"],
                },
                {
                    "modelId": "anthropic.claude-3-haiku-20240307-v1:0:200k",
                    "modelName": "Claude 3 Haiku",
                    "providerName": "Anthropic",
                    "inferenceTypesSupported": ["PROVISIONED"],
                },
                {
                    "modelId": "amazon.titan-embed-text-v2:0",
                    "modelName": "Titan Embeddings",
                    "providerName": "Amazon",
                    "inferenceTypesSupported": ["ON_DEMAND"],
                },
            ]
        }

    def list_inference_profiles(self, **params: object) -> dict:
        if self.fail_profiles:
            raise RuntimeError("AccessDeniedException: not allowed")
        if not params.get("nextToken"):
            return {
                "inferenceProfileSummaries": [
                    {
                        "inferenceProfileId": "eu.anthropic.claude-sonnet-4-20250514-v1:0",
                        "type": "SYSTEM_DEFINED",
                    },
                ],
                "nextToken": "page-2",
            }
        return {
            "inferenceProfileSummaries": [
                {
                    "inferenceProfileId": "us.anthropic.claude-sonnet-4-20250514-v1:0",
                    "type": "SYSTEM_DEFINED",
                },
                {
                    "inferenceProfileId": "a1b2c3d4e5f6",
                    "inferenceProfileArn": APP_PROFILE_ARN,
                    "inferenceProfileName": "team-a",
                    "type": "APPLICATION",
                    "models": [
                        {
                            "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
                        }
                    ],
                },
            ]
        }


def test_live_models_mark_profile_only_models_with_the_profile_for_the_region() -> None:
    live = {m.model_id: m for m in live_models(FakeControl(), "us-east-1")}
    sonnet = live["anthropic.claude-sonnet-4-20250514-v1:0"]
    assert sonnet.needs_profile is True
    assert (
        sonnet.profile_id == "us.anthropic.claude-sonnet-4-20250514-v1:0"
    )  # not eu.: the path is in us-east-1
    assert live["anthropic.claude-3-haiku-20240307-v1:0"].needs_profile is False
    assert "us.anthropic.claude-sonnet-4-20250514-v1:0" in live  # profiles are pickable too
    assert live[APP_PROFILE_ARN].family == "claude-messages"
    assert "amazon.titan-embed-text-v2:0" not in live
    assert "anthropic.claude-3-haiku-20240307-v1:0:200k" not in live


def test_live_models_guess_the_profile_when_listing_profiles_fails() -> None:
    listed = live_models(FakeControl(fail_profiles=True), "eu-west-1")
    sonnet = next(m for m in listed if m.model_id == "anthropic.claude-sonnet-4-20250514-v1:0")
    assert sonnet.profile_id == "eu.anthropic.claude-sonnet-4-20250514-v1:0"
    assert any("ListInferenceProfiles failed" in n for n in listed.notes)


def test_merge_keeps_config_labels_first_and_takes_profile_facts_from_live() -> None:
    configured = config_models({"My Sonnet": "anthropic.claude-sonnet-4-20250514-v1:0"}, "us-east-1")
    merged = merge_models(configured, live_models(FakeControl(), "us-east-1"))
    first = merged[0]
    assert (first.label, first.source, first.needs_profile) == ("My Sonnet", "config", True)
    assert first.profile_id == "us.anthropic.claude-sonnet-4-20250514-v1:0"
    assert len({m.model_id for m in merged}) == len(merged)


class FailingCredentialsWorkbench:
    """A workbench whose path credentials cannot be obtained (e.g. AssumeRole refused)."""

    def __init__(self) -> None:
        from workshop.config import default_config

        self.config = default_config()

    def client(self, path_name: str) -> object:
        from workshop.errors import CredentialError

        raise CredentialError("AssumeRole was refused", field="RoleARN")


def test_list_models_degrades_to_the_config_list_when_credentials_fail() -> None:
    models = list_models(FailingCredentialsWorkbench(), "cross-account")
    assert models and all(m.source in ("config", "builtin") for m in models)
    assert any("AssumeRole was refused" in note for note in models.notes)


def test_list_models_for_an_unknown_path_is_a_config_error() -> None:
    from workshop.errors import ConfigError

    with pytest.raises(ConfigError):
        list_models(FailingCredentialsWorkbench(), "satellite")

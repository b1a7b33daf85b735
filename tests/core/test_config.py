"""config.py: the seed's files load; every bad value is named with file, section, key, value, expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop.config import (
    ConfigError,
    WorkshopConfig,
    check_vpce_url,
    default_config,
    dump_config,
    load_config,
    parse_config,
    sandbox_options,
    save_config,
)

DATA = Path(__file__).resolve().parent.parent / "data"
SEED_MODELS = 13
GOOD_VPCE = "https://vpce-0123456789abcdef0-abcdefgh.bedrock-runtime.us-west-2.vpce.amazonaws.com"
GOOD_ROLE = "arn:aws:iam::444455556666:role/BedrockCrossAccountRole"


def new_format(path_body: str, *, workshop: str = "Region = us-west-2", name: str = "vpce") -> str:
    return f"[workshop]\n{workshop}\n\n[path {name}]\n{path_body}\n"


# --------------------------------------------------------------------------- the seed's files


def test_seed_template_with_placeholders_loads_and_lists_its_models() -> None:
    config = load_config(DATA / "seed-config-template.properties")
    assert len(config.models) == SEED_MODELS
    assert config.models["Claude-3-Haiku"] == "anthropic.claude-3-haiku-20240307-v1:0"
    assert config.legacy and not config.sandbox


def test_seed_template_placeholders_are_reported_as_problems_not_exceptions() -> None:
    config = load_config(DATA / "seed-config-template.properties")
    keys = {p.key for p in config.problems}
    assert {"UseVPCe", "GetCredentialsFrom", "Region", "VPCEndpointURL"} <= keys


def test_seed_walkthrough_sample_maps_onto_nat_and_vpce_with_assume_role() -> None:
    config = load_config(DATA / "seed-config-original.properties")
    assert list(config.paths) == ["nat", "vpce"]
    assert config.default_path == "vpce"  # UseVPCe=true
    assert config.paths["nat"].credentials.kind == "assume-role"  # GetCredentialsFrom=1
    assert config.paths["vpce"].region == "us-west-2"
    assert config.prompt_file == "prompt.txt"


def test_seed_walkthrough_sample_is_strict_at_use_time_naming_the_placeholder_role_arn() -> None:
    config = load_config(DATA / "seed-config-original.properties")
    with pytest.raises(ConfigError) as err:
        config.path("nat")
    text = str(err.value)
    assert "seed-config-original.properties" in text
    assert "[default] AssumeRoleARN" in text
    assert "arn:aws:iam::xxxxx:role/my-bedrock" in text
    assert "<12-digit account>" in text


def test_seed_vpce_url_with_bedrock_instead_of_bedrock_runtime_is_explained() -> None:
    config = load_config(DATA / "seed-config-original.properties")
    problem = next(p for p in config.problems if p.key == "VPCEndpointURL")
    assert problem.path == "vpce"
    assert "'.bedrock.'" in (problem.fix or "") and "'.bedrock-runtime.'" in (problem.fix or "")


def test_legacy_encrypted_file_decrypts_and_warns_to_import(tmp_path: Path) -> None:
    config = load_config(DATA / "legacy_config.properties")
    vpce = config.paths["vpce"]
    assert vpce.endpoint_url.startswith("https://vpce-")
    assert vpce.credentials.kind == "access-keys"
    assert vpce.credentials.access_key == "AKIAIOSFODNN7EXAMPLE"
    assert config.encrypted
    warning = next(p for p in config.problems if p.key == "SecretKeyFernet")
    assert warning.severity == "warning"
    assert "beside" in warning.message and "import-legacy" in (warning.fix or "")
    assert config.path("vpce") is vpce  # usable: warnings never block


def test_legacy_encrypted_file_lists_its_models() -> None:
    config = load_config(DATA / "legacy_config.properties")
    assert config.models == {
        "Claude-3-Haiku": "anthropic.claude-3-haiku-20240307-v1:0",
        "Titan-Text": "amazon.titan-text-express-v1",
    }


def test_legacy_model_id_key_adds_the_model() -> None:
    config = parse_config("[default]\nRegion=us-east-1\nModelID=anthropic.claude-v2\n")
    assert config.default_model == "anthropic.claude-v2"
    assert "anthropic.claude-v2" in config.models.values()


def test_legacy_get_credentials_from_maps_to_modes() -> None:
    modes = {}
    for value in ("0", "1", "2"):
        text = (f"[default]\nRegion=us-east-1\nGetCredentialsFrom={value}\nAssumeRoleARN={GOOD_ROLE}\n"
                "AccessKey=AKIAIOSFODNN7EXAMPLE\nSecretKey=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
        modes[value] = parse_config(text).paths["nat"].credentials
    assert [modes[v].kind for v in "012"] == ["instance", "assume-role", "access-keys"]
    assert modes["0"].role_arn is None and modes["1"].access_key is None
    assert modes["2"].discouraged


def test_legacy_without_vpce_url_has_only_the_public_path() -> None:
    config = parse_config("[default]\nUseVPCe=false\nRegion=eu-central-1\n")
    assert list(config.paths) == ["nat"]
    assert config.paths["nat"].runtime_endpoint == "https://bedrock-runtime.eu-central-1.amazonaws.com"


def test_keys_keep_their_case_and_lookup_tolerates_hand_written_case() -> None:
    config = parse_config("[default]\nusevpce=TRUE\nREGION=us-west-2\n"
                          f"vpcendpointurl={GOOD_VPCE}\n[models]\nMy-Model = amazon.titan-text-express-v1\n")
    assert config.default_path == "vpce"
    assert "My-Model" in config.models


# --------------------------------------------------------------------------- new format


def test_new_format_describes_several_paths_in_one_file() -> None:
    text = f"""
[workshop]
Region = us-west-2
DefaultPath = vpce
DefaultModel = anthropic.claude-3-haiku-20240307-v1:0

[quota]
MaxInvocations = 100
PerMinute = 10

[path nat]
CredentialMode = instance

[path vpce]
EndpointURL = {GOOD_VPCE}
ConnectTimeout = 2
MaxAttempts = 5
RetryMode = adaptive

[path cross-account]
Region = us-east-1
EndpointURL = https://vpce-0aaa-bbbb.bedrock-runtime.us-east-1.vpce.amazonaws.com
RoleARN = {GOOD_ROLE}
ExternalId = workshop-external-id
SessionName = alice
DurationSeconds = 1800
STSEndpointURL = https://vpce-0ccc-dddd.sts.us-east-1.vpce.amazonaws.com

[models]
Claude-3-Haiku = anthropic.claude-3-haiku-20240307-v1:0
"""
    config = parse_config(text, source="multi.properties")
    assert config.problems == ()
    assert list(config.paths) == ["nat", "vpce", "cross-account"]
    cross = config.path("cross-account")
    assert cross.kind == "cross-account"
    assert cross.credentials.kind == "assume-role"  # the default for a cross-account path
    assert cross.credentials.duration_seconds == 1800
    assert cross.credentials.sts_endpoint.startswith("https://vpce-0ccc")
    vpce = config.path("vpce")
    assert (vpce.connect_timeout, vpce.max_attempts, vpce.retry_mode) == (2.0, 5, "adaptive")
    assert config.quota.max_invocations == 100 and config.quota.per_minute == 10


def test_zonal_vpce_url_is_accepted() -> None:
    zonal = "https://vpce-0123abc-xyz12345-us-west-2a.bedrock-runtime.us-west-2.vpce.amazonaws.com"
    assert check_vpce_url(zonal) is None


def test_sandbox_true_without_paths_gives_the_five_sandbox_paths() -> None:
    config = parse_config("[workshop]\nSandbox = true\n\n[sandbox]\nNoDelay = true\nSeed = 7\n")
    assert config.sandbox
    assert list(config.paths) == ["nat", "vpce", "cross-account", "api-gateway", "llm-gateway"]
    assert sandbox_options(config) == {"no_delay": True, "seed": 7, "port": 0, "latency_profile": None}


def test_default_config_is_the_sandbox_with_all_five_paths() -> None:
    config = default_config()
    assert config.sandbox and config.problems == ()
    assert list(config.paths) == ["nat", "vpce", "cross-account", "api-gateway", "llm-gateway"]
    assert config.paths["api-gateway"].kind == "api-gateway"
    assert config.paths["api-gateway"].gateway.auth == "api-key"
    assert config.paths["llm-gateway"].kind == "llm-gateway"
    cross = config.paths["cross-account"].credentials
    assert cross.kind == "assume-role"
    assert cross.role_arn == "arn:aws:iam::444455556666:role/BedrockCrossAccountRole"
    assert cross.external_id == "workshop-external-id"
    assert config.paths["nat"].credentials.kind == "instance"


def test_unknown_path_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown path 'vcpe'.*nat, vpce, cross-account"):
        default_config().path("vcpe")


# --------------------------------------------------------------------------- validation messages

BAD_VALUES = [
    # (path body, key, bad value shown, expected wording)
    ("Region = us-east", "Region", "'us-east'", "us-east-1, eu-central-2 or us-gov-west-1"),
    ("RoleARN = arn:aws:iam::4444:role/x\nCredentialMode = assume-role", "RoleARN",
     "'arn:aws:iam::4444:role/x'", "arn:aws[-cn|-us-gov]:iam::<12-digit account>:role/<path/name>"),
    ("EndpointURL = https://bedrock-runtime.us-west-2.amazonaws.com", "EndpointURL",
     "'https://bedrock-runtime.us-west-2.amazonaws.com'", "https://vpce-<id>-<suffix>.bedrock-runtime."),
    ("EndpointURL = http://vpce-0a-b.bedrock-runtime.us-west-2.vpce.amazonaws.com", "EndpointURL",
     "http to a non-loopback host", "https://vpce-<id>"),
    ("CredentialMode = sso", "CredentialMode", "'sso'", "instance / assume-role / access-keys / profile"),
    ("DurationSeconds = 60", "DurationSeconds", "'60'", "an integer from 900 to 43200"),
    ("ConnectTimeout = fast", "ConnectTimeout", "'fast'", "a number"),
    ("MaxAttempts = 0", "MaxAttempts", "'0'", "an integer from 1 to 20"),
    ("RetryMode = eager", "RetryMode", "'eager'", "standard / adaptive / legacy"),
    ("Kind = tunnel", "Kind", "'tunnel'", "nat / vpce / cross-account / proxy"),
    ("STSEndpointURL = ftp://sts.example", "STSEndpointURL", "'ftp://sts.example'", "https://sts.<region>"),
    ("SessionName = has space", "SessionName", "'has space'", "2-64 characters"),
    ("CredentialMode = assume-role", "RoleARN", "needs a role ARN", "arn:aws[-cn|-us-gov]:iam::"),
    ("CredentialMode = profile", "Profile", "needs a profile name", "~/.aws/config"),
]


@pytest.mark.parametrize(("body", "key", "shown", "expected"), BAD_VALUES, ids=[c[1] + ":" + c[2][:20] for c in BAD_VALUES])
def test_bad_path_value_names_file_section_key_value_and_expectation(body: str, key: str, shown: str, expected: str) -> None:
    config = parse_config(new_format(body), source="team.properties")
    with pytest.raises(ConfigError) as err:
        config.path("vpce")
    text = str(err.value)
    assert text.startswith("team.properties: ")
    assert f"[path vpce] {key}" in text
    assert shown in text
    assert expected in text


def test_bad_workshop_region_is_named_in_the_workshop_section() -> None:
    config = parse_config("[workshop]\nRegion = virginia\n[path nat]\n", source="f.ini")
    with pytest.raises(ConfigError, match=r"f.ini: \[workshop\] Region: 'virginia' is not valid"):
        config.path("nat")


def test_bad_model_id_is_a_warning_naming_the_label() -> None:
    config = parse_config("[workshop]\n[path nat]\n[models]\nBroken = Claude 3 Haiku\n", source="f.ini")
    problem = next(p for p in config.problems if p.section == "models")
    assert problem.key == "Broken" and "Claude 3 Haiku" in problem.message
    assert "anthropic.claude-3-haiku-20240307-v1:0" in (problem.fix or "")
    assert config.path("nat")  # a bad model entry does not block a path


def test_access_keys_are_never_echoed_in_messages() -> None:
    body = "CredentialMode = access-keys\nRoleARN = " + GOOD_ROLE + "\nAccessKey = not-a-key-SECRET\nSecretKey = s3cr3t"
    config = parse_config(new_format(body, name="nat"))
    assert any(p.key == "AccessKey" and p.severity == "error" for p in config.problems)
    everything = " ".join(config.warnings) + repr(config)
    assert "not-a-key-SECRET" not in everything and "s3cr3t" not in everything


def test_access_keys_mode_is_labelled_discouraged() -> None:
    body = ("CredentialMode = access-keys\nRoleARN = " + GOOD_ROLE
            + "\nAccessKey = AKIAIOSFODNN7EXAMPLE\nSecretKey = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    config = parse_config(new_format(body, name="nat"))
    warning = next(p for p in config.problems if p.severity == "warning")
    assert "discouraged" in warning.message
    assert config.path("nat").credentials.label.endswith("(discouraged: long-lived keys)")


def test_http_endpoint_is_allowed_only_on_loopback() -> None:
    ok = parse_config(new_format("EndpointURL = http://127.0.0.1:9999", name="nat"))
    assert ok.path("nat").endpoint_url == "http://127.0.0.1:9999"
    bad = parse_config(new_format("EndpointURL = http://10.0.0.5:9999", name="nat"))
    with pytest.raises(ConfigError, match="non-loopback"):
        bad.path("nat")


def test_syntax_error_is_one_config_error_with_the_file() -> None:
    with pytest.raises(ConfigError, match=r"x.ini: .*outside any section"):
        parse_config("Region = us-east-1\n", source="x.ini")


def test_missing_config_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.properties")


def test_file_without_known_sections_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"no \[default\], \[workshop\]"):
        parse_config("[settings]\nRegion = us-east-1\n")


def test_unknown_path_key_is_a_warning_not_an_error() -> None:
    config = parse_config(new_format("EndpointUrl2 = x", name="nat"))
    assert [p.severity for p in config.problems] == ["warning"]


# --------------------------------------------------------------------------- encryption and writing


def test_enc_values_decrypt_with_the_key_file(tmp_path: Path) -> None:
    from workshop import secrets

    key_file = tmp_path / "k.key"
    keyring = secrets.load_keyring(key_file, create=True)
    text = new_format(f"RoleARN = {keyring.encrypt(GOOD_ROLE)}\nCredentialMode = assume-role", name="nat")
    config = parse_config(text, key_file=key_file)
    assert config.path("nat").credentials.role_arn == GOOD_ROLE


def test_enc_value_without_the_key_blocks_only_its_path(tmp_path: Path) -> None:
    from workshop import secrets

    keyring = secrets.load_keyring(tmp_path / "k.key", create=True)
    text = (f"[workshop]\n[path nat]\n[path cross-account]\nRoleARN = {keyring.encrypt(GOOD_ROLE)}\n")
    config = parse_config(text, source="enc.ini", key_file=tmp_path / "other.key")
    assert config.path("nat")
    with pytest.raises(ConfigError, match=r"enc.ini: \[path cross-account\] RoleARN: encrypted value cannot be decrypted"):
        config.path("cross-account")


def test_dump_and_parse_round_trip_encrypting_sensitive_values(tmp_path: Path) -> None:
    original = load_config(DATA / "legacy_config.properties")
    key_file = tmp_path / "k.key"
    text = dump_config(original, encrypt=True, key_file=key_file)
    assert "AKIAIOSFODNN7EXAMPLE" not in text and "444455556666" not in text
    assert "enc:" in text and "Encrypted = true" in text
    again = parse_config(text, key_file=key_file)
    assert again.paths["vpce"] == original.paths["vpce"]
    assert again.models == original.models
    assert again.default_path == original.default_path


def test_save_config_writes_atomically_with_private_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.properties"
    save_config(default_config(), target, encrypt=False)
    assert target.stat().st_mode & 0o777 == 0o600
    loaded = load_config(target)
    assert isinstance(loaded, WorkshopConfig) and loaded.sandbox
    assert list(loaded.paths) == ["nat", "vpce", "cross-account", "api-gateway", "llm-gateway"]
    assert loaded.paths["cross-account"].credentials.external_id == "workshop-external-id"


@pytest.mark.parametrize("text", [
    "[workshop]\nRegion = us-east-1\n[path nat\nKind = nat\n",
    "[path nat\nKind = nat\n",
])
def test_a_section_header_without_its_closing_bracket_is_reported_as_such(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, source="x.ini")
    message = str(info.value)
    assert "'[path nat' has no closing ']'" in message and "[path nat]" in message
    assert "outside any section" not in message


def test_config_loading_and_the_secrets_commands_read_ini_alike() -> None:
    from workshop import secrets

    text = "[workshop]\nRegion = us-east-1\nRegion = eu-west-1\n[path nat]\n"
    with pytest.raises(ConfigError) as loaded:
        parse_config(text, source="x.ini")
    with pytest.raises(ConfigError) as encrypted:
        secrets.encrypt_config_text(text, secrets.Keyring((secrets.generate_key(),), "test"), source="x.ini")
    assert str(loaded.value) == str(encrypted.value)
    assert "Region appears twice in [workshop]" in str(loaded.value)

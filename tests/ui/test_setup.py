"""Setup (step 2): load a config (new, seed and encrypted formats), test a path's draft, apply,
discard, save encrypted — every problem once, in the form's own labels."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.conftest import DATA, SETUP, fast_sandbox, goto, open_app, texts
from workshop.config import dump_config
from workshop.secrets import generate_key, write_key_file
from workshop.ui.frame import DONE_MARK


def click(at: AppTest, label: str) -> AppTest:
    """Click the button with ``label`` and render the result."""
    [button] = [b for b in at.button if b.label == label]
    button.click().run()
    assert not at.exception, at.exception
    return at


def setup_page(config: object = None) -> AppTest:
    return goto(open_app(config), SETUP)


def show_path(at: AppTest, name: str) -> AppTest:
    at.radio(key="w:setup_path").set_value(name).run()
    assert not at.exception, at.exception
    return at


def load_from_disk(at: AppTest, path: Path, key_file: Path | None = None) -> AppTest:
    at.text_input(key="w:config_file").input(str(path))
    if key_file is not None:
        at.text_input(key="w:key_file").input(str(key_file))
    return click(at, "Load from disk")


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader(key="w:config_upload").upload(name, content, "text/plain").run()
    assert not at.exception, at.exception
    return at


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def successes(at: AppTest) -> str:
    return "\n".join(s.value for s in at.success)


def test_sandbox_is_preselected_when_nothing_is_configured() -> None:
    at = setup_page()
    assert "built-in sandbox is selected" in texts(at)
    assert at.radio(key="w:setup_path").options == ["Public endpoint via NAT", "VPC endpoint (PrivateLink)",
                                                     "Cross-account (AssumeRole)", "Private API Gateway + Lambda proxy",
                                                     "LLM gateway (forwarding)"]
    assert at.text_input(key="w:setup:region").disabled  # the sandbox binds its own region


@pytest.mark.parametrize("path", ["nat", "vpce", "cross-account"])
def test_test_this_path_shows_identity_and_reachability(path: str) -> None:
    at = show_path(setup_page(fast_sandbox()), path)
    at.button(key=f"test:{path}").click().run()
    ok = successes(at)
    account = "444455556666" if path == "cross-account" else "111122223333"
    assert "Identity: signed in as arn:aws:" in ok and account in ok
    assert "Reachability: http://127.0.0.1:" in ok
    assert f"{DONE_MARK} Setup done" in at.sidebar.markdown[-1].value


def test_a_wrong_external_id_fails_with_the_fix_and_keeps_what_was_typed() -> None:
    at = show_path(setup_page(fast_sandbox()), "cross-account")
    at.text_input(key="w:setup:cross-account:external_id").input("not-the-external-id")
    at.text_input(key="w:setup:cross-account:session_name").input("my-session").run()
    at.button(key="test:cross-account").click().run()
    assert "Identity:" in errors(at) and "ExternalId" in errors(at) and "Traceback" not in errors(at)
    assert at.text_input(key="w:setup:cross-account:session_name").value == "my-session"


def test_test_checks_the_draft_without_applying_it() -> None:
    at = setup_page()
    at.selectbox(key="w:setup:nat:mode").set_value("profile").run()
    at.button(key="test:nat").click().run()
    # The config in use is untouched: still the built-in sandbox, its mode still instance.
    assert at.session_state["config"] is None and at.session_state["config_label"] == "built-in sandbox"
    assert "**Credentials:** instance" in "\n".join(m.value for m in at.sidebar.markdown)
    # The missing profile is said once, in the form's words; the endpoint is still tested.
    assert errors(at).count("Profile: credential mode profile needs a profile name") == 1
    assert "Reachability: http://127.0.0.1:" in successes(at)
    assert "Identity: not checked yet" in "\n".join(i.value for i in at.info)
    assert "[path nat]" not in texts(at) and "--config" not in texts(at)
    assert at.selectbox(key="w:setup:nat:mode").value == "profile"  # the draft is kept for fixing


def test_discard_changes_puts_the_config_in_use_back_into_the_form() -> None:
    at = setup_page()
    [discard] = [b for b in at.button if b.label == "Discard changes"]
    assert discard.disabled  # nothing to discard yet
    at.selectbox(key="w:setup:nat:mode").set_value("profile").run()
    at.button(key="test:nat").click().run()
    click(at, "Discard changes")
    assert at.selectbox(key="w:setup:nat:mode").value == "instance"
    assert "Profile: credential mode profile needs a profile name" not in errors(at)
    assert next(b for b in at.button if b.label == "Discard changes").disabled


def test_the_chosen_path_stays_shown_after_test_and_apply() -> None:
    at = show_path(setup_page(fast_sandbox()), "cross-account")
    at.button(key="test:cross-account").click().run()
    assert at.radio(key="w:setup_path").value == "cross-account"
    at.text_input(key="w:setup:cross-account:session_name").input("another-session").run()
    click(at, "Apply changes")
    assert at.radio(key="w:setup_path").value == "cross-account"
    assert at.session_state["config"].paths["cross-account"].credentials.session_name == "another-session"


def test_missing_keys_are_named_by_the_fields_label() -> None:
    at = show_path(setup_page(fast_sandbox()), "cross-account")
    at.selectbox(key="w:setup:cross-account:mode").set_value("access-keys").run()
    at.button(key="test:cross-account").click().run()
    shown = errors(at)
    assert "Access key ID: credential mode access-keys needs an access key ID" in shown
    assert "Secret access key: credential mode access-keys needs a secret access key" in shown
    assert "AccessKey" not in shown and "enc:" not in shown and "[path" not in shown
    assert "Reachability:" in successes(at)  # the endpoint is tested, not the credential error repeated


def test_apply_refuses_a_wrong_field_and_keeps_the_config_in_use() -> None:
    at = show_path(setup_page(fast_sandbox()), "cross-account")
    before = at.session_state["config"]
    at.text_input(key="w:setup:cross-account:role_arn").input("arn:aws:iam::12:role/x").run()
    click(at, "Apply changes")
    assert at.session_state["config"] is before
    assert "Not applied" in errors(at)
    assert "Role ARN: 'arn:aws:iam::12:role/x' is not valid — expected an IAM role ARN" in errors(at)


def test_a_file_with_unknown_mode_and_kind_is_not_green_and_the_form_shows_no_default() -> None:
    text = ("[workshop]\nRegion = us-east-1\n\n[path nat]\nCredentialMode = instnace\n\n"
            "[path other]\nKind = cross-acount\nCredentialMode = instance\n")
    at = upload(setup_page(), "typo.properties", text.encode())
    assert "Loaded typo.properties" in "\n".join(w.value for w in at.warning)
    assert "Loaded typo.properties" not in successes(at)
    assert at.radio(key="w:setup_path").value == "nat"  # the first path to fix is shown
    assert at.selectbox(key="w:setup:nat:mode").value is None
    assert "Credential mode: the file says 'instnace', which is not a credential mode" in errors(at)
    show_path(at, "other")
    assert at.selectbox(key="w:setup:other:kind").value is None
    assert "Path kind: the file says 'cross-acount', which is not a path kind" in errors(at)


def test_a_section_header_missing_its_bracket_is_reported_as_such() -> None:
    at = upload(setup_page(), "bracket.properties", b"[workshop]\nRegion = us-east-1\n[path nat\nKind = nat\n")
    assert "the section header '[path nat' has no closing ']'" in errors(at)
    assert "outside any section" not in errors(at)


def test_the_credential_mode_picker_labels_are_short() -> None:
    at = setup_page()
    options = at.selectbox(key="w:setup:nat:mode").options
    assert options == ["instance: default chain", "assume-role: STS AssumeRole", "access-keys: static keys",
                       "profile: named profile / SSO"]


def test_loading_the_original_seed_config_marks_what_to_fix(tmp_path: Path) -> None:
    at = setup_page()
    target = tmp_path / "config.properties"
    shutil.copy(DATA / "seed-config-original.properties", target)
    load_from_disk(at, target)
    assert "Loaded config.properties: AWS, region us-west-2" in texts(at)
    show_path(at, "vpce")
    assert "bedrock-runtime" in errors(at)  # the seed's VPC endpoint names 'bedrock', not 'bedrock-runtime'
    assert "Endpoint URL:" in errors(at)
    assert "AWS" in "\n".join(m.value for m in at.sidebar.markdown)
    assert at.text_input(key="w:setup:region").value == "us-west-2"
    assert not next(b for b in at.button if b.label == "Use the built-in sandbox").disabled


def test_uploading_the_original_encrypted_format_decrypts_it() -> None:
    at = upload(setup_page(), "legacy_config.properties", (DATA / "legacy_config.properties").read_bytes())
    assert "Loaded legacy_config.properties: AWS, region us-west-2" in texts(at)
    config = at.session_state["config"]
    assert config.legacy and "vpce" in config.paths
    warnings = "\n".join(w.value for w in at.warning)
    assert "SecretKeyFernet" in warnings  # the key stored beside the values: said plainly
    # the decrypted access key is shown only masked, as the field's placeholder
    access = config.paths["nat"].credentials.access_key
    assert access and access not in texts(at)
    show_path(at, "nat")
    assert any(t.placeholder.startswith("stored: ") and "…" in t.placeholder
               for t in at.text_input if t.key == "w:setup:nat:access_key")


def test_an_encrypted_new_format_config_loads_with_its_key_file(tmp_path: Path) -> None:
    key_file = write_key_file(tmp_path / "keys" / "workshop.key", [generate_key()])
    target = tmp_path / "enc.properties"
    target.write_text(dump_config(fast_sandbox(), encrypt=True, key_file=key_file))
    assert "enc:" in target.read_text()
    at = load_from_disk(setup_page(), target, key_file)
    assert "Loaded enc.properties: sandbox" in texts(at)
    assert at.session_state["config"].paths["cross-account"].credentials.external_id == "workshop-external-id"


def test_a_missing_key_file_is_one_clear_line_and_nothing_typed_is_lost(tmp_path: Path) -> None:
    key_file = write_key_file(tmp_path / "keys" / "workshop.key", [generate_key()])
    target = tmp_path / "enc.properties"
    target.write_text(dump_config(fast_sandbox(), encrypt=True, key_file=key_file))
    at = load_from_disk(setup_page(), target, tmp_path / "nope.key")
    # loading is lenient: the file loads, each undecryptable value is marked at its field
    assert "key file does not exist" in errors(at)
    assert at.text_input(key="w:config_file").value == str(target)
    assert at.text_input(key="w:key_file").value == str(tmp_path / "nope.key")


def test_a_missing_config_file_names_the_field_and_no_cli_flag() -> None:
    at = load_from_disk(setup_page(), Path("/nonexistent/workshop.properties"))
    assert "Config file on this machine: /nonexistent/workshop.properties does not exist" in errors(at)
    assert "--config" not in texts(at)


def test_save_encrypted_writes_enc_values_that_load_back(tmp_path: Path) -> None:
    at = setup_page(fast_sandbox())
    key_file = tmp_path / "keys" / "save.key"
    target = tmp_path / "saved.properties"
    at.text_input(key="w:key_file").input(str(key_file))
    at.text_input(key="w:save_file").input(str(target)).run()
    click(at, "Save encrypted")
    assert f"Saved {target}" in texts(at)
    text = target.read_text()
    assert "ExternalId = enc:" in text and "workshop-external-id" not in text
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    load_from_disk(at, target, key_file)
    assert at.session_state["config"].paths["cross-account"].credentials.external_id == "workshop-external-id"

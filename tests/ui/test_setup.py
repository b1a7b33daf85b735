"""Setup (step 2): load a config (new, seed and encrypted formats), test each path, save encrypted."""

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


def load_from_disk(at: AppTest, path: Path, key_file: Path | None = None) -> AppTest:
    at.text_input(key="w:config_file").input(str(path))
    if key_file is not None:
        at.text_input(key="w:key_file").input(str(key_file))
    return click(at, "Load from disk")


def test_sandbox_is_preselected_when_nothing_is_configured() -> None:
    at = setup_page()
    assert "built-in sandbox is selected" in texts(at)
    assert [t.label for t in at.tabs] == ["Public endpoint via NAT", "VPC endpoint (PrivateLink)",
                                          "Cross-account (AssumeRole)"]
    assert at.text_input(key="w:setup:region").disabled  # the sandbox binds its own region


@pytest.mark.parametrize("path", ["nat", "vpce", "cross-account"])
def test_test_this_path_shows_identity_and_reachability(path: str) -> None:
    at = setup_page(fast_sandbox())
    at.button(key=f"test:{path}").click().run()
    ok = "\n".join(s.value for s in at.success)
    account = "444455556666" if path == "cross-account" else "111122223333"
    assert f"{path}: signed in as arn:aws:" in ok and account in ok
    assert "reached http://127.0.0.1:" in ok
    assert f"{DONE_MARK} Setup done" in at.sidebar.markdown[-1].value


def test_a_wrong_external_id_fails_with_the_fix_and_keeps_what_was_typed() -> None:
    at = setup_page(fast_sandbox())
    at.text_input(key="w:setup:cross-account:external_id").input("not-the-external-id")
    at.text_input(key="w:setup:cross-account:session_name").input("my-session").run()
    at.button(key="test:cross-account").click().run()
    errors = "\n".join(e.value for e in at.error)
    assert "Identity:" in errors and "ExternalId" in errors and "Traceback" not in errors
    assert at.text_input(key="w:setup:cross-account:session_name").value == "my-session"


def test_loading_the_original_seed_config_shows_its_problems_as_warnings(tmp_path: Path) -> None:
    at = setup_page()
    target = tmp_path / "config.properties"
    shutil.copy(DATA / "seed-config-original.properties", target)
    load_from_disk(at, target)
    assert "Loaded config.properties: AWS, region us-west-2" in texts(at)
    warnings = "\n".join(w.value for w in at.warning)
    assert "bedrock-runtime" in warnings  # the seed's VPC endpoint names 'bedrock', not 'bedrock-runtime'
    assert "AWS" in at.sidebar.markdown[1].value or "AWS" in "\n".join(m.value for m in at.sidebar.markdown)
    assert at.text_input(key="w:setup:region").value == "us-west-2"


def test_uploading_the_original_encrypted_format_decrypts_it() -> None:
    at = setup_page()
    content = (DATA / "legacy_config.properties").read_bytes()
    at.file_uploader(key="w:config_upload").upload("legacy_config.properties", content, "text/plain").run()
    assert not at.exception, at.exception
    assert "Loaded legacy_config.properties: AWS, region us-west-2" in texts(at)
    config = at.session_state["config"]
    assert config.legacy and "vpce" in config.paths
    warnings = "\n".join(w.value for w in at.warning)
    assert "SecretKeyFernet" in warnings  # the key stored beside the values: said plainly
    # the decrypted access key is shown only masked, as the field's placeholder
    access = config.paths["nat"].credentials.access_key
    assert access and access not in texts(at)
    assert any(t.placeholder.startswith("stored: ") and "…" in t.placeholder
               for t in at.text_input if t.key == "w:setup:nat:access_key")


def test_an_encrypted_new_format_config_loads_with_its_key_file(tmp_path: Path) -> None:
    key_file = write_key_file(tmp_path / "keys" / "workshop.key", [generate_key()])
    config = fast_sandbox()
    target = tmp_path / "enc.properties"
    target.write_text(dump_config(config, encrypt=True, key_file=key_file))
    assert "enc:" in target.read_text()
    at = setup_page()
    load_from_disk(at, target, key_file)
    assert "Loaded enc.properties: sandbox" in texts(at)
    assert at.session_state["config"].paths["cross-account"].credentials.external_id == "workshop-external-id"


def test_a_missing_key_file_is_one_clear_line_and_nothing_typed_is_lost(tmp_path: Path) -> None:
    key_file = write_key_file(tmp_path / "keys" / "workshop.key", [generate_key()])
    target = tmp_path / "enc.properties"
    target.write_text(dump_config(fast_sandbox(), encrypt=True, key_file=key_file))
    at = setup_page()
    load_from_disk(at, target, tmp_path / "nope.key")
    # loading is lenient: the file loads, each undecryptable value is a problem naming the key file
    warnings = [w.value for w in at.warning]
    assert any("key file does not exist" in w for w in warnings), warnings
    assert at.text_input(key="w:config_file").value == str(target)
    assert at.text_input(key="w:key_file").value == str(tmp_path / "nope.key")


def test_a_missing_config_file_names_the_file() -> None:
    at = setup_page()
    load_from_disk(at, Path("/nonexistent/workshop.properties"))
    assert any("workshop.properties" in e.value for e in at.error)


def test_a_bad_role_arn_is_reported_with_field_and_fix() -> None:
    at = setup_page(fast_sandbox())
    at.text_input(key="w:setup:cross-account:role_arn").input("arn:aws:iam::12:role/x").run()
    click(at, "Apply changes")
    warnings = "\n".join(w.value for w in at.warning)
    assert "[path cross-account] RoleARN" in warnings and "arn:aws" in warnings
    at.button(key="test:cross-account").click().run()
    assert any("RoleARN" in e.value for e in at.error)


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

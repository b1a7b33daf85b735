"""Home (step 1): what the console teaches, the three paths, where to start, the frame."""

from __future__ import annotations

from tests.ui.conftest import open_app, texts


def test_home_renders_with_the_frame_on_the_builtin_sandbox() -> None:
    at = open_app()  # nothing configured: the built-in sandbox
    assert "three access paths" in at.title[0].value
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    assert "SANDBOX" in sidebar
    assert "Public endpoint via NAT" in sidebar  # chosen path
    assert "Setup done (sandbox preselected)" in sidebar


def test_home_draws_the_three_paths_offline() -> None:
    at = open_app()
    charts = at.get("graphviz_chart")
    assert len(charts) == 1
    dot = charts[0].proto.spec
    for node in ("NAT gateway", "VPC endpoint ENI", "AWS PrivateLink", "Transit Gateway", "Account B", "AssumeRole"):
        assert node in dot


def test_home_says_where_to_start_and_links_every_step() -> None:
    at = open_app()
    links = [el.proto.page for el in at.get("page_link")]
    # url paths: "" is Home; Setup appears twice ("Start with Setup" and the sidebar)
    assert links.count("Setup") == 2
    for page in ("", "Model_and_prompt", "Invoke"):
        assert page in links
    assert "Where to start" in texts(at)
    assert "modelled, not measured on AWS" in texts(at)


def test_sidebar_credential_modes_of_the_builtin_sandbox_match_its_config() -> None:
    from workshop.config import default_config
    from workshop.ui.frame import BUILTIN_CREDENTIALS

    config = default_config()
    assert {name: config.path(name).credentials.kind for name in config.paths} == BUILTIN_CREDENTIALS
    at = open_app()  # nothing configured: the sidebar reads the table, not default_config()
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    assert f"**Credentials:** {BUILTIN_CREDENTIALS['nat']}" in sidebar


# Run in a fresh interpreter: AppTest runs Home once, then we list what got imported.
_HOME_IMPORTS = """
import json, sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=60)
at.run()
assert not at.exception, at.exception
print(json.dumps(sorted(sys.modules)))
"""


def test_home_imports_only_what_it_draws(tmp_path) -> None:
    """The first page of a fresh server must not pay for the sandbox, botocore or later pages."""
    import json
    import os
    import subprocess
    import sys

    from tests.conftest import isolate_environment
    from tests.ui.conftest import APP, ROOT

    env = dict(os.environ)
    isolate_environment(env, tmp_path)
    done = subprocess.run([sys.executable, "-c", _HOME_IMPORTS, str(APP)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    modules = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "workshop.ui.frame" in modules  # the frame is drawn
    for heavy in ("botocore", "boto3", "workshop.sandbox", "workshop.workbench", "workshop.config",
                  "workshop.ui.widgets", "workshop.ui.runner", "altair",
                  "cryptography"):  # the frame installs redaction, which needs no Fernet
        assert heavy not in modules, f"Home's run imported {heavy}"

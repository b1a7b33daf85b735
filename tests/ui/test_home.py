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

"""Test isolation shared by every test.

No test touches the real user's files or AWS settings, and nothing ever leaves loopback:
the default credential chain is cut off from ~/.aws, the environment and the EC2
metadata service (which lives at 169.254.169.254, outside 127.0.0.0/8).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NETGUARD = Path(__file__).resolve().parent / "netguard"



def _install_netguard() -> None:
    """Guard this process; subprocesses load the same file through PYTHONPATH (sitecustomize)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("workshop_test_netguard", NETGUARD / "sitecustomize.py")
    assert spec and spec.loader
    spec.loader.exec_module(importlib.util.module_from_spec(spec))


_install_netguard()

_AWS_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
    "AWS_ENDPOINT_URL_STS",
    "WORKSHOP_CONFIG_KEY",
    "WORKSHOP_STORE_URL",
    "WORKSHOP_PARTICIPANT",
    "WORKSHOP_AZ",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "https_proxy",
    "http_proxy",
)


def isolate_environment(env: dict[str, str] | os._Environ, tmp: Path) -> None:
    """Point user folders at ``tmp`` and cut the AWS default chain off from the host."""
    for name in _AWS_ENV:
        env.pop(name, None)
    env["HOME"] = str(tmp / "home")
    env["XDG_CONFIG_HOME"] = str(tmp / "xdg-config")
    env["XDG_DATA_HOME"] = str(tmp / "xdg-data")
    env["WORKSHOP_CONFIG_DIR"] = str(tmp / "workshop-config")
    env["WORKSHOP_DATA_DIR"] = str(tmp / "workshop-data")
    env["AWS_CONFIG_FILE"] = str(tmp / "aws-config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp / "aws-credentials")
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["NO_PROXY"] = "127.0.0.1,localhost"
    # Every Python subprocess a test starts gets the loopback-only guard too.
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(NETGUARD), str(ROOT), env.get("PYTHONPATH", "")) if p
    )
    (tmp / "home").mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def _isolated_user(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("user")
    saved = dict(os.environ)
    isolate_environment(os.environ, tmp)
    try:
        yield tmp
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[object]:
    """One running sandbox (no simulated delay) shared by the whole test session."""
    from workshop.sandbox import start_sandbox

    server = start_sandbox(no_delay=True)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sandbox_workbench(sandbox: object) -> Iterator[object]:
    """The built-in default config bound to the shared sandbox, one PathClient per path.

    Built without ``Workbench.open`` (and not owning the sandbox), so closing it never
    stops the session's sandbox.
    """
    from workshop.config import bind_sandbox, default_config
    from workshop.workbench import Workbench

    bench = Workbench(bind_sandbox(default_config(), sandbox), sandbox=sandbox, owns_sandbox=False)
    yield bench
    bench.close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound then released: connect is refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

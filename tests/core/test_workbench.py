"""workbench.py / paths.py: one client per path, created once, bound to the sandbox; clean shutdown."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from workshop.config import AccessPath, CredentialMode, default_config, parse_config
from workshop.errors import ConfigError
from workshop.paths import USER_AGENT_EXTRA, PathClient, client_config
from workshop.workbench import Workbench

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


@pytest.fixture(scope="module")
def bench() -> Iterator[Workbench]:
    with Workbench.open(no_delay=True) as wb:
        yield wb


def test_no_config_opens_the_sandbox_with_five_loopback_paths(bench: Workbench) -> None:
    assert bench.is_sandbox
    assert list(bench.config.paths) == ["nat", "vpce", "cross-account", "api-gateway", "llm-gateway"]
    for path in bench.config.paths.values():
        assert path.endpoint_url.startswith("http://127.0.0.1:")
        assert path.credentials.sts_endpoint == bench.sandbox.sts_endpoint
    assert len({p.endpoint_url for p in bench.config.paths.values()}) == 5


def test_client_is_created_once_and_reused(bench: Workbench) -> None:
    first = bench.client("nat")
    assert bench.client("nat") is first
    assert bench.client("nat").runtime is first.runtime


def test_concurrent_first_use_builds_one_client(bench: Workbench) -> None:
    got: list[PathClient] = []
    barrier = threading.Barrier(8)

    def grab() -> None:
        barrier.wait()
        got.append(bench.client("vpce"))

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in got}) == 1


def test_identity_per_path_shows_who_bedrock_sees(bench: Workbench) -> None:
    assert bench.client("nat").identity().account == "111122223333"
    cross = bench.client("cross-account").identity()
    assert cross.account == "444455556666"
    assert cross.arn.startswith("arn:aws:sts::444455556666:assumed-role/BedrockCrossAccountRole/")


def test_cross_account_credentials_time_is_measured(bench: Workbench) -> None:
    assert bench.client("cross-account").credentials_ms > 0


def test_control_plane_client_lists_models(bench: Workbench) -> None:
    models = bench.client("nat").control().list_foundation_models()["modelSummaries"]
    assert any(m["modelId"] == HAIKU for m in models)


def test_invocations_on_one_path_share_one_connection_pool(bench: Workbench) -> None:
    client = bench.client("nat")
    for _ in range(3):
        result = bench.invoke("nat", HAIKU, {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 20,
                                              "messages": [{"role": "user", "content": "hi"}]})
        assert result.ok, result.error_message
    # urllib3 keeps one pool per (scheme, host, port): every call reused the same one.
    assert len(client.runtime._endpoint.http_session._manager.pools) == 1


def test_invoke_delegates_to_invoke_and_returns_a_result(bench: Workbench) -> None:
    body = {"messages": [{"role": "user", "content": [{"text": "What is 2+2?"}]}],
            "inferenceConfig": {"maxTokens": 30}}
    result = bench.invoke("cross-account", HAIKU, body, "converse")
    assert result.ok and result.output_text
    assert result.path == "cross-account" and result.api == "converse"


def test_unknown_path_raises_config_error(bench: Workbench) -> None:
    with pytest.raises(ConfigError, match="unknown path 'proxy'"):
        bench.client("proxy")


def test_misconfigured_path_raises_at_use_naming_the_field() -> None:
    config = parse_config("[workshop]\nRegion = us-east-1\n[path nat]\nRoleARN = arn:aws:iam::1:role/x\n"
                          "CredentialMode = assume-role\n", source="bad.ini")
    wb = Workbench.open(config)
    try:
        with pytest.raises(ConfigError, match=r"bad.ini: \[path nat\] RoleARN"):
            wb.client("nat")
    finally:
        wb.close()


def test_close_stops_the_sandbox() -> None:
    wb = Workbench.open(no_delay=True)
    server = wb.sandbox
    wb.client("nat")
    wb.close()
    assert wb.sandbox is None
    import socket

    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", int(server.endpoints["nat"].rsplit(":", 1)[1])), timeout=1):
        pass


def test_sandbox_faults_from_the_config_reach_the_sandbox() -> None:
    config = parse_config("[workshop]\nSandbox = true\n[sandbox]\nNoDelay = true\n"
                          f"NotEnabled = {HAIKU}\n")
    with Workbench.open(config) as wb:
        body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5,
                "messages": [{"role": "user", "content": "hi"}]}
        result = wb.invoke("nat", HAIKU, body)
    assert result.error_code == "AccessDeniedException"


def test_client_config_fails_fast_retries_and_sizes_the_pool() -> None:
    path = AccessPath("vpce", "vpce", "us-west-2", None, CredentialMode("instance"),
                      proxy="http://127.0.0.1:3128", max_attempts=5, retry_mode="adaptive")
    cfg = client_config(path, pool_size=64)
    assert cfg.connect_timeout == 3.0 and cfg.read_timeout == 60.0
    assert cfg.retries == {"mode": "adaptive", "total_max_attempts": 5}
    assert cfg.max_pool_connections == 64
    assert cfg.proxies == {"http": "http://127.0.0.1:3128", "https": "http://127.0.0.1:3128"}
    assert cfg.user_agent_extra == USER_AGENT_EXTRA


def test_public_endpoint_is_the_regional_runtime_url() -> None:
    path = AccessPath("nat", "nat", "eu-central-2", None, CredentialMode("instance"))
    assert path.runtime_endpoint == "https://bedrock-runtime.eu-central-2.amazonaws.com"


def test_default_config_is_unbound_until_the_sandbox_starts() -> None:
    assert all(p.endpoint_url is None for p in default_config().paths.values())


def test_sandbox_mode_never_uses_the_hosts_aws_credentials() -> None:
    import os
    from pathlib import Path

    Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        "[default]\naws_access_key_id = AKIAI44QH8DHBEXAMPLE\n"
        "aws_secret_access_key = je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY\n"
    )
    with Workbench.open(no_delay=True) as wb:
        assert wb.client("nat").session.get_credentials().access_key == "AKIAIOSFODNN7EXAMPLE"


def test_a_failing_caller_identity_is_asked_once_not_on_every_sample(sandbox, caplog) -> None:
    # STS answers 503 on a server of its own: the first invocation asks (with botocore's retries),
    # the next ones reuse the remembered failure; the invocations themselves all succeed.
    import dataclasses
    import json as jsonlib
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from workshop.config import bind_sandbox

    asked: list[str] = []

    class FailingSts(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            asked.append(self.path)
            body = b"<ErrorResponse><Error><Code>ServiceUnavailable</Code><Message>down</Message></Error></ErrorResponse>"
            self.send_response(503)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    sts = ThreadingHTTPServer(("127.0.0.1", 0), FailingSts)
    threading.Thread(target=sts.serve_forever, daemon=True).start()
    try:
        config = bind_sandbox(default_config(), sandbox)
        nat = config.paths["nat"]
        url = f"http://127.0.0.1:{sts.server_address[1]}"
        nat = dataclasses.replace(nat, credentials=dataclasses.replace(nat.credentials, sts_endpoint=url))
        config = dataclasses.replace(config, paths={**config.paths, "nat": nat})
        body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5,
                "messages": [{"role": "user", "content": "hi"}]}
        with Workbench(config, sandbox=sandbox, owns_sandbox=False) as wb, caplog.at_level("WARNING"):
            assert wb.invoke("nat", HAIKU, body).ok
            after_first = len(asked)
            for _ in range(5):
                assert wb.invoke("nat", HAIKU, jsonlib.loads(jsonlib.dumps(body))).ok
        assert after_first >= 1
        assert len(asked) == after_first
        warnings = [r.getMessage() for r in caplog.records if "caller identity of path nat" in r.getMessage()]
        assert len(warnings) == 1 and "asks STS again" in warnings[0]
    finally:
        sts.shutdown()
        sts.server_close()

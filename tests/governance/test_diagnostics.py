"""Diagnostics: address classification, the DNS verdict per path kind, and the real checks
against the sandbox over loopback. Classification uses a resolver stub (no DNS traffic);
every connection goes to 127.0.0.0/8."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import pytest

from workshop import diagnostics as d
from workshop.errors import ConfigError, InputError

VPCE_HOST = "vpce-0123456789abcdef0-abcd1234.bedrock-runtime.us-east-1.vpce.amazonaws.com"
PUBLIC_HOST = "bedrock-runtime.us-east-1.amazonaws.com"


def stub(addresses: Sequence[str]) -> Callable[[str, int], list[str]]:
    """A resolver that answers every name with ``addresses`` and records what was asked."""
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return list(addresses)

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


def nxdomain(host: str, port: int) -> list[str]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


# --------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("address", "private", "range_name"),
    [
        ("10.0.12.34", True, "RFC 1918 (10.0.0.0/8)"),
        ("172.16.0.1", True, "RFC 1918 (172.16.0.0/12)"),
        ("172.31.255.254", True, "RFC 1918 (172.16.0.0/12)"),
        ("192.168.1.20", True, "RFC 1918 (192.168.0.0/16)"),
        ("100.64.0.1", True, "CGNAT (100.64.0.0/10)"),
        ("100.127.255.254", True, "CGNAT (100.64.0.0/10)"),
        ("169.254.169.254", True, "link-local (169.254.0.0/16)"),
        ("127.0.0.1", True, "loopback (127.0.0.0/8)"),
        ("fd12:3456:789a::1", True, "IPv6 unique local (fc00::/7)"),
        ("fe80::1%eth0", True, "IPv6 link-local (fe80::/10)"),
        ("::1", True, "IPv6 loopback (::1)"),
        ("::ffff:10.1.2.3", True, "RFC 1918 (10.0.0.0/8)"),
        ("52.94.133.131", False, "public"),
        ("172.32.0.1", False, "public"),
        ("100.128.0.1", False, "public"),
        ("2600:1f18:4a3:6902::1", False, "public"),
        ("::ffff:52.94.133.131", False, "public"),
    ],
)
def test_every_kind_of_address_is_classified_private_or_public(address: str, private: bool, range_name: str) -> None:
    info = d.classify_address(address)
    assert (info.private, info.range) == (private, range_name)
    assert info.kind == ("private" if private else "public")


def test_loopback_is_labelled_the_sandbox_in_sandbox_mode_only() -> None:
    assert d.classify_address("127.0.0.1", sandbox=True).kind == "sandbox"
    assert d.classify_address("::1", sandbox=True).kind == "sandbox"
    assert d.classify_address("10.0.0.1", sandbox=True).kind == "private"
    assert d.classify_address("127.0.0.1").kind == "private"


def test_documentation_ranges_count_as_public_so_they_never_fake_a_privatelink_proof() -> None:
    # ipaddress.is_private says True for these; a PrivateLink verdict must not.
    assert not d.classify_address("192.0.2.10").private
    assert not d.classify_address("198.18.0.1").private


# --------------------------------------------------------------------------- DNS verdicts


def test_vpce_path_resolving_private_is_the_privatelink_proof() -> None:
    check, addresses = d.dns_check(VPCE_HOST, 443, kind="vpce", resolver=stub(["10.0.1.23", "10.0.2.45"]))
    assert check.ok is True
    assert "PrivateLink is in use" in check.summary
    assert [a.address for a in addresses] == ["10.0.1.23", "10.0.2.45"]


def test_vpce_path_resolving_public_fails_with_the_fix() -> None:
    check, _ = d.dns_check(PUBLIC_HOST, 443, kind="vpce", resolver=stub(["52.94.133.131"]))
    assert check.ok is False
    assert "does not stay on PrivateLink" in check.summary
    assert "private DNS" in check.fix and "vpce-" in check.fix


def test_vpce_path_with_mixed_answers_fails_and_names_both_kinds() -> None:
    check, addresses = d.dns_check(VPCE_HOST, 443, kind="vpce", resolver=stub(["10.0.1.23", "52.94.133.131"]))
    assert check.ok is False
    assert "some public" in check.summary
    assert "52.94.133.131" in check.detail and "10.0.1.23" in check.detail
    assert [a.private for a in addresses] == [True, False]


def test_vpce_dns_name_is_expected_private_whatever_the_path_kind() -> None:
    check, _ = d.dns_check(VPCE_HOST, 443, kind="cross-account", resolver=stub(["52.94.133.131"]))
    assert check.ok is False


def test_public_name_resolving_public_passes_and_says_private_dns_is_off() -> None:
    check, _ = d.dns_check(PUBLIC_HOST, 443, kind="nat", resolver=stub(["52.94.133.131", "2600:1f18:4a3:6902::1"]))
    assert check.ok is True
    assert "public endpoint" in check.summary
    assert "private DNS is off" in check.detail


def test_public_name_resolving_private_means_the_nat_path_is_really_privatelink() -> None:
    check, _ = d.dns_check(PUBLIC_HOST, 443, kind="nat", resolver=stub(["10.0.1.23"]))
    assert check.ok is False
    assert "this path goes through PrivateLink" in check.summary
    assert check.fix


def test_cross_account_name_is_reported_without_a_verdict() -> None:
    check, _ = d.dns_check("bedrock.example.internal", 443, kind="cross-account", resolver=stub(["100.64.3.4"]))
    assert check.ok is True
    assert "private" in check.summary


def test_ipv6_only_private_answer_passes_for_vpce() -> None:
    check, addresses = d.dns_check(VPCE_HOST, 443, kind="vpce", resolver=stub(["fd00:ec2::23"]))
    assert check.ok is True
    assert addresses[0].version == 6


def test_nxdomain_fails_with_the_dns_fix_and_no_addresses() -> None:
    check, addresses = d.dns_check(VPCE_HOST, 443, kind="vpce", resolver=nxdomain)
    assert check.ok is False
    assert addresses == ()
    assert "does not resolve" in check.summary
    assert "DNS hostnames" in check.fix


def test_an_empty_answer_fails() -> None:
    check, _ = d.dns_check(VPCE_HOST, 443, kind="vpce", resolver=stub([]))
    assert check.ok is False


def test_the_resolver_is_asked_for_the_endpoint_host_and_port() -> None:
    resolve = stub(["10.0.0.5"])
    d.dns_check(VPCE_HOST, 443, kind="vpce", resolver=resolve)
    assert resolve.asked == [(VPCE_HOST, 443)]  # type: ignore[attr-defined]


def test_system_resolver_resolves_localhost_to_loopback() -> None:
    addresses = d.system_resolver("localhost", 80)
    assert addresses
    assert all(d.classify_address(a).range.startswith(("loopback", "IPv6 loopback")) for a in addresses)


def test_endpoint_parts_defaults_the_port_by_scheme() -> None:
    assert d.endpoint_parts(f"https://{VPCE_HOST}") == ("https", VPCE_HOST, 443)
    assert d.endpoint_parts("http://127.0.0.1:8600") == ("http", "127.0.0.1", 8600)
    with pytest.raises(InputError):
        d.endpoint_parts("bedrock-runtime")


# --------------------------------------------------------------------------- TCP / TLS


def test_tcp_connect_to_the_sandbox_passes_and_reports_a_time(sandbox: Any, loopback_only: None) -> None:
    _, host, port = d.endpoint_parts(sandbox.endpoints["vpce"])
    check = d.tcp_check(host, port, timeout=3.0)
    assert check.ok is True
    assert check.elapsed_ms is not None and check.elapsed_ms >= 0
    assert "(cold)" in check.summary


def test_tcp_connect_refused_fails_with_a_fix(closed_port: int, loopback_only: None) -> None:
    check = d.tcp_check("127.0.0.1", closed_port, timeout=3.0)
    assert check.ok is False
    assert check.fix


def test_tcp_timeout_fails_pointing_at_the_security_group() -> None:
    def silent(address: str, port: int, timeout: float) -> socket.socket:
        raise TimeoutError("timed out")

    check = d.tcp_check("10.0.1.23", 443, timeout=3.0, connector=silent)
    assert check.ok is False
    assert "security group" in check.fix


def test_tls_is_skipped_for_the_http_sandbox_and_says_why() -> None:
    check = d.tls_check("http", "127.0.0.1", "127.0.0.1", 8600, timeout=3.0)
    assert check.ok is None
    assert check.status == "skip"
    assert "plain http" in check.summary


def test_tls_handshake_failure_against_a_plain_listener_is_a_failed_check(sandbox: Any, loopback_only: None) -> None:
    # The sandbox speaks http: a TLS ClientHello to it cannot complete.
    _, host, port = d.endpoint_parts(sandbox.endpoints["nat"])
    check = d.tls_check("https", "localhost", host, port, timeout=3.0)
    assert check.ok is False
    assert check.fix


# --------------------------------------------------------------------------- whole paths (sandbox)


def test_every_sandbox_path_passes_with_loopback_labelled_the_sandbox(sandbox_workbench: Any,
                                                                      loopback_only: None) -> None:
    diagnoses = d.diagnose(sandbox_workbench)
    assert [x.path for x in diagnoses] == ["nat", "vpce", "cross-account", "api-gateway", "llm-gateway"]
    for diagnosis in diagnoses:
        assert diagnosis.ok, diagnosis.failures
        assert [c.name for c in diagnosis.checks] == list(d.CHECK_NAMES)
        assert all(a.kind == "sandbox" for a in diagnosis.addresses)
        assert diagnosis.check(d.TLS).status == "skip"
        assert diagnosis.check(d.TCP).ok is True


def test_cross_account_path_runs_as_account_b(sandbox_workbench: Any) -> None:
    diagnosis = d.diagnose_path(sandbox_workbench, "cross-account")
    assert diagnosis.identity is not None
    assert diagnosis.identity.account == "444455556666"
    assert diagnosis.identity.arn.startswith("arn:aws:sts::444455556666:assumed-role/BedrockCrossAccountRole/")
    assert "account B" in diagnosis.check(d.IDENTITY).summary


def test_nat_path_runs_as_the_participant_in_account_a(sandbox_workbench: Any) -> None:
    diagnosis = d.diagnose_path(sandbox_workbench, "nat")
    assert diagnosis.identity is not None
    assert diagnosis.identity.account == "111122223333"


def test_a_role_path_whose_identity_is_not_the_role_fails() -> None:
    class Who:
        account, arn = "111122223333", "arn:aws:iam::111122223333:user/workshop-participant"

    class Client:
        def identity(self) -> Who:
            return Who()

    class Creds:
        role_arn = "arn:aws:iam::444455556666:role/BedrockCrossAccountRole"
        assumes_role = True

    class Path:
        kind = "cross-account"
        credentials = Creds()

    check, info = d.identity_check(Client(), Path())
    assert check.ok is False
    assert info is not None and info.account == "111122223333"
    assert "RoleARN" in check.fix


def test_model_access_passes_for_an_enabled_model(sandbox_workbench: Any) -> None:
    diagnosis = d.diagnose_path(sandbox_workbench, "vpce", model_id="anthropic.claude-3-haiku-20240307-v1:0")
    assert diagnosis.check(d.MODEL_ACCESS).ok is True


def test_model_access_fails_for_a_model_not_enabled_with_the_console_fix(sandbox_workbench: Any) -> None:
    diagnosis = d.diagnose_path(sandbox_workbench, "cross-account", model_id="anthropic.claude-3-opus-20240229-v1:0")
    check = diagnosis.check(d.MODEL_ACCESS)
    assert check.ok is False
    assert "AccessDeniedException" in check.summary
    assert "Model access" in check.fix
    assert not diagnosis.ok


def test_model_access_with_count_tokens_probe_generates_nothing(sandbox_workbench: Any) -> None:
    diagnosis = d.diagnose_path(sandbox_workbench, "nat", model_id="anthropic.claude-3-haiku-20240307-v1:0",
                                probe="count-tokens")
    assert diagnosis.check(d.MODEL_ACCESS).ok is True
    assert "CountTokens" in diagnosis.check(d.MODEL_ACCESS).summary


def test_catalog_probe_fails_for_a_model_the_region_does_not_have(sandbox_workbench: Any) -> None:
    diagnosis = d.diagnose_path(sandbox_workbench, "nat", model_id="acme.nonexistent-model-v1:0", probe="catalog")
    check = diagnosis.check(d.MODEL_ACCESS)
    assert check.ok is False
    assert "ResourceNotFoundException" in check.summary


def test_unknown_path_is_a_config_error_before_any_probe(sandbox_workbench: Any) -> None:
    with pytest.raises(ConfigError):
        d.diagnose(sandbox_workbench, ["nat", "nope"])


def test_diagnosis_is_json_serialisable(sandbox_workbench: Any) -> None:
    data = json.loads(json.dumps(d.diagnose_path(sandbox_workbench, "vpce").to_dict()))
    assert data["path"] == "vpce"
    assert data["ok"] is True
    assert {c["status"] for c in data["checks"]} <= {"pass", "fail", "skip"}
    assert data["addresses"][0]["kind"] == "sandbox"
    assert data["identity"]["account"] == "111122223333"


def test_a_stub_resolver_reaches_the_dns_verdict_of_a_whole_path(sandbox_workbench: Any) -> None:
    # The vpce path pointed at its real DNS name, answered by the stub; the TCP probe goes
    # through a connector that only records (nothing leaves the process).
    path = sandbox_workbench.config.paths["vpce"]
    aws_like = replace(sandbox_workbench.config, paths={**sandbox_workbench.config.paths,
                                                        "vpce": replace(path, endpoint_url=f"https://{VPCE_HOST}")})
    dialled: list[tuple[str, int]] = []

    def record(address: str, port: int, timeout: float) -> socket.socket:
        dialled.append((address, port))
        raise ConnectionRefusedError(111, "Connection refused")

    class Bench:
        config = aws_like
        is_sandbox = False

        def client(self, name: str) -> Any:
            return sandbox_workbench.client(name)

    diagnosis = d.diagnose_path(Bench(), "vpce", resolver=stub(["10.0.1.23"]), connector=record,
                                probe="catalog")
    assert diagnosis.check(d.DNS).ok is True
    assert diagnosis.addresses[0].kind == "private"
    assert dialled == [("10.0.1.23", 443)]
    assert diagnosis.check(d.TCP).ok is False
    assert diagnosis.check(d.TLS).status == "skip"


# --------------------------------------------------------------------------- the private-DNS trap

B_VPCE_HOST = "vpce-0c2e4a6b8d0f13579-q3w7e9r1.bedrock-runtime.us-east-1.vpce.amazonaws.com"
LAB_CONFIG = f"""
[workshop]
Region = us-east-1

[path nat]
Kind = nat

[path vpce]
Kind = vpce
EndpointURL = https://{VPCE_HOST}

[path cross-account]
Kind = cross-account
EndpointURL = https://{B_VPCE_HOST}
CredentialMode = assume-role
RoleARN = arn:aws:iam::444455556666:role/bedrock-lab-central-invoke
ExternalId = bedrock-lab-Zx9
"""


def dns(answers: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    """A resolver answering per name; unknown names do not exist (like NXDOMAIN)."""

    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(answers[host])

    return resolve


def lab(**extra: str) -> Any:
    from workshop.config import parse_config

    return parse_config(LAB_CONFIG + "".join(extra.values()), source="lab.properties")


PRIVATE_DNS_ON = {PUBLIC_HOST: ["10.20.2.15", "10.20.3.27"], VPCE_HOST: ["10.20.3.27", "10.20.2.15"],
                  B_VPCE_HOST: ["10.30.0.40", "10.30.1.52"]}
PRIVATE_DNS_OFF = {**PRIVATE_DNS_ON, PUBLIC_HOST: ["52.94.133.131", "3.218.182.212"]}


def test_nat_path_resolving_private_says_it_goes_through_privatelink_because_of_private_dns() -> None:
    check, _ = d.dns_check(PUBLIC_HOST, 443, kind="nat", resolver=stub(["10.20.2.15"]))
    assert check.ok is False
    assert "this path goes through PrivateLink: private DNS is on for this VPC's endpoint" in check.summary


def test_with_private_dns_on_nat_and_vpce_share_one_endpoint() -> None:
    shared = d.shared_endpoints(lab(), resolver=dns(PRIVATE_DNS_ON))
    assert [s.paths for s in shared] == [("nat", "vpce")]
    group = shared[0]
    assert group.port == 443 and group.addresses == ("10.20.2.15", "10.20.3.27")
    assert group.hosts == (PUBLIC_HOST, VPCE_HOST)
    assert "the nat path goes through PrivateLink (private DNS is on" in group.reason
    assert "\n" not in group.reason


def test_with_private_dns_off_no_paths_share_an_endpoint() -> None:
    assert d.shared_endpoints(lab(), resolver=dns(PRIVATE_DNS_OFF)) == []


def test_the_sandbox_paths_are_three_listeners_on_one_address_not_one_endpoint(sandbox_workbench: Any) -> None:
    # Every sandbox path is 127.0.0.1, each on its own port: not shared.
    assert d.shared_endpoints(sandbox_workbench) == []
    assert d.shared_endpoints(sandbox_workbench, resolver=stub(["127.0.0.1"])) == []


def test_an_unbound_sandbox_config_groups_only_paths_of_the_same_listener() -> None:
    from workshop.config import default_config

    config = default_config()
    assert d.shared_endpoints(config) == []
    twin = replace(config.paths["nat"], name="nat-2")
    doubled = replace(config, paths={**config.paths, "nat-2": twin})
    assert [s.paths for s in d.shared_endpoints(doubled)] == [("nat", "nat-2")]


def test_two_paths_with_one_url_are_shared_even_when_the_name_does_not_resolve() -> None:
    config = lab(extra=f"\n[path vpce-copy]\nKind = vpce\nEndpointURL = https://{VPCE_HOST}\n")
    shared = d.shared_endpoints(config, ["vpce", "vpce-copy", "nat"], resolver=nxdomain)
    assert [s.paths for s in shared] == [("vpce", "vpce-copy")]
    assert f"call the same endpoint {VPCE_HOST}:443" in shared[0].reason


def test_a_cross_account_path_without_peering_under_private_dns_joins_the_group() -> None:
    config = lab()
    unpeered = replace(config.paths["cross-account"], endpoint_url=None)
    config = replace(config, paths={**config.paths, "cross-account": unpeered})
    shared = d.shared_endpoints(config, resolver=dns(PRIVATE_DNS_ON))
    assert [s.paths for s in shared] == [("nat", "vpce", "cross-account")]


def test_shared_endpoints_checks_path_names_first() -> None:
    with pytest.raises(ConfigError):
        d.shared_endpoints(lab(), ["nat", "nope"], resolver=dns(PRIVATE_DNS_ON))


def test_shared_endpoint_is_json_ready() -> None:
    group = d.shared_endpoints(lab(), resolver=dns(PRIVATE_DNS_ON))[0]
    assert json.loads(json.dumps(group.to_dict()))["paths"] == ["nat", "vpce"]


def _trap_config(sandbox: Any, tmp_path: Any) -> Any:
    """An AWS-mode config whose nat path reaches the vpce path's listener, as private DNS
    makes it do on AWS: its name resolves to a private (here loopback) address."""
    url = sandbox.endpoints["vpce"]
    target = tmp_path / "trap.properties"
    target.write_text(
        f"[workshop]\nRegion = {sandbox.region}\n\n"
        f"[path nat]\nKind = nat\nEndpointURL = {url}\nSTSEndpointURL = {sandbox.sts_endpoint}\n"
        f"ControlEndpointURL = {sandbox.control_endpoint}\n\n"
        f"[path vpce]\nKind = vpce\nEndpointURL = {url}\nSTSEndpointURL = {sandbox.sts_endpoint}\n"
        f"ControlEndpointURL = {sandbox.control_endpoint}\n\n"
        "[models]\nClaude-3-Haiku = anthropic.claude-3-haiku-20240307-v1:0\n"
    )
    return target


def test_diagnose_cli_flags_the_trap_and_the_shared_endpoint(sandbox: Any, tmp_path: Any, monkeypatch: Any,
                                                             capsys: Any) -> None:
    from workshop.cli import main

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    config = _trap_config(sandbox, tmp_path)
    assert main(["diagnose", "--config", str(config), "--probe", "catalog"]) == 1
    out = capsys.readouterr().out
    assert "this path goes through PrivateLink: private DNS is on for this VPC's endpoint" in out
    assert "SAME ENDPOINT  nat = vpce" in out
    assert main(["diagnose", "--config", str(config), "--probe", "catalog", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [item["shared_endpoint"]["paths"] for item in data] == [["nat", "vpce"], ["nat", "vpce"]]


def test_diagnose_cli_on_the_sandbox_reports_no_shared_endpoint(capsys: Any) -> None:
    from workshop.cli import main

    assert main(["diagnose", "--probe", "catalog", "--json"]) == 0
    assert all(item["shared_endpoint"] is None for item in json.loads(capsys.readouterr().out))

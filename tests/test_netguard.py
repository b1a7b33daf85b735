"""The test suite itself cannot reach beyond loopback."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest


def test_lookup_of_a_public_name_is_refused_in_process() -> None:
    with pytest.raises(socket.gaierror, match="netguard"):
        socket.getaddrinfo("sts.us-east-1.amazonaws.com", 443)


def test_connect_to_a_non_loopback_address_is_refused_in_process() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(OSError, match="netguard"):
        sock.connect(("192.0.2.10", 443))  # TEST-NET-1: never routed


def test_loopback_still_works() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass


def test_subprocesses_inherit_the_guard() -> None:
    code = "import socket\ntry:\n    socket.getaddrinfo('bedrock-runtime.us-east-1.amazonaws.com', 443)\nexcept OSError as e:\n    print(e)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "netguard" in out.stdout

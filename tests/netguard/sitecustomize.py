"""Loopback-only network guard for the test suite (and every subprocess it starts).

Tests must never send traffic beyond 127.0.0.0/8. This module is put on PYTHONPATH by
tests/conftest.py, so Python runs it at start-up in the test process and in every
subprocess (CLI runs, the Streamlit server): a connection or a name lookup for anything
but loopback fails at once with a clear OSError instead of leaving the machine.
"""

from __future__ import annotations

import ipaddress
import socket

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_loopback(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%")[0].lower()
    if name in _LOCAL_NAMES or name == "":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class NetworkGuardError(OSError):
    """Raised instead of sending traffic outside loopback during tests."""


def _guard(host: object, what: str) -> None:
    if not _is_loopback(host):
        raise NetworkGuardError(f"netguard: blocked {what} to {host!r} (tests stay on 127.0.0.0/8)")


_orig_getaddrinfo = socket.getaddrinfo
_orig_connect = socket.socket.connect
_orig_connect_ex = socket.socket.connect_ex
_orig_sendto = socket.socket.sendto


def _getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if not _is_loopback(host):
        raise socket.gaierror(socket.EAI_NONAME, f"netguard: no lookups of {host!r} in tests")
    return _orig_getaddrinfo(host, *args, **kwargs)


def _address_host(address: object) -> object:
    if isinstance(address, tuple) and address:
        return address[0]
    return None if isinstance(address, (str, bytes)) else address  # AF_UNIX paths are local


def _connect(self, address):  # type: ignore[no-untyped-def]
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _guard(_address_host(address), "connect")
    return _orig_connect(self, address)


def _connect_ex(self, address):  # type: ignore[no-untyped-def]
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _guard(_address_host(address), "connect")
    return _orig_connect_ex(self, address)


def _sendto(self, data, *args):  # type: ignore[no-untyped-def]
    if self.family in (socket.AF_INET, socket.AF_INET6) and args:
        _guard(_address_host(args[-1]), "sendto")
    return _orig_sendto(self, data, *args)


def install() -> None:
    socket.getaddrinfo = _getaddrinfo
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = _sendto  # type: ignore[method-assign]


install()

"""HTTP/1.1 request framing for the sandbox: limits, body reading, and slow or idle clients.

``http.server`` parses the request line and headers; everything it leaves open is here:
how large a request may be, how a body is read (``Content-Length`` or chunked), how long a
client may take to send it, and how many connections one listener keeps. Every refusal is
an HTTP answer a real endpoint would give (400, 408, 413, 414, 431, 501, 503) with a
message naming the limit, never a dropped connection or a thread waiting forever. The
numbers are in :class:`SandboxLimits` and docs/limits.md (a test keeps the two equal).

A connection is in one of three phases, which the listener's watchdog reads once a second:

* ``idle``: waiting for the next request (the socket's own timeout ends it);
* ``reading``: the request line has begun arriving; request line, headers and body must all
  have arrived within ``request_read_timeout_s`` or the client gets 408 and is disconnected;
* ``working``: the service is answering (a stream may take long: never cut by the watchdog).

When a listener holds ``max_connections`` and another client connects, the longest-idle
connection is closed to make room (then the longest-reading one); if every connection is
working, the newcomer gets 503.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

DOC = "docs/limits.md"


@dataclass(frozen=True)
class SandboxLimits:
    """What one sandbox listener accepts from a client (see docs/limits.md)."""

    max_body_bytes: int = 20 * 1024 * 1024
    """Request body, after de-chunking (InvokeModel bodies with images stay well below)."""
    max_url_bytes: int = 8 * 1024
    """Request line (method, path with query, version)."""
    max_header_bytes: int = 32 * 1024
    """Every header line together (http.server also caps one line at 64 KiB and 100 lines)."""
    request_read_timeout_s: float = 30.0
    """From the first byte of a request to the last byte of its body."""
    idle_timeout_s: float = 300.0
    """A keep-alive connection with no request in flight is closed after this."""
    max_connections: int = 256
    """Open connections per listener; beyond, the longest-idle one is closed."""


DEFAULT_LIMITS = SandboxLimits()

# Error codes for answers the HTTP layer gives before any service sees the request.
ERROR_TYPES: dict[int, str] = {
    400: "BadRequestException",
    408: "RequestTimeoutException",
    413: "RequestEntityTooLargeException",
    414: "RequestURITooLongException",
    431: "RequestHeaderFieldsTooLargeException",
    500: "InternalServerException",
    501: "NotImplementedException",
    503: "ServiceUnavailableException",
}

_DIGITS = re.compile(rb"^[0-9]+$")
_HEX = re.compile(rb"^[0-9A-Fa-f]+$")
_MAX_CHUNK_LINE = 1024  # a chunk-size line: hex digits plus optional extensions


class FramingError(Exception):
    """The request cannot be read as HTTP: answer ``status`` with ``message``, then close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _mib(n: int) -> str:
    return f"{n:,} bytes"


def body_length(headers: Any, limits: SandboxLimits) -> int | None:
    """The declared body length, ``None`` for a chunked body; FramingError for anything else.

    RFC 9112: ``Transfer-Encoding: chunked`` wins over ``Content-Length``; other transfer
    codings are not implemented (501); a ``Content-Length`` must be digits, and several must
    agree.
    """
    codings = [c.strip().lower() for value in headers.get_all("Transfer-Encoding") or [] for c in value.split(",")]
    codings = [c for c in codings if c]
    if codings:
        if codings != ["chunked"]:
            raise FramingError(501, f"Transfer-Encoding {', '.join(codings)} is not supported: send the body "
                                    "plain with Content-Length, or chunked")
        return None
    values = {v.strip() for v in headers.get_all("Content-Length") or []}
    if not values:
        return 0
    if len(values) > 1:
        raise FramingError(400, "the request has several different Content-Length headers")
    raw = values.pop()
    if not _DIGITS.match(raw.encode("latin-1", "replace")):
        raise FramingError(400, f"Content-Length must be a non-negative whole number of bytes, not {raw[:40]!r}")
    length = int(raw[:30]) if len(raw) <= 30 else limits.max_body_bytes + 1
    if length > limits.max_body_bytes:
        raise FramingError(413, f"the request body of {_mib(length)} exceeds the sandbox's limit of "
                                f"{_mib(limits.max_body_bytes)} (max_body_bytes, {DOC})")
    return length


def read_body(rfile: Any, length: int | None, limits: SandboxLimits) -> bytes:
    """Read exactly the body ``body_length`` announced (``None``: chunked), within the limit.

    A client that closes before the body is complete gets FramingError(400); the caller
    answers it if the socket still takes writes.
    """
    if length is not None:
        data = rfile.read(length) if length else b""
        if len(data) != length:
            raise FramingError(400, f"the body ended after {len(data):,} of the {length:,} bytes Content-Length "
                                    "announced")
        return data
    chunks: list[bytes] = []
    total = 0
    while True:
        line = rfile.readline(_MAX_CHUNK_LINE + 1)
        if not line:
            raise FramingError(400, "the chunked body ended before its last (zero-size) chunk")
        if len(line) > _MAX_CHUNK_LINE:
            raise FramingError(400, f"a chunk-size line is longer than {_MAX_CHUNK_LINE} bytes")
        size_text = line.split(b";", 1)[0].strip()
        if not _HEX.match(size_text):
            raise FramingError(400, f"a chunk size must be hexadecimal digits, not {size_text[:20]!r}")
        if len(size_text) > 16 or total + int(size_text, 16) > limits.max_body_bytes:
            raise FramingError(413, f"the chunked request body exceeds the sandbox's limit of "
                                    f"{_mib(limits.max_body_bytes)} (max_body_bytes, {DOC})")
        size = int(size_text, 16)
        if size == 0:
            _read_trailers(rfile, limits)
            return b"".join(chunks)
        data = rfile.read(size)
        if len(data) != size:
            raise FramingError(400, "the chunked body ended inside a chunk")
        if rfile.read(2) != b"\r\n":
            raise FramingError(400, "a chunk's data must be followed by CRLF")
        chunks.append(data)
        total += size


def _read_trailers(rfile: Any, limits: SandboxLimits) -> None:
    seen = 0
    while True:
        line = rfile.readline(limits.max_header_bytes + 1)
        seen += len(line)
        if seen > limits.max_header_bytes:
            raise FramingError(431, f"the chunked body's trailer exceeds {_mib(limits.max_header_bytes)} "
                                    f"(max_header_bytes, {DOC})")
        if line in (b"\r\n", b"\n"):
            return
        if not line:
            raise FramingError(400, "the chunked body ended inside its trailer")


class CappedReader:
    """Wraps a handler's ``rfile`` while ``http.server`` reads the headers, so that all header
    lines together stay within ``limit`` bytes (http.server itself caps only each line)."""

    def __init__(self, raw: Any, limit: int) -> None:
        self._raw = raw
        self._left = limit
        self.exceeded = False

    def readline(self, size: int = -1) -> bytes:
        if self._left <= 0:
            self.exceeded = True
            return b"\r\n"  # ends the header block at once; the caller answers 431
        cap = self._left + 1 if size is None or size < 0 else min(size, self._left + 1)
        line = self._raw.readline(cap)
        self._left -= len(line)
        if self._left < 0:
            self.exceeded = True
            return b"\r\n"
        return line

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


def error_head_and_body(status: int, message: str, request_id: str) -> bytes:
    """A complete JSON error answer that closes the connection (AWS's rest-json error shape)."""
    import json

    body = json.dumps({"message": message}).encode()
    phrase = HTTPStatus(status).phrase
    head = (f"HTTP/1.1 {status} {phrase}\r\nContent-Type: application/json\r\n"
            f"x-amzn-RequestId: {request_id}\r\nx-amzn-ErrorType: {ERROR_TYPES.get(status, phrase)}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode("latin-1") + body


# --------------------------------------------------------------------------- connections


@dataclass
class _Conn:
    phase: str
    since: float
    timed_out: bool = False


class ConnectionTable:
    """Every open connection of one listener, its phase, and the watchdog that enforces the
    read deadline. Thread-safe; the watchdog is one daemon thread per listener."""

    def __init__(self, limits: SandboxLimits) -> None:
        self.limits = limits
        self._conns: dict[socket.socket, _Conn] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, name: str) -> None:
        self._thread = threading.Thread(target=self._watch, name=f"sandbox-watchdog-{name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __len__(self) -> int:
        with self._lock:
            return len(self._conns)

    def sockets(self) -> list[socket.socket]:
        with self._lock:
            return list(self._conns)

    def admit(self, conn: socket.socket) -> bool:
        """Register a new connection; False when every slot is working (answer 503)."""
        victim: socket.socket | None = None
        with self._lock:
            if len(self._conns) >= self.limits.max_connections:
                victim = self._oldest("idle") or self._oldest("reading")
                if victim is None:
                    return False
                self._conns.pop(victim, None)
            self._conns[conn] = _Conn("idle", time.monotonic())
        if victim is not None:
            _hang_up(victim)
        return True

    def _oldest(self, phase: str) -> socket.socket | None:
        candidates = [(state.since, sock) for sock, state in self._conns.items() if state.phase == phase]
        return min(candidates, key=lambda c: c[0])[1] if candidates else None

    def forget(self, conn: socket.socket) -> bool:
        """Drop a closed connection; False if it was never admitted (or evicted already)."""
        with self._lock:
            return self._conns.pop(conn, None) is not None

    def set_phase(self, conn: socket.socket, phase: str) -> None:
        with self._lock:
            state = self._conns.get(conn)
            if state is not None:
                state.phase = phase
                state.since = time.monotonic()

    def timed_out(self, conn: socket.socket) -> bool:
        with self._lock:
            state = self._conns.get(conn)
            return state is None or state.timed_out

    def _watch(self) -> None:
        while not self._stop.wait(min(1.0, self.limits.request_read_timeout_s / 4)):
            now = time.monotonic()
            late: list[socket.socket] = []
            with self._lock:
                for sock, state in self._conns.items():
                    if (state.phase == "reading" and not state.timed_out
                            and now - state.since > self.limits.request_read_timeout_s):
                        state.timed_out = True
                        late.append(sock)
            for sock in late:
                message = (f"the request did not arrive within {self.limits.request_read_timeout_s:g} s "
                           f"(request_read_timeout_s, {DOC})")
                try:
                    sock.sendall(error_head_and_body(408, message, "-"))
                except OSError:
                    pass
                _hang_up(sock)


def _hang_up(sock: socket.socket) -> None:
    """End a connection from another thread: its handler's next read returns at once."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def drain_and_close(sock: socket.socket, *, budget_bytes: int = 1 << 20, wait_s: float = 0.5) -> None:
    """Close after an early answer without a reset: a socket closed with unread input sends RST,
    which can destroy the answer before the client reads it. So stop writing, read and discard
    what the client still sends (bounded), then close."""
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(wait_s)
        deadline = time.monotonic() + wait_s
        while budget_bytes > 0 and time.monotonic() < deadline:
            data = sock.recv(min(65536, budget_bytes))
            if not data:
                break
            budget_bytes -= len(data)
    except OSError:
        pass

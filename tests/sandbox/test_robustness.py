"""The sandbox's HTTP layer under abuse, over raw sockets: every malformed, oversize, slow or
idle client gets the HTTP answer a real endpoint gives (or is closed cleanly), and after each
one a valid boto3 request is still answered.

A sandbox of its own with small limits (docs/limits.md names the defaults), so the tests
reach each limit quickly; the read deadline is short so a slow client is answered soon.
"""

from __future__ import annotations

import http.client
import json
import selectors
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.sandbox.conftest import NO_RETRY, session_for
from workshop.sandbox import start_sandbox
from workshop.sandbox.framing import SandboxLimits

LIMITS = SandboxLimits(max_body_bytes=64 * 1024, max_url_bytes=2048, max_header_bytes=4096,
                       request_read_timeout_s=1.0, idle_timeout_s=30.0, max_connections=12)
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
BODY = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5,
        "messages": [{"role": "user", "content": "What is the square root of 16?"}]}


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    srv = start_sandbox(no_delay=True, limits=LIMITS)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def runtime(server: Any) -> Any:
    return session_for().client("bedrock-runtime", endpoint_url=server.endpoints["nat"], config=NO_RETRY)


@pytest.fixture(autouse=True)
def _still_serves(runtime: Any) -> Iterator[None]:
    """After every abuse, a valid request is answered."""
    yield
    answer = json.loads(runtime.invoke_model(modelId=MODEL, body=json.dumps(BODY))["body"].read())
    assert answer["content"][0]["text"]


def _port(server: Any) -> int:
    return int(server.endpoints["nat"].rsplit(":", 1)[1])


def _connect(server: Any) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", _port(server)), timeout=30)
    return sock


def _answer(sock: socket.socket) -> tuple[int, dict[str, str], dict]:
    """Read one HTTP answer from ``sock``: status, headers (lower case), JSON body."""
    response = http.client.HTTPResponse(sock)
    response.begin()
    body = response.read()
    headers = {k.lower(): v for k, v in response.getheaders()}
    return response.status, headers, (json.loads(body) if body else {})


def _exchange(server: Any, data: bytes) -> tuple[int, dict[str, str], dict]:
    with _connect(server) as sock:
        sock.sendall(data)
        return _answer(sock)


def _post(path: str = f"/model/{MODEL}/invoke", headers: str = "", *, auth: bool = True) -> bytes:
    signature = ("Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/bedrock/"
                 "aws4_request, SignedHeaders=host;x-amz-date, Signature=00\r\nX-Amz-Date: 20250101T000000Z\r\n"
                 if auth else "")
    return f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{signature}{headers}".encode()


@pytest.mark.parametrize("value", ["abc", "-5", "12abc", "1e3", " ", "0x10"])
def test_a_content_length_that_is_not_a_whole_number_is_400(server: Any, value: str) -> None:
    status, headers, body = _exchange(server, _post(headers=f"Content-Length: {value}\r\n\r\n"))
    assert status == 400
    assert headers["connection"] == "close"
    assert "Content-Length" in body["message"]


def test_two_different_content_lengths_are_400(server: Any) -> None:
    status, _, body = _exchange(server, _post(headers="Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello"))
    assert status == 400
    assert "several different Content-Length" in body["message"]


def test_a_body_over_the_limit_is_413_before_it_is_sent(server: Any) -> None:
    # Only the head is sent: the answer must come without the sandbox waiting for the body.
    status, headers, body = _exchange(server, _post(headers=f"Content-Length: {256 * 1024 * 1024}\r\n\r\n"))
    assert status == 413
    assert headers["x-amzn-errortype"] == "RequestEntityTooLargeException"
    assert "max_body_bytes" in body["message"] and f"{LIMITS.max_body_bytes:,}" in body["message"]


def test_an_unauthenticated_body_is_refused_before_it_is_read(server: Any) -> None:
    # A body within the limit, announced but never sent: the answer comes from the headers alone.
    status, headers, _ = _exchange(server, _post(headers="Content-Length: 60000\r\n\r\n", auth=False))
    assert status == 403
    assert headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert headers["connection"] == "close"


def test_an_unknown_key_is_refused_before_the_body_is_read(server: Any) -> None:
    data = _post(headers="Content-Length: 60000\r\n\r\n").replace(b"AKIAIOSFODNN7EXAMPLE", b"AKIAI44QH8DHBEXAMPLE")
    status, headers, _ = _exchange(server, data)
    assert (status, headers["x-amzn-errortype"]) == (403, "UnrecognizedClientException")


@pytest.mark.parametrize("size_line", [b"ffffffffffffffffffffffff", b"20000"])
def test_an_absurd_chunk_size_is_413(server: Any, size_line: bytes) -> None:
    status, _, body = _exchange(server, _post(headers="Transfer-Encoding: chunked\r\n\r\n") + size_line + b"\r\n")
    assert status == 413
    assert "max_body_bytes" in body["message"]


@pytest.mark.parametrize("size_line", [b"zz", b"-1", b"", b"0x10"])
def test_a_chunk_size_that_is_not_hex_is_400(server: Any, size_line: bytes) -> None:
    status, _, body = _exchange(server, _post(headers="Transfer-Encoding: chunked\r\n\r\n") + size_line + b"\r\n")
    assert status == 400
    assert "hexadecimal" in body["message"]


def test_chunk_data_without_its_crlf_is_400(server: Any) -> None:
    status, _, body = _exchange(server, _post(headers="Transfer-Encoding: chunked\r\n\r\n") + b"2\r\nabcdef")
    assert status == 400
    assert "CRLF" in body["message"]


def test_another_transfer_coding_is_501(server: Any) -> None:
    status, _, body = _exchange(server, _post(headers="Transfer-Encoding: gzip, chunked\r\n\r\n"))
    assert status == 501
    assert "gzip" in body["message"]


@pytest.mark.parametrize("line", [b"GARBAGE\r\n\r\n", b"GET / HTTP/9\r\n\r\n", b"\x00\xff\xfe\r\n\r\n",
                                  b"GET / HTTP/1.1 extra words\r\n\r\n"])
def test_a_garbage_request_line_is_400(server: Any, line: bytes) -> None:
    status, headers, body = _exchange(server, line)
    assert status == 400
    assert headers["connection"] == "close"
    assert body["message"]


def test_http2_is_refused_with_505(server: Any) -> None:
    status, _, _ = _exchange(server, b"GET / HTTP/2.0\r\n\r\n")
    assert status == 505


def test_an_unknown_method_is_501(server: Any) -> None:
    status, _, body = _exchange(server, b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 501
    assert "BREW" in body["message"]


def test_a_70_kb_url_is_414(server: Any) -> None:
    status, _, body = _exchange(server, b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 414
    assert "max_url_bytes" in body["message"]


def test_headers_over_the_limit_are_431(server: Any) -> None:
    many = "".join(f"X-Filler-{i}: {'v' * 200}\r\n" for i in range(40))
    status, _, body = _exchange(server, _post(headers=many + "\r\n"))
    assert status == 431
    assert "max_header_bytes" in body["message"]


def test_one_header_line_over_64_kib_is_431(server: Any) -> None:
    status, _, body = _exchange(server, _post(headers=f"X-Big: {'v' * 70_000}\r\n\r\n"))
    assert status == 431
    assert "max_header_bytes" in body["message"]


def test_a_slow_client_gets_408_and_is_disconnected(server: Any) -> None:
    # Half a request, then nothing: the watchdog answers once the read deadline passes (the
    # socket read blocks until then; no sleep in the test).
    with _connect(server) as sock:
        sock.sendall(_post(headers="Content-Length: 100\r\n\r\n") + b'{"anthropic')
        status, _, body = _answer(sock)
        assert status == 408
        assert "request_read_timeout_s" in body["message"]
        assert sock.recv(1) == b""


def test_a_body_cut_short_by_the_client_does_not_break_the_listener(server: Any) -> None:
    with _connect(server) as sock:
        sock.sendall(_post(headers="Content-Length: 1000\r\n\r\n") + b"{")
        sock.shutdown(socket.SHUT_WR)
        status, _, body = _answer(sock)
        assert status == 400
        assert "ended after 1 of the 1,000 bytes" in body["message"]


def test_many_idle_connections_do_not_lock_out_a_new_client(server: Any) -> None:
    # More idle connections than the listener keeps: idle ones are closed to make room, one per
    # connection over the cap. (Which ones depends on when each handler thread registered its
    # connection, which a loaded machine reorders: watch them all.)
    idle = [_connect(server) for _ in range(LIMITS.max_connections + 8)]
    watch = selectors.DefaultSelector()
    for sock in idle:
        watch.register(sock, selectors.EVENT_READ)
    closed: set[socket.socket] = set()
    deadline = time.monotonic() + 30
    try:
        while len(closed) < 8 and time.monotonic() < deadline:
            for key, _ in watch.select(timeout=max(deadline - time.monotonic(), 0)):
                sock = key.fileobj
                try:
                    ended = sock.recv(1) == b""
                except ConnectionResetError:
                    ended = True
                if ended:
                    closed.add(sock)
                    watch.unregister(sock)
        assert len(closed) == 8
        # And a new client is served.
        with _connect(server) as fresh:
            fresh.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            fresh.settimeout(30)
            assert fresh.recv(12).startswith(b"HTTP/1.1 ")
    finally:
        watch.close()
        for sock in idle:
            sock.close()


def test_idle_connections_that_were_evicted_still_let_keepalive_clients_work(server: Any, runtime: Any) -> None:
    # A pooled boto3 connection evicted by the cap is reopened by botocore transparently.
    runtime.invoke_model(modelId=MODEL, body=json.dumps(BODY))
    idle = [_connect(server) for _ in range(LIMITS.max_connections + 2)]
    try:
        for _ in range(3):
            assert runtime.invoke_model(modelId=MODEL, body=json.dumps(BODY))["ResponseMetadata"]["HTTPStatusCode"] == 200
    finally:
        for sock in idle:
            sock.close()


def test_pipelined_requests_after_an_error_are_not_read_as_a_second_request(server: Any) -> None:
    # A refused request closes the connection: what the client sent after it is never executed.
    data = _post(headers="Content-Length: abc\r\n\r\n") + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    with _connect(server) as sock:
        sock.sendall(data)
        status, _, _ = _answer(sock)
        assert status == 400
        assert sock.recv(1) == b""

"""Encoder for the AWS event-stream binary framing (``application/vnd.amazon.eventstream``).

One message is: prelude (total length, headers length, CRC32 of those 8 bytes), headers,
payload, CRC32 of everything before it. Only string-typed headers (type 7) are needed for
Bedrock's streams. Decoding is deliberately not here: boto3 decodes, and that is the proof
the frames are right.
"""

from __future__ import annotations

import json
import struct
from binascii import crc32

_STRING_TYPE = 7


def _encode_headers(headers: dict[str, str]) -> bytes:
    parts = []
    for name, value in headers.items():
        raw_name = name.encode("utf-8")
        raw_value = value.encode("utf-8")
        parts.append(struct.pack("!B", len(raw_name)) + raw_name)
        parts.append(struct.pack("!BH", _STRING_TYPE, len(raw_value)) + raw_value)
    return b"".join(parts)


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One complete event-stream message with prelude and message CRCs."""
    raw_headers = _encode_headers(headers)
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack("!II", total, len(raw_headers))
    prelude += struct.pack("!I", crc32(prelude))
    body = prelude + raw_headers + payload
    return body + struct.pack("!I", crc32(body))


def event(event_type: str, payload: dict) -> bytes:
    """An ``event`` message whose JSON payload becomes the ``event_type`` member in boto3."""
    return encode_message(
        {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"},
        json.dumps(payload, separators=(",", ":")).encode("utf-8"),
    )


def exception(exception_type: str, message: str) -> bytes:
    """An in-stream modelled exception; ``exception_type`` is the stream member name
    (``throttlingException``), which botocore raises as ``EventStreamError`` with that code."""
    return encode_message(
        {
            ":exception-type": exception_type,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        json.dumps({"message": message}).encode("utf-8"),
    )

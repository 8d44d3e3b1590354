"""The event-stream encoder, checked by botocore's decoder (CRCs included)."""

from __future__ import annotations

import base64
import json
import struct
import zlib

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from langchain_bedrock_claude.testing._eventstream import (
    CHUNK_HEADERS,
    PADDING_ALPHABET,
    encode_chunk,
    encode_exception,
    encode_headers,
    encode_message,
)


def decode(data: bytes) -> list[tuple[dict[str, object], bytes]]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return [(message.headers, message.payload) for message in buffer]


def test_chunk_frames_decode_with_botocore() -> None:
    inner = [b'{"type":"message_start"}', '{"text":"h\u00e9llo \u2764"}'.encode(), b"{}"]
    data = b"".join(
        encode_chunk(event, padding) for event, padding in zip(inner, (1, 30, 60), strict=True)
    )
    messages = decode(data)
    assert len(messages) == 3
    for (headers, payload), event, padding in zip(messages, inner, (1, 30, 60), strict=True):
        assert list(headers.items()) == [
            (":event-type", "chunk"),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ]
        body = json.loads(payload)
        assert list(body) == ["bytes", "p"]
        assert base64.b64decode(body["bytes"]) == event
        assert body["p"] == PADDING_ALPHABET[:padding]


def test_chunk_without_padding_matches_pre_2025_frames() -> None:
    ((_, payload),) = decode(encode_chunk(b"{}", 0))
    assert json.loads(payload) == {"bytes": "e30="}


def test_header_block_is_75_bytes_and_prelude_is_recorded_form() -> None:
    assert len(CHUNK_HEADERS) == 0x4B
    frame = encode_chunk(b'{"a":1}', 4)
    total, headers_length, prelude_crc = struct.unpack(">III", frame[:12])
    assert total == len(frame) and headers_length == 0x4B
    assert prelude_crc == zlib.crc32(frame[:8])
    assert struct.unpack(">I", frame[-4:])[0] == zlib.crc32(frame[:-4])


def test_corrupted_frame_fails_botocore_crc() -> None:
    frame = bytearray(encode_chunk(b'{"a":1}', 4))
    frame[-10] ^= 0xFF
    with pytest.raises(ChecksumMismatch):
        decode(bytes(frame))


def test_exception_frame() -> None:
    frame = encode_exception("throttlingException", b'{"message":"slow down"}')
    ((headers, payload),) = decode(frame)
    assert list(headers.items()) == [
        (":exception-type", "throttlingException"),
        (":content-type", "application/json"),
        (":message-type", "exception"),
    ]
    assert payload == b'{"message":"slow down"}'


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="at most 255"):
        encode_headers([("x" * 256, "v")])
    with pytest.raises(ValueError, match="at most 32767"):
        encode_headers([("n", "v" * 40000)])
    with pytest.raises(ValueError, match="payload is"):
        encode_message(b"", b"x" * (16 * 1024 * 1024 + 1))

"""Encoder for the AWS event-stream framing (``application/vnd.amazon.eventstream``).

One message on the wire::

    total_length  u32 BE   prelude ─┐
    headers_length u32 BE           │ 8 bytes
    prelude_crc   u32 BE   CRC32 of the 8 prelude bytes
    headers       headers_length bytes: name_len u8, name, type u8, value
    payload       total_length - headers_length - 16 bytes
    message_crc   u32 BE   CRC32 of everything above

Bytes in, bytes out, no I/O. Only header type 7 (string) is produced, as Bedrock does.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Sequence

_PRELUDE = struct.Struct(">II")
"""total_length, headers_length."""
_CRC = struct.Struct(">I")
_PRELUDE_LENGTH = 12
"""total_length (4) + headers_length (4) + prelude_crc (4)."""
_MESSAGE_CRC_LENGTH = 4
_STRING_HEADER_TYPE = 7
_MAX_HEADER_NAME = 255
_MAX_HEADER_VALUE = 32767
_MAX_PAYLOAD = 16 * 1024 * 1024
"""The largest payload the AWS SDKs accept in one message."""

PADDING_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
"""Bedrock pads each chunk payload with ``"p"``: a prefix of this string."""


def encode_headers(headers: Sequence[tuple[str, str]]) -> bytes:
    """Encode string headers, keeping their order.

    Args:
        headers: ``(name, value)`` pairs.

    Returns:
        The header block.

    Raises:
        ValueError: When a name or value is too long for the format.
    """
    out = bytearray()
    for name, value in headers:
        raw_name, raw_value = name.encode(), value.encode()
        if len(raw_name) > _MAX_HEADER_NAME:
            raise ValueError(f"header name is {len(raw_name)} bytes; at most 255 fit")
        if len(raw_value) > _MAX_HEADER_VALUE:
            raise ValueError(f"header {name!r} value is {len(raw_value)} bytes; at most 32767 fit")
        out += bytes((len(raw_name),)) + raw_name
        out += bytes((_STRING_HEADER_TYPE,)) + struct.pack(">H", len(raw_value)) + raw_value
    return bytes(out)


def encode_message(header_block: bytes, payload: bytes) -> bytes:
    """Frame one message from an encoded header block and a payload.

    Args:
        header_block: Headers as returned by :func:`encode_headers`.
        payload: The message payload.

    Returns:
        The complete message, both CRCs included.

    Raises:
        ValueError: When the payload is larger than the SDKs accept.
    """
    if len(payload) > _MAX_PAYLOAD:
        raise ValueError(f"payload is {len(payload)} bytes; at most {_MAX_PAYLOAD} fit")
    total = _PRELUDE_LENGTH + len(header_block) + len(payload) + _MESSAGE_CRC_LENGTH
    prelude = _PRELUDE.pack(total, len(header_block))
    prelude += _CRC.pack(zlib.crc32(prelude))
    crc = zlib.crc32(payload, zlib.crc32(header_block, zlib.crc32(prelude)))
    return b"".join((prelude, header_block, payload, _CRC.pack(crc)))


CHUNK_HEADERS = encode_headers(
    (
        (":event-type", "chunk"),
        (":content-type", "application/json"),
        (":message-type", "event"),
    )
)
"""The header block of every InvokeModelWithResponseStream chunk (75 bytes)."""


def encode_chunk(inner: bytes, padding: int) -> bytes:
    """Frame one InvokeModelWithResponseStream ``chunk`` event.

    Args:
        inner: The model event as compact JSON bytes.
        padding: How many characters of :data:`PADDING_ALPHABET` go in ``"p"``
            (0 leaves ``"p"`` out, like recordings before 2025).

    Returns:
        The complete message.
    """
    payload = b'{"bytes":"' + base64.b64encode(inner)
    if padding > 0:
        payload += b'","p":"' + PADDING_ALPHABET[:padding].encode()
    return encode_message(CHUNK_HEADERS, payload + b'"}')


def encode_exception(exception_type: str, payload: bytes) -> bytes:
    """Frame one modelled exception message (``:message-type`` = ``exception``).

    Args:
        exception_type: The lowerCamel member name, e.g. ``modelStreamErrorException``.
        payload: The exception body, e.g. ``{"message":"..."}``.

    Returns:
        The complete message.
    """
    headers = encode_headers(
        (
            (":exception-type", exception_type),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        )
    )
    return encode_message(headers, payload)

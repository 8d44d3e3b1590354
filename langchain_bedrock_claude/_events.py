"""Bedrock's response stream: botocore decodes each message, we unwrap its ``chunk`` payload.

botocore reads an event stream in two steps. Its ``EventStreamBuffer`` frames each message,
checks both CRCs and decodes the headers; its ``EventStream`` then parses each message against
the service model. For Bedrock's ``chunk`` events that second step only unwraps a JSON object
holding base64, yet it costs more per token than everything else we do, so for ``chunk``
events alone it is done here, directly. Every other message (an exception frame, an event
type this version does not know) still goes through botocore's parser, so a stream error is
botocore's own ``EventStreamError``, translated as before.

Imported on first stream, not with the package, so ``import`` stays free of botocore.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from botocore.eventstream import EventStreamBuffer, EventStreamHeaderParser

__all__ = [
    "buffered_chunks",
    "chunk_bytes",
    "chunk_event",
    "chunk_events",
    "fast_path",
    "new_buffer",
]


class _RepeatedHeaders(EventStreamHeaderParser):
    """botocore's header parser, remembering the header blocks it has seen in this stream.

    Every ``chunk`` event of a stream carries the same three headers, byte for byte, and
    decoding them field by field was over 40% of the cost of framing and unwrapping a token.
    Parsing is a function of the bytes alone, so a block seen before gets a copy of its
    earlier result.
    """

    _LIMIT = 8  # a stream has a handful of distinct header blocks: chunk, an exception, ...

    def __init__(self) -> None:
        super().__init__()
        self._seen: dict[bytes, dict[str, Any]] = {}
        self.hits = 0
        """Header blocks answered from the memo."""

    def parse(self, data: bytes) -> dict[str, Any]:
        if not isinstance(data, bytes):  # a buffer type that cannot be a dict key
            return super().parse(data)
        known = self._seen.get(data)
        if known is not None:
            self.hits += 1
            return dict(known)
        headers: dict[str, Any] = super().parse(data)
        if len(self._seen) < self._LIMIT:
            self._seen[data] = dict(headers)
        return headers


def fast_path(body: Any) -> tuple[Any, Any] | None:
    """The raw response and message parser behind an ``EventStream`` body.

    ``None`` for a body that is not botocore's ``EventStream`` (a test double), or if a
    botocore release renamed them (``tests/integration/test_stream_internals.py`` fails then).
    """
    raw = getattr(body, "_raw_stream", None)
    parse_event = getattr(body, "_parse_event", None)
    if raw is None or parse_event is None:
        return None
    return raw, parse_event


def new_buffer(header_parser: EventStreamHeaderParser | None = None) -> Any:
    """A botocore ``EventStreamBuffer``, parsing headers with ``header_parser`` (a memo)."""
    buffer: Any = EventStreamBuffer()  # botocore-stubs types its messages loosely
    # A botocore release that renames the attribute only loses the memo, never correctness
    # (and tests/unit/test_events.py fails).
    buffer._header_parser = header_parser or _RepeatedHeaders()
    return buffer


def chunk_events(body: Any) -> Iterator[bytes | Mapping[str, Any]]:
    """Each ``chunk`` event of a botocore ``EventStream``, other event types skipped.

    Yields the message's payload (``bytes``, for :func:`chunk_bytes`), or, for a body that is
    not botocore's ``EventStream`` (a test double), the parsed ``chunk`` mapping.

    Raises:
        botocore.exceptions.EventStreamError: Bedrock sent an exception in the stream.
        botocore.eventstream.ParserError: a frame failed its checks (CRC, lengths).
    """
    path = fast_path(body)
    if path is None:
        for event in body:
            if event.get("chunk") is not None:
                yield event["chunk"]
        return
    raw, parse_event = path
    buffer = new_buffer()
    for data in raw.stream():
        buffer.add_data(data)
        yield from buffered_chunks(buffer, parse_event)


def buffered_chunks(
    buffer: Any, parse_event: Callable[[Any], Any]
) -> Iterator[bytes | Mapping[str, Any]]:
    """Each ``chunk`` event of the messages complete in ``buffer`` (:func:`new_buffer`).

    ``chunk`` events are unwrapped here; any other message goes to ``parse_event``, botocore's
    reading of it (``EventStream``'s, or :class:`._aws_wire.EventParser`).

    Raises:
        botocore.exceptions.EventStreamError: Bedrock sent an exception in the stream.
        botocore.eventstream.ParserError: a frame failed its checks (CRC, lengths).
    """
    for message in buffer:
        headers = message.headers
        if headers.get(":message-type") == "event" and headers.get(":event-type") == "chunk":
            yield message.payload
            continue
        parsed: Any = parse_event(message)  # raises EventStreamError for an exception
        if parsed and parsed.get("chunk") is not None:
            yield parsed["chunk"]


_decode_json = json.JSONDecoder().decode
"""``json.loads`` of a ``str`` without its wrapper: per token, ``json.loads`` of ``bytes``
(which first guesses among UTF-8, -16 and -32) took twice as long. Bedrock's events are UTF-8
JSON."""


def chunk_event(chunk: bytes | Mapping[str, Any]) -> Any:
    """The model's JSON event carried by a ``chunk`` event from :func:`chunk_events`, parsed.

    Raises:
        ValueError: the payload or the event is not the JSON it should be.
        KeyError, TypeError: likewise.
    """
    return _decode_json(chunk_bytes(chunk).decode())


def chunk_bytes(chunk: bytes | Mapping[str, Any]) -> bytes:
    """The model's JSON event carried by a ``chunk`` event from :func:`chunk_events`.

    Raises:
        ValueError: the payload is not the JSON object with base64 ``bytes`` it should be.
        KeyError, TypeError: likewise.
    """
    if isinstance(chunk, bytes):
        # base64.b64decode without validate=True is exactly this, less its argument checks.
        return binascii.a2b_base64(_decode_json(chunk.decode())["bytes"])
    data: bytes = chunk["bytes"]
    return data

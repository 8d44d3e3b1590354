"""The fast event-stream path decodes exactly what botocore's EventStream does."""

from __future__ import annotations

import json
from collections.abc import Iterator

import botocore.session
import pytest
from botocore.eventstream import EventStream
from botocore.exceptions import EventStreamError
from botocore.parsers import EventStreamJSONParser

from langchain_bedrock_claude._events import chunk_bytes, chunk_events
from langchain_bedrock_claude.testing._eventstream import (
    encode_chunk,
    encode_exception,
    encode_headers,
    encode_message,
)

_SHAPE = (
    botocore.session.get_session()
    .get_service_model("bedrock-runtime")
    .operation_model("InvokeModelWithResponseStream")
    .output_shape.members["body"]
)
EVENTS = [
    {"type": "message_start", "message": {"id": "msg_1", "usage": {"input_tokens": 3}}},
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": "Hé"},
    },
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": " ✓"},
    },
    {"type": "message_stop"},
]


class _Raw:
    """A urllib3 response's ``stream()``: the bytes in pieces of ``size``."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data, self._size = data, size

    def stream(self) -> Iterator[bytes]:
        for start in range(0, len(self._data), self._size):
            yield self._data[start : start + self._size]


def _body(data: bytes, size: int) -> EventStream:
    return EventStream(
        _Raw(data, size),
        _SHAPE,
        EventStreamJSONParser(),
        "InvokeModelWithResponseStream",
    )


def _frames(padding: int = 7) -> bytes:
    return b"".join(encode_chunk(json.dumps(event).encode(), padding) for event in EVENTS)


@pytest.mark.parametrize("size", [1, 5, 64, 1 << 16])
@pytest.mark.parametrize("padding", [0, 7])
def test_chunks_match_botocore(size: int, padding: int) -> None:
    data = _frames(padding)
    expected = [event["chunk"]["bytes"] for event in _body(data, size)]
    assert [chunk_bytes(chunk) for chunk in chunk_events(_body(data, size))] == expected
    assert [json.loads(piece) for piece in expected] == EVENTS


def test_an_exception_message_raises_botocores_error() -> None:
    data = _frames() + encode_exception("throttlingException", b'{"message":"slow down"}')
    with pytest.raises(EventStreamError) as fast:
        list(chunk_events(_body(data, 64)))
    with pytest.raises(EventStreamError) as slow:
        list(_body(data, 64))
    assert fast.value.response == slow.value.response
    assert fast.value.response["Error"]["Code"] == "throttlingException"


def test_a_corrupt_message_fails_as_in_botocore() -> None:
    message = bytearray(encode_chunk(b"{}", 0))
    message[-1] ^= 0xFF  # the message CRC
    with pytest.raises(Exception, match=r"[Cc]hecksum"):
        list(chunk_events(_body(bytes(message), 64)))


def test_a_stream_that_is_not_botocores_yields_parsed_chunks() -> None:
    events = [{"chunk": {"bytes": b'{"a":1}'}}, {"other": {}}]
    assert [chunk_bytes(chunk) for chunk in chunk_events(events)] == [b'{"a":1}']


def _event(event_type: str, payload: bytes) -> bytes:
    headers = ((":event-type", event_type), (":content-type", "application/json"))
    return encode_message(encode_headers((*headers, (":message-type", "event"))), payload)


def test_headers_are_told_apart_byte_for_byte() -> None:
    # Parsed headers are remembered per header block: an event type of the same length as
    # "chunk", between chunks, must still be recognised as another type and skipped.
    chunk = encode_chunk(b'{"n":1}', 0)
    data = chunk + _event("chonk", b'{"bytes":"eyJuIjoyfQ=="}') + chunk + chunk
    expected = [event["chunk"]["bytes"] for event in _body(data, 64) if "chunk" in event]
    assert [chunk_bytes(piece) for piece in chunk_events(_body(data, 64))] == expected
    assert expected == [b'{"n":1}'] * 3


def test_an_exception_after_many_chunks_still_raises() -> None:
    many = b"".join(encode_chunk(b'{"n":1}', 3) for _ in range(50))
    data = many + encode_exception("modelStreamErrorException", b'{"message":"boom"}')
    with pytest.raises(EventStreamError) as error:
        list(chunk_events(_body(data, 1 << 16)))
    assert error.value.response["Error"]["Code"] == "modelStreamErrorException"


def test_repeated_header_blocks_are_decoded_once_through_botocores_buffer() -> None:
    # If botocore renamed the buffer's header parser attribute, the memo would sit unused.
    from langchain_bedrock_claude._events import _RepeatedHeaders, new_buffer

    memo = _RepeatedHeaders()
    buffer = new_buffer(memo)
    buffer.add_data(b"".join(encode_chunk(json.dumps(event).encode(), 0) for event in EVENTS))
    messages = list(buffer)
    assert len(messages) == len(EVENTS)
    assert memo.hits == len(EVENTS) - 1  # every chunk event carries the same header block
    assert messages[-1].headers[":event-type"] == "chunk"


def test_the_header_memo_stays_bounded_on_a_stream_of_distinct_header_blocks() -> None:
    # Each header block of a hostile or odd stream could differ: the memo keeps a fixed few
    # (it is a speed-up for the repeated chunk headers, not a store that grows with the stream).
    from langchain_bedrock_claude._events import _RepeatedHeaders

    memo = _RepeatedHeaders()
    blocks = [encode_headers([(":event-type", f"kind-{n}")]) for n in range(20)]
    parsed = [memo.parse(block) for block in blocks]
    assert parsed == [{":event-type": f"kind-{n}"} for n in range(20)]
    again = [memo.parse(block) for block in blocks]
    assert again == parsed
    assert memo.hits == _RepeatedHeaders._LIMIT == 8  # only the first eight were kept


def test_a_known_non_chunk_event_is_skipped_as_botocore_reads_it() -> None:
    # An exception shape sent as an *event* (not an exception message) parses to a mapping
    # without "chunk": it is skipped, and the chunks around it still arrive.
    odd = encode_message(
        encode_headers(
            [
                (":message-type", "event"),
                (":event-type", "modelStreamErrorException"),
                (":content-type", "application/json"),
            ]
        ),
        b'{"message":"not an exception message"}',
    )
    data = encode_chunk(b'{"n":1}', 0) + odd + encode_chunk(b'{"n":2}', 0)
    botocore_events = list(_body(data, 1 << 16))
    assert [list(event) for event in botocore_events] == [
        ["chunk"],
        ["modelStreamErrorException"],
        ["chunk"],
    ]
    expected = [event["chunk"]["bytes"] for event in botocore_events if "chunk" in event]
    assert [chunk_bytes(piece) for piece in chunk_events(_body(data, 1 << 16))] == expected

"""Streamed text is kept joined, so a long stream's memory stays near its text's size."""

from __future__ import annotations

import pytest

from langchain_bedrock_claude._formats import messages, text_completions
from langchain_bedrock_claude._formats._common import PIECES_BEFORE_JOIN, add_piece


def test_pieces_are_joined_every_so_often_and_keep_their_order() -> None:
    parts: list[str] = []
    pieces = [f" w{index}" for index in range(3 * PIECES_BEFORE_JOIN + 5)]
    for piece in pieces:
        add_piece(parts, piece)
        assert len(parts) < PIECES_BEFORE_JOIN
    assert "".join(parts) == "".join(pieces)


@pytest.mark.parametrize(
    ("parser", "event"),
    [
        (
            messages.StreamParser,
            lambda text: {
                "type": "content_block_delta",
                "delta": {"type": "text_delta", "text": text},
            },
        ),
        (text_completions.StreamParser, lambda text: {"completion": text}),
    ],
)
def test_a_long_stream_keeps_its_whole_text(parser: type, event: object) -> None:
    stream = parser()
    pieces = [f" t{index}" for index in range(2 * PIECES_BEFORE_JOIN + 1)]
    for piece in pieces:
        assert stream.feed(event(piece)) == (piece, "")  # type: ignore[operator]
    assert len(stream.text_parts) < PIECES_BEFORE_JOIN
    assert stream.result().text == "".join(pieces)

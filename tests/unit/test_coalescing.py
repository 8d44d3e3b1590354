"""Pieces that arrived together join for a consumer that fell behind, within their kind."""

from __future__ import annotations

from langchain_bedrock_claude._formats.chat import BlockPiece
from langchain_bedrock_claude._models import CompletionChunk, Usage
from langchain_bedrock_claude._streaming import COALESCE_BACKLOG, coalesced


def _json(index: int, partial: str) -> BlockPiece:
    return BlockPiece("", index=index, delta={"type": "input_json_delta", "partial_json": partial})


def test_text_joins_text_and_thinking_joins_thinking_never_each_other() -> None:
    assert CompletionChunk("a").joined(CompletionChunk("b")) == CompletionChunk("ab")
    assert CompletionChunk("", "x").joined(CompletionChunk("", "y")) == CompletionChunk("", "xy")
    assert CompletionChunk("a").joined(CompletionChunk("", "y")) is None
    assert CompletionChunk("", "x").joined(CompletionChunk("b")) is None
    final = CompletionChunk("", stop_reason="end_turn", usage=Usage(1, 2))
    assert CompletionChunk("a").joined(final) is None  # the final piece keeps its metadata
    assert final.joined(CompletionChunk("a")) is None
    assert CompletionChunk("a").joined(BlockPiece("b")) is None


def test_block_pieces_join_within_one_block_only() -> None:
    assert BlockPiece("a", index=1).joined(BlockPiece("b", index=1)) == BlockPiece("ab", index=1)
    assert BlockPiece("a", index=0).joined(BlockPiece("b", index=1)) is None
    assert BlockPiece("", "x", index=0).joined(BlockPiece("", "y", index=0)) == BlockPiece(
        "", "xy", index=0
    )
    assert BlockPiece("a", index=0).joined(BlockPiece("", "y", index=0)) is None
    assert _json(2, '{"a"').joined(_json(2, ": 1}")) == _json(2, '{"a": 1}')
    assert _json(2, "{").joined(_json(3, "}")) is None
    start = BlockPiece("", index=2, block={"type": "tool_use", "id": "t1", "name": "f"})
    assert start.joined(_json(2, "{")) is None  # the block's start stays its own piece
    signature = BlockPiece("", index=0, delta={"type": "signature_delta", "signature": "s"})
    assert signature.joined(signature) is None
    assert BlockPiece("", "x", index=0).joined(signature) is None
    assert BlockPiece("a", index=0).joined(CompletionChunk("b")) is None


def test_runs_join_only_once_the_backlog_is_reached_and_keep_their_order() -> None:
    few = [CompletionChunk(str(n)) for n in range(COALESCE_BACKLOG - 1)]
    assert coalesced(list(few)) == few  # a consumer that keeps up gets every event
    error = RuntimeError("broken")
    final = CompletionChunk("", stop_reason="end_turn", usage=Usage(1, 2))
    items: list[object] = [
        *(CompletionChunk(str(n)) for n in range(4)),
        CompletionChunk("", "t1"),
        CompletionChunk("", "t2"),
        *(CompletionChunk(str(n)) for n in range(4, 8)),
        final,
        error,
    ]
    assert coalesced(items) == [
        CompletionChunk("0123"),
        CompletionChunk("", "t1t2"),
        CompletionChunk("4567"),
        final,
        error,
    ]

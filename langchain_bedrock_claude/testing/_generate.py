"""The emulator's "model": tokens, the default text, and how generation stops.

A token is a word-ish piece: optional leading whitespace, then a run of word characters
or one other character (``" capital"``, ``","``). Each token is one stream event.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._media import media_tokens
from ._tools import tool_prompt_tokens

_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])|\s+")

_WORDS = tuple(
    " ".join(
        (
            "the model answers with a short deterministic text so tests can compare every",
            "token streamed from the local emulator while the wire format stays exactly what",
            "Bedrock sends including chunk frames padding headers usage and metrics for each",
            "request clients decode events count tokens handle stop sequences respect limits",
            "and surface errors the same way they would against the real service",
        )
    ).split(" ")
)
_MIN_WORDS, _WORD_SPAN = 24, 24
"""The default text has 24 to 47 words: "a few dozen tokens"."""
_SENTENCE_MIN, _SENTENCE_SPAN = 6, 7
_THINKING_WORDS = 20
_CHARS_PER_TWO_TOKENS = 7
"""Claude's tokenizer averages about 3.5 characters per token."""
MESSAGE_OVERHEAD_TOKENS = 3
"""Input tokens each message adds besides its content."""
_REQUEST_OVERHEAD_TOKENS = 4


def split_tokens(text: str) -> list[str]:
    """Split ``text`` into word-ish tokens; ``"".join(result) == text``."""
    return _TOKEN.findall(text)


def count_text_tokens(text: str) -> int:
    """Estimate the input tokens of ``text`` as Claude's tokenizer would: ~3.5 characters each.

    (Output is counted in :func:`split_tokens` pieces; input needs a closer estimate,
    e.g. for the minimum cacheable prefix.)
    """
    return -(-len(text) * 2 // _CHARS_PER_TWO_TOKENS)


def default_text(seed: str, *, words: int | None = None) -> str:
    """A deterministic answer for ``seed``: a few sentences of a few dozen words.

    Args:
        seed: What the answer depends on (the request's prompt and messages).
        words: The number of words; derived from ``seed`` when ``None``.

    Returns:
        The text; the same ``seed`` always gives the same text.
    """
    digest = hashlib.sha256(seed.encode()).digest()
    count = words if words is not None else _MIN_WORDS + digest[0] % _WORD_SPAN
    out: list[str] = []
    until_stop = _SENTENCE_MIN + digest[1] % _SENTENCE_SPAN
    for i in range(count):
        word = _WORDS[(digest[2 + i % 30] + 7 * i) % len(_WORDS)]
        if not out or out[-1].endswith("."):
            word = word.capitalize()
        until_stop -= 1
        if until_stop == 0 or i == count - 1:
            word += "."
            until_stop = _SENTENCE_MIN + digest[(i + 3) % 32] % _SENTENCE_SPAN
        out.append(word)
    return " ".join(out)


def default_thinking(seed: str) -> str:
    """A deterministic thinking text for ``seed``."""
    return "Let me think about this. " + default_text("thinking:" + seed, words=_THINKING_WORDS)


def input_tokens(body: Any) -> int:
    """The emulator's input token count for a request body (Messages or legacy)."""
    if not isinstance(body, dict):
        return 0
    if isinstance(body.get("prompt"), str):
        return count_text_tokens(body["prompt"])
    total = _REQUEST_OVERHEAD_TOKENS + _count_content(body.get("system"))
    total += _count_content(body.get("tools")) + tool_prompt_tokens(body)
    for message in body.get("messages") or ():
        total += MESSAGE_OVERHEAD_TOKENS
        if isinstance(message, dict):
            total += _count_content(message.get("content"))
    return total


def _count_content(content: Any) -> int:
    if content is None:
        return 0
    if isinstance(content, str):
        return count_text_tokens(content)
    if isinstance(content, list):
        return sum(count_block_tokens(block) for block in content)
    return count_block_tokens(content)


def count_block_tokens(block: Any) -> int:
    """Estimate the input tokens of one content block, tool or string."""
    if isinstance(block, str):
        return count_text_tokens(block)
    if isinstance(block, dict):
        media = media_tokens(block, count_text_tokens)  # images by their pixels (``_media``)
        if media is not None:
            return media
        if isinstance(block.get("text"), str):
            return count_text_tokens(block["text"])
        if "content" in block:
            return _count_content(block["content"])
        fields = {k: v for k, v in block.items() if k != "cache_control"}
        return count_text_tokens(json.dumps(fields, sort_keys=True))
    return count_text_tokens(json.dumps(block))


@dataclass(frozen=True)
class Generation:
    """The tokens a reply produces after the request's limits were applied."""

    pieces: tuple[str, ...]
    """Token pieces as sent (the last may be cut short by a stop sequence)."""
    output_tokens: int
    """Tokens generated, including a matched stop sequence."""
    stop_reason: str
    """``end_turn``, ``max_tokens`` or ``stop_sequence`` (Messages naming)."""
    stop_sequence: str | None
    """The matched stop sequence, if any."""

    @property
    def text(self) -> str:
        """The pieces joined."""
        return "".join(self.pieces)


def generate(
    pieces: Sequence[str], *, max_tokens: int, stop_sequences: Sequence[str] = ()
) -> Generation:
    """Apply ``max_tokens`` and ``stop_sequences`` to the tokens a reply would produce.

    A stop sequence counts when it is complete within the first ``max_tokens`` tokens;
    the text is cut just before it. Otherwise generation stops after ``max_tokens``.

    Args:
        pieces: The tokens of the full answer.
        max_tokens: The request's token limit (>= 0).
        stop_sequences: The request's stop sequences.

    Returns:
        What is sent.
    """
    limited = list(pieces[:max_tokens])
    stop = _first_stop(limited, stop_sequences)
    if stop is not None:
        cut, end_piece, sequence = stop
        kept = pieces_before(limited, cut)
        position = sum(map(len, kept))
        if position < cut:  # the piece the stop sequence starts in, cut short
            kept += (limited[len(kept)][: cut - position],)
        return Generation(kept, end_piece + 1, "stop_sequence", sequence)
    reason = "max_tokens" if len(pieces) > max_tokens else "end_turn"
    return Generation(tuple(limited), len(limited), reason, None)


def pieces_before(pieces: Sequence[str], offset: int) -> tuple[str, ...]:
    """The pieces that end at or before character ``offset`` of their joined text."""
    kept: list[str] = []
    end = 0
    for piece in pieces:
        end += len(piece)
        if end > offset:
            break
        kept.append(piece)
    return tuple(kept)


def _first_stop(pieces: list[str], sequences: Sequence[str]) -> tuple[int, int, str] | None:
    """Earliest stop sequence in the text: (start offset, index of its last piece, it)."""
    text = "".join(pieces)
    best: tuple[int, str] | None = None
    for sequence in sequences:
        if not sequence:
            continue
        found = text.find(sequence)
        if found >= 0 and (best is None or found < best[0]):
            best = (found, sequence)
    if best is None:
        return None
    end = best[0] + len(best[1])
    position = 0
    for index, piece in enumerate(pieces):
        position += len(piece)
        if position >= end:
            return best[0], index, best[1]
    return best[0], len(pieces) - 1, best[1]

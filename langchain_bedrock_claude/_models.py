"""What calls return: a finished completion, the pieces of a stream, and token usage.

All three are frozen: a result a caller holds never changes under them.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Completion", "CompletionChunk", "Usage"]


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one or more calls, as Bedrock reported them."""

    input_tokens: int = 0
    """Prompt tokens billed at the normal rate."""
    output_tokens: int = 0
    """Generated tokens."""
    cache_read_input_tokens: int = 0
    """Prompt tokens read from the prompt cache."""
    cache_write_input_tokens: int = 0
    """Prompt tokens written to the prompt cache."""

    @property
    def total_tokens(self) -> int:
        """All input (normal, cache read and cache write) plus output tokens."""
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_input_tokens
            + self.cache_write_input_tokens
        )

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_input_tokens + other.cache_read_input_tokens,
            self.cache_write_input_tokens + other.cache_write_input_tokens,
        )

    @classmethod
    def from_dict(cls, counts: Mapping[str, Any] | None) -> Usage:
        """The inverse of :meth:`to_dict` (missing counts are zero)."""
        counts = counts or {}
        return cls(
            input_tokens=int(counts.get("input_tokens") or 0),
            output_tokens=int(counts.get("output_tokens") or 0),
            cache_read_input_tokens=int(counts.get("cache_read_input_tokens") or 0),
            cache_write_input_tokens=int(counts.get("cache_write_input_tokens") or 0),
        )

    def to_dict(self) -> dict[str, int]:
        """The counts as a plain dict, with ``total_tokens`` (LangChain's ``token_usage`` form)."""
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_write_input_tokens": self.cache_write_input_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass(frozen=True, slots=True)
class Completion:
    """A finished completion. ``str(completion)`` is its text."""

    completion: str
    """The generated text (never includes thinking)."""
    stop_reason: str | None
    """Why generation stopped: ``end_turn``, ``max_tokens``, ``stop_sequence``, ``tool_use``, ..."""
    stop_sequence: str | None
    """The stop sequence that ended generation, if one did."""
    model_id: str
    """The model id or ARN the request was sent to."""
    model: str | None
    """The model name Bedrock reported (e.g. ``claude-sonnet-4-5-20250929``), if it did."""
    request_id: str | None
    """The AWS request id (``x-amzn-RequestId``): quote it to AWS support."""
    usage: Usage
    """Token usage of this call."""
    thinking: str = ""
    """Extended-thinking text, when thinking was enabled (kept apart from the completion)."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Anything else Bedrock reported (e.g. invocation latency, message id)."""

    def __str__(self) -> str:
        return self.completion


@dataclass(frozen=True, slots=True)
class CompletionChunk:
    """One piece of a streamed completion. ``str(chunk)`` is its text piece.

    The metadata fields are ``None`` on every piece but the last.
    """

    completion: str
    """This piece of generated text (may be empty on the final piece)."""
    thinking: str = ""
    """This piece of extended-thinking text, if any (never part of ``completion``)."""
    stop_reason: str | None = None
    """Set on the last piece: why generation stopped."""
    stop_sequence: str | None = None
    """Set on the last piece: the stop sequence hit, if any."""
    model_id: str | None = None
    """Set on the last piece: the model id or ARN the request was sent to."""
    model: str | None = None
    """Set on the last piece: the model name Bedrock reported."""
    request_id: str | None = None
    """Set on the last piece: the AWS request id."""
    usage: Usage | None = None
    """Set on the last piece: token usage of the whole stream."""
    metadata: dict[str, Any] | None = None
    """Set on the last piece: anything else Bedrock reported (latency, guardrail action)."""

    @property
    def is_final(self) -> bool:
        """Whether this is the last piece of the stream (it carries the metadata)."""
        return self.usage is not None

    def __str__(self) -> str:
        return self.completion

    def join_key(self) -> Hashable | None:
        """What this piece joins with, or ``None`` where it stays apart.

        A run of pieces with one key becomes one piece (:meth:`merged`): text joins text and
        thinking joins thinking; the final piece, and a piece holding both, stay apart.
        """
        if self.usage is not None:
            return None
        if not self.thinking:
            return _TEXT
        return None if self.completion else _THINKING

    def merged(self, run: Sequence[CompletionChunk]) -> CompletionChunk:
        """``run`` (this piece first, every piece with its :meth:`join_key`) as one piece."""
        if self.thinking:
            return CompletionChunk("", "".join([piece.thinking for piece in run]))
        return CompletionChunk("".join([piece.completion for piece in run]))

    def joined(self, following: CompletionChunk) -> CompletionChunk | None:
        """This piece and the next as one, or ``None`` where they must stay apart."""
        key = self.join_key()
        if key is None or key != following.join_key():
            return None
        return self.merged((self, following))


_TEXT = "text"
_THINKING = "thinking"
"""The :meth:`CompletionChunk.join_key` values of plain pieces (other piece types use tuples)."""

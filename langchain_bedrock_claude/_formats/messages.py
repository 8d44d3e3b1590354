"""The Messages API body and its responses and stream events (every current Claude model)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._models import Usage
from .._types import CACHE_POINT
from ._common import (
    GUARDRAIL_ACTION,
    GUARDRAIL_TRACE,
    INVOCATION_METRICS,
    ParsedResponse,
    add_piece,
    add_sampling,
    expect,
    guardrail_facts,
    latency_from_headers,
    malformed,
    metrics_metadata,
    optional_str,
    stop_reason_with_guardrail,
    usage_from_headers,
    usage_from_metrics,
)
from .prompt import split_turns

if TYPE_CHECKING:
    from .._params import CompletionParams

__all__ = ["ANTHROPIC_VERSION", "StreamParser", "add_thinking", "build_body", "parse_response"]

ANTHROPIC_VERSION = "bedrock-2023-05-31"
"""The ``anthropic_version`` Bedrock requires in every Messages request."""


_EPHEMERAL = {"type": "ephemeral"}


def _blocks(text: str, *, cache_end: bool = False) -> str | list[dict[str, Any]]:
    """Text as content: a plain string, or text blocks split at each cache point marker."""
    if CACHE_POINT not in text and not cache_end:
        return text
    parts = [part.strip() for part in text.split(CACHE_POINT)]
    blocks: list[dict[str, Any]] = []
    for index, part in enumerate(parts):
        cached = index < len(parts) - 1 or cache_end
        if part:
            blocks.append({"type": "text", "text": part})
        if cached and blocks and "cache_control" not in blocks[-1]:
            blocks[-1]["cache_control"] = dict(_EPHEMERAL)
    return blocks


def build_body(params: CompletionParams) -> dict[str, Any]:
    """The Messages request body: only what the caller set goes on the wire."""
    conversation = split_turns(params.prompt, params.system)
    options = params.options
    body: dict[str, Any] = {
        "anthropic_version": ANTHROPIC_VERSION,
        "max_tokens": params.max_tokens,
        "messages": [
            {"role": turn["role"], "content": _blocks(turn["content"])}
            for turn in conversation.messages
        ],
    }
    if conversation.system:
        body["system"] = _blocks(conversation.system, cache_end=options.cache_system)
    add_thinking(body, params)
    return add_sampling(body, params)


def add_thinking(body: dict[str, Any], params: CompletionParams) -> None:
    """``thinking`` and ``output_config.effort``, as the options ask (the chat body too)."""
    options = params.options
    if options.thinking_budget_tokens is not None:
        body["thinking"] = {"type": "enabled", "budget_tokens": options.thinking_budget_tokens}
    elif options.thinking is not None:
        body["thinking"] = {"type": options.thinking}
    if options.effort is not None:
        body["output_config"] = {**body.get("output_config", {}), "effort": options.effort}


def _usage_from_body(usage: Mapping[str, Any]) -> Usage:
    # The Messages API calls a cache write "cache_creation".
    return Usage.from_dict(
        {**usage, "cache_write_input_tokens": usage.get("cache_creation_input_tokens")}
    )


def parse_response(body: Mapping[str, Any], headers: Mapping[str, str]) -> ParsedResponse:
    """A Messages response body (and InvokeModel's headers) -> text, thinking, stop, usage."""
    text: list[str] = []
    thinking: list[str] = []
    for block in expect(body.get("content") or [], list, "'content'"):
        block = expect(block, dict, "a 'content' block")
        kind = block.get("type")
        if kind == "text":
            text.append(expect(block.get("text", ""), str, "a text block's 'text'"))
        elif kind == "thinking":
            thinking.append(expect(block.get("thinking", ""), str, "a thinking block's 'thinking'"))
    # Bedrock's metering headers are what it bills; the body's usage is the fallback.
    usage = usage_from_headers(headers) or _usage_from_body(
        expect(body.get("usage") or {}, dict, "'usage'")
    )
    guardrail = guardrail_facts(body)
    metadata = {"id": body.get("id"), **latency_from_headers(headers), **guardrail}
    return ParsedResponse(
        text="".join(text),
        stop_reason=stop_reason_with_guardrail(optional_str(body, "stop_reason"), guardrail),
        stop_sequence=optional_str(body, "stop_sequence"),
        usage=usage,
        model=optional_str(body, "model"),
        thinking="".join(thinking),
        metadata=metadata,
    )


class StreamParser:
    """Reads Messages stream events; ``done`` once ``message_stop`` arrived."""

    __slots__ = (
        "_body_usage",
        "_guardrail",
        "_metrics",
        "done",
        "message_id",
        "model",
        "output_tokens",
        "stop_reason",
        "stop_sequence",
        "text_parts",
        "thinking_parts",
    )

    def __init__(self) -> None:
        self.text_parts: list[str] = []
        self.thinking_parts: list[str] = []
        self.done = False
        self.model: str | None = None
        self.message_id: str | None = None
        self.stop_reason: str | None = None
        self.stop_sequence: str | None = None
        self.output_tokens = 0
        self._body_usage: Mapping[str, Any] = {}
        self._metrics: Mapping[str, Any] | None = None
        self._guardrail: dict[str, Any] = {}

    def feed(self, event: Mapping[str, Any]) -> tuple[str, str] | None:
        """Take one event; return its ``(text, thinking)`` piece, or ``None``."""
        kind = event.get("type")
        if kind == "content_block_delta":
            # The per-token path: inline checks (no call) keep it as cheap as it was.
            delta = event.get("delta")
            if not isinstance(delta, dict):
                raise malformed("a content_block_delta's 'delta'", delta)
            delta_kind = delta.get("type")
            if delta_kind == "text_delta":
                text = delta.get("text")
                if not isinstance(text, str):
                    raise malformed("a text_delta's 'text'", text)
                add_piece(self.text_parts, text)
                return text, ""
            if delta_kind == "thinking_delta":
                thought = delta.get("thinking")
                if not isinstance(thought, str):
                    raise malformed("a thinking_delta's 'thinking'", thought)
                add_piece(self.thinking_parts, thought)
                return "", thought
            return None  # tool input, signatures: not text
        if kind == "message_start":
            message = expect(event.get("message") or {}, dict, "message_start's 'message'")
            self.model = optional_str(message, "model")
            self.message_id = optional_str(message, "id")
            self._body_usage = expect(message.get("usage") or {}, dict, "message_start's 'usage'")
        elif kind == "message_delta":
            delta = expect(event.get("delta") or {}, dict, "message_delta's 'delta'")
            self.stop_reason = optional_str(delta, "stop_reason")
            self.stop_sequence = optional_str(delta, "stop_sequence")
            usage = expect(event.get("usage") or {}, dict, "message_delta's 'usage'")
            self.output_tokens = expect(usage.get("output_tokens") or 0, int, "'output_tokens'")
        elif kind == "message_stop":
            self.done = True
        metrics = event.get(INVOCATION_METRICS)
        if metrics is not None:
            self._metrics = metrics
        if GUARDRAIL_ACTION in event or GUARDRAIL_TRACE in event:
            self._guardrail.update(guardrail_facts(event))
        return None

    def result(self) -> ParsedResponse:
        """What the stream said, once it is over (or so far, if it broke)."""
        if self._metrics is not None:
            usage = usage_from_metrics(self._metrics)
            metadata = metrics_metadata(self._metrics)
        else:
            usage = _usage_from_body({**self._body_usage, "output_tokens": self.output_tokens})
            metadata = {}
        metadata["id"] = self.message_id
        metadata.update(self._guardrail)
        return ParsedResponse(
            text="".join(self.text_parts),
            stop_reason=stop_reason_with_guardrail(self.stop_reason, self._guardrail),
            stop_sequence=self.stop_sequence,
            usage=usage,
            model=self.model,
            thinking="".join(self.thinking_parts),
            metadata=metadata,
        )

"""What both wire formats share: the parsed response, the stream parser's shape, usage."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .._errors import MalformedResponseError
from .._models import CompletionChunk, Usage

if TYPE_CHECKING:
    from .._params import CompletionParams

__all__ = [
    "GUARDRAIL_ACTION",
    "GUARDRAIL_CONFIG",
    "GUARDRAIL_INTERVENED",
    "GUARDRAIL_TRACE",
    "INVOCATION_METRICS",
    "ParsedResponse",
    "StreamParser",
    "add_sampling",
    "expect",
    "guardrail_facts",
    "malformed",
    "optional_str",
    "response_object",
    "stop_reason_with_guardrail",
    "usage_from_headers",
    "usage_from_metrics",
]

INVOCATION_METRICS = "amazon-bedrock-invocationMetrics"
"""The key Bedrock adds to a stream's last event, with its own token counts."""
GUARDRAIL_ACTION = "amazon-bedrock-guardrailAction"
"""The key Bedrock adds when a guardrail checked the call: ``INTERVENED`` or ``NONE``."""
GUARDRAIL_TRACE = "amazon-bedrock-trace"
"""The key of the guardrail's trace, when tracing is enabled."""
GUARDRAIL_CONFIG = "amazon-bedrock-guardrailConfig"
"""The request body key for a guardrail's stream processing mode."""
GUARDRAIL_INTERVENED = "guardrail_intervened"
"""The stop reason reported when a guardrail intervened."""

# Bedrock's metering headers on InvokeModel responses (lower-cased, as botocore gives them).
_HEADER_INPUT = "x-amzn-bedrock-input-token-count"
_HEADER_OUTPUT = "x-amzn-bedrock-output-token-count"
_HEADER_CACHE_READ = "x-amzn-bedrock-cache-read-input-token-count"
_HEADER_CACHE_WRITE = "x-amzn-bedrock-cache-write-input-token-count"
_HEADER_LATENCY = "x-amzn-bedrock-invocation-latency"


_SHOWN = 80
"""Characters of an unreadable body quoted in the error (the whole body can be megabytes)."""
_T = TypeVar("_T")


def _quote(value: object) -> str:
    """``value`` as the error quotes it: a body as text, anything else as its ``repr``."""
    text = repr(value.decode("utf-8", "replace")) if isinstance(value, bytes) else repr(value)
    if len(text) <= _SHOWN:
        return text
    return f"{text[:_SHOWN]} (the first {_SHOWN} of {len(text)} characters)"


def response_object(raw: bytes) -> dict[str, Any]:
    """The JSON object a 200 InvokeModel body must be.

    Raises:
        MalformedResponseError: the body is not JSON (a proxy's HTML page) or not an object.
    """
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise MalformedResponseError(
            f"Bedrock answered 200 with a body that is not JSON ({exc}); it starts with "
            f"{_quote(raw)}. A proxy or gateway between this client and Bedrock may have "
            "answered instead; check endpoint_url and any HTTP(S)_PROXY setting."
        ) from exc
    if not isinstance(body, dict):
        raise MalformedResponseError(
            f"Bedrock answered 200 with JSON that is not an object: {_quote(body)}. Check "
            "endpoint_url and any proxy in between."
        )
    return body


def malformed(where: str, value: object) -> MalformedResponseError:
    """The error for a response or event whose ``where`` is missing or of the wrong type."""
    return MalformedResponseError(
        f"Bedrock's response has {where} missing or of the wrong type (got {_quote(value)}); "
        "the answer cannot be read. Check endpoint_url and any proxy in between."
    )


def expect(value: object, kind: type[_T], where: str) -> _T:
    """``value`` if it is a ``kind``, else raise :func:`malformed` naming ``where``."""
    if isinstance(value, kind):
        return value
    raise malformed(where, value)


def optional_str(body: Mapping[str, Any], key: str) -> str | None:
    """``body[key]``: a string, or absent / ``null``; else raise :func:`malformed`."""
    value = body.get(key)
    if value is None or isinstance(value, str):
        return value
    raise malformed(repr(key), value)


@dataclass(slots=True)
class ParsedResponse:
    """A complete response, whichever API produced it."""

    text: str
    stop_reason: str | None
    stop_sequence: str | None
    usage: Usage
    model: str | None = None
    thinking: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


def add_sampling(body: dict[str, Any], params: CompletionParams) -> dict[str, Any]:
    """``body`` with the sampling parameters that were set, then ``extra_body`` (both APIs)."""
    if params.temperature is not None:
        body["temperature"] = params.temperature
    if params.top_p is not None:
        body["top_p"] = params.top_p
    if params.top_k is not None:
        body["top_k"] = params.top_k
    if params.stop_sequences:
        body["stop_sequences"] = list(params.stop_sequences)
    body.update(params.extra_body)
    return body


PIECES_BEFORE_JOIN = 256
"""Text pieces kept apart before they are joined into one string (see :func:`add_piece`)."""


def add_piece(parts: list[str], piece: str) -> None:
    """Append ``piece`` to ``parts``, joining them into one string every 256 pieces.

    A piece kept as its own ``str`` costs about 60 bytes, more than ten times its text; joined,
    the text costs about one byte per character. Joining copies the text so far, but only
    once every 256 pieces: for the longest completions (64,000 tokens) that is a few
    milliseconds in all.
    """
    parts.append(piece)
    if len(parts) >= PIECES_BEFORE_JOIN:
        parts[:] = ["".join(parts)]


class StreamParser(Protocol):
    """Turns decoded stream events into text, and remembers what the stream said of itself."""

    text_parts: list[str]
    """Every text piece so far (the caller may clear it to keep O(1) memory)."""
    done: bool
    """Whether the stream's final event arrived."""

    def feed(self, event: Mapping[str, Any]) -> tuple[str, str] | CompletionChunk | None:
        """Take one event; return its ``(text, thinking)`` piece, or ``None`` if it has none.

        The chat model's parser returns ready chunks instead of pairs.
        """
        ...

    def result(self) -> ParsedResponse:
        """What the stream said, once it is over (or so far, if it broke)."""
        ...


def guardrail_facts(body: Mapping[str, Any]) -> dict[str, Any]:
    """What a body or event says of a guardrail: its action and trace, if present."""
    facts: dict[str, Any] = {}
    if GUARDRAIL_ACTION in body:
        facts["guardrail_action"] = body[GUARDRAIL_ACTION]
    if GUARDRAIL_TRACE in body:
        facts["guardrail_trace"] = body[GUARDRAIL_TRACE]
    return facts


def stop_reason_with_guardrail(stop_reason: str | None, facts: Mapping[str, Any]) -> str | None:
    """``guardrail_intervened`` when a guardrail intervened, else ``stop_reason``."""
    return GUARDRAIL_INTERVENED if facts.get("guardrail_action") == "INTERVENED" else stop_reason


def _int(value: object) -> int:
    if value is None:  # a header Bedrock left out (no cache write, say): no exception to pay
        return 0
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return 0


def usage_from_headers(headers: Mapping[str, str]) -> Usage | None:
    """Usage from InvokeModel's ``X-Amzn-Bedrock-*-Token-Count`` headers, if present."""
    if _HEADER_INPUT not in headers and _HEADER_OUTPUT not in headers:
        return None
    return Usage(
        input_tokens=_int(headers.get(_HEADER_INPUT)),
        output_tokens=_int(headers.get(_HEADER_OUTPUT)),
        cache_read_input_tokens=_int(headers.get(_HEADER_CACHE_READ)),
        cache_write_input_tokens=_int(headers.get(_HEADER_CACHE_WRITE)),
    )


def latency_from_headers(headers: Mapping[str, str]) -> dict[str, Any]:
    """The invocation latency header, as metadata."""
    latency = headers.get(_HEADER_LATENCY)
    return {"invocation_latency_ms": _int(latency)} if latency is not None else {}


def usage_from_metrics(metrics: Mapping[str, Any]) -> Usage:
    """Usage from a stream's ``amazon-bedrock-invocationMetrics``."""
    return Usage(
        input_tokens=_int(metrics.get("inputTokenCount")),
        output_tokens=_int(metrics.get("outputTokenCount")),
        cache_read_input_tokens=_int(metrics.get("cacheReadInputTokenCount")),
        cache_write_input_tokens=_int(metrics.get("cacheWriteInputTokenCount")),
    )


def metrics_metadata(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """Latency facts from ``amazon-bedrock-invocationMetrics``, as metadata."""
    out: dict[str, Any] = {}
    if "invocationLatency" in metrics:
        out["invocation_latency_ms"] = _int(metrics["invocationLatency"])
    if "firstByteLatency" in metrics:
        out["first_byte_latency_ms"] = _int(metrics["firstByteLatency"])
    return out

"""The legacy Text Completions body and its responses and stream events (claude-v2, instant-v1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._models import Usage
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
from .prompt import wrap_prompt

if TYPE_CHECKING:
    from .._params import CompletionParams

__all__ = ["StreamParser", "build_body", "parse_response"]


def build_body(params: CompletionParams) -> dict[str, Any]:
    """The Text Completions request body: only what the caller set goes on the wire."""
    body: dict[str, Any] = {
        "prompt": wrap_prompt(params.prompt, params.system),
        "max_tokens_to_sample": params.max_tokens,
    }
    return add_sampling(body, params)


def parse_response(body: Mapping[str, Any], headers: Mapping[str, str]) -> ParsedResponse:
    """A Text Completions response body (and InvokeModel's headers) -> text, stop, usage."""
    guardrail = guardrail_facts(body)
    return ParsedResponse(
        text=expect(body.get("completion") or "", str, "'completion'"),
        stop_reason=stop_reason_with_guardrail(optional_str(body, "stop_reason"), guardrail),
        stop_sequence=optional_str(body, "stop"),
        usage=usage_from_headers(headers) or Usage(),
        metadata={**latency_from_headers(headers), **guardrail},
    )


class StreamParser:
    """Reads Text Completions stream chunks; ``done`` once a chunk carries a stop reason."""

    __slots__ = ("_guardrail", "_metrics", "done", "stop_reason", "stop_sequence", "text_parts")

    def __init__(self) -> None:
        self.text_parts: list[str] = []
        self.done = False
        self.stop_reason: str | None = None
        self.stop_sequence: str | None = None
        self._metrics: Mapping[str, Any] | None = None
        self._guardrail: dict[str, Any] = {}

    def feed(self, event: Mapping[str, Any]) -> tuple[str, str] | None:
        """Take one chunk; return its ``(text, "")`` piece, or ``None`` if it has no text."""
        stop_reason = event.get("stop_reason")
        if stop_reason is not None:
            self.stop_reason = stop_reason
            self.stop_sequence = event.get("stop")
            self.done = True
            self._metrics = event.get(INVOCATION_METRICS)
        if GUARDRAIL_ACTION in event or GUARDRAIL_TRACE in event:
            self._guardrail.update(guardrail_facts(event))
        text = event.get("completion") or ""
        if not isinstance(text, str):
            raise malformed("a chunk's 'completion'", text)
        if not text:
            return None
        add_piece(self.text_parts, text)
        return text, ""

    def result(self) -> ParsedResponse:
        """What the stream said, once it is over (or so far, if it broke)."""
        metrics = self._metrics or {}
        return ParsedResponse(
            text="".join(self.text_parts),
            stop_reason=stop_reason_with_guardrail(self.stop_reason, self._guardrail),
            stop_sequence=self.stop_sequence,
            usage=usage_from_metrics(metrics),
            metadata={**metrics_metadata(metrics), **self._guardrail},
        )

"""Response bodies and stream events, shaped per model family as the recordings show.

Pure: a :class:`Completion` (what the model produced) goes in, compact JSON bytes come
out, with each family's key order (see ``_catalog``). No I/O, no framing.
"""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass
from typing import Any

from ._cache import CacheUse
from ._catalog import ModelSpec, Style
from ._generate import Generation
from ._guardrails import ACTION_KEY, GuardrailOutcome
from ._tools import ToolUse, tool_use_block, tool_use_events
from ._validation import Api

LEGACY_DEFAULT_STOP = "\n\nHuman:"
"""What legacy models report in ``stop`` when they end on their own (recorded)."""
_ID_ALPHABET = string.ascii_letters + string.digits
_ID_LENGTH = 22
"""``msg_bdrk_01`` + 22 base62 characters: 24 after the prefix, as recorded up to 2026-04."""
_ID_2026_ALPHABET = string.ascii_lowercase + "234567"
_ID_2026_LENGTH = 52
"""``msg_bdrk_`` + 52 lower-case base32 characters: the 2026 shape, recorded for Opus 4.8 and
Sonnet 5 (pydantic-ai, 2026-07)."""
_DELTA_SIZES = (5, 7, 6, 4)
"""Tokens per stream delta after the first, which carries one: recorded deltas carry several
(``"4200 + 42 ="``, haiku-4.5; ``" need to find all primes below "``, sonnet-4 thinking)."""
_START_OUTPUT_TOKENS = 1
_METRICS_KEY = "amazon-bedrock-invocationMetrics"


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def new_message_id(spec: ModelSpec | None = None) -> str:
    """A fresh id: the 2026 shape for the 2026 models (``usage_details``), else ``msg_bdrk_01…``."""
    if spec is not None and spec.usage_details:
        return "msg_bdrk_" + "".join(random.choices(_ID_2026_ALPHABET, k=_ID_2026_LENGTH))
    return "msg_bdrk_01" + "".join(random.choices(_ID_ALPHABET, k=_ID_LENGTH))


def deltas(pieces: tuple[str, ...] | list[str]) -> list[str]:
    """Token pieces grouped as Bedrock streams them: one, then several per delta."""
    out: list[str] = []
    index, size = 0, 1
    while index < len(pieces):
        out.append("".join(pieces[index : index + size]))
        index += size
        size = _DELTA_SIZES[len(out) % len(_DELTA_SIZES)]
    return out


@dataclass(frozen=True)
class Completion:
    """Everything one answer needs, independent of invoke or stream."""

    api: Api
    """Response format."""
    spec: ModelSpec
    """The answering model."""
    message_id: str
    """``msg_bdrk_…`` (Messages only)."""
    generation: Generation
    """The text tokens, after limits."""
    thinking: tuple[str, ...] | None
    """Thinking tokens when the request enabled thinking."""
    signature: str
    """The thinking block's signature."""
    input_tokens: int
    """Input tokens not read from or written to the cache."""
    cache: CacheUse | None
    """Prompt caching, when the request used ``cache_control``."""
    stop_reason: str
    """The reported stop reason (Messages naming)."""
    guardrail: GuardrailOutcome | None = None
    """What a guardrail the request applied reports, if it applied one."""
    tool_uses: tuple[ToolUse, ...] = ()
    """``tool_use`` blocks after the text (``_tools``)."""
    thinking_shown: bool = True
    """Whether the thinking text is sent (else its block carries only the signature)."""
    grouped: bool = True
    """Stream several tokens per Messages delta (``False``: one event per scripted piece, and
    under a guardrail, whose verdicts cut the text at piece boundaries)."""

    def stream_pieces(self, pieces: tuple[str, ...]) -> list[str]:
        """The stream deltas of ``pieces``."""
        kept = [piece for piece in pieces if piece]
        return deltas(kept) if self.grouped else kept

    @property
    def output_tokens(self) -> int:
        """Thinking, text and tool-call tokens."""
        tools = sum(use.output_tokens for use in self.tool_uses)
        return len(self.thinking or ()) + self.generation.output_tokens + tools


# -- usage and metrics ---------------------------------------------------------------


def _usage(c: Completion, output_tokens: int) -> dict[str, Any]:
    style = c.spec.style
    usage: dict[str, Any] = {"input_tokens": c.input_tokens}
    if c.cache is not None or style not in (Style.LEGACY, Style.CLASSIC):
        write = c.cache.write if c.cache else 0
        usage["cache_creation_input_tokens"] = write
        usage["cache_read_input_tokens"] = c.cache.read if c.cache else 0
        if style in (Style.MODEL_FIRST, Style.STOP_DETAILS):
            one_hour = c.cache is not None and c.cache.one_hour
            usage["cache_creation"] = {
                "ephemeral_5m_input_tokens": 0 if one_hour else write,
                "ephemeral_1h_input_tokens": write if one_hour else 0,
            }
    usage["output_tokens"] = output_tokens
    if c.spec.usage_details:
        usage["output_tokens_details"] = {"thinking_tokens": len(c.thinking or ())}
        usage["service_tier"] = "standard"
    return usage


def metrics(c: Completion, *, invocation_latency: int, first_byte_latency: int) -> dict[str, int]:
    """``amazon-bedrock-invocationMetrics`` of the last stream event."""
    out = {
        "inputTokenCount": c.input_tokens,
        "outputTokenCount": c.output_tokens,
        "invocationLatency": invocation_latency,
        "firstByteLatency": first_byte_latency,
    }
    if c.cache is not None and (c.cache.read or c.cache.write):
        out["cacheReadInputTokenCount"] = c.cache.read
        out["cacheWriteInputTokenCount"] = c.cache.write
    return out


def token_headers(c: Completion, *, invocation_latency: int) -> list[tuple[str, str]]:
    """The ``X-Amzn-Bedrock-*`` headers of an InvokeModel 200, in the recorded order."""
    headers = [
        ("X-Amzn-Bedrock-Invocation-Latency", str(invocation_latency)),
        ("X-Amzn-Bedrock-Output-Token-Count", str(c.output_tokens)),
        ("X-Amzn-Bedrock-Input-Token-Count", str(c.input_tokens)),
    ]
    if c.cache is not None:
        headers.append(("X-Amzn-Bedrock-Cache-Read-Input-Token-Count", str(c.cache.read)))
        headers.append(("X-Amzn-Bedrock-Cache-Write-Input-Token-Count", str(c.cache.write)))
    return headers


# -- Messages ------------------------------------------------------------------------


def _message(c: Completion, content: list[Any], stop: bool, output_tokens: int) -> dict[str, Any]:
    style = c.spec.style
    fields: dict[str, Any] = {
        "id": c.message_id,
        "type": "message",
        "role": "assistant",
        "model": c.spec.reported_name,
        "content": content,
        "stop_reason": c.stop_reason if stop else None,
        "stop_sequence": c.generation.stop_sequence if stop else None,
    }
    if style is Style.STOP_DETAILS:
        fields["stop_details"] = None
    fields["usage"] = _usage(c, output_tokens)
    if style in (Style.MODEL_FIRST, Style.STOP_DETAILS):
        fields = {"model": fields.pop("model"), **fields}
    return fields


def _content(c: Completion) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if c.thinking is not None:
        text = "".join(c.thinking) if c.thinking_shown else ""
        blocks.append({"type": "thinking", "thinking": text, "signature": c.signature})
    if _has_text_block(c):
        blocks.append({"type": "text", "text": c.generation.text})
    return blocks + [tool_use_block(use) for use in c.tool_uses]


def _has_text_block(c: Completion) -> bool:
    """Whether the answer has a text block.

    Not when thinking used up ``max_tokens``, nor when tool calls come without text.
    """
    if c.tool_uses and not c.generation.pieces:
        return False
    return (
        c.thinking is None
        or c.generation.output_tokens != 0
        or c.generation.stop_reason != "max_tokens"
    )


def _guardrail_fields(c: Completion) -> dict[str, Any]:
    return c.guardrail.fields() if c.guardrail is not None else {}


def messages_body(c: Completion) -> bytes:
    """The InvokeModel body of a Messages answer (guardrail keys last)."""
    return _dumps({**_message(c, _content(c), True, c.output_tokens), **_guardrail_fields(c)})


def _delta(index: int, kind: str, field: str, value: str) -> bytes:
    return b'{"type":"content_block_delta","index":%d,"delta":{"type":"%s","%s":%s}}' % (
        index,
        kind.encode(),
        field.encode(),
        _dumps(value),
    )


def messages_events(c: Completion) -> list[bytes]:
    """Every Messages stream event but the last (``message_stop`` needs the timings)."""
    message = _message(c, [], False, _START_OUTPUT_TOKENS)
    message.pop("stop_details", None)  # not seen in any message_start
    events = [_dumps({"type": "message_start", "message": message})]
    index = 0
    if c.thinking is not None:
        events.append(
            _dumps(
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "thinking", "thinking": "", "signature": ""},
                }
            )
        )
        if c.thinking_shown:
            events += [
                _delta(index, "thinking_delta", "thinking", p) for p in c.stream_pieces(c.thinking)
            ]
        events.append(_delta(index, "signature_delta", "signature", c.signature))
        events.append(b'{"type":"content_block_stop","index":%d}' % index)
        index += 1
    if _has_text_block(c):
        events.append(
            b'{"type":"content_block_start","index":%d,"content_block":{"type":"text","text":""}}'
            % index
        )
        events += [
            _delta(index, "text_delta", "text", p) for p in c.stream_pieces(c.generation.pieces)
        ]
        events.append(b'{"type":"content_block_stop","index":%d}' % index)
        index += 1
    for use in c.tool_uses:
        events += tool_use_events(index, use)
        index += 1
    events.append(
        _dumps(
            {
                "type": "message_delta",
                "delta": {
                    "stop_reason": c.stop_reason,
                    "stop_sequence": c.generation.stop_sequence,
                },
                "usage": {"output_tokens": c.output_tokens},
            }
        )
    )
    return events


def messages_final_event(c: Completion, invocation_metrics: dict[str, int]) -> bytes:
    """``message_stop`` with the invocation metrics, then the guardrail's action and trace.

    Only the last event reports the guardrail (AWS: "The guardrail trace is returned only
    for the last chunk"); the key order is a stand-in.
    """
    fields = {"type": "message_stop", _METRICS_KEY: invocation_metrics, **_guardrail_fields(c)}
    return _dumps(fields)


# -- Text Completions ------------------------------------------------------------------


def _legacy_stop(c: Completion) -> tuple[str, str | None]:
    if c.generation.stop_reason == "max_tokens":
        return "max_tokens", None
    return "stop_sequence", c.generation.stop_sequence or LEGACY_DEFAULT_STOP


def completion_body(c: Completion) -> bytes:
    """The InvokeModel body of a legacy Text Completions answer (2025 shape)."""
    reason, stop = _legacy_stop(c)
    body = {"type": "completion", "completion": c.generation.text, "stop_reason": reason}
    return _dumps({**body, "stop": stop, **_guardrail_fields(c)})


def completion_events(c: Completion) -> list[bytes]:
    """Every legacy stream chunk but the last.

    Under a guardrail each chunk carries the action, as the InvokeModelWithResponseStream
    API reference shows for ``completion`` chunks.
    """
    action = b""
    if c.guardrail is not None:
        action = b',"%s":"%s"' % (ACTION_KEY.encode(), c.guardrail.action.encode())
    return [
        b'{"type":"completion","completion":%s,"stop_reason":null,"stop":null%s}'
        % (_dumps(piece), action)
        for piece in c.generation.pieces  # one token per chunk, as recorded (dd-trace-js, v2:1)
        if piece
    ]


def completion_final_event(c: Completion, invocation_metrics: dict[str, int]) -> bytes:
    """The last legacy chunk: empty completion, stop reason and metrics."""
    reason, stop = _legacy_stop(c)
    return _dumps(
        {
            "type": "completion",
            "completion": "",
            "stop_reason": reason,
            "stop": stop,
            _METRICS_KEY: invocation_metrics,
            **_guardrail_fields(c),
        }
    )


def body(c: Completion) -> bytes:
    """The InvokeModel body for ``c``'s API."""
    return messages_body(c) if c.api == "messages" else completion_body(c)


def events(c: Completion) -> list[bytes]:
    """The stream events for ``c``'s API, all but the last."""
    return messages_events(c) if c.api == "messages" else completion_events(c)


def final_event(c: Completion, invocation_metrics: dict[str, int]) -> bytes:
    """The last stream event for ``c``'s API."""
    if c.api == "messages":
        return messages_final_event(c, invocation_metrics)
    return completion_final_event(c, invocation_metrics)

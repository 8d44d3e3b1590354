"""Hand-made InvokeModelWithResponseStream frames (Messages API), for servers that misbehave."""

from __future__ import annotations

import json
from typing import Any

from langchain_bedrock_claude.testing._eventstream import encode_chunk

MESSAGE_START = {
    "type": "message_start",
    "message": {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 1},
    },
}
TEXT_BLOCK_START = {
    "type": "content_block_start",
    "index": 0,
    "content_block": {"type": "text", "text": ""},
}


def text_delta(text: str) -> dict[str, Any]:
    """A ``content_block_delta`` event carrying ``text``."""
    return {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": text},
    }


def frame(event: dict[str, Any]) -> bytes:
    """One ``chunk`` message carrying the model event ``event``."""
    return encode_chunk(json.dumps(event).encode(), 0)


def opening(*texts: str) -> bytes:
    """The frames of a stream's start: message and text block start, then ``texts``."""
    events = [MESSAGE_START, TEXT_BLOCK_START, *(text_delta(text) for text in texts)]
    return b"".join(frame(event) for event in events)

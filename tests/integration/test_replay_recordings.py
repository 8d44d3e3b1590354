"""Real Bedrock responses, recorded by public projects, replayed byte for byte through the client.

The expected text and usage are decoded here independently of the client (botocore's event
stream decoder plus the documented shapes), so a parsing bug in the client shows.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.eventstream import EventStreamBuffer

import langchain_bedrock_claude as pkg
from langchain_bedrock_claude import AnthropicBedrock, Usage
from langchain_bedrock_claude._routing import resolve_model
from tests.recordings import RECORDINGS_DIR, Recording, load_recordings

from .conftest import CREDENTIALS

pytestmark = pytest.mark.skipif(not RECORDINGS_DIR.is_dir(), reason="shared recordings absent")

_KEEP_HEADERS = ("content-type", "x-amzn-requestid", "x-amzn-errortype")


def _claude(recording: Recording) -> bool:
    try:
        resolve_model(recording.model_id)
    except pkg.InvalidParameterError:
        return False
    return True


def _selected(operation: str, status: int | None = 200) -> list[Recording]:
    return [
        r
        for r in load_recordings()
        if r.operation == operation
        and (status is None or r.status == status)
        and "content-type" in r.headers
        and _claude(r)
    ]


def _api(recording: Recording) -> str | None:
    body = recording.request_json
    if isinstance(body, dict):
        return (
            "messages" if "messages" in body else "text_completions" if "prompt" in body else None
        )
    return None


def _headers(recording: Recording) -> list[tuple[str, str]]:
    keep = [
        (k, v)
        for k, v in recording.headers.items()
        if k in _KEEP_HEADERS or k.startswith("x-amzn-bedrock-")
    ]
    if recording.is_event_stream:
        keep.append(("transfer-encoding", "chunked"))
    return keep


def _client(emu: Any) -> AnthropicBedrock:
    return AnthropicBedrock(
        region="us-east-1", endpoint_url=emu.endpoint_url, max_retries=0, **CREDENTIALS
    )


def _expected_stream(body: bytes) -> tuple[str, Usage | None, str | None]:
    buffer = EventStreamBuffer()
    buffer.add_data(body)
    text: list[str] = []
    usage = None
    stop = None
    for message in buffer:
        inner = json.loads(base64.b64decode(json.loads(message.payload)["bytes"]))
        if (
            inner.get("type") == "content_block_delta"
            and inner["delta"].get("type") == "text_delta"
        ):
            text.append(inner["delta"]["text"])
        elif "completion" in inner:
            text.append(inner["completion"])
        if inner.get("stop_reason") or inner.get("type") == "message_delta":
            stop = inner.get("stop_reason") or inner["delta"].get("stop_reason")
        metrics = inner.get("amazon-bedrock-invocationMetrics")
        if metrics:
            usage = Usage(
                metrics["inputTokenCount"],
                metrics["outputTokenCount"],
                metrics.get("cacheReadInputTokenCount", 0),
                metrics.get("cacheWriteInputTokenCount", 0),
            )
    return "".join(text), usage, stop


STREAMS = _selected("invoke-with-response-stream")
INVOKES = _selected("invoke")
ERRORS = [
    r
    for r in _selected("invoke", None) + _selected("invoke-with-response-stream", None)
    if r.status >= 400
]


def test_the_recordings_are_there():
    assert len(STREAMS) >= 40 and len(INVOKES) >= 70 and len(ERRORS) >= 10


@pytest.mark.parametrize("recording", STREAMS, ids=lambda r: r.name)
def test_recorded_streams_give_the_recorded_text_and_usage(recording, emu):
    expected_text, expected_usage, expected_stop = _expected_stream(recording.body)
    emu.reply_raw(recording.status, _headers(recording), recording.body)
    stream = _client(emu).Completion.create(
        model=recording.model_id, prompt="replayed", stream=True, api=_api(recording)
    )
    pieces = list(stream)
    assert "".join(map(str, pieces)) == expected_text
    final = pieces[-1]
    assert final.is_final and stream.completion is not None
    assert final.stop_reason == expected_stop
    if expected_usage is not None:
        assert final.usage == expected_usage
    if "x-amzn-requestid" in recording.headers:
        assert final.request_id == recording.headers["x-amzn-requestid"]


@pytest.mark.parametrize("recording", INVOKES, ids=lambda r: r.name)
def test_recorded_invoke_bodies_give_the_recorded_text_and_usage(recording, emu):
    body = recording.body_json
    emu.reply_raw(recording.status, _headers(recording), recording.body)
    result = _client(emu).Completion.create(
        model=recording.model_id, prompt="replayed", api=_api(recording)
    )
    if "content" in body:
        text = "".join(block["text"] for block in body["content"] if block["type"] == "text")
        assert result.model == body["model"]
    else:
        text = body["completion"]
    assert result.completion == text
    assert result.stop_reason == body["stop_reason"]
    headers = recording.headers
    if "x-amzn-bedrock-input-token-count" in headers:
        assert result.usage.input_tokens == int(headers["x-amzn-bedrock-input-token-count"])
        assert result.usage.output_tokens == int(headers["x-amzn-bedrock-output-token-count"])
        assert result.usage.cache_read_input_tokens == int(
            headers.get("x-amzn-bedrock-cache-read-input-token-count", 0)
        )
    elif "usage" in body:
        assert result.usage.input_tokens == body["usage"]["input_tokens"]
        assert result.usage.output_tokens == body["usage"]["output_tokens"]


@pytest.mark.parametrize("recording", ERRORS, ids=lambda r: r.name)
def test_recorded_errors_become_typed_errors_with_the_request_id(recording, emu):
    emu.reply_raw(recording.status, _headers(recording), recording.body)
    with pytest.raises(pkg.APIStatusError) as caught:
        _client(emu).Completion.create(
            model=recording.model_id,
            prompt="replayed",
            stream=recording.operation == "invoke-with-response-stream",
            api=_api(recording),
        )
    error = caught.value
    assert error.status_code == recording.status
    message = (recording.body_json or {}).get("message") or (recording.body_json or {}).get(
        "Message"
    )
    if message:
        assert message in str(error)
    expected = {
        403: (pkg.AuthenticationError, pkg.AccessDeniedError),
        400: (pkg.ValidationError, pkg.ModelNotFoundError),
    }
    assert isinstance(error, expected.get(recording.status, pkg.APIStatusError))
    if "x-amzn-requestid" in recording.headers:
        assert error.request_id == recording.headers["x-amzn-requestid"]

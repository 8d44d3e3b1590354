"""A chat model's batch records read back as messages: real Bedrock answers as record outputs.

A batch record's ``modelOutput`` is the InvokeModel response body ("View the results of a
batch inference job"), so every recorded Messages answer is a record output Bedrock could write.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from langchain_bedrock_claude import RecordNotProcessedError
from langchain_bedrock_claude._batch_format import missing_result
from langchain_bedrock_claude.batch import ChatBatchResult
from tests.recordings import RECORDINGS_DIR, load_recordings
from tests.unit.test_batch_format import _INFO

HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"


def _messages_answers() -> list[Any]:
    found = []
    for recording in load_recordings():
        if recording.operation != "invoke" or recording.status != 200:
            continue
        body = json.loads(recording.body)
        if isinstance(body, dict) and body.get("type") == "message":
            found.append(pytest.param(recording.model_id, body, id=recording.source.name))
    return found


@pytest.mark.skipif(not RECORDINGS_DIR.is_dir(), reason="no shared recordings")
@pytest.mark.parametrize(("model_id", "body"), _messages_answers())
def test_a_recorded_answer_as_a_record_output_is_its_ai_message(
    model_id: str, body: dict[str, Any]
) -> None:
    record = {"recordId": "00000000003", "modelInput": {}, "modelOutput": body}
    result = ChatBatchResult.from_record(3, record, model_id)

    message = result.message
    assert isinstance(message, AIMessage) and result.ok and result.index == 3
    blocks = body["content"]
    uses = [block for block in blocks if block["type"] == "tool_use"]
    assert [(call["name"], call["args"], call["id"]) for call in message.tool_calls] == [
        (block["name"], block["input"], block["id"]) for block in uses
    ]
    texts = [block["text"] for block in blocks if block["type"] == "text"]
    if not blocks:
        assert message.content == ""
    elif len(blocks) == 1 and texts:
        assert message.content == texts[0]
    else:
        assert isinstance(message.content, list) and len(message.content) == len(blocks)
    usage = message.usage_metadata
    assert usage is not None and usage["output_tokens"] == body["usage"]["output_tokens"]
    assert usage["input_tokens"] >= body["usage"]["input_tokens"]  # plus cache reads/writes
    assert message.response_metadata["stop_reason"] == body["stop_reason"]
    assert message.response_metadata["model"] == body.get("model")
    assert message.id == body["id"]


def test_records_without_an_answer_have_no_message() -> None:
    failed = ChatBatchResult.from_record(
        0, {"recordId": "00000000000", "error": {"errorCode": 429, "errorMessage": "slow"}}, HAIKU
    )
    assert failed.message is None and failed.error is not None and not failed.ok
    info = dataclasses.replace(_INFO, status="Stopped")
    missing = missing_result(5, info, ChatBatchResult)
    assert type(missing) is ChatBatchResult and missing.message is None
    assert isinstance(missing.error, RecordNotProcessedError)

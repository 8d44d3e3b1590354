"""Bodies and events that are not what Bedrock sends: a typed error, never a raw one."""

import pytest

from langchain_bedrock_claude import MalformedResponseError
from langchain_bedrock_claude._formats import messages, text_completions
from langchain_bedrock_claude._formats._common import response_object


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"<html><body>502 Bad Gateway</body></html>", "not JSON"),
        (b"", "not JSON"),
        (b"[]", "JSON that is not an object: []"),
        (b'"text"', "JSON that is not an object"),
    ],
)
def test_a_body_that_is_not_a_json_object(raw, message):
    with pytest.raises(MalformedResponseError) as caught:
        response_object(raw)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_long_unreadable_body_is_quoted_in_part_and_says_so():
    with pytest.raises(MalformedResponseError) as caught:
        response_object(b"<html>" + b"x" * 10_000)
    assert "(the first 80 of 10008 characters)" in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        {"content": "text"},
        {"content": ["text"]},
        {"content": [{"type": "text", "text": 5}]},
        {"content": [{"type": "thinking", "thinking": ["a"]}]},
        {"content": [], "usage": "many"},
        {"content": [], "stop_reason": 1},
        {"content": [], "model": {"id": "x"}},
    ],
)
def test_a_messages_body_of_the_wrong_shape(body):
    with pytest.raises(MalformedResponseError):
        messages.parse_response(body, {})


@pytest.mark.parametrize("body", [{"completion": ["a"]}, {"completion": "a", "stop": 3}])
def test_a_text_completions_body_of_the_wrong_shape(body):
    with pytest.raises(MalformedResponseError):
        text_completions.parse_response(body, {})


@pytest.mark.parametrize(
    "event",
    [
        {"type": "content_block_delta"},  # valid JSON, a field missing: once a raw KeyError
        {"type": "content_block_delta", "delta": {"type": "text_delta"}},
        {"type": "content_block_delta", "delta": {"type": "text_delta", "text": None}},
        {"type": "content_block_delta", "delta": {"type": "thinking_delta"}},
        {"type": "content_block_delta", "delta": "text"},
        {"type": "message_start", "message": "m"},
        {"type": "message_delta", "delta": {}, "usage": {"output_tokens": "many"}},
    ],
)
def test_a_messages_stream_event_of_the_wrong_shape(event):
    with pytest.raises(MalformedResponseError) as caught:
        messages.StreamParser().feed(event)
    assert "missing or of the wrong type" in str(caught.value)


def test_a_text_completions_stream_chunk_of_the_wrong_shape():
    with pytest.raises(MalformedResponseError):
        text_completions.StreamParser().feed({"completion": 42})


def test_well_formed_bodies_still_parse():
    parsed = messages.parse_response(
        {"content": [{"type": "text", "text": "Hi"}], "stop_reason": "end_turn"}, {}
    )
    assert (parsed.text, parsed.stop_reason) == ("Hi", "end_turn")
    assert text_completions.parse_response({"completion": " Hi", "stop": None}, {}).text == " Hi"

import json

import pytest

from langchain_bedrock_claude import Usage
from langchain_bedrock_claude._formats import messages, text_completions
from langchain_bedrock_claude._params import check_params
from langchain_bedrock_claude._request import prepare

SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


def test_messages_body_carries_only_what_was_set_in_compact_json():
    request = prepare(check_params(model=SONNET_45, prompt="Why is the sky blue?", max_tokens=300))
    assert request.body == (
        b'{"anthropic_version":"bedrock-2023-05-31","max_tokens":300,'
        b'"messages":[{"role":"user","content":"Why is the sky blue?"}]}'
    )
    assert request.boto_kwargs()["modelId"] == SONNET_45


def test_messages_body_with_everything():
    params = check_params(
        model="anthropic.claude-3-5-sonnet-20240620-v1:0",
        prompt="\n\nHuman: Hi\n\nAssistant: Well,",
        max_tokens=10,
        stop_sequences=["\nObservation"],
        temperature=0.2,
        top_p=0.9,
        top_k=5,
        system="Be brief.",
        extra_body={"metadata": {"user_id": "u1"}},
    )
    assert json.loads(prepare(params).body) == {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 10,
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Well,"},
        ],
        "system": "Be brief.",
        "temperature": 0.2,
        "top_p": 0.9,
        "top_k": 5,
        "stop_sequences": ["\nObservation"],
        "metadata": {"user_id": "u1"},
    }


def test_text_completions_body():
    params = check_params(
        model="anthropic.claude-v2:1",
        prompt="Why?",
        max_tokens=300,
        stop_sequences=["x"],
        top_k=250,
    )
    assert json.loads(prepare(params).body) == {
        "prompt": "\n\nHuman: Why?\n\nAssistant:",
        "max_tokens_to_sample": 300,
        "top_k": 250,
        "stop_sequences": ["x"],
    }


def test_messages_response_uses_bedrock_metering_headers_over_body_usage():
    body = {
        "model": "claude-haiku-4-5-20251001",
        "id": "msg_bdrk_01",
        "type": "message",
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "Let me think.", "signature": "sig"},
            {"type": "text", "text": "4200 + 42 = "},
            {"type": "text", "text": "4242"},
        ],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 17,
            "cache_creation_input_tokens": 3,
            "cache_read_input_tokens": 5,
            "output_tokens": 15,
        },
    }
    parsed = messages.parse_response(body, {})
    assert parsed.text == "4200 + 42 = 4242"
    assert parsed.thinking == "Let me think."
    assert parsed.usage == Usage(17, 15, 5, 3)
    assert parsed.model == "claude-haiku-4-5-20251001"
    headers = {
        "x-amzn-bedrock-input-token-count": "18",
        "x-amzn-bedrock-output-token-count": "16",
        "x-amzn-bedrock-cache-read-input-token-count": "7",
        "x-amzn-bedrock-invocation-latency": "321",
    }
    parsed = messages.parse_response(body, headers)
    assert parsed.usage == Usage(18, 16, 7, 0)
    assert parsed.metadata["invocation_latency_ms"] == 321


def _feed(parser, events):
    pieces = [parser.feed(event) for event in events]
    return [piece for piece in pieces if piece is not None]


def test_messages_stream_events_give_text_thinking_and_final_usage():
    parser = messages.StreamParser()
    events = [
        {
            "type": "message_start",
            "message": {
                "id": "msg_bdrk_x",
                "model": "claude-sonnet-4-20250514",
                "usage": {"input_tokens": 392, "output_tokens": 4},
            },
        },
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": ""},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "Hmm."},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": "EroT"},
        },
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "text_delta", "text": "Certainly! I"},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "text_delta", "text": " can."},
        },
        {"type": "content_block_stop", "index": 1},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 134},
        },
    ]
    assert _feed(parser, events) == [("", "Hmm."), ("Certainly! I", ""), (" can.", "")]
    assert not parser.done
    so_far = parser.result()
    assert so_far.usage == Usage(392, 134)
    parser.feed(
        {
            "type": "message_stop",
            "amazon-bedrock-invocationMetrics": {
                "inputTokenCount": 392,
                "outputTokenCount": 90,
                "invocationLatency": 3722,
                "firstByteLatency": 779,
                "cacheReadInputTokenCount": 1209,
                "cacheWriteInputTokenCount": 0,
            },
        }
    )
    assert parser.done
    result = parser.result()
    assert result.text == "Certainly! I can."
    assert result.thinking == "Hmm."
    assert result.stop_reason == "end_turn"
    assert result.usage == Usage(392, 90, 1209, 0)
    assert result.metadata == {
        "invocation_latency_ms": 3722,
        "first_byte_latency_ms": 779,
        "id": "msg_bdrk_x",
    }


def test_a_guardrail_trace_in_a_stream_event_without_the_action_is_kept():
    # Bedrock sends both on the last event; each is kept wherever it comes, as said.
    parser = messages.StreamParser()
    trace = {"guardrail": {"actionReason": "Guardrail blocked."}}
    parser.feed({"type": "message_delta", "delta": {"stop_reason": "end_turn"}})
    parser.feed({"type": "message_stop", "amazon-bedrock-trace": trace})
    result = parser.result()
    assert result.metadata["guardrail_trace"] == trace
    assert "guardrail_action" not in result.metadata
    assert result.stop_reason == "end_turn"


@pytest.mark.parametrize("with_type", [True, False])
def test_legacy_stream_chunks_with_and_without_type_key(with_type):
    extra = {"type": "completion"} if with_type else {}
    parser = text_completions.StreamParser()
    events = [
        {**extra, "completion": " The", "stop_reason": None, "stop": None},
        {**extra, "completion": " capital", "stop_reason": None, "stop": None},
        {
            **extra,
            "completion": "",
            "stop_reason": "stop_sequence",
            "stop": "\n\nHuman:",
            "amazon-bedrock-invocationMetrics": {
                "inputTokenCount": 16,
                "outputTokenCount": 11,
                "invocationLatency": 482,
                "firstByteLatency": 335,
            },
        },
    ]
    assert _feed(parser, events) == [(" The", ""), (" capital", "")]
    assert parser.done
    result = parser.result()
    assert result.text == " The capital"
    assert (result.stop_reason, result.stop_sequence) == ("stop_sequence", "\n\nHuman:")
    assert result.usage == Usage(16, 11)


def test_legacy_response_body():
    parsed = text_completions.parse_response(
        {
            "type": "completion",
            "completion": " Paris.",
            "stop_reason": "stop_sequence",
            "stop": "\n\nHuman:",
        },
        {"x-amzn-bedrock-input-token-count": "16", "x-amzn-bedrock-output-token-count": "4"},
    )
    assert (parsed.text, parsed.stop_sequence, parsed.usage) == (
        " Paris.",
        "\n\nHuman:",
        Usage(16, 4),
    )

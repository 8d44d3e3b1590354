"""The emulator as strict as Bedrock for the current models, read by stock boto3.

Each rule's text is the one the emulator's catalog cites (a recording or a public thread).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from langchain_bedrock_claude.testing import BedrockEmulator, Reply
from langchain_bedrock_claude.testing._generate import split_tokens

from .conftest import sigv4_boto3

SONNET_5 = "us.anthropic.claude-sonnet-5"
OPUS_55 = "global.anthropic.claude-opus-5-5"
OPUS_5 = "eu.anthropic.claude-opus-5"
OPUS_48 = "global.anthropic.claude-opus-4-8"
SONNET_46 = "us.anthropic.claude-sonnet-4-6"
SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"
ID_2026 = re.compile(r"msg_bdrk_[a-z2-7]{52}")
"""The 2026 message id: 52 lower-case base32 characters (recorded for Opus 4.8, Sonnet 5)."""


@pytest.fixture
def client(server: BedrockEmulator) -> Iterator[Any]:
    runtime = sigv4_boto3(server)
    yield runtime
    runtime.close()


def body(messages: Any = None, **extra: Any) -> str:
    return json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 2000,
            "messages": messages or [{"role": "user", "content": "Why is the sky blue?"}],
            **extra,
        }
    )


def invoke(client: Any, model_id: str, payload: str) -> Any:
    return json.loads(client.invoke_model(modelId=model_id, body=payload)["body"].read())


def refusal(client: Any, model_id: str, payload: str) -> str:
    for call in (client.invoke_model, client.invoke_model_with_response_stream):
        with pytest.raises(client.exceptions.ValidationException) as caught:
            call(modelId=model_id, body=payload)
    return str(caught.value.response["Error"]["Message"])


def stream(client: Any, model_id: str, payload: str) -> list[Any]:
    response = client.invoke_model_with_response_stream(modelId=model_id, body=payload)
    return [json.loads(event["chunk"]["bytes"]) for event in response["body"]]


def test_strict_by_default_retired_and_bare_profile_only_ids(emu: BedrockEmulator, client: Any):
    with pytest.raises(client.exceptions.ResourceNotFoundException) as retired:
        client.invoke_model(
            modelId="anthropic.claude-v2",
            body=json.dumps({"prompt": "\n\nHuman: Hi\n\nAssistant:", "max_tokens_to_sample": 9}),
        )
    assert retired.value.response["Error"]["Message"] == (
        "This model version has reached the end of its life. Please refer to the AWS "
        "documentation for more details."
    )
    message = refusal(client, "anthropic.claude-sonnet-5-5", body())
    assert message == (
        "Invocation of model ID anthropic.claude-sonnet-5-5 with on-demand throughput isn\u2019t "
        "supported. Retry your request with the ID or ARN of an inference profile that "
        "contains this model."
    )
    assert invoke(client, "in.anthropic.claude-sonnet-5-5", body())["model"] == "claude-sonnet-5-5"


@pytest.mark.parametrize("model_id", [SONNET_46, OPUS_48, SONNET_5, OPUS_55])
def test_prefill_is_refused_from_the_46_models_on(client: Any, model_id: str):
    prefill = [{"role": "user", "content": "JSON?"}, {"role": "assistant", "content": "{"}]
    assert refusal(client, model_id, body(prefill)) == (
        "This model does not support assistant message prefill. The conversation must end "
        "with a user message."
    )


def test_prefill_still_works_on_the_45_models(emu: BedrockEmulator, client: Any):
    emu.reply('"a": 1}')
    prefill = [{"role": "user", "content": "JSON?"}, {"role": "assistant", "content": "{"}]
    assert invoke(client, SONNET_45, body(prefill))["content"][0]["text"] == '"a": 1}'


def test_sonnet_5_thinks_by_default_with_a_signature_only_block(emu: BedrockEmulator, client: Any):
    # Recorded (pydantic-ai, us.anthropic.claude-sonnet-5, no thinking field): a thinking
    # block with an empty text and a signature, then the text; thinking tokens in the usage.
    emu.reply(Reply(text="Rayleigh scattering.", thinking="Short wavelengths scatter more."))
    answer = invoke(client, SONNET_5, body())
    thinking, text = answer["content"]
    assert thinking["type"] == "thinking" and thinking["thinking"] == ""
    assert len(thinking["signature"]) > 40
    assert text == {"type": "text", "text": "Rayleigh scattering."}
    assert ID_2026.fullmatch(answer["id"])
    # "Short", " wavelengths", " scatter", " more", "." and "Rayleigh", " scattering", "."
    assert answer["usage"]["output_tokens_details"] == {"thinking_tokens": 5}
    assert answer["usage"]["output_tokens"] == 5 + 3


def test_a_signature_only_thinking_block_streams_as_its_signature(
    emu: BedrockEmulator, client: Any
):
    emu.reply(Reply(text="Blue.", thinking="Scattering."))
    events = stream(client, SONNET_5, body())
    kinds = [(e["type"], e.get("delta", {}).get("type")) for e in events]
    assert kinds[:4] == [
        ("message_start", None),
        ("content_block_start", None),
        ("content_block_delta", "signature_delta"),
        ("content_block_stop", None),
    ]
    assert events[1]["content_block"] == {"type": "thinking", "thinking": "", "signature": ""}
    assert ID_2026.fullmatch(events[0]["message"]["id"])


def test_summarized_and_adaptive_thinking_show_the_text(emu: BedrockEmulator, client: Any):
    emu.reply(Reply(text="Yes.", thinking="Check divisors."), times=2)
    summarized = invoke(
        client, OPUS_48, body(thinking={"type": "adaptive", "display": "summarized"})
    )
    assert summarized["content"][0]["thinking"] == "Check divisors."
    # Opus 4.6 takes adaptive thinking and shows it (thinking display omitted from 4.7 on)
    shown = invoke(client, "us.anthropic.claude-opus-4-6", body(thinking={"type": "adaptive"}))
    assert shown["content"][0]["thinking"] == "Check divisors."


def test_opus_48_thinks_only_when_asked(client: Any):
    # Recorded (pydantic-ai, us.anthropic.claude-opus-4-8, no thinking field): text only.
    answer = invoke(client, OPUS_48, body())
    assert [block["type"] for block in answer["content"]] == ["text"]
    assert answer["usage"]["output_tokens_details"] == {"thinking_tokens": 0}


@pytest.mark.parametrize(
    ("model_id", "extra", "message"),
    [
        (
            OPUS_55,
            {"thinking": {"type": "disabled"}},
            '"thinking.type.disabled" is not supported for this model. Thinking is always on; '
            'use "output_config.effort" to control thinking behavior.',
        ),
        (
            SONNET_5,
            {"thinking": {"type": "enabled", "budget_tokens": 1024}},
            '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" '
            'and "output_config.effort" to control thinking behavior.',
        ),
        (
            SONNET_45,
            {"output_config": {"effort": "high"}},
            "output_config.effort: Extra inputs are not permitted",
        ),
        (
            "global.anthropic.claude-opus-4-5-20251101-v1:0",
            {"output_config": {"effort": "xhigh"}},
            "output_config.effort: Input should be 'low', 'medium', 'high'",
        ),
        (
            OPUS_5,
            {"thinking": {"type": "disabled"}, "output_config": {"effort": "max"}},
            "`output_config.effort` may be at most `high` when thinking is disabled.",
        ),
        (
            SONNET_5,
            {"tool_choice": {"type": "any"}, "tools": [{"name": "t", "input_schema": {}}]},
            "Thinking may not be enabled when tool_choice forces tool use.",
        ),
    ],
)
def test_thinking_and_effort_rules(client: Any, model_id: str, extra: dict[str, Any], message: str):
    assert refusal(client, model_id, body(**extra)) == message


def test_thinking_can_be_turned_off_where_it_can(client: Any):
    answer = invoke(client, OPUS_5, body(thinking={"type": "disabled"}))
    assert [block["type"] for block in answer["content"]] == ["text"]


def test_thinking_signatures_must_be_this_services(emu: BedrockEmulator, client: Any):
    emu.reply(Reply(text="Four.", thinking="Two and two."))
    first = invoke(client, SONNET_46, body(thinking={"type": "enabled", "budget_tokens": 1024}))
    thinking_block = first["content"][0]
    turn = [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": [thinking_block, first["content"][1]]},
        {"role": "user", "content": "And 3+3?"},
    ]
    payload = body(turn, thinking={"type": "enabled", "budget_tokens": 1024})
    assert invoke(client, SONNET_46, payload)["content"][-1]["type"] == "text"
    forged = [*turn]
    forged[1] = {"role": "assistant", "content": [{**thinking_block, "signature": "EroTforged"}]}
    assert refusal(client, SONNET_46, body(forged)) == (
        "messages.1.content.0: Invalid `signature` in `thinking` block"
    )
    edited = [*turn]
    edited[1] = {
        "role": "assistant",
        "content": [{**thinking_block, "thinking": "Two and three."}],
    }
    assert "Invalid `signature`" in refusal(client, SONNET_46, body(edited))
    empty = [*turn]
    empty[1] = {"role": "assistant", "content": [{**thinking_block, "signature": ""}]}
    assert refusal(client, SONNET_46, body(empty)) == (
        "messages.1.content.0.thinking.signature: Field required"
    )


def test_a_prompt_beyond_the_context_window(client: Any):
    too_long = [{"role": "user", "content": "word " * 150_000}]  # about 214,000 tokens
    assert refusal(client, HAIKU_3, body(too_long)) == "Input is too long for requested model."
    # The 4.6 and later models have a 1M context.
    assert invoke(client, SONNET_46, body(too_long))["content"][0]["type"] == "text"


def test_stream_deltas_carry_several_tokens(client: Any):
    events = stream(client, OPUS_48, body())
    deltas = [e["delta"]["text"] for e in events if e["type"] == "content_block_delta"]
    sizes = [len(split_tokens(text)) for text in deltas]
    assert sizes[0] == 1 and max(sizes) > 3
    assert sum(sizes) == events[-2]["usage"]["output_tokens"]

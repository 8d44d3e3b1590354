"""The Anthropic SDK and langchain-aws read the emulator's responses."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest
from langchain_aws import BedrockLLM

from langchain_bedrock_claude.testing import BedrockEmulator

HAIKU_45 = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


def test_anthropic_sdk_create(emu: BedrockEmulator, sdk: anthropic.AnthropicBedrock) -> None:
    emu.reply("Hello from the emulator.")
    message = sdk.messages.create(
        model=HAIKU_45, max_tokens=100, messages=[{"role": "user", "content": "Hi"}]
    )
    assert message.content[0].type == "text"
    assert message.content[0].text == "Hello from the emulator."
    assert message.model == "claude-haiku-4-5-20251001"
    assert message.usage.output_tokens == 5 and message.stop_reason == "end_turn"
    sent = emu.requests[-1]
    assert sent.path == f"/model/{HAIKU_45}/invoke"  # the SDK keeps ":" unescaped
    assert sent.model_id == HAIKU_45
    assert "model" not in sent.json and "stream" not in sent.json


def test_anthropic_sdk_stream(emu: BedrockEmulator, sdk: anthropic.AnthropicBedrock) -> None:
    emu.reply(["Stream", "ing", " works"])
    with sdk.messages.stream(
        model="anthropic.claude-3-5-sonnet-20240620-v1:0",
        max_tokens=100,
        messages=[{"role": "user", "content": "Hi"}],
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert pieces == ["Stream", "ing", " works"]
    assert final.usage.output_tokens == 3
    assert emu.requests[-1].operation == "invoke-with-response-stream"


def test_anthropic_sdk_bearer_token(emu: BedrockEmulator, server: BedrockEmulator) -> None:
    client = anthropic.AnthropicBedrock(
        api_key="bedrock-api-key-123",
        aws_region="us-east-1",
        base_url=server.endpoint_url,
        max_retries=0,
    )
    try:
        message = client.messages.create(
            model=HAIKU_45, max_tokens=10, messages=[{"role": "user", "content": "Hi"}]
        )
    finally:
        client.close()
    assert message.usage.output_tokens == 10 and message.stop_reason == "max_tokens"
    assert emu.requests[-1].headers["authorization"] == "Bearer bedrock-api-key-123"


def test_anthropic_sdk_errors(emu: BedrockEmulator, sdk: anthropic.AnthropicBedrock) -> None:
    emu.throttle(1)
    with pytest.raises(anthropic.RateLimitError):
        sdk.messages.create(
            model=HAIKU_45, max_tokens=10, messages=[{"role": "user", "content": "Hi"}]
        )
    with pytest.raises(anthropic.BadRequestError, match="cannot both be specified"):
        sdk.messages.create(
            model=HAIKU_45,
            max_tokens=10,
            extra_body={"temperature": 0.5, "top_p": 0.5},
            messages=[{"role": "user", "content": "Hi"}],
        )


def test_anthropic_sdk_mid_stream_exception(
    emu: BedrockEmulator, sdk: anthropic.AnthropicBedrock
) -> None:
    emu.interrupt_stream(after_events=3, exception_type="modelStreamErrorException")
    with (
        pytest.raises(anthropic.APIError),
        sdk.messages.stream(
            model=HAIKU_45, max_tokens=100, messages=[{"role": "user", "content": "Hi"}]
        ) as stream,
    ):
        for _ in stream.text_stream:
            pass


def test_langchain_aws_bedrock_llm(emu: BedrockEmulator, runtime: Any) -> None:
    emu.legacy_end_of_life = False  # the retired ids' wire is what is tested here
    emu.reply(" Paris.")
    llm = BedrockLLM(
        model_id="anthropic.claude-v2:1", client=runtime, model_kwargs={"max_tokens_to_sample": 50}
    )
    assert llm.invoke("What is the capital of France?") == " Paris."
    sent = emu.requests[-1].json
    assert sent["max_tokens_to_sample"] == 50
    assert sent["prompt"].startswith("\n\nHuman:") and sent["prompt"].endswith("\n\nAssistant:")
    emu.reply([" Lyon", " is", " nice", "."])
    assert [c for c in llm.stream("And another city?") if c] == [" Lyon", " is", " nice", "."]
    assert emu.requests[-1].operation == "invoke-with-response-stream"
    assert json.loads(emu.requests[-1].body)["max_tokens_to_sample"] == 50

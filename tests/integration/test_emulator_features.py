"""Service tiers, latency, request metadata, CountTokens, thinking and prompt caching, through
stock boto3 over HTTPS with a Bedrock API key."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from langchain_bedrock_claude.testing import BedrockEmulator, Reply

SONNET_4 = "anthropic.claude-sonnet-4-20250514-v1:0"
SONNET_4_PROFILE = "us.anthropic.claude-sonnet-4-20250514-v1:0"
SONNET_37 = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
SONNET_35_V2 = "us.anthropic.claude-3-5-sonnet-20241022-v2:0"
SONNET_5 = "global.anthropic.claude-sonnet-5"
THINKING = {"type": "enabled", "budget_tokens": 1024}
DOCS = "Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"


@pytest.fixture
def emu(bedrock_emulator_tls: BedrockEmulator) -> BedrockEmulator:
    return bedrock_emulator_tls


def body(text: str = "What is the capital of France?", **extra: Any) -> str:
    return json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 2000,
            "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}],
            **extra,
        }
    )


def validation_message(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)  # errors come before a stream opens
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "ValidationException"
    return str(error["Error"]["Message"])


# -- service tier, latency, request metadata ------------------------------------------------


def test_tier_latency_and_metadata_are_recorded_and_echoed(
    emu: BedrockEmulator, client: Any
) -> None:
    tags = {"team": "search", "env": "test-1", "cost center": "a/b:c=d"}
    response = client.invoke_model(
        modelId=SONNET_4_PROFILE,
        body=body(),
        serviceTier="flex",
        performanceConfigLatency="optimized",
        requestMetadata=json.dumps(tags),
    )
    sent = emu.requests[-1]
    assert sent.service_tier == "flex" and sent.performance_config_latency == "optimized"
    assert sent.request_metadata == tags
    assert sent.request_metadata_header == json.dumps(tags)  # sent as is, not base64
    # InvokeModel's output shape echoes the tier and latency, not the metadata.
    assert response["serviceTier"] == "flex"
    assert response["performanceConfigLatency"] == "optimized"
    assert "requestMetadata" not in response
    streamed = client.invoke_model_with_response_stream(
        modelId=SONNET_4_PROFILE, body=body(), serviceTier="priority", requestMetadata='{"a":"b"}'
    )
    list(streamed["body"])
    assert streamed["serviceTier"] == "priority" and "performanceConfigLatency" not in streamed
    assert emu.requests[-1].request_metadata == {"a": "b"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"serviceTier": "premium"},
            "1 validation error detected: Value 'premium' at 'serviceTier' failed to satisfy "
            "constraint: Member must satisfy enum value set: [priority, default, flex, reserved]",
        ),
        (
            {"performanceConfigLatency": "fast"},
            "1 validation error detected: Value 'fast' at 'performanceConfigLatency' failed to "
            "satisfy constraint: Member must satisfy enum value set: [standard, optimized]",
        ),
        (
            {"requestMetadata": "team=search"},
            "1 validation error detected: Value at 'requestMetadata' failed to satisfy "
            "constraint: Member must be a JSON object whose keys and values are strings",
        ),
        (
            {"requestMetadata": '{"n": 1}'},
            "1 validation error detected: Value at 'requestMetadata' failed to satisfy "
            "constraint: Member must be a JSON object whose keys and values are strings",
        ),
        (
            {"requestMetadata": "{}"},
            "1 validation error detected: Value at 'requestMetadata' failed to satisfy "
            "constraint: Map must have between 1 and 16 entries",
        ),
        (
            {"requestMetadata": json.dumps({f"k{i}": "v" for i in range(17)})},
            "1 validation error detected: Value at 'requestMetadata' failed to satisfy "
            "constraint: Map must have between 1 and 16 entries",
        ),
        (
            {"requestMetadata": '{"team!": "x"}'},
            "1 validation error detected: Value at 'requestMetadata' failed to satisfy "
            "constraint: Map keys must satisfy constraint: [Member must satisfy regular "
            "expression pattern: [a-zA-Z0-9\\s:_@$#=/+,-.]{1,256}]",
        ),
        (
            {"requestMetadata": json.dumps({"team": "x" * 257})},
            "1 validation error detected: Value at 'requestMetadata' failed to satisfy "
            "constraint: Map value must satisfy constraint: [Member must satisfy regular "
            "expression pattern: [a-zA-Z0-9\\s:_@$#=/+,-.]{0,256}]",
        ),
    ],
)
def test_bad_tier_latency_and_metadata_are_rejected(
    emu: BedrockEmulator, client: Any, kwargs: dict[str, str], message: str
) -> None:
    for call in (client.invoke_model, client.invoke_model_with_response_stream):
        assert validation_message(call, modelId=SONNET_4_PROFILE, body=body(), **kwargs) == message


# -- CountTokens -----------------------------------------------------------------------------


COUNTED_BODIES = {
    "plain": {},
    "system blocks with cache_control": {
        "system": [
            {"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "Answer in French."},
        ]
    },
    "system string and thinking": {"system": "You are terse.", "thinking": THINKING},
    "tools": {
        "tools": [
            {
                "name": "lookup",
                "description": "Look a city up.",
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
            }
        ]
    },
}


@pytest.mark.parametrize("extra", COUNTED_BODIES.values(), ids=COUNTED_BODIES.keys())
def test_count_tokens_matches_the_invoke_input_tokens(
    emu: BedrockEmulator, client: Any, extra: dict[str, Any]
) -> None:
    payload = body("Paris or Lyon? " * 20, **extra)
    counted = client.count_tokens(modelId=SONNET_4, input={"invokeModel": {"body": payload}})
    # CountTokens takes the bare id; InvokeModel needs Sonnet 4's inference profile.
    answer = json.loads(client.invoke_model(modelId=SONNET_4_PROFILE, body=payload)["body"].read())
    usage = answer["usage"]
    assert counted["inputTokens"] == usage["input_tokens"] > 0
    assert usage["cache_creation_input_tokens"] == usage["cache_read_input_tokens"] == 0
    sent = emu.requests[0]
    assert sent.operation == "count-tokens" and sent.auth_scheme == "bearer"


def test_count_tokens_counts_what_a_cache_write_splits_off(
    emu: BedrockEmulator, client: Any
) -> None:
    system = [
        {"type": "text", "text": "Facts. " * 800, "cache_control": {"type": "ephemeral"}},
    ]
    payload = body(system=system)
    counted = client.count_tokens(modelId=SONNET_4, input={"invokeModel": {"body": payload}})
    invoked = client.invoke_model(modelId=SONNET_4_PROFILE, body=payload)
    usage = json.loads(invoked["body"].read())["usage"]
    assert usage["cache_creation_input_tokens"] > 1024
    assert counted["inputTokens"] == (
        usage["input_tokens"]
        + usage["cache_creation_input_tokens"]
        + usage["cache_read_input_tokens"]
    )


def test_count_tokens_validates_the_body_like_invoke(emu: BedrockEmulator, client: Any) -> None:
    payload = body(thinking={"type": "enabled", "budget_tokens": 500})
    message = validation_message(
        client.count_tokens, modelId=SONNET_4, input={"invokeModel": {"body": payload}}
    )
    assert (
        message == "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
    )


# -- thinking --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "extra", "message"),
    [
        (
            SONNET_4_PROFILE,
            {"thinking": {"type": "enabled", "budget_tokens": 1023}},
            "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
        ),
        (
            SONNET_4_PROFILE,
            {"thinking": {"type": "enabled"}},
            "thinking.enabled.budget_tokens: Field required",
        ),
        (
            SONNET_4_PROFILE,
            {"max_tokens": 1024, "thinking": THINKING},
            "`max_tokens` must be greater than `thinking.budget_tokens`. "
            f"{DOCS}#max-tokens-and-context-window-size",
        ),
        (
            SONNET_4_PROFILE,
            {"thinking": THINKING, "temperature": 0.5},
            "`temperature` may only be set to 1 when thinking is enabled or in adaptive mode. "
            f"{DOCS}#important-considerations-when-using-extended-thinking",
        ),
        (
            SONNET_37,
            {"thinking": THINKING, "top_k": 5},
            "`top_k` must be unset when thinking is enabled. "
            f"{DOCS}#important-considerations-when-using-extended-thinking",
        ),
        (
            SONNET_37,
            {"thinking": THINKING, "top_p": 0.9},
            "`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled or "
            f"in adaptive mode. {DOCS}#important-considerations-when-using-extended-thinking",
        ),
        (
            SONNET_4_PROFILE,
            {"thinking": THINKING, "tool_choice": {"type": "any"}},
            "Thinking may not be enabled when tool_choice forces tool use.",
        ),
        (
            SONNET_35_V2,
            {"thinking": THINKING},
            "'claude-3-5-sonnet-20241022' does not support thinking.",
        ),
        (
            SONNET_5,
            {"thinking": THINKING},
            '"thinking.type.enabled" is not supported for this model. Use '
            '"thinking.type.adaptive" and "output_config.effort" to control thinking behavior.',
        ),
    ],
)
def test_thinking_rules(
    emu: BedrockEmulator, client: Any, model_id: str, extra: dict[str, Any], message: str
) -> None:
    for call in (client.invoke_model, client.invoke_model_with_response_stream):
        assert validation_message(call, modelId=model_id, body=body(**extra)) == message


def test_thinking_allows_what_bedrock_allows(emu: BedrockEmulator, client: Any) -> None:
    emu.reply(Reply(text="Paris.", thinking="France's capital."), times=3)
    for extra in (
        {"temperature": 1, "top_p": 0.95},
        {"tool_choice": {"type": "auto"}},
        {"max_tokens": 1025},
    ):
        answer = json.loads(
            client.invoke_model(modelId=SONNET_37, body=body(**{"thinking": THINKING, **extra}))[
                "body"
            ].read()
        )
        assert [block["type"] for block in answer["content"]] == ["thinking", "text"]
    adaptive = body(thinking={"type": "adaptive"}, output_config={"effort": "low"})
    assert client.invoke_model(modelId=SONNET_5, body=adaptive)["body"].read()


# -- prompt caching --------------------------------------------------------------------------


def test_system_cache_control_writes_in_a_stream_then_reads_in_invoke(
    emu: BedrockEmulator, client: Any
) -> None:
    system = [
        {"type": "text", "text": "You are a cartographer. " * 250},
        {"type": "text", "text": "Use metric units.", "cache_control": {"type": "ephemeral"}},
    ]
    payload = body(system=system)
    response = client.invoke_model_with_response_stream(modelId=SONNET_4_PROFILE, body=payload)
    events = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    start_usage = events[0]["message"]["usage"]
    metrics = events[-1]["amazon-bedrock-invocationMetrics"]
    written = metrics["cacheWriteInputTokenCount"]
    assert written > 1024 and metrics["cacheReadInputTokenCount"] == 0
    assert start_usage["cache_creation_input_tokens"] == written
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert not any(name.startswith("x-amzn-bedrock-cache") for name in headers)
    again = client.invoke_model(modelId=SONNET_4_PROFILE, body=payload)
    headers = again["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-cache-read-input-token-count"] == str(written)
    assert headers["x-amzn-bedrock-cache-write-input-token-count"] == "0"
    usage = json.loads(again["body"].read())["usage"]
    assert usage["cache_read_input_tokens"] == written
    assert headers["x-amzn-bedrock-input-token-count"] == str(usage["input_tokens"])

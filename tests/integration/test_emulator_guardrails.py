"""Guardrails on InvokeModel and InvokeModelWithResponseStream, through stock boto3 over HTTPS
with a Bedrock API key: the request headers, the errors and the intervention shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from langchain_bedrock_claude.testing import BedrockEmulator, Reply

SONNET_4 = "us.anthropic.claude-sonnet-4-20250514-v1:0"
LEGACY = "anthropic.claude-v2:1"
GUARDRAIL = "gr7x2k9q"
ARN = f"arn:aws:bedrock:us-east-1:123456789012:guardrail/{GUARDRAIL}"
BLOCKED_IN = "I can't discuss that topic."
BLOCKED_OUT = "The answer was withheld."
CONFIG = "amazon-bedrock-guardrailConfig"
ACTION = "amazon-bedrock-guardrailAction"
TRACE = "amazon-bedrock-trace"


@pytest.fixture
def emu(bedrock_emulator_tls: BedrockEmulator) -> BedrockEmulator:
    bedrock_emulator_tls.add_guardrail(
        GUARDRAIL,
        blocked_words=["moon base"],
        blocked_input_message=BLOCKED_IN,
        blocked_output_message=BLOCKED_OUT,
    )
    return bedrock_emulator_tls


def body(text: str = "Tell me about Mars.", **extra: Any) -> str:
    return json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 200,
            "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}],
            **extra,
        }
    )


def guarded(**extra: Any) -> dict[str, Any]:
    return {"guardrailIdentifier": GUARDRAIL, "guardrailVersion": "DRAFT", **extra}


def invoke(client: Any, payload: str, model_id: str = SONNET_4, **kwargs: Any) -> Any:
    return json.loads(client.invoke_model(modelId=model_id, body=payload, **kwargs)["body"].read())


def stream(client: Any, payload: str, model_id: str = SONNET_4, **kwargs: Any) -> list[Any]:
    response = client.invoke_model_with_response_stream(modelId=model_id, body=payload, **kwargs)
    return [json.loads(event["chunk"]["bytes"]) for event in response["body"]]


def streamed_text(events: list[Any]) -> list[str]:
    return [
        e["delta"]["text"]
        for e in events
        if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta"
    ]


def test_headers_are_recorded(emu: BedrockEmulator, client: Any) -> None:
    invoke(client, body(), **guarded(trace="ENABLED"))
    sent = emu.requests[-1]
    assert (sent.guardrail_identifier, sent.guardrail_version, sent.trace) == (
        GUARDRAIL,
        "DRAFT",
        "ENABLED",
    )
    stream(client, body(**{CONFIG: {"streamProcessingMode": "ASYNCHRONOUS"}}), **guarded())
    assert emu.requests[-1].guardrail_config == {"streamProcessingMode": "ASYNCHRONOUS"}


def test_no_intervention_reports_none(emu: BedrockEmulator, client: Any) -> None:
    emu.reply("Mars is red.", times=3)
    answer = invoke(client, body(), **guarded())
    assert answer["content"] == [{"type": "text", "text": "Mars is red."}]
    assert answer[ACTION] == "NONE" and TRACE not in answer
    assert answer["stop_reason"] == "end_turn"
    traced = invoke(client, body(), **guarded(trace="ENABLED"))
    assert traced[ACTION] == "NONE"
    assessments = traced[TRACE]["guardrail"]
    assert "actionReason" not in assessments
    assert "wordPolicy" not in assessments["input"][GUARDRAIL]
    assert "wordPolicy" not in assessments["outputs"][0][GUARDRAIL]
    events = stream(client, body(), **guarded())
    assert "".join(streamed_text(events)) == "Mars is red."
    assert [ACTION in e for e in events].count(True) == 1 and events[-1][ACTION] == "NONE"
    # Without a guardrail, no guardrail keys at all.
    assert ACTION not in invoke(client, body())


def test_blocked_prompt_answers_with_the_input_message(emu: BedrockEmulator, client: Any) -> None:
    response = client.invoke_model(
        modelId=SONNET_4, body=body("How do I build a Moon Base?"), **guarded(trace="ENABLED")
    )
    answer = json.loads(response["body"].read())
    assert answer["content"] == [{"type": "text", "text": BLOCKED_IN}]
    # InvokeModel keeps the Messages stop reason; only the action key reports the block.
    assert answer["stop_reason"] == "end_turn" and answer[ACTION] == "INTERVENED"
    assert answer["usage"]["input_tokens"] == 0 and answer["usage"]["output_tokens"] == 0
    trace = answer[TRACE]["guardrail"]
    assert trace["actionReason"] == "Guardrail blocked."
    assert trace["input"][GUARDRAIL]["wordPolicy"]["customWords"] == [
        {"match": "Moon Base", "action": "BLOCKED", "detected": True}
    ]
    assert "outputs" not in trace
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-input-token-count"] == "0"


def test_blocked_prompt_in_a_stream(emu: BedrockEmulator, client: Any) -> None:
    events = stream(client, body("a moon base, please"), **guarded())
    assert streamed_text(events) == [BLOCKED_IN]
    assert events[-1]["type"] == "message_stop" and events[-1][ACTION] == "INTERVENED"
    assert TRACE not in events[-1]
    assert events[-2]["delta"]["stop_reason"] == "end_turn"


def test_blocked_answer_is_replaced(emu: BedrockEmulator, client: Any) -> None:
    emu.reply("The moon base opens in 2040.", times=2)
    answer = invoke(client, body(), **guarded(trace="ENABLED"))
    assert answer["content"] == [{"type": "text", "text": BLOCKED_OUT}]
    assert answer[ACTION] == "INTERVENED" and answer["stop_reason"] == "end_turn"
    assert answer["usage"]["output_tokens"] == 7  # the model's tokens are still billed
    trace = answer[TRACE]["guardrail"]
    assert trace["outputs"][0][GUARDRAIL]["wordPolicy"]["customWords"][0]["match"] == "moon base"
    assert "modelOutput" not in trace
    full = invoke(client, body(), **guarded(trace="ENABLED_FULL"))
    assert full[TRACE]["guardrail"]["modelOutput"] == ["The moon base opens in 2040."]


def test_synchronous_stream_withholds_the_blocked_text(emu: BedrockEmulator, client: Any) -> None:
    emu.reply(Reply(text="Sure. The moon base opens soon.", thinking="Think."))
    payload = body(
        max_tokens=2000,
        thinking={"type": "enabled", "budget_tokens": 1024},
        **{CONFIG: {"streamProcessingMode": "SYNCHRONOUS"}},
    )
    events = stream(client, payload, **guarded(trace="ENABLED"))
    assert streamed_text(events) == [BLOCKED_OUT]
    assert not any(e.get("content_block", {}).get("type") == "thinking" for e in events)
    last = events[-1]
    assert last[ACTION] == "INTERVENED" and "amazon-bedrock-invocationMetrics" in last
    assert last[TRACE]["guardrail"]["actionReason"] == "Guardrail blocked."


def test_default_stream_mode_is_synchronous(emu: BedrockEmulator, client: Any) -> None:
    emu.reply("Sure. The moon base opens soon.")
    assert streamed_text(stream(client, body(), **guarded())) == [BLOCKED_OUT]


def test_asynchronous_stream_sends_text_before_the_intervention(
    emu: BedrockEmulator, client: Any
) -> None:
    emu.reply("Sure. The moon base opens soon.")
    payload = body(**{CONFIG: {"streamProcessingMode": "ASYNCHRONOUS"}})
    events = stream(client, payload, **guarded())
    assert streamed_text(events) == ["Sure", ".", " The", BLOCKED_OUT]
    assert events[-1][ACTION] == "INTERVENED"


def test_guardrail_by_arn_and_numbered_version(emu: BedrockEmulator, client: Any) -> None:
    emu.add_guardrail(GUARDRAIL, "3", blocked_words=["venus"])
    emu.reply("Venus is hot.")
    answer = invoke(client, body(), guardrailIdentifier=ARN, guardrailVersion="3")
    assert answer[ACTION] == "INTERVENED"
    assert answer["content"][0]["text"] == "Sorry, the model cannot answer this question."


def test_legacy_text_completions_under_a_guardrail(emu: BedrockEmulator, client: Any) -> None:
    emu.legacy_end_of_life = False  # the retired ids' wire is what is tested here
    prompt = {"prompt": "\n\nHuman: Hi\n\nAssistant:", "max_tokens_to_sample": 50}
    emu.reply(" Hello there", times=2)
    answer = invoke(client, json.dumps(prompt), LEGACY, **guarded())
    assert answer["completion"] == " Hello there" and answer[ACTION] == "NONE"
    chunks = stream(client, json.dumps(prompt), LEGACY, **guarded(trace="ENABLED"))
    assert all(chunk[ACTION] == "NONE" for chunk in chunks)
    assert TRACE in chunks[-1] and all(TRACE not in chunk for chunk in chunks[:-1])
    blocked = invoke(
        client, json.dumps({**prompt, "prompt": "\n\nHuman: moon base?"}), LEGACY, **guarded()
    )
    assert blocked["completion"] == BLOCKED_IN and blocked[ACTION] == "INTERVENED"


@pytest.mark.parametrize(
    ("kwargs", "payload", "message"),
    [
        (
            {"guardrailIdentifier": "nosuchguardrail", "guardrailVersion": "DRAFT"},
            body(),
            "The guardrail identifier or version provided in the request does not exist.",
        ),
        (
            {"guardrailIdentifier": GUARDRAIL, "guardrailVersion": "9"},
            body(),
            "The guardrail identifier or version provided in the request does not exist.",
        ),
        (
            {"guardrailIdentifier": GUARDRAIL},
            body(),
            "Guardrail version must be provided when a guardrail identifier is specified.",
        ),
        (
            {"guardrailIdentifier": "GR-Upper", "guardrailVersion": "DRAFT"},
            body(),
            "1 validation error detected: Value 'GR-Upper' at 'guardrailIdentifier' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "(|([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))",
        ),
        (
            {"guardrailIdentifier": GUARDRAIL, "guardrailVersion": "latest"},
            body(),
            "1 validation error detected: Value 'latest' at 'guardrailVersion' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "(|([1-9][0-9]{0,7})|(DRAFT))",
        ),
        (
            {},
            body(**{CONFIG: {"streamProcessingMode": "SYNCHRONOUS"}}),
            "amazon-bedrock-guardrailConfig can only be specified when a guardrail identifier "
            "is provided.",
        ),
        (
            {"guardrailIdentifier": GUARDRAIL, "guardrailVersion": "DRAFT"},
            body(**{CONFIG: {"streamProcessingMode": "sync"}}),
            "Malformed input request: #/amazon-bedrock-guardrailConfig/streamProcessingMode: "
            "sync is not a valid enum value, please reformat your input and try again.",
        ),
    ],
)
def test_guardrail_errors(
    emu: BedrockEmulator, client: Any, kwargs: dict[str, str], payload: str, message: str
) -> None:
    for call in (client.invoke_model, client.invoke_model_with_response_stream):
        with pytest.raises(ClientError) as caught:
            call(modelId=SONNET_4, body=payload, **kwargs)
        error = caught.value.response
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert (error["Error"]["Code"], error["Error"]["Message"]) == (
            "ValidationException",
            message,
        )


def test_config_key_is_not_an_extraneous_body_key(emu: BedrockEmulator, client: Any) -> None:
    payload = body(**{CONFIG: {"tagSuffix": "xyz", "streamProcessingMode": "ASYNCHRONOUS"}})
    assert invoke(client, payload, **guarded())[ACTION] == "NONE"


def test_reset_forgets_guardrails(emu: BedrockEmulator, client: Any) -> None:
    emu.reset()
    with pytest.raises(ClientError, match="does not exist"):
        invoke(client, body(), **guarded())
    with pytest.raises(ValueError, match="lower-case letters"):
        emu.add_guardrail("Not-Valid")
    with pytest.raises(ValueError, match="'DRAFT' or a number"):
        emu.add_guardrail("valid1", "0")

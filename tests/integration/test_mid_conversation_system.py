"""Mid-conversation system messages on the wire: the chat model against the emulator, and the
emulator against stock boto3 and the recording of the real exchange.

Bedrock took a ``{"role": "system"}`` turn from Claude Opus 4.8 (recorded, pydantic-ai,
2026-07-30); every other model refuses one with a ValidationException, which the chat model
says before any request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
)

from langchain_bedrock_claude import APIStatusError, ChatBedrockClaude, InvalidParameterError
from langchain_bedrock_claude._model_rules import ModelRules, known_rows
from langchain_bedrock_claude.testing import BedrockEmulator
from tests.recordings import RECORDINGS_DIR, load_recordings

from .conftest import CREDENTIALS, sigv4_boto3
from .test_model_crosscheck import IDS

OPUS_48 = "us.anthropic.claude-opus-4-8"
RECORDING = "test_mid_conversation_system_prompt_on_bedrock.yaml"
REMINDER = "From now on, every suggestion must include explicit type annotations."
CONVERSATION: list[BaseMessage] = [
    SystemMessage("You are a code reviewer."),
    HumanMessage("Review `def add(a, b): return a + b`."),
    AIMessage("Looks fine."),
    HumanMessage("Review it again."),
    SystemMessage(REMINDER),
]
BEDROCK_ERROR_TYPE = "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"


@pytest.fixture
def chat(emu: BedrockEmulator) -> Iterator[Any]:
    made: list[ChatBedrockClaude] = []

    def make(model: str = OPUS_48, **fields: Any) -> ChatBedrockClaude:
        made.append(
            ChatBedrockClaude(
                model=model,
                region="us-east-1",
                endpoint_url=emu.endpoint_url,
                aws_access_key_id=CREDENTIALS["access_key"],
                aws_secret_access_key=CREDENTIALS["secret_key"],
                max_retries=0,
                **fields,
            )
        )
        return made[-1]

    yield make


def body(messages: list[dict[str, Any]], **fields: Any) -> str:
    return json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 256,
            "messages": messages,
            **fields,
        }
    )


def turn(role: str, content: Any) -> dict[str, Any]:
    if isinstance(content, str):
        content = [{"type": "text", "text": content}]
    return {"role": role, "content": content}


WITH_SYSTEM_TURN = [turn("user", "Hi"), turn("assistant", "Hello."), turn("user", "Go")]
WITH_SYSTEM_TURN.append(turn("system", REMINDER))


def refusal(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str, str]:
    error = excinfo.value.response
    return (
        error["ResponseMetadata"]["HTTPStatusCode"],
        error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"],
        error["Error"]["Code"],
        error["Error"]["Message"],
    )


# --- the recorded exchange ----------------------------------------------------------------------


def _recorded() -> Any:
    found = [rec for rec in load_recordings() if rec.source.name == RECORDING]
    if not found:
        pytest.skip(f"no recording {RECORDING} in {RECORDINGS_DIR}")
    return found[0]


def test_the_body_sent_for_opus_4_8_is_the_recorded_one(chat: Any, emu: BedrockEmulator):
    recorded = _recorded()
    answer = chat(max_tokens=recorded.request_json["max_tokens"]).invoke(CONVERSATION)
    assert answer.content
    (sent,) = emu.requests
    assert sent.model_id == recorded.model_id == OPUS_48
    assert sent.json == recorded.request_json


def test_the_emulator_takes_the_recorded_body(emu: BedrockEmulator):
    recorded = _recorded()
    answer = sigv4_boto3(emu).invoke_model(modelId=recorded.model_id, body=recorded.request_body)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == recorded.status == 200
    assert json.loads(answer["body"].read())["content"][0]["type"] == "text"


# --- the chat model on Opus 4.8 -----------------------------------------------------------------


def test_invoke_sends_the_system_turn_and_answers(chat: Any, emu: BedrockEmulator):
    answer = chat().invoke(CONVERSATION)
    assert isinstance(answer, AIMessage) and answer.text
    sent = emu.requests[-1]
    assert sent.operation == "invoke"
    assert sent.json["system"] == "You are a code reviewer."
    assert sent.json["messages"][-1] == turn("system", REMINDER)


def test_stream_sends_the_system_turn_and_streams(chat: Any, emu: BedrockEmulator):
    chunks = list(chat().stream(CONVERSATION))
    assert len(chunks) > 1 and all(isinstance(chunk, AIMessageChunk) for chunk in chunks)
    assert "".join(chunk.text for chunk in chunks)
    sent = emu.requests[-1]
    assert sent.operation == "invoke-with-response-stream"
    assert sent.json["messages"][-1] == turn("system", REMINDER)


def test_async_invoke_and_stream_send_it_too(chat: Any, emu: BedrockEmulator):
    model = chat()

    async def run() -> tuple[AIMessage, list[AIMessageChunk]]:
        answer = await model.ainvoke(CONVERSATION)
        chunks = [chunk async for chunk in model.astream(CONVERSATION)]
        return answer, chunks

    answer, chunks = asyncio.run(run())
    assert answer.text and "".join(chunk.text for chunk in chunks)
    assert [request.json["messages"][-1] for request in emu.requests] == [
        turn("system", REMINDER)
    ] * 2


def test_a_conversation_goes_on_after_the_system_turn(chat: Any, emu: BedrockEmulator):
    messages = [*CONVERSATION, AIMessage("def add(a: int, b: int) -> int: ..."), HumanMessage("Ok")]
    assert chat().invoke(messages).text
    roles = [message["role"] for message in emu.requests[-1].json["messages"]]
    assert roles == ["user", "assistant", "user", "system", "assistant", "user"]


def test_a_misplaced_system_message_is_refused_before_any_request(chat: Any, emu: BedrockEmulator):
    with pytest.raises(InvalidParameterError, match="followed by an AIMessage"):
        chat().invoke([HumanMessage("x"), SystemMessage(REMINDER), HumanMessage("y")])
    assert emu.requests == []


def test_count_tokens_counts_the_system_turn(chat: Any, emu: BedrockEmulator):
    model = chat("anthropic.claude-opus-4-8")  # CountTokens takes bare ids only
    without = model.get_num_tokens_from_messages(CONVERSATION[:-1])
    short = model.get_num_tokens_from_messages([*CONVERSATION[:-1], SystemMessage("Be terse.")])
    counted = model.get_num_tokens_from_messages(CONVERSATION)
    assert without < short < counted  # the turn and its text both count
    assert [request.operation for request in emu.requests] == ["count-tokens"] * 3


def test_bedrock_claude_keeps_a_later_system_message_in_its_text_prompt(
    llm_factory: Any, emu: BedrockEmulator
):
    # The text LLM sends a chat prompt as text (LangChain's "Role: text" lines), leading
    # system messages too: the later one stays in place, nothing dropped or moved.
    assert llm_factory().invoke(CONVERSATION)
    (sent,) = emu.requests
    assert "system" not in sent.json
    (only,) = sent.json["messages"]
    assert only["role"] == "user"
    assert only["content"].endswith(f"\nHuman: Review it again.\nSystem: {REMINDER}")
    assert only["content"].startswith("System: You are a code reviewer.\nHuman: Review")


# --- other models: refused before any request ---------------------------------------------------


@pytest.mark.parametrize(
    "model", ["us.anthropic.claude-opus-4-7", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"]
)
def test_other_models_refuse_before_any_request(chat: Any, emu: BedrockEmulator, model: str):
    older = chat(model)
    for call in (older.invoke, lambda messages: list(older.stream(messages))):
        with pytest.raises(InvalidParameterError, match=f"{model} .* only at the start"):
            call(CONVERSATION)
    with pytest.raises(InvalidParameterError, match="only at the start"):
        asyncio.run(older.ainvoke(CONVERSATION))
    assert emu.requests == []


# --- the emulator, with stock boto3 -------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "message"),
    [
        # Live Bedrock invoke-model, BerriAI/litellm#32831.
        ("us.anthropic.claude-opus-4-7", "role 'system' is not supported on this model"),
        ("us.anthropic.claude-sonnet-5", "role 'system' is not supported on this model"),
        (
            "us.anthropic.claude-sonnet-4-6",
            'messages: Unexpected role "system". The Messages API accepts a top-level `system` '
            'parameter, not "system" as an input message role.',
        ),
        (
            "us.anthropic.claude-haiku-4-5-20251001-v1:0",
            'messages: Unexpected role "system". The Messages API accepts a top-level `system` '
            'parameter, not "system" as an input message role.',
        ),
    ],
)
def test_the_emulator_refuses_a_system_turn_for_other_models(
    emu: BedrockEmulator, model: str, message: str
):
    client = sigv4_boto3(emu)
    for call in (client.invoke_model, client.invoke_model_with_response_stream):
        with pytest.raises(client.exceptions.ValidationException) as excinfo:
            call(modelId=model, body=body(WITH_SYSTEM_TURN))
        assert refusal(excinfo) == (400, BEDROCK_ERROR_TYPE, "ValidationException", message)
    with pytest.raises(client.exceptions.ValidationException):  # in any position
        client.invoke_model(
            modelId=model,
            body=body([turn("user", "x"), turn("system", "y"), turn("assistant", "z")]),
        )


def test_the_emulator_takes_a_system_turn_from_opus_4_8(emu: BedrockEmulator):
    client = sigv4_boto3(emu)
    answer = client.invoke_model(modelId=OPUS_48, body=body(WITH_SYSTEM_TURN))
    assert json.loads(answer["body"].read())["stop_reason"] == "end_turn"
    stream = client.invoke_model_with_response_stream(modelId=OPUS_48, body=body(WITH_SYSTEM_TURN))
    assert [event for event in stream["body"] if "chunk" in event]


PLACEMENT = {
    "first": (
        [turn("system", "x"), turn("user", "y")],
        "messages.0: use the top-level 'system' parameter for the initial system prompt",
    ),
    "after an assistant turn": (
        [turn("user", "x"), turn("assistant", "y"), turn("system", "z")],
        "messages.2: a system message must immediately follow a user message or an assistant "
        "message that ends in a server tool use",
    ),
    "followed by a user turn": (
        [turn("user", "x"), turn("system", "y"), turn("user", "z")],
        "messages.1: a system message must be the last message or be followed by an assistant "
        "message",
    ),
    "two in a row": (
        [turn("user", "x"), turn("system", "y"), turn("system", "z")],
        "messages.2: consecutive system messages are not allowed",
    ),
    "an image block": (
        [
            turn("user", "x"),
            turn(
                "system",
                [
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "AA=="},
                    }
                ],
            ),
        ],
        "messages.1: system messages support text content blocks only",
    ),
    "citations": (
        [turn("user", "x"), turn("system", [{"type": "text", "text": "y", "citations": []}])],
        "messages.1: system messages support text content blocks only",
    ),
}


@pytest.mark.parametrize(("messages", "says"), PLACEMENT.values(), ids=PLACEMENT.keys())
def test_the_emulator_enforces_the_placement_rules(
    emu: BedrockEmulator, messages: list[dict[str, Any]], says: str
):
    client = sigv4_boto3(emu)
    with pytest.raises(client.exceptions.ValidationException) as excinfo:
        client.invoke_model(modelId=OPUS_48, body=body(messages))
    status, error_type, _, message = refusal(excinfo)
    assert (status, error_type) == (400, BEDROCK_ERROR_TYPE)
    assert message.startswith(says)


def test_the_emulator_takes_a_system_turn_after_a_server_tool_use(emu: BedrockEmulator):
    server_tool_use = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "x", "input": {}}
    messages = [turn("user", "x"), turn("assistant", [server_tool_use]), turn("system", "y")]
    answer = sigv4_boto3(emu).invoke_model(modelId=OPUS_48, body=body(messages))
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_emulator_count_tokens_counts_system_turns(emu: BedrockEmulator):
    client = sigv4_boto3(emu)

    def count(messages: list[dict[str, Any]]) -> int:
        request = {"invokeModel": {"body": body(messages).encode()}}
        return int(
            client.count_tokens(modelId="anthropic.claude-opus-4-8", input=request)["inputTokens"]
        )

    short = [*WITH_SYSTEM_TURN[:-1], turn("system", "Be terse.")]
    assert count(WITH_SYSTEM_TURN[:-1]) < count(short) < count(WITH_SYSTEM_TURN)
    with pytest.raises(client.exceptions.ValidationException, match="not supported on this model"):
        client.count_tokens(
            modelId="anthropic.claude-opus-4-7",
            input={"invokeModel": {"body": body(WITH_SYSTEM_TURN).encode()}},
        )


# --- the client's table against the emulator's ---------------------------------------------------


ROWS = [rules for _, _, rules in known_rows()]


@pytest.mark.parametrize("rules", ROWS, ids=[rules.name for rules in ROWS])
def test_the_client_and_the_emulator_agree_on_every_model(
    chat: Any, emu: BedrockEmulator, rules: ModelRules
):
    emu.legacy_end_of_life = False  # the legacy rows' rules still hold where they are served
    model = IDS[rules.name]
    try:
        chat(model).invoke(CONVERSATION)
        client_sent = True
    except InvalidParameterError:
        client_sent = False
    except APIStatusError as error:
        pytest.fail(f"the client sent it and the emulator refused: {error}")
    assert client_sent is rules.system_turns
    assert len(emu.requests) == int(client_sent)
    try:  # the same conversation from stock boto3, past the client's checks
        sigv4_boto3(emu).invoke_model(modelId=model, body=body(WITH_SYSTEM_TURN))
        emulator_took = True
    except ClientError:
        emulator_took = False
    assert emulator_took is client_sent

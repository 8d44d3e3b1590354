"""Tool use, images and documents against the emulator, read by stock boto3 and the Anthropic SDK."""

from __future__ import annotations

import base64
import json
from typing import Any

import anthropic
import jsonschema
import pytest
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import ClientError

from langchain_bedrock_claude.testing import BedrockEmulator, Reply, ToolCall
from tests.images import gif, image_block, pdf, pdf_block, png
from tests.recordings import RECORDINGS_DIR, load_recordings
from tests.tool_schemas import SCHEMAS

HAIKU_45 = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET_35 = "us.anthropic.claude-3-5-sonnet-20240620-v1:0"
WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city.",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"enum": ["C", "F"]}},
        "required": ["city"],
    },
}
TIME = {
    "name": "get_time",
    "description": "The local time in a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def body(messages: list[dict[str, Any]] | str = "What's the weather?", **fields: Any) -> str:
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    return json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 300,
            "messages": messages,
            **fields,
        }
    )


def invoke(
    runtime: Any,
    messages: list[dict[str, Any]] | str = "What's the weather?",
    *,
    model: str = HAIKU_45,
    **fields: Any,
) -> dict[str, Any]:
    answer = runtime.invoke_model(modelId=model, body=body(messages, **fields))
    message: dict[str, Any] = json.loads(answer["body"].read())
    headers = answer["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-output-token-count"]) == message["usage"]["output_tokens"]
    return message


def stream_events(
    runtime: Any,
    messages: list[dict[str, Any]] | str = "What's the weather?",
    *,
    model: str = HAIKU_45,
    **fields: Any,
) -> list[dict[str, Any]]:
    answer = runtime.invoke_model_with_response_stream(modelId=model, body=body(messages, **fields))
    return [json.loads(event["chunk"]["bytes"]) for event in answer["body"]]


def message_from_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Rebuild the message a stream carries, as a client would (tool input from its pieces)."""
    message = dict(events[0]["message"])
    blocks: dict[int, dict[str, Any]] = {}
    pieces: dict[int, list[str]] = {}
    for event in events[1:]:
        if event["type"] == "content_block_start":
            blocks[event["index"]] = dict(event["content_block"])
            pieces[event["index"]] = []
        elif event["type"] == "content_block_delta":
            delta = event["delta"]
            if delta["type"] == "text_delta":
                blocks[event["index"]]["text"] += delta["text"]
            elif delta["type"] == "input_json_delta":
                pieces[event["index"]].append(delta["partial_json"])
        elif event["type"] == "content_block_stop" and blocks[event["index"]]["type"] == "tool_use":
            blocks[event["index"]]["input"] = json.loads("".join(pieces[event["index"]]))
        elif event["type"] == "message_delta":
            message.update(event["delta"])
            message["usage"] = {**message["usage"], **event["usage"]}
    message["content"] = [blocks[i] for i in sorted(blocks)]
    return message


def test_boto3_reads_a_scripted_parallel_tool_call(emu: BedrockEmulator, runtime: Any) -> None:
    emu.reply(
        Reply(
            text="Let me check both.",
            tool_calls=[
                ToolCall("get_weather", {"city": "Paris"}, id="toolu_bdrk_01A"),
                ToolCall("get_time"),
            ],
        )
    )
    message = invoke(runtime, tools=[WEATHER, TIME])
    assert message["stop_reason"] == "tool_use"
    text, weather, time = message["content"]
    assert text == {"type": "text", "text": "Let me check both."}
    assert weather == {
        "type": "tool_use",
        "id": "toolu_bdrk_01A",
        "name": "get_weather",
        "input": {"city": "Paris"},
    }
    assert list(time) == ["type", "id", "name", "input"]  # the recorded key order
    assert time["name"] == "get_time" and time["id"].startswith("toolu_bdrk_01")
    assert time["input"] == {"city": "example city"}  # generated from its schema
    assert message["usage"]["output_tokens"] > 4


def test_boto3_streams_tool_calls_in_the_recorded_shape(emu: BedrockEmulator, runtime: Any) -> None:
    emu.reply(Reply(text="Sure.", tool_calls=[ToolCall("get_weather", {"city": "San Francisco"})]))
    events = stream_events(runtime, tools=[WEATHER])
    kinds = [(e["type"], e.get("delta", e.get("content_block", {})).get("type")) for e in events]
    tool_start = kinds.index(("content_block_start", "tool_use"))
    assert kinds[:2] == [("message_start", None), ("content_block_start", "text")]
    assert kinds[tool_start - 1] == ("content_block_stop", None)
    deltas = [
        e["delta"]["partial_json"]
        for e in events
        if e.get("delta", {}).get("type") == "input_json_delta"
    ]
    assert deltas[0] == "" and len(deltas) >= 4  # an empty piece first, then the JSON in pieces
    assert "".join(deltas) == '{"city": "San Francisco"}'
    assert events[tool_start]["content_block"]["input"] == {}
    assert events[tool_start]["index"] == 1
    assert kinds[-2:] == [("message_delta", None), ("message_stop", None)]
    assert events[-2]["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}
    assert message_from_events(events)["content"][1]["input"] == {"city": "San Francisco"}


@pytest.mark.skipif(not RECORDINGS_DIR.is_dir(), reason="no recordings")
def test_tool_stream_shape_matches_a_recording(emu: BedrockEmulator, runtime: Any) -> None:
    def shape(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for event in events:
            inner = event.get("delta", event.get("content_block", {}))
            step = (event["type"], str(inner.get("type", "")))
            if not out or out[-1] != step or step[0] != "content_block_delta":
                out.append(step)
        return out

    recorded = next(
        rec
        for rec in load_recordings()
        if rec.source.name == "test_invoke_model_with_response_stream_with_content_tool_call.yaml"
        and rec.index == 0
    )

    buffer = EventStreamBuffer()
    buffer.add_data(recorded.body)
    real = [json.loads(base64.b64decode(json.loads(frame.payload)["bytes"])) for frame in buffer]
    names = [
        e["content_block"]["name"]
        for e in real
        if e["type"] == "content_block_start" and "name" in e["content_block"]
    ]
    emu.reply(
        Reply(text="Certainly!", tool_calls=[ToolCall(n, {"location": "Seattle"}) for n in names])
    )
    ours = stream_events(runtime, model=recorded.model_id, tools=recorded.request_json["tools"])
    assert shape(ours) == shape(real)


def test_anthropic_sdk_reads_tool_use(
    emu: BedrockEmulator, sdk: anthropic.AnthropicBedrock
) -> None:
    emu.reply(Reply(tool_calls=[ToolCall("get_weather", {"city": "Oslo", "unit": "C"})]), times=2)
    kwargs: dict[str, Any] = {
        "model": HAIKU_45,
        "max_tokens": 200,
        "messages": [{"role": "user", "content": "Weather in Oslo?"}],
        "tools": [WEATHER],
    }
    message = sdk.messages.create(**kwargs)
    assert message.stop_reason == "tool_use"
    (block,) = message.content
    assert block.type == "tool_use" and block.name == "get_weather"
    assert block.input == {"city": "Oslo", "unit": "C"}
    with sdk.messages.stream(**kwargs) as stream:
        partial = [event.partial_json for event in stream if event.type == "input_json"]
        final = stream.get_final_message()
    assert "".join(partial) == '{"city": "Oslo", "unit": "C"}' and len(partial) > 2
    assert final.content[0].type == "tool_use"
    assert final.content[0].input == {"city": "Oslo", "unit": "C"}
    assert final.stop_reason == "tool_use"


@pytest.mark.parametrize("name", SCHEMAS)
@pytest.mark.parametrize("choice", ["tool", "any"])
def test_forced_tool_calls_are_valid_against_their_schema(
    emu: BedrockEmulator, runtime: Any, name: str, choice: str
) -> None:
    schema = SCHEMAS[name]
    tool = {"name": f"tool_{name}", "input_schema": schema}
    tool_choice = {"type": "tool", "name": tool["name"]} if choice == "tool" else {"type": "any"}
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    message = invoke(runtime, "Hello!", tools=[tool], tool_choice=tool_choice)
    assert message["stop_reason"] == "tool_use"
    (block,) = message["content"]  # forced: no text before the call
    assert block["name"] == tool["name"]
    validator.validate(block["input"])
    streamed = message_from_events(
        stream_events(runtime, "Hello!", tools=[tool], tool_choice=tool_choice)
    )
    validator.validate(streamed["content"][0]["input"])
    assert streamed["stop_reason"] == "tool_use"


def test_forced_call_takes_arguments_from_the_prompt(emu: BedrockEmulator, runtime: Any) -> None:
    magic = {"name": "magic_function", "input_schema": SCHEMAS["magic_function"]}
    message = invoke(
        runtime,
        "What is the value of magic_function(3)? Use the tool.",
        tools=[WEATHER, magic],
        tool_choice={"type": "any"},
    )
    assert [(b["name"], b["input"]) for b in message["content"]] == [
        ("magic_function", {"input": 3})
    ]


@pytest.mark.parametrize("transport", ["invoke", "stream"])
def test_two_step_agent_loop_with_raw_boto3(
    emu: BedrockEmulator, runtime: Any, transport: str
) -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": 'Call get_weather(city="Paris"), then get_time for Paris.'}
    ]
    calls = []
    for _turn in range(5):
        if transport == "invoke":
            answer = invoke(runtime, messages, tools=[WEATHER, TIME])
        else:
            answer = message_from_events(stream_events(runtime, messages, tools=[WEATHER, TIME]))
        messages.append({"role": "assistant", "content": answer["content"]})
        if answer["stop_reason"] != "tool_use":
            break
        results = []
        for block in answer["content"]:
            if block["type"] == "tool_use":
                calls.append((block["name"], block["input"]))
                results.append({"type": "tool_result", "tool_use_id": block["id"], "content": "21"})
        messages.append({"role": "user", "content": results})
    assert calls == [
        ("get_weather", {"city": "Paris", "unit": "C"}),
        ("get_time", {"city": "example city"}),
    ]
    assert answer["stop_reason"] == "end_turn"
    assert [b["type"] for b in answer["content"]] == ["text"]
    assert messages[1]["content"][0] == {"type": "text", "text": "I'll use the get_weather tool."}


def test_auto_without_a_named_tool_answers_with_text(emu: BedrockEmulator, runtime: Any) -> None:
    message = invoke(runtime, "Hi there", tools=[WEATHER])
    assert message["stop_reason"] == "end_turn"
    assert [block["type"] for block in message["content"]] == ["text"]
    none = invoke(runtime, "get_weather now", tools=[WEATHER], tool_choice={"type": "none"})
    assert [block["type"] for block in none["content"]] == ["text"]


def test_tool_calls_that_do_not_fit_max_tokens_stop_at_max_tokens(
    emu: BedrockEmulator, runtime: Any
) -> None:
    emu.reply(Reply(text="ok", tool_calls=[ToolCall("get_weather", {"city": "A" * 200})]))
    answer = runtime.invoke_model(
        modelId=HAIKU_45,
        body=json.dumps(
            {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 10,
                "messages": [{"role": "user", "content": "x"}],
                "tools": [WEATHER],
            }
        ),
    )
    message = json.loads(answer["body"].read())
    assert message["stop_reason"] == "max_tokens"
    assert [block["type"] for block in message["content"]] == ["text"]


def validation_message(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "ValidationException"
    return str(error["Error"]["Message"])


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"tools": [WEATHER, WEATHER]}, "tools: Tool names must be unique."),
        (
            {"tools": [WEATHER], "tool_choice": "any"},
            "Malformed input request: "
            '#: subject must not be valid against schema {"required":["messages"]}'
            "#/tool_choice: expected type: JSONObject, found: String, please reformat your "
            "input and try again.",
        ),
        (
            {
                "tools": [WEATHER],
                "messages": [
                    {"role": "user", "content": "hi"},
                    {
                        "role": "assistant",
                        "content": [
                            {
                                "type": "tool_use",
                                "id": "toolu_1",
                                "name": "get_weather",
                                "input": {},
                            }
                        ],
                    },
                    {"role": "user", "content": "and?"},
                ],
            },
            "messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: "
            "toolu_1. Each `tool_use` block must have a corresponding `tool_result` block in the "
            "next message.",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "see"},
                            image_block(png(4, 4), "image/gif"),
                        ],
                    }
                ]
            },
            "messages.0.content.1.image.source.base64.data: Image does not match the provided "
            "media type image/gif",
        ),
    ],
)
def test_validation_errors_reach_boto3(
    emu: BedrockEmulator, runtime: Any, fields: dict[str, Any], expected: str
) -> None:
    messages = fields.pop("messages", "hi")
    for call in (runtime.invoke_model, runtime.invoke_model_with_response_stream):
        assert validation_message(call, modelId=HAIKU_45, body=body(messages, **fields)) == expected


def test_images_are_counted_by_pixels_not_bytes(emu: BedrockEmulator, runtime: Any) -> None:
    def usage(*blocks: dict[str, Any]) -> int:
        content = [{"type": "text", "text": "What is this?"}, *blocks]
        emu.reply("A grey square.")
        tokens = int(
            invoke(runtime, [{"role": "user", "content": content}])["usage"]["input_tokens"]
        )
        return tokens

    text_only = usage()
    small_png = usage(image_block(png(200, 200), "image/png"))
    small_gif = usage(image_block(gif(200, 200), "image/gif"))  # other bytes, same pixels
    large_png = usage(image_block(png(1000, 1000), "image/png"))
    assert small_png - text_only == small_gif - text_only == 54
    assert large_png - text_only == 1334
    document = usage(pdf_block(pdf(2)))
    assert document - text_only == 3000


def test_structured_output_answers_json_valid_against_the_schema(
    emu: BedrockEmulator, runtime: Any
) -> None:
    schema = SCHEMAS["langchain_typeddict"]
    output = {"format": {"type": "json_schema", "schema": schema}}
    message = invoke(runtime, "Tell me a joke", output_config=output)
    (block,) = message["content"]
    jsonschema.validate(json.loads(block["text"]), schema)
    streamed = message_from_events(stream_events(runtime, "Tell me a joke", output_config=output))
    assert json.loads(streamed["content"][0]["text"]) == json.loads(block["text"])
    assert streamed["stop_reason"] == "end_turn"


def test_thinking_comes_before_text_and_tool_calls(emu: BedrockEmulator, runtime: Any) -> None:
    emu.reply(Reply(text="Checking.", thinking="Hmm.", tool_calls=[ToolCall("get_time")]), times=2)
    fields: dict[str, Any] = {
        "model": "us.anthropic.claude-sonnet-4-20250514-v1:0",
        "tools": [TIME],
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "max_tokens": 2000,
    }
    message = invoke(runtime, "What time is it?", **fields)
    assert [block["type"] for block in message["content"]] == ["thinking", "text", "tool_use"]
    events = stream_events(runtime, "What time is it?", **fields)
    streamed = message_from_events(events)
    assert [block["type"] for block in streamed["content"]] == ["thinking", "text", "tool_use"]
    assert [e["index"] for e in events if e["type"] == "content_block_start"] == [0, 1, 2]
    assert streamed["stop_reason"] == message["stop_reason"] == "tool_use"


def test_count_tokens_agrees_with_invoke_on_tools_and_images(
    emu: BedrockEmulator, runtime: Any
) -> None:
    model = "anthropic.claude-sonnet-4-20250514-v1:0"
    content = [{"type": "text", "text": "Weather here?"}, image_block(png(640, 480), "image/png")]
    payload = body([{"role": "user", "content": content}], tools=[WEATHER])
    counted = runtime.count_tokens(modelId=model, input={"invokeModel": {"body": payload}})
    emu.reply("Sunny.")
    # CountTokens takes the bare id; InvokeModel needs Sonnet 4's inference profile.
    invoked = runtime.invoke_model(modelId=f"us.{model}", body=payload)
    usage = json.loads(invoked["body"].read())["usage"]
    assert counted["inputTokens"] == usage["input_tokens"]
    plain = body([{"role": "user", "content": content[:1]}])
    without = runtime.count_tokens(modelId=model, input={"invokeModel": {"body": plain}})
    tool_tokens = 346  # Anthropic's tool-use system prompt (auto), plus the definition itself
    assert counted["inputTokens"] - without["inputTokens"] > 410 + tool_tokens  # 640x480: 410


def test_a_guardrail_blocking_the_answer_drops_its_tool_calls(
    emu: BedrockEmulator, runtime: Any
) -> None:
    emu.add_guardrail("toolguard", blocked_words=["secret"])
    emu.reply(Reply(text="The secret tool.", tool_calls=[ToolCall("get_time")]))
    answer = runtime.invoke_model(
        modelId=HAIKU_45,
        body=body("What time is it?", tools=[TIME]),
        guardrailIdentifier="toolguard",
        guardrailVersion="DRAFT",
    )
    message = json.loads(answer["body"].read())
    assert message["amazon-bedrock-guardrailAction"] == "INTERVENED"
    assert [block["type"] for block in message["content"]] == ["text"]
    assert message["stop_reason"] == "end_turn"

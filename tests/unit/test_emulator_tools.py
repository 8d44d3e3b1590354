"""The emulator's tool use, pure: schema-valid inputs, the model's decision, Bedrock's checks."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from langchain_bedrock_claude.testing import BedrockError, Reply, ToolCall
from langchain_bedrock_claude.testing._tools import (
    call_arguments,
    check_tool_request,
    example_input,
    json_output_text,
    json_pieces,
    plan_tool_uses,
    tool_prompt_tokens,
    tool_use_events,
)
from tests.tool_schemas import SCHEMAS


@pytest.mark.parametrize("name", SCHEMAS)
def test_generated_inputs_are_valid_against_their_schema(name: str) -> None:
    schema = SCHEMAS[name]
    value = example_input(schema)
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(value)
    assert set(value) >= set(schema.get("required", ()))


def test_generated_input_fills_every_property_of_a_flat_schema() -> None:
    value = example_input(SCHEMAS["type_list_and_null"])
    assert value == {"maybe": "example maybe", "nothing": None, "flag": True}


def test_call_arguments_come_from_the_prompt() -> None:
    schema = {"properties": {"city": {}, "days": {}}}
    assert call_arguments(
        "What is magic_function(3)?", "magic_function", {"properties": {"input": {}}}
    ) == {"input": 3}
    assert call_arguments('get_weather("Paris", days=2)', "get_weather", schema) == {
        "city": "Paris",
        "days": 2,
    }
    assert call_arguments("get_weather('Paris, France')", "get_weather", schema) == {
        "city": "Paris, France"
    }
    assert call_arguments("get_weather()", "get_weather", schema) == {}
    assert call_arguments("my_get_weather(1)", "get_weather", schema) == {}


def test_prompt_arguments_that_break_the_schema_are_replaced() -> None:
    schema = SCHEMAS["magic_function"]
    assert example_input(schema, hints={"input": 3}) == {"input": 3}
    assert example_input(schema, hints={"input": 5000}) == {"input": 1}
    assert example_input(schema, hints={"input": "three"}) == {"input": 1}


def body(**fields: Any) -> dict[str, Any]:
    return {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "Hi"}],
        **fields,
    }


TOOL_A = {
    "name": "tool_a",
    "input_schema": {"type": "object", "properties": {"x": {"type": "integer"}}},
}
TOOL_B = {"name": "tool_b", "input_schema": {"type": "object", "properties": {}}}


def test_forced_tool_choice_calls_the_named_tool_without_text() -> None:
    plan = plan_tool_uses(
        body(tools=[TOOL_A, TOOL_B], tool_choice={"type": "tool", "name": "tool_b"}), Reply()
    )
    assert plan is not None and plan.text == ()
    assert [(use.name, dict(use.input)) for use in plan.uses] == [("tool_b", {})]
    assert plan.uses[0].id.startswith("toolu_bdrk_01") and len(plan.uses[0].id) == 35


def test_any_calls_the_named_tool_else_the_first() -> None:
    named = body(
        tools=[TOOL_A, TOOL_B],
        tool_choice={"type": "any"},
        messages=[{"role": "user", "content": "use tool_b"}],
    )
    plan = plan_tool_uses(named, Reply())
    assert plan is not None and plan.uses[0].name == "tool_b"
    plan = plan_tool_uses(body(tools=[TOOL_A, TOOL_B], tool_choice={"type": "any"}), Reply())
    assert plan is not None and plan.uses[0].name == "tool_a"


def test_auto_calls_named_tools_one_per_turn_then_answers() -> None:
    ask = {"role": "user", "content": [{"type": "text", "text": "First tool_b, then tool_a(7)."}]}
    tools = [TOOL_A, TOOL_B]
    first = plan_tool_uses(body(tools=tools, messages=[ask]), Reply())
    assert first is not None and first.text == "I'll use the tool_b tool."
    assert first.uses[0].name == "tool_b"
    history = [
        ask,
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t1", "name": "tool_b", "input": {}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}],
        },
    ]
    second = plan_tool_uses(body(tools=tools, messages=history), Reply())
    assert second is not None and [(u.name, dict(u.input)) for u in second.uses] == [
        ("tool_a", {"x": 7})
    ]
    history += [
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t2", "name": "tool_a", "input": {"x": 7}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t2", "content": "9"}]},
    ]
    assert plan_tool_uses(body(tools=tools, messages=history), Reply()) is None  # text now
    assert plan_tool_uses(body(tools=tools), Reply()) is None  # "Hi" names no tool
    assert (
        plan_tool_uses(body(tools=tools, messages=[ask], tool_choice={"type": "none"}), Reply())
        is None
    )


def test_scripted_calls_win_and_missing_inputs_are_generated() -> None:
    reply = Reply(
        tool_calls=[ToolCall("tool_a"), ToolCall("unknown", {"k": "v"}, id="toolu_fixed")]
    )
    plan = plan_tool_uses(body(tools=[TOOL_A]), reply)
    assert plan is not None and plan.text == ()
    assert [(u.id[:11], u.name, dict(u.input)) for u in plan.uses] == [
        ("toolu_bdrk_", "tool_a", {"x": 1}),
        ("toolu_fixed", "unknown", {"k": "v"}),
    ]
    assert plan_tool_uses(body(tools=[TOOL_A]), Reply(text="plain")) is None


def test_streamed_input_is_the_json_in_several_pieces() -> None:
    plan = plan_tool_uses(
        body(tools=[TOOL_A]), Reply(tool_calls=[ToolCall("tool_a", {"x": 12345, "y": "long text"})])
    )
    assert plan is not None
    events = [json.loads(e) for e in tool_use_events(3, plan.uses[0])]
    assert events[0] == {
        "type": "content_block_start",
        "index": 3,
        "content_block": {"type": "tool_use", "id": plan.uses[0].id, "name": "tool_a", "input": {}},
    }
    deltas = [e["delta"]["partial_json"] for e in events[1:-1]]
    assert deltas[0] == "" and len(deltas) > 3  # recorded: an empty piece first
    assert json.loads("".join(deltas)) == {"x": 12345, "y": "long text"}
    assert "".join(deltas) == '{"x": 12345, "y": "long text"}'  # the recorded spacing
    assert events[-1] == {"type": "content_block_stop", "index": 3}
    assert "".join(json_pieces("abc" * 20)) == "abc" * 20


def test_tool_prompt_tokens_depend_on_tool_choice() -> None:
    assert tool_prompt_tokens(body()) == 0
    assert tool_prompt_tokens(body(tools=[TOOL_A])) == 346
    assert tool_prompt_tokens(body(tools=[TOOL_A], tool_choice={"type": "any"})) == 313


def message(fields: dict[str, Any]) -> str:
    with pytest.raises(BedrockError) as caught:
        check_tool_request(body(**fields))
    assert caught.value.status == 400 and caught.value.name == "ValidationException"
    return caught.value.message


def use(*ids: str) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": i, "name": "tool_a", "input": {}} for i in ids],
    }


def result(*ids: str, text_first: bool = False) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "tool_result", "tool_use_id": i, "content": "ok"} for i in ids
    ]
    if text_first:
        blocks.insert(0, {"type": "text", "text": "here you go"})
    return {"role": "user", "content": blocks}


ASK = {"role": "user", "content": "go"}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"tools": [{"name": "bad name", "input_schema": {"type": "object"}}]},
            "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'",
        ),
        (
            {"tools": [TOOL_A, {"name": "x" * 65, "input_schema": {"type": "object"}}]},
            "tools.1.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'",
        ),
        ({"tools": [{"name": "t"}]}, "tools.0.custom.input_schema: Field required"),
        (
            {"tools": [{"name": "t", "input_schema": {"type": "array"}}]},
            "tools.0.custom.input_schema.type: Input should be 'object'",
        ),
        ({"tools": [TOOL_A, TOOL_B, TOOL_A]}, "tools: Tool names must be unique."),
        (
            {"tools": [TOOL_A], "tool_choice": {"type": "required"}},
            "tool_choice: Input tag 'required' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'",
        ),
        (
            {"tools": [TOOL_A], "tool_choice": {"type": "tool", "name": "tool_z"}},
            "tool_choice.tool.name: Tool 'tool_z' not found in provided tools",
        ),
        (
            {"tools": [TOOL_A], "tool_choice": {"type": "tool"}},
            "tool_choice.tool.name: Field required",
        ),
        (
            {
                "tools": [TOOL_A],
                "tool_choice": {"type": "auto", "disable_parallel_tool_use": "yes"},
            },
            "tool_choice.auto.disable_parallel_tool_use: Input should be a valid boolean",
        ),
        (
            {"tools": [TOOL_A], "tool_choice": {"type": "none", "disable_parallel_tool_use": True}},
            "tool_choice.none.disable_parallel_tool_use: Extra inputs are not permitted",
        ),
        (
            {"tool_choice": {"type": "any"}},
            "tool_choice: tool_choice may only be specified while providing tools",
        ),
        (
            {
                "tools": [TOOL_A],
                "messages": [ASK, use("toolu_1", "toolu_2"), {"role": "user", "content": "next"}],
            },
            "messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1, toolu_2. Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
        ),
        (
            {"tools": [TOOL_A], "messages": [ASK, use("toolu_1", "toolu_2"), result("toolu_2")]},
            "messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1. Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
        ),
        (
            {
                "tools": [TOOL_A],
                "messages": [ASK, use("toolu_1"), result("toolu_1", text_first=True)],
            },
            "messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1. Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
        ),
        (
            {"tools": [TOOL_A], "messages": [ASK, use("toolu_1"), result("toolu_1", "toolu_9")]},
            "messages.2.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_9. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.",
        ),
        (
            {"tools": [TOOL_A], "messages": [result("toolu_1")]},
            "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_1. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.",
        ),
        (
            {
                "tools": [TOOL_A],
                "messages": [
                    ASK,
                    {
                        "role": "assistant",
                        "content": [
                            {"type": "tool_use", "id": "t", "name": "tool_a", "input": '{"x": 1}'}
                        ],
                    },
                ],
            },
            "messages.1.content.0.tool_use.input: Input should be a valid dictionary",
        ),
        (
            {
                "tools": [TOOL_A],
                "messages": [
                    ASK,
                    use("t"),
                    {
                        "role": "user",
                        "content": [{"type": "tool_result", "tool_use_id": "t", "content": 42}],
                    },
                ],
            },
            "messages.2.content.0.tool_result.content: Input should be a valid string or a valid list",
        ),
    ],
)
def test_bedrock_rejects_bad_tool_requests(fields: dict[str, Any], expected: str) -> None:
    assert message(fields) == expected


@pytest.mark.parametrize(
    "fields",
    [
        {
            "tools": [TOOL_A, {"type": "bash_20250124", "name": "bash"}],
            "tool_choice": {"type": "tool", "name": "bash"},
        },
        {"tools": [TOOL_A], "tool_choice": {"type": "any", "disable_parallel_tool_use": True}},
        {"tools": [TOOL_A], "tool_choice": {"type": "none"}},
        {
            "tools": [TOOL_A],
            "messages": [ASK, use("toolu_1", "toolu_2"), result("toolu_2", "toolu_1")],
        },
        {
            "tools": [TOOL_A],
            "messages": [
                ASK,
                use("toolu_1"),
                {
                    "role": "user",
                    "content": [
                        *result("toolu_1")["content"],
                        {"type": "text", "text": "and now?"},
                    ],
                },
            ],
        },
        {"tools": [TOOL_A], "messages": [ASK, use("toolu_1")]},  # a final assistant turn: prefill
    ],
)
def test_valid_tool_requests_pass(fields: dict[str, Any]) -> None:
    check_tool_request(body(**fields))


def test_json_output_is_valid_against_its_schema() -> None:
    schema = SCHEMAS["langchain_pydantic"]
    output = {"format": {"type": "json_schema", "schema": schema}}
    text = json_output_text(body(output_config=output))
    assert text is not None
    jsonschema.validate(json.loads(text), schema)
    assert json_output_text(body()) is None
    assert json_output_text(body(output_config={"effort": "low"})) is None

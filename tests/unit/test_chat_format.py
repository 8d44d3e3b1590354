"""LangChain messages and tools -> the Messages body, and stream events -> chunks (pure, no I/O)."""

from __future__ import annotations

import base64
import json
from typing import Any, TypedDict

import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from langchain_bedrock_claude import ChatBedrockClaude, InvalidParameterError
from langchain_bedrock_claude._formats.chat import (
    StreamParser,
    format_messages,
    to_tool,
    to_tool_choice,
)
from langchain_bedrock_claude.chat_models import chunk_from

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()
PDF = base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()
PNG_SOURCE = {"type": "base64", "media_type": "image/png", "data": PNG}
PDF_SOURCE = {"type": "base64", "media_type": "application/pdf", "data": PDF}
CALL = {"name": "get_weather", "args": {"city": "Paris"}, "id": "toolu_1", "type": "tool_call"}
USE = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}


def body(*messages: Any) -> list[dict[str, Any]]:
    return format_messages(list(messages)).messages


def user(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": list(blocks)}


def text(value: str, **extra: Any) -> dict[str, Any]:
    return {"type": "text", "text": value, **extra}


# --- images, documents, text: every accepted form reaches the body in Bedrock's form ------------

IMAGE_FORMS = {
    "anthropic": {"type": "image", "source": PNG_SOURCE},
    "standard v1": {"type": "image", "base64": PNG, "mime_type": "image/png"},
    "standard v0": {
        "type": "image",
        "source_type": "base64",
        "data": PNG,
        "mime_type": "image/png",
    },
    "data url": {"type": "image", "url": f"data:image/png;base64,{PNG}"},
    "openai": {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
    "openai string": {"type": "image_url", "image_url": f"data:image/png;base64,{PNG}"},
}


@pytest.mark.parametrize("block", IMAGE_FORMS.values(), ids=IMAGE_FORMS.keys())
def test_every_image_form_becomes_a_base64_image_block(block):
    assert body(HumanMessage([text("What is it?"), block])) == [
        user(text("What is it?"), {"type": "image", "source": PNG_SOURCE})
    ]


DOCUMENT_FORMS = {
    "anthropic": ({"type": "document", "source": PDF_SOURCE}, PDF_SOURCE),
    "standard v1": ({"type": "file", "base64": PDF, "mime_type": "application/pdf"}, PDF_SOURCE),
    "standard v0": (
        {"type": "file", "source_type": "base64", "data": PDF, "mime_type": "application/pdf"},
        PDF_SOURCE,
    ),
    "text-plain": (
        {"type": "text-plain", "text": "Hello", "mime_type": "text/plain"},
        {"type": "text", "media_type": "text/plain", "data": "Hello"},
    ),
    "text-plain base64": (
        {
            "type": "text-plain",
            "base64": base64.b64encode(b"Hi").decode(),
            "mime_type": "text/plain",
        },
        {"type": "text", "media_type": "text/plain", "data": "Hi"},
    ),
    "anthropic text": (
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Hi"}},
        {"type": "text", "media_type": "text/plain", "data": "Hi"},
    ),
}


@pytest.mark.parametrize(("block", "source"), DOCUMENT_FORMS.values(), ids=DOCUMENT_FORMS.keys())
def test_every_document_form_becomes_a_document_block(block, source):
    assert body(HumanMessage([block])) == [user({"type": "document", "source": source})]


def test_openai_file_block_keeps_its_file_name_as_the_title():
    block = {
        "type": "file",
        "file": {"filename": "a.pdf", "file_data": f"data:application/pdf;base64,{PDF}"},
    }
    assert body(HumanMessage([block])) == [
        user({"type": "document", "source": PDF_SOURCE, "title": "a.pdf"})
    ]


def test_cache_control_title_context_and_citations_are_kept():
    cache = {"type": "ephemeral"}
    document = {
        "type": "file",
        "base64": PDF,
        "mime_type": "application/pdf",
        "extras": {"title": "Report", "context": "Q3", "citations": {"enabled": True}},
        "cache_control": cache,
    }
    image = {"type": "image", "base64": PNG, "mime_type": "image/png", "cache_control": cache}
    assert body(HumanMessage([text("Hi", cache_control=cache), image, document])) == [
        user(
            text("Hi", cache_control=cache),
            {"type": "image", "source": PNG_SOURCE, "cache_control": cache},
            {
                "type": "document",
                "source": PDF_SOURCE,
                "cache_control": cache,
                "title": "Report",
                "context": "Q3",
                "citations": {"enabled": True},
            },
        )
    ]


def test_counts_images_and_documents_also_inside_tool_results():
    chat = format_messages(
        [
            HumanMessage([IMAGE_FORMS["standard v1"], DOCUMENT_FORMS["standard v1"][0]]),
            AIMessage("", tool_calls=[CALL]),
            ToolMessage([IMAGE_FORMS["openai"]], tool_call_id="toolu_1"),
        ]
    )
    assert (chat.images, chat.documents) == (2, 1)


# --- roles, merging, system ---------------------------------------------------------------------


def test_system_messages_lead_and_roles_alternate():
    chat = format_messages(
        [
            SystemMessage("Be brief."),
            SystemMessage([text("Use metric units.", cache_control={"type": "ephemeral"})]),
            HumanMessage("Hi"),
            HumanMessage("Weather in Paris?"),
            AIMessage("Let me look.", tool_calls=[CALL]),
            ToolMessage("18 C", tool_call_id="toolu_1"),
            HumanMessage("And tomorrow?"),
        ],
        system="You are a weather bot.",
    )
    assert chat.system == [
        text("You are a weather bot."),
        text("Be brief."),
        text("Use metric units.", cache_control={"type": "ephemeral"}),
    ]
    assert chat.messages == [
        user(text("Hi"), text("Weather in Paris?")),
        {"role": "assistant", "content": [text("Let me look."), USE]},
        user(
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18 C"},
            text("And tomorrow?"),
        ),
    ]


def test_system_field_is_a_plain_string_unless_blocks_are_needed():
    assert format_messages([SystemMessage("A"), HumanMessage("x")]).system_field() == "A"
    assert format_messages([SystemMessage("A"), HumanMessage("x")]).system_field(cache=True) == [
        text("A", cache_control={"type": "ephemeral"})
    ]
    assert format_messages(
        [SystemMessage("A"), SystemMessage("B"), HumanMessage("x")]
    ).system_field() == [
        text("A"),
        text("B"),
    ]
    assert format_messages([HumanMessage("x")]).system_field() is None


def test_chat_message_roles():
    assert body(
        ChatMessage(role="user", content="a"), ChatMessage(role="assistant", content="b")
    ) == [
        user(text("a")),
        {"role": "assistant", "content": [text("b")]},
    ]


def test_a_final_assistant_message_is_kept_as_a_prefill():
    chat = format_messages([HumanMessage("Hi"), AIMessage("Well,")])
    assert chat.prefill
    assert chat.messages[-1] == {"role": "assistant", "content": [text("Well,")]}


# --- tool calls and results ---------------------------------------------------------------------


def test_tool_calls_in_content_are_not_sent_twice_and_take_the_parsed_arguments():
    streamed = {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "get_weather",
        "input": {},
        "partial_json": '{"city": "Paris"}',
        "index": 1,
    }
    message = AIMessage([text("Looking", index=0), streamed], tool_calls=[CALL])
    assert body(HumanMessage("x"), message, ToolMessage("ok", tool_call_id="toolu_1"))[1] == {
        "role": "assistant",
        "content": [text("Looking"), USE],
    }


def test_v1_tool_call_blocks_are_tool_uses():
    message = AIMessage(
        [{"type": "tool_call", **{k: v for k, v in CALL.items() if k != "type"}}], tool_calls=[CALL]
    )
    assert body(HumanMessage("x"), message, ToolMessage("ok", tool_call_id="toolu_1"))[1][
        "content"
    ] == [USE]


def test_parallel_tool_results_share_one_user_turn():
    second = {**CALL, "id": "toolu_2", "args": {"city": "Rome"}}
    messages = body(
        HumanMessage("Paris and Rome?"),
        AIMessage("", tool_calls=[CALL, second]),
        ToolMessage("18 C", tool_call_id="toolu_1"),
        ToolMessage("Error: no data", tool_call_id="toolu_2", status="error"),
    )
    assert messages[1]["content"] == [USE, {**USE, "id": "toolu_2", "input": {"city": "Rome"}}]
    assert messages[2] == user(
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18 C"},
        {
            "type": "tool_result",
            "tool_use_id": "toolu_2",
            "content": "Error: no data",
            "is_error": True,
        },
    )


def test_tool_result_list_content_and_empty_content():
    messages = body(
        HumanMessage("x"),
        AIMessage("", tool_calls=[CALL, {**CALL, "id": "toolu_2"}]),
        ToolMessage([text("see"), IMAGE_FORMS["standard v1"]], tool_call_id="toolu_1"),
        ToolMessage("", tool_call_id="toolu_2"),
    )
    assert messages[2] == user(
        {
            "type": "tool_result",
            "tool_use_id": "toolu_1",
            "content": [text("see"), {"type": "image", "source": PNG_SOURCE}],
        },
        {"type": "tool_result", "tool_use_id": "toolu_2"},
    )


def test_anthropic_tool_result_blocks_in_a_human_message_pass_through():
    result = {"type": "tool_result", "tool_use_id": "toolu_1", "content": [text("ok")]}
    assert body(HumanMessage("x"), AIMessage("", tool_calls=[CALL]), HumanMessage([result]))[
        2
    ] == user(result)


# --- thinking round-trips with its signature ---------------------------------------------------


def test_thinking_and_redacted_thinking_go_back_with_their_signatures():
    thinking = {"type": "thinking", "thinking": "Hmm.", "signature": "EroT42", "index": 0}
    redacted = {"type": "redacted_thinking", "data": "EmwKAhgB", "index": 1}
    assert body(
        HumanMessage("x"), AIMessage([thinking, redacted, text("Hi", index=2)]), HumanMessage("y")
    )[1] == {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "Hmm.", "signature": "EroT42"},
            {"type": "redacted_thinking", "data": "EmwKAhgB"},
            text("Hi"),
        ],
    }


def test_v1_reasoning_blocks_go_back_as_thinking():
    reasoning = {"type": "reasoning", "reasoning": "Hmm.", "extras": {"signature": "EroT42"}}
    assert body(HumanMessage("x"), AIMessage([reasoning, text("Hi")]))[1]["content"][0] == {
        "type": "thinking",
        "thinking": "Hmm.",
        "signature": "EroT42",
    }


# --- what Bedrock cannot take is a clear error, never dropped ------------------------------------

REFUSED = {
    "unknown block": ([HumanMessage([{"type": "sparkle", "x": 1}])], "'sparkle' block"),
    "audio": (
        [HumanMessage([{"type": "audio", "base64": "AAAA", "mime_type": "audio/wav"}])],
        "audio input",
    ),
    "image url": (
        [HumanMessage([{"type": "image", "url": "https://example.com/a.png"}])],
        "not URLs",
    ),
    "url source": (
        [HumanMessage([{"type": "image", "source": {"type": "url", "url": "https://x/a.png"}}])],
        "base64 sources only",
    ),
    "file id": ([HumanMessage([{"type": "image", "file_id": "file-1"}])], "'file_id'"),
    "image type": (
        [HumanMessage([{"type": "image", "base64": PNG, "mime_type": "image/tiff"}])],
        "image/tiff",
    ),
    "bad base64": (
        [HumanMessage([{"type": "image", "base64": "not base64!", "mime_type": "image/png"}])],
        "not valid base64",
    ),
    "document type": (
        [HumanMessage([{"type": "file", "base64": PDF, "mime_type": "application/zip"}])],
        "application/zip",
    ),
    "function message": ([FunctionMessage("x", name="f")], "FunctionMessage"),
    "chat role": ([ChatMessage(role="critic", content="x")], "'critic'"),
    # A later system message on a model without system turns: tests/unit/
    # test_mid_conversation_system.py ("only at the start"); here, a misplaced one.
    "late system": (
        [HumanMessage("x"), SystemMessage("y"), HumanMessage("z")],
        "followed by an AIMessage",
    ),
    "image in system": (
        [SystemMessage([IMAGE_FORMS["standard v1"]]), HumanMessage("x")],
        "text blocks only",
    ),
    "empty message": ([HumanMessage("")], "no content"),
    "no messages": ([], "there is no message to answer: give at least one HumanMessage"),
    "only system": ([SystemMessage("Be brief.")], "no message to answer (only system messages)"),
    "stray tool result": (
        [HumanMessage("x"), ToolMessage("r", tool_call_id="toolu_9")],
        "did not make",
    ),
    "wrong tool result": (
        [
            HumanMessage("x"),
            AIMessage("", tool_calls=[CALL]),
            ToolMessage("r", tool_call_id="toolu_9"),
        ],
        "toolu_9",
    ),
    "missing tool result": (
        [HumanMessage("x"), AIMessage("", tool_calls=[CALL]), HumanMessage("go on")],
        "no ToolMessage",
    ),
    "unsigned reasoning": (
        [HumanMessage("x"), AIMessage([{"type": "reasoning", "reasoning": "Hmm"}])],
        "signature",
    ),
    "unsigned thinking": (
        [HumanMessage("x"), AIMessage([{"type": "thinking", "thinking": "Hmm"}])],
        "signature",
    ),
    "server tool use": (
        [
            HumanMessage("x"),
            AIMessage([{"type": "server_tool_use", "id": "s", "name": "web_search", "input": {}}]),
        ],
        "'server_tool_use' block",
    ),
    "invalid tool call": (
        [
            HumanMessage("x"),
            AIMessage(
                "",
                invalid_tool_calls=[
                    {
                        "name": "f",
                        "args": "{oops",
                        "id": "t",
                        "error": None,
                        "type": "invalid_tool_call",
                    }
                ],
            ),
        ],
        "not a JSON object",
    ),
}


@pytest.mark.parametrize(("messages", "says"), REFUSED.values(), ids=REFUSED.keys())
def test_what_bedrock_cannot_take_is_refused_with_a_clear_error(messages, says):
    with pytest.raises(InvalidParameterError, match=r"message|turn") as caught:
        format_messages(messages)
    assert says in str(caught.value)


# --- tools -------------------------------------------------------------------------------------


class GetWeather(BaseModel):
    """Get the weather in a city."""

    city: str = Field(description="The city")


class GetWeatherDict(TypedDict):
    """Get the weather in a city."""

    city: str


def get_weather(city: str) -> str:
    """Get the weather in a city.

    Args:
        city: The city
    """
    return "sunny"


@tool
def get_weather_tool(city: str) -> str:
    """Get the weather in a city."""
    return "sunny"


@pytest.mark.parametrize(
    ("given", "name"),
    [
        (GetWeather, "GetWeather"),
        (GetWeatherDict, "GetWeatherDict"),
        (get_weather, "get_weather"),
        (get_weather_tool, "get_weather_tool"),
        (
            {
                "title": "get_weather",
                "description": "Get the weather in a city.",
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
            "get_weather",
        ),
        (
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get the weather in a city.",
                    "parameters": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}},
                        "required": ["city"],
                    },
                },
            },
            "get_weather",
        ),
    ],
)
def test_every_tool_form_becomes_a_claude_tool(given, name):
    converted = to_tool(given)
    assert converted["name"] == name
    assert converted["description"] == "Get the weather in a city."
    assert converted["input_schema"]["type"] == "object"
    assert converted["input_schema"]["properties"]["city"]["type"] == "string"
    assert converted["input_schema"]["required"] == ["city"]


def test_claude_and_client_tools_pass_through_and_server_tools_are_refused():
    claude = {
        "name": "f",
        "input_schema": {"type": "object"},
        "cache_control": {"type": "ephemeral"},
    }
    assert to_tool(claude) == claude
    assert to_tool({"type": "bash_20250124", "name": "bash"}) == {
        "type": "bash_20250124",
        "name": "bash",
    }
    with pytest.raises(InvalidParameterError, match="web_search_20250305"):
        to_tool({"type": "web_search_20250305", "name": "web_search"})


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        (None, None, None),
        ("auto", None, {"type": "auto"}),
        ("any", None, {"type": "any"}),
        ("required", None, {"type": "any"}),
        (True, None, {"type": "any"}),
        ("none", None, {"type": "none"}),
        ("get_weather", None, {"type": "tool", "name": "get_weather"}),
        ({"type": "tool", "name": "get_weather"}, None, {"type": "tool", "name": "get_weather"}),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
        ("any", False, {"type": "any", "disable_parallel_tool_use": True}),
        ("none", False, {"type": "none"}),
        ("any", True, {"type": "any"}),
    ],
)
def test_tool_choice(choice, parallel, expected):
    assert to_tool_choice(choice, ["get_weather"], parallel=parallel) == expected


@pytest.mark.parametrize("choice", ["get_wether", {"type": "sometimes"}, 3])
def test_a_tool_choice_naming_no_tool_is_refused(choice):
    with pytest.raises(InvalidParameterError, match="tool_choice"):
        to_tool_choice(choice, ["get_weather"])


# --- the request body the chat model builds ------------------------------------------------------

SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


def request_body(model: ChatBedrockClaude, messages: list[Any], **options: Any) -> dict[str, Any]:
    request, _ = model._request(messages, None, options)
    return json.loads(request.body)


def test_the_body_carries_the_conversation_tools_and_choice():
    model = ChatBedrockClaude(model=SONNET_45, region="us-east-1", max_tokens=50, temperature=0.5)
    tools = [to_tool(GetWeather)]
    sent = request_body(
        model,
        [SystemMessage("Be brief."), HumanMessage("Weather in Paris?")],
        tools=tools,
        tool_choice={"type": "any"},
    )
    assert sent == {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 50,
        "messages": [user(text("Weather in Paris?"))],
        "system": "Be brief.",
        "tools": tools,
        "tool_choice": {"type": "any"},
        "temperature": 0.5,
    }


def test_call_options_are_checked_before_any_request():
    model = ChatBedrockClaude(model=SONNET_45, region="us-east-1")
    with pytest.raises(InvalidParameterError, match="did you mean 'temperature'"):
        model._request([HumanMessage("x")], None, {"temprature": 1})
    with pytest.raises(InvalidParameterError, match="needs tools"):
        model._request([HumanMessage("x")], None, {"tool_choice": "any"})
    with pytest.raises(InvalidParameterError, match="at most 4 cache points"):
        cached = text("x", cache_control={"type": "ephemeral"})
        model._request([HumanMessage([cached] * 5)], None, {})


# --- stream events -> chunks -------------------------------------------------------------------

TOOL_STREAM = [
    {
        "type": "message_start",
        "message": {
            "id": "msg_bdrk_1",
            "model": "claude",
            "usage": {"input_tokens": 9, "output_tokens": 1},
        },
    },
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": "Checking."},
    },
    {"type": "content_block_stop", "index": 0},
    {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}},
    },
    {
        "type": "content_block_delta",
        "index": 1,
        "delta": {"type": "input_json_delta", "partial_json": ""},
    },
    {
        "type": "content_block_delta",
        "index": 1,
        "delta": {"type": "input_json_delta", "partial_json": '{"city": "Pa'},
    },
    {
        "type": "content_block_delta",
        "index": 1,
        "delta": {"type": "input_json_delta", "partial_json": 'ris"}'},
    },
    {"type": "content_block_stop", "index": 1},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 20}},
    {"type": "message_stop"},
]


def merged(events: list[dict[str, Any]], *, blocks: bool = True) -> AIMessageChunk:
    parser = StreamParser()
    total: Any = None
    for event in events:
        piece = parser.feed(event)
        if piece is not None:
            chunk = chunk_from(piece, blocks=blocks)
            total = chunk if total is None else total + chunk
    return total


def test_streamed_tool_input_becomes_tool_call_chunks_and_a_tool_call():
    message = merged(TOOL_STREAM)
    assert [(c["name"], c["id"], c["index"]) for c in message.tool_call_chunks] == [
        ("get_weather", "toolu_1", 1)
    ]
    final = message + AIMessageChunk(content=[], chunk_position="last")
    assert final.tool_calls == [
        {"name": "get_weather", "args": {"city": "Paris"}, "id": "toolu_1", "type": "tool_call"}
    ]
    assert final.content[0] == {"type": "text", "text": "Checking.", "index": 0}
    assert final.content[1]["type"] == "tool_use"


def test_streamed_thinking_keeps_its_signature():
    events = [
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "Let me "},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "think."},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": "EroT42"},
        },
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "redacted_thinking", "data": "EmwK"},
        },
        {"type": "content_block_delta", "index": 2, "delta": {"type": "text_delta", "text": "Hi"}},
    ]
    assert merged(events).content == [
        {"type": "thinking", "thinking": "Let me think.", "index": 0, "signature": "EroT42"},
        {"type": "redacted_thinking", "data": "EmwK", "index": 1},
        {"type": "text", "text": "Hi", "index": 2},
    ]


def test_text_only_streams_as_a_string():
    assert merged(TOOL_STREAM[:4], blocks=False).content == "Checking."


def test_tool_results_come_first_in_their_turn():
    messages = body(
        HumanMessage("x"),
        AIMessage("", tool_calls=[CALL]),
        HumanMessage("Also, hurry."),
        ToolMessage("18 C", tool_call_id="toolu_1"),
    )
    assert messages[2] == user(
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18 C"}, text("Also, hurry.")
    )


def test_an_empty_last_assistant_message_is_no_prefill():
    chat = format_messages([HumanMessage("Hi"), AIMessage("")])
    assert not chat.prefill
    assert chat.messages == [user(text("Hi"))]


def test_streamed_citations_gather_on_their_text_block():
    citation = {"type": "char_location", "cited_text": "Paris", "document_index": 0}
    events = [
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "text", "text": "", "citations": []},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "citations_delta", "citation": citation},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": "Paris."},
        },
    ]
    assert merged(events).content == [
        {"type": "text", "text": "Paris.", "citations": [citation], "index": 0}
    ]

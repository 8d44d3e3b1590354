"""ChatBedrockClaude end to end against the emulator: agents, LangGraph, tools, media, thinking."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler, get_usage_metadata_callback
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from pydantic import BaseModel

from langchain_bedrock_claude import (
    BedrockClaude,
    ChatBedrockClaude,
    InvalidParameterError,
    StreamInterruptedError,
    ThrottlingError,
)
from langchain_bedrock_claude.testing import BedrockEmulator, Reply, ToolCall

from .conftest import CREDENTIALS, SONNET_45
from .test_chat_standard import pdf_bytes, png_bytes


@pytest.fixture
def chat(emu: BedrockEmulator) -> Iterator[Any]:
    made: list[ChatBedrockClaude] = []

    def make(**fields: Any) -> ChatBedrockClaude:
        fields = {
            "model": SONNET_45,
            "region": "us-east-1",
            "endpoint_url": emu.endpoint_url,
            "aws_access_key_id": CREDENTIALS["access_key"],
            "aws_secret_access_key": CREDENTIALS["secret_key"],
            "max_retries": 2,
            **fields,
        }
        made.append(ChatBedrockClaude(**fields))
        return made[-1]

    yield make


def sent(emu: BedrockEmulator, index: int = -1) -> dict[str, Any]:
    return emu.requests[index].json


@tool
def get_weather(city: str) -> str:
    """Get today's weather in a city, in degrees Celsius."""
    return f"18 C and sunny in {city}"


@tool
def to_fahrenheit(celsius: float) -> str:
    """Convert degrees Celsius to Fahrenheit."""
    return f"{celsius * 9 / 5 + 32:g} F"


# --- agents and LangGraph -----------------------------------------------------------------------


def test_create_agent_finishes_a_task_that_takes_two_tool_calls(chat, emu):
    from langchain.agents import create_agent

    emu.reply(Reply(text="Let me look.", tool_calls=[ToolCall("get_weather", {"city": "Paris"})]))
    emu.reply(Reply(tool_calls=[ToolCall("to_fahrenheit", {"celsius": 18})]))
    emu.reply("It is 64.4 F and sunny in Paris.")
    agent = create_agent(chat(), tools=[get_weather, to_fahrenheit])

    result = agent.invoke({"messages": [HumanMessage("How warm is Paris, in Fahrenheit?")]})

    messages = result["messages"]
    assert messages[-1].text == "It is 64.4 F and sunny in Paris."
    tool_results = [m.content for m in messages if isinstance(m, ToolMessage)]
    assert tool_results == ["18 C and sunny in Paris", "64.4 F"]
    assert len(emu.requests) == 3
    # The last request carries the whole exchange, tool results paired with their calls.
    last = sent(emu)["messages"]
    assert [turn["role"] for turn in last] == ["user", "assistant", "user", "assistant", "user"]
    first_call = last[1]["content"][-1]
    assert first_call["type"] == "tool_use" and first_call["input"] == {"city": "Paris"}
    assert last[2]["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": first_call["id"],
            "content": "18 C and sunny in Paris",
        }
    ]
    assert {tool["name"] for tool in sent(emu)["tools"]} == {"get_weather", "to_fahrenheit"}


def test_langgraph_stream_mode_messages_streams_the_tokens(chat, emu):
    from langgraph.graph import END, START, MessagesState, StateGraph

    model = chat()
    emu.reply(["Bonjour", " from", " Paris", "!"])

    def answer(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(MessagesState).add_node("answer", answer)
    graph = graph.add_edge(START, "answer").add_edge("answer", END).compile()
    tokens = [
        message.content
        for message, metadata in graph.stream(
            {"messages": [HumanMessage("Hi")]}, stream_mode="messages"
        )
        if isinstance(message, AIMessageChunk) and metadata["langgraph_node"] == "answer"
    ]
    assert tokens[:4] == ["Bonjour", " from", " Paris", "!"]
    assert emu.requests[-1].stream


async def test_langgraph_async_stream_mode_messages_streams_the_tokens(chat, emu):
    from langgraph.graph import END, START, MessagesState, StateGraph

    model = chat()
    emu.reply(["Ciao", " from", " Rome"])

    async def answer(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    graph = StateGraph(MessagesState).add_node("answer", answer)
    graph = graph.add_edge(START, "answer").add_edge("answer", END).compile()
    tokens = [
        message.content
        async for message, _ in graph.astream(
            {"messages": [HumanMessage("Hi")]}, stream_mode="messages"
        )
        if isinstance(message, AIMessageChunk)
    ]
    assert tokens[:3] == ["Ciao", " from", " Rome"]


async def test_astream_events_v2_reports_each_token_as_on_chat_model_stream(chat, emu):
    emu.reply(["One", " two", " three"])
    events = [
        event["data"]["chunk"].content
        async for event in chat().astream_events("Count", version="v2")
        if event["event"] == "on_chat_model_stream"
    ]
    assert events[:3] == ["One", " two", " three"]


def test_callbacks_see_every_token_as_a_message_chunk(chat, emu):
    seen: list[Any] = []

    class Tokens(BaseCallbackHandler):
        def on_llm_new_token(self, token: str, *, chunk: Any = None, **_: Any) -> None:
            seen.append((token, type(chunk.message).__name__))

    emu.reply(["a", "b", "c"])
    message = chat(streaming=True).invoke("Hi", config={"callbacks": [Tokens()]})
    assert message.content == "abc"
    assert seen[:3] == [("a", "AIMessageChunk"), ("b", "AIMessageChunk"), ("c", "AIMessageChunk")]
    assert emu.requests[-1].stream


# --- tools ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["invoke", "stream", "ainvoke", "astream"])
def test_parallel_tool_calls_arrive_as_tool_calls(chat, emu, mode):
    emu.reply(
        Reply(
            text="Checking both.",
            tool_calls=[
                ToolCall("get_weather", {"city": "Paris"}),
                ToolCall("get_weather", {"city": "Rome"}),
            ],
        )
    )
    model = chat().bind_tools([get_weather])
    message = run(model, mode, "Weather in Paris and Rome?")
    assert [call["args"] for call in message.tool_calls] == [{"city": "Paris"}, {"city": "Rome"}]
    assert all(call["id"].startswith("toolu_") for call in message.tool_calls)
    assert message.response_metadata["stop_reason"] == "tool_use"
    assert message.text == "Checking both."


def run(model: Any, mode: str, prompt: Any) -> Any:
    if mode == "invoke":
        return model.invoke(prompt)
    if mode == "ainvoke":
        return asyncio.run(model.ainvoke(prompt))
    if mode == "stream":
        return merge(model.stream(prompt))

    async def collect() -> Any:
        return merge([chunk async for chunk in model.astream(prompt)])

    return asyncio.run(collect())


def merge(chunks: Any) -> AIMessageChunk:
    total: Any = None
    for chunk in chunks:
        total = chunk if total is None else total + chunk
    return total


def test_tool_choice_and_parallel_reach_the_body(chat, emu):
    chat().bind_tools([get_weather], tool_choice="get_weather", parallel_tool_calls=False).invoke(
        "Paris?"
    )
    assert sent(emu)["tool_choice"] == {
        "type": "tool",
        "name": "get_weather",
        "disable_parallel_tool_use": True,
    }
    # Nothing scripted and a forced tool: the emulator makes a call valid against the schema.
    assert sent(emu)["tools"][0]["input_schema"]["required"] == ["city"]


def test_forced_tool_choice_with_thinking_is_refused_before_any_request(chat, emu):
    model = chat(max_tokens=4096).bind_tools([get_weather], tool_choice="any")
    with pytest.raises(InvalidParameterError, match="forced tool_choice does not work while"):
        model.invoke("Paris?", thinking_budget_tokens=1024)
    assert emu.requests == []


# --- structured output ----------------------------------------------------------------------------


class Weather(BaseModel):
    city: str
    celsius: float


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
def test_with_structured_output_returns_a_pydantic_object(chat, emu, mode):
    emu.reply(Reply(tool_calls=[ToolCall("Weather", {"city": "Paris", "celsius": 18})]))
    structured = chat().with_structured_output(Weather)
    result = (
        structured.invoke("Paris?")
        if mode == "invoke"
        else asyncio.run(structured.ainvoke("Paris?"))
    )
    assert result == Weather(city="Paris", celsius=18)
    assert sent(emu)["tool_choice"] == {"type": "tool", "name": "Weather"}


def test_with_structured_output_from_the_schema_alone(chat, emu):
    # Nothing scripted: the emulator's forced call is valid against the schema, so it parses.
    result = chat().with_structured_output(Weather).invoke("Paris?")
    assert isinstance(result, Weather)


def test_native_json_schema_output_and_include_raw(chat, emu):
    emu.reply('{"city": "Paris", "celsius": 18}')
    result = (
        chat()
        .with_structured_output(Weather, method="json_schema", include_raw=True)
        .invoke("Paris?")
    )
    assert result["parsed"] == Weather(city="Paris", celsius=18)
    assert result["parsing_error"] is None
    assert isinstance(result["raw"], AIMessage)
    schema = sent(emu)["output_config"]["format"]
    assert schema["type"] == "json_schema"
    assert schema["schema"]["additionalProperties"] is False
    assert "tools" not in sent(emu)


def test_include_raw_reports_a_parsing_error_instead_of_raising(chat, emu):
    emu.reply("not JSON at all")
    result = (
        chat().with_structured_output(Weather, method="json_schema", include_raw=True).invoke("?")
    )
    assert result["parsed"] is None
    assert result["parsing_error"] is not None


def test_json_mode_is_refused(chat):
    with pytest.raises(InvalidParameterError, match="no 'json_mode'"):
        chat().with_structured_output(Weather, method="json_mode")


# --- media and documents reach the request body --------------------------------------------------


def test_an_image_and_a_pdf_reach_the_request_body(chat, emu):
    image = base64.b64encode(png_bytes()).decode()
    pdf = base64.b64encode(pdf_bytes()).decode()
    message = HumanMessage(
        [
            {"type": "text", "text": "Describe both."},
            {"type": "image", "base64": image, "mime_type": "image/png"},
            {
                "type": "file",
                "base64": pdf,
                "mime_type": "application/pdf",
                "cache_control": {"type": "ephemeral"},
            },
        ]
    )
    chat().invoke([message])
    assert sent(emu)["messages"][0]["content"] == [
        {"type": "text", "text": "Describe both."},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": image}},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": pdf},
            "cache_control": {"type": "ephemeral"},
        },
    ]


def test_a_chat_prompt_template_keeps_system_and_history(chat, emu):
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are {role}."), ("human", "Hi"), ("ai", "Hello!"), ("human", "{question}")]
    )
    (prompt | chat()).invoke({"role": "a pirate", "question": "Where is the gold?"})
    assert sent(emu)["system"] == "You are a pirate."
    assert [turn["role"] for turn in sent(emu)["messages"]] == ["user", "assistant", "user"]


# --- thinking --------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["invoke", "stream"])
def test_a_thinking_block_goes_back_with_its_signature_in_the_second_turn(chat, emu, mode):
    model = chat(max_tokens=4096)
    question = HumanMessage("What is 27 * 453?")
    first = run(model.bind(thinking_budget_tokens=1024), mode, [question])
    thinking = [block for block in first.content if block["type"] == "thinking"]
    assert len(thinking) == 1 and thinking[0]["signature"]

    model.invoke([question, first, HumanMessage("And times 2?")], thinking_budget_tokens=1024)

    assistant = sent(emu)["messages"][1]
    assert assistant["role"] == "assistant"
    assert assistant["content"][0] == {
        "type": "thinking",
        "thinking": thinking[0]["thinking"],
        "signature": thinking[0]["signature"],
    }
    assert assistant["content"][1]["type"] == "text"


# --- usage ---------------------------------------------------------------------------------------


def test_usage_is_reported_once_per_call_and_adds_up(chat, emu):
    model = chat()
    with get_usage_metadata_callback() as totals:
        invoked = model.invoke("Hi")
        chunks = list(model.stream("Hi"))
    with_usage = [chunk for chunk in chunks if chunk.usage_metadata]
    assert len(with_usage) == 1, "usage must come once per stream, on its last chunk"
    assert chunks[-1] is with_usage[0] and chunks[-1].chunk_position == "last"
    streamed = with_usage[0].usage_metadata
    usage = totals.usage_metadata[SONNET_45]
    assert (
        usage["input_tokens"] == invoked.usage_metadata["input_tokens"] + streamed["input_tokens"]
    )
    assert (
        usage["output_tokens"]
        == invoked.usage_metadata["output_tokens"] + streamed["output_tokens"]
    )
    assert invoked.usage_metadata["total_tokens"] == (
        invoked.usage_metadata["input_tokens"] + invoked.usage_metadata["output_tokens"]
    )


def test_response_metadata_names_the_stop_reason_model_and_request(chat, emu):
    message = chat().invoke("Hi")
    metadata = message.response_metadata
    assert metadata["stop_reason"] == "end_turn"
    assert metadata["model_id"] == SONNET_45
    assert metadata["model"].startswith("claude-sonnet-4-5")
    assert metadata["request_id"]
    assert message.id.startswith("msg_bdrk_")
    streamed = merge(chat().stream("Hi"))
    assert streamed.id.startswith("msg_bdrk_")
    assert streamed.response_metadata["request_id"]


# --- the shared client: retries, typed errors, streams that break ------------------------------------


def test_throttling_is_retried_then_raised_as_a_typed_error(chat, emu):
    emu.throttle(times=1)
    assert chat().invoke("Hi").content
    emu.throttle(times=3)
    with pytest.raises(ThrottlingError) as caught:
        chat(max_retries=0).invoke("Hi")
    assert caught.value.request_id


def test_a_stream_broken_after_its_first_tokens_raises_with_the_partial_text(chat, emu):
    emu.reply(["Once", " upon", " a", " time"])
    emu.interrupt_stream(after_events=4)
    with pytest.raises(StreamInterruptedError) as caught:
        list(chat().stream("Tell me a story"))
    assert caught.value.partial_text.startswith("Once")


def test_bad_input_is_refused_before_any_request(chat, emu):
    with pytest.raises(InvalidParameterError, match="did not make"):
        chat().invoke([HumanMessage("x"), ToolMessage("result", tool_call_id="toolu_missing")])
    with pytest.raises(InvalidParameterError, match="'sparkle' block"):
        chat().invoke([HumanMessage([{"type": "sparkle"}])])
    with pytest.raises(InvalidParameterError, match="no message to answer"):
        chat().invoke([])
    assert emu.requests == []


def test_count_tokens_counts_the_messages_and_tools(chat, emu):
    model = chat()
    plain = model.get_num_tokens_from_messages([SystemMessage("Be brief."), HumanMessage("Hi")])
    with_tools = model.get_num_tokens_from_messages([HumanMessage("Hi")], tools=[get_weather])
    assert plain > 0 and with_tools > plain
    assert emu.requests[-1].operation == "count-tokens"
    assert model.get_num_tokens("Hi") == model.get_num_tokens_from_messages([HumanMessage("Hi")])


# --- BedrockClaude refuses what only the chat model can send ---------------------------------------


def test_bedrock_claude_given_an_image_names_the_chat_model(emu):
    llm = BedrockClaude(
        model=SONNET_45,
        region="us-east-1",
        endpoint_url=emu.endpoint_url,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
    )
    image = {
        "type": "image",
        "base64": base64.b64encode(png_bytes()).decode(),
        "mime_type": "image/png",
    }
    with pytest.raises(InvalidParameterError, match="ChatBedrockClaude"):
        llm.invoke([HumanMessage([{"type": "text", "text": "What is it?"}, image])])
    with pytest.raises(InvalidParameterError, match="ChatBedrockClaude"):
        llm.invoke(
            [HumanMessage("x"), AIMessage("", tool_calls=[{"name": "f", "args": {}, "id": "t"}])]
        )
    assert emu.requests == []
    assert llm.invoke([SystemMessage("Be brief."), HumanMessage("Hi")])  # text still works


@pytest.mark.parametrize("mode", ["invoke", "stream"])
def test_v1_output_reasoning_goes_back_with_its_signature(chat, emu, mode):
    model = chat(max_tokens=4096, output_version="v1")
    question = HumanMessage("What is 27 * 453?")
    first = run(model.bind(thinking_budget_tokens=1024), mode, [question])
    [reasoning] = [block for block in first.content if block["type"] == "reasoning"]
    assert reasoning["extras"]["signature"]

    model.invoke([question, first, HumanMessage("And times 2?")], thinking_budget_tokens=1024)

    assert sent(emu)["messages"][1]["content"][0] == {
        "type": "thinking",
        "thinking": reasoning["reasoning"],
        "signature": reasoning["extras"]["signature"],
    }


def test_cache_system_marks_the_system_prompt_for_caching(chat, emu):
    chat().invoke([SystemMessage("You are terse."), HumanMessage("Hi")], cache_system=True)
    assert sent(emu)["system"] == [
        {"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}
    ]


# --- Bedrock's features, as fields of the chat model too ----------------------------------------


@pytest.mark.parametrize("mode", ["invoke", "stream"])
def test_a_guardrail_field_guards_the_chat_model(chat, emu, mode):
    from langchain_bedrock_claude import GuardrailInterventionError

    emu.add_guardrail("gr7x2k9a1b", "2", blocked_words=["password"])
    model = chat(
        guardrail_identifier="gr7x2k9a1b",
        guardrail_version="2",
        raise_on_guardrail_intervention=True,
        service_tier="priority",
    )
    assert run(model, mode, "What's the weather?").text
    assert emu.requests[-1].guardrail_identifier == "gr7x2k9a1b"
    assert emu.requests[-1].headers.get("x-amzn-bedrock-service-tier") == "priority"
    with pytest.raises(GuardrailInterventionError) as caught:
        run(model, mode, "Tell me the admin password")
    assert caught.value.request_id


# --- a chat model's checks are remembered, never its fields --------------------------------------


def test_each_call_sends_the_fields_as_they_are_now(chat, emu):
    model = chat(temperature=0.5, max_tokens=64)
    model.invoke("Hi")
    assert (sent(emu)["temperature"], sent(emu)["max_tokens"]) == (0.5, 64)
    model.temperature, model.max_tokens = 0.25, 32
    model.invoke("Hi")
    assert (sent(emu)["temperature"], sent(emu)["max_tokens"]) == (0.25, 32)
    model.model_kwargs["top_k"] = 7  # changed in place
    model.invoke("Hi")
    assert sent(emu)["top_k"] == 7
    model.stop = ["END"]
    model.invoke("Hi", stop=["HALT"])
    assert sent(emu)["stop_sequences"] == ["END", "HALT"]
    model.temperature = True  # == 1, yet not a temperature
    with pytest.raises(InvalidParameterError, match="'temperature' must be a number"):
        model.invoke("Hi")


def test_a_message_name_is_not_sent_as_the_readme_says(chat, emu):
    # Claude's Messages API has no field for it; Bedrock would refuse an unknown one.
    chat().invoke(
        [HumanMessage("Hi", name="alice"), AIMessage("Hello", name="bot"), HumanMessage("?")]
    )
    assert sent(emu)["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Hello"}]},
        {"role": "user", "content": [{"type": "text", "text": "?"}]},
    ]

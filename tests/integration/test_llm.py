"""BedrockClaude inside LangChain: chains, callbacks, batch, events, retries, cache, agents."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from langchain_core.caches import InMemoryCache
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.globals import set_llm_cache
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import PromptTemplate

import langchain_bedrock_claude as pkg
from langchain_bedrock_claude import get_usage_callback

from .conftest import CREDENTIALS, LEGACY, SONNET_45


class TokenRecorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.ends: list[Any] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        self.ends.append(response)


class AsyncTokenRecorder(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.ends: list[Any] = []

    async def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)

    async def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        self.ends.append(response)


@pytest.mark.parametrize("model", [SONNET_45, LEGACY])
def test_invoke_and_generate_report_usage_and_metadata(llm_factory, emu, model):
    emu.legacy_end_of_life = False  # the retired ids' wire is what is tested here
    llm = llm_factory(model=model, max_tokens=100)
    emu.reply("Rayleigh scattering.")
    assert llm.invoke("Why is the sky blue?") == "Rayleigh scattering."
    emu.reply("Because.")
    result = llm.generate(["Why?"])
    info = result.generations[0][0].generation_info
    assert info["usage"]["output_tokens"] == 2
    assert info["model_id"] == model
    assert info["request_id"]
    # Deterministic per API: Messages ends its turn; Text Completions stops at "\n\nHuman:".
    assert info["stop_reason"] == ("end_turn" if model == SONNET_45 else "stop_sequence")
    assert result.llm_output["token_usage"]["output_tokens"] == 2
    assert result.llm_output["token_usage"]["total_tokens"] == info["usage"]["total_tokens"]


def test_stream_calls_on_llm_new_token_for_every_piece(llm_factory, emu):
    emu.reply(["Hel", "lo", " there"])
    recorder = TokenRecorder()
    pieces = list(llm_factory().stream("hi", config={"callbacks": [recorder]}))
    # No empty token (issue #12 item 11): the final metadata-only chunk reaches on_llm_end.
    assert pieces == ["Hel", "lo", " there"]
    assert recorder.tokens == ["Hel", "lo", " there"]
    generation = recorder.ends[0].generations[0][0]
    assert generation.text == "Hello there"
    assert generation.generation_info["usage"]["output_tokens"] == 3


def test_streaming_true_makes_invoke_stream_under_the_hood(llm_factory, emu):
    emu.reply(["a", "b", "c"])
    recorder = TokenRecorder()
    llm = llm_factory(streaming=True)
    assert llm.invoke("hi", config={"callbacks": [recorder]}) == "abc"
    assert recorder.tokens == ["a", "b", "c"]  # no empty token (issue #12 item 11)
    assert emu.requests[-1].operation == "invoke-with-response-stream"
    assert recorder.ends[0].llm_output["token_usage"]["output_tokens"] == 3


async def test_async_invoke_stream_and_streaming_flag(llm_factory, emu):
    llm = llm_factory()
    emu.reply("async answer")
    assert await llm.ainvoke("hi") == "async answer"
    emu.reply(["x", "y"])
    recorder = AsyncTokenRecorder()
    assert [piece async for piece in llm.astream("hi", config={"callbacks": [recorder]})] == [
        "x",
        "y",
    ]
    assert recorder.tokens == ["x", "y"]
    emu.reply(["p", "q"])
    assert await llm_factory(streaming=True).ainvoke("hi") == "pq"


def test_call_time_stop_is_merged_sent_and_nothing_mutated(llm_factory, emu):
    llm = llm_factory(stop=["END"])
    llm.invoke("hi", stop=["\nObservation"])
    assert emu.requests[-1].json["stop_sequences"] == ["END", "\nObservation"]
    assert llm.stop == ["END"]
    llm.invoke("hi")
    assert emu.requests[-1].json["stop_sequences"] == ["END"]


def test_call_time_options_override_fields(llm_factory, emu):
    llm = llm_factory(
        model="us.anthropic.claude-sonnet-4-20250514-v1:0", temperature=0.1, system="S"
    )
    llm.invoke(
        "hi", temperature=0.9, top_k=5, max_tokens=7, model_kwargs={"metadata": {"user_id": "u"}}
    )
    body = emu.requests[-1].json
    assert (body["temperature"], body["top_k"], body["max_tokens"], body["system"]) == (
        0.9,
        5,
        7,
        "S",
    )
    assert body["metadata"] == {"user_id": "u"}
    assert llm.temperature == 0.1


def test_chain_with_prompt_and_output_parser(llm_factory, emu):
    emu.reply("Paris")
    chain = (
        PromptTemplate.from_template("Capital of {country}?") | llm_factory() | StrOutputParser()
    )
    assert chain.invoke({"country": "France"}) == "Paris"
    assert emu.requests[-1].json["messages"] == [{"role": "user", "content": "Capital of France?"}]


def test_batch_and_abatch_with_max_concurrency(llm_factory, emu):
    emu.set_responder(lambda request: f"echo:{request.json['messages'][0]['content']}")
    llm = llm_factory()
    prompts = [f"p{i}" for i in range(8)]
    assert llm.batch(prompts, config={"max_concurrency": 3}) == [f"echo:{p}" for p in prompts]
    assert asyncio.run(llm.abatch(prompts, config={"max_concurrency": 4})) == [
        f"echo:{p}" for p in prompts
    ]


async def test_astream_events_shows_every_token(llm_factory, emu):
    emu.reply(["one", " two"])
    events = [event async for event in llm_factory().astream_events("hi", version="v2")]
    streamed = [event["data"]["chunk"] for event in events if event["event"] == "on_llm_stream"]
    assert streamed[:2] == ["one", " two"]
    end = next(event for event in events if event["event"] == "on_llm_end")
    assert end["data"]["output"]["generations"][0][0]["text"] == "one two"


def test_with_retry_and_with_fallbacks(llm_factory, emu):
    emu.fail_next("ValidationException", 400, "bad", times=1)
    emu.reply("second try")
    llm = llm_factory(max_retries=0)
    retrying = llm.with_retry(retry_if_exception_type=(pkg.ValidationError,), stop_after_attempt=2)
    assert retrying.invoke("hi") == "second try"
    emu.fail_next(
        "AccessDeniedException",
        403,
        "You don't have access to the model with the specified model ID.",
    )
    emu.reply("from the fallback")
    fallback = llm_factory(model="us.anthropic.claude-haiku-4-5-20251001-v1:0")
    assert llm.with_fallbacks([fallback]).invoke("hi") == "from the fallback"
    assert emu.requests[-1].model_id == "us.anthropic.claude-haiku-4-5-20251001-v1:0"


def test_llm_cache_answers_repeats_without_a_request(llm_factory, emu):
    set_llm_cache(InMemoryCache())
    try:
        llm = llm_factory()
        first = llm.invoke("cache me")
        second = llm.invoke("cache me")
        assert first == second
        assert len(emu.requests) == 1
    finally:
        set_llm_cache(None)


def test_llm_cache_tells_apart_models_that_differ_in_an_option(llm_factory, emu):
    set_llm_cache(InMemoryCache())
    try:
        emu.reply("plain")
        emu.reply("flex")
        emu.reply("cool")
        assert llm_factory().invoke("same prompt") == "plain"
        assert llm_factory(service_tier="flex").invoke("same prompt") == "flex"
        assert llm_factory(temperature=0.1).invoke("same prompt") == "cool"
        assert llm_factory(service_tier="flex").invoke("same prompt") == "flex"  # cached
        assert len(emu.requests) == 3
    finally:
        set_llm_cache(None)


def test_tracers_see_the_settings_that_were_set(llm_factory, emu):
    seen: list[dict[str, Any]] = []

    class Recorder(BaseCallbackHandler):
        def on_llm_start(self, serialized: Any, prompts: Any, **kwargs: Any) -> None:
            seen.append(kwargs["invocation_params"])

    llm_factory(service_tier="priority", top_k=5).invoke("hi", config={"callbacks": [Recorder()]})
    (params,) = seen
    assert params["service_tier"] == "priority" and params["top_k"] == 5
    assert params["model"] == SONNET_45 and params["_type"] == "bedrock-claude"
    assert "guardrail_identifier" not in params and "temperature" not in params


def test_usage_callback_adds_up_calls_streams_and_async(llm_factory, emu):
    llm = llm_factory()
    emu.reply("a b c")  # 3 output tokens
    emu.reply(["d", "e"])  # 2
    emu.reply("f")  # 1
    emu.reply(["g", "h", "i", "j"])  # 4

    async def async_calls() -> None:
        await llm.ainvoke("x")
        async for _ in llm.astream("x"):
            pass

    with get_usage_callback() as usage:
        llm.invoke("x")
        for _ in llm.stream("x"):
            pass
        asyncio.run(async_calls())
    assert usage.calls == 4
    assert usage.usage.output_tokens == 10
    assert usage.usage.input_tokens > 0
    llm.invoke("outside")
    assert usage.calls == 4


def test_errors_reach_the_caller_typed(llm_factory, emu):
    emu.throttle(3)
    with pytest.raises(pkg.ThrottlingError):
        llm_factory(max_retries=0).invoke("hi")
    with pytest.raises(pkg.InvalidParameterError):
        llm_factory().invoke("hi", top_k=9999)


def test_react_agent_sends_the_observation_stop_sequence(llm_factory, emu):
    agents = pytest.importorskip("langchain_classic.agents")
    from langchain_core.prompts import PromptTemplate as Template
    from langchain_core.tools import tool

    @tool
    def get_capital(country: str) -> str:
        """Return the capital city of a country."""
        return {"France": "Paris"}.get(country.strip(), "unknown")

    template = Template.from_template(
        "Answer the question using tools.\n{tools}\nUse the format:\nQuestion: ...\n"
        "Thought: ...\nAction: one of [{tool_names}]\nAction Input: ...\nObservation: ...\n"
        "Final Answer: ...\n\nQuestion: {input}\nThought:{agent_scratchpad}"
    )
    emu.reply(
        " I should look it up.\nAction: get_capital\nAction Input: France\nObservation: (imagined) Lyon"
    )
    emu.reply(" I now know.\nFinal Answer: Paris")
    llm = llm_factory()
    agent = agents.create_react_agent(llm, [get_capital], template)
    executor = agents.AgentExecutor(agent=agent, tools=[get_capital], max_iterations=3)
    result = executor.invoke({"input": "What is the capital of France?"})
    assert result["output"] == "Paris"
    first, second = emu.requests[-2:]
    assert "\nObservation" in first.json["stop_sequences"]
    # The server cut the first reply at the stop sequence, so the imagined observation never
    # reached the agent; the real tool's did.
    scratchpad = second.json["messages"][0]["content"]
    assert "Observation: Paris" in scratchpad and "Lyon" not in scratchpad


def test_no_secret_in_any_log_line_during_calls_and_faults(llm_factory, emu, caplog):
    llm = llm_factory(aws_session_token="FQoGZXIvYXdzEXAMPLESESSIONTOKEN")
    with caplog.at_level(logging.DEBUG):
        llm.invoke("hi")
        list(llm.stream("hi"))
        emu.fail_next("AccessDeniedException", 403, "denied")
        with pytest.raises(pkg.AccessDeniedError) as caught:
            llm.invoke("hi")
        emu.reply(["a", "b", "c"])
        emu.interrupt_stream(after_events=3, mode="drop")
        with pytest.raises(pkg.StreamInterruptedError) as interrupted:
            list(llm.stream("hi"))
    authorization = emu.requests[-1].headers["authorization"]
    signature = authorization.rsplit("Signature=", 1)[1]
    texts = [record.getMessage() for record in caplog.records]
    texts += [str(caught.value), repr(caught.value), str(interrupted.value), repr(llm)]
    assert len(caplog.records) > 10  # botocore logged at DEBUG: the check looked at real lines
    for text in texts:
        assert CREDENTIALS["secret_key"] not in text
        assert "FQoGZXIvYXdzEXAMPLESESSIONTOKEN" not in text
        assert signature not in text


def test_the_llm_retries_transient_faults_and_reports_broken_streams(llm_factory, emu):
    llm = llm_factory(max_retries=2)
    emu.throttle(1)
    emu.reply("after a throttle")
    assert llm.invoke("hi") == "after a throttle"
    emu.reply(["one", " two", " three"])
    emu.interrupt_stream(after_events=4, mode="drop")
    with pytest.raises(pkg.StreamInterruptedError) as caught:
        list(llm.stream("hi"))
    assert caught.value.partial_text == "one two"

    async def async_side() -> None:
        emu.fail_next("ServiceUnavailableException", 503)
        emu.reply(["x", "y"])
        assert [piece async for piece in llm.astream("hi")] == ["x", "y"]
        emu.reply(["a", " b", " c"])
        emu.interrupt_stream(after_events=4, mode="exception", exception_type="throttlingException")
        with pytest.raises(pkg.StreamInterruptedError) as broken:
            async for _ in llm.astream("hi"):
                pass
        assert broken.value.partial_text == "a b"

    asyncio.run(async_side())

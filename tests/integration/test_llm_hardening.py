"""Issue #12's client and LLM regressions (items 4, 6-9, 11), against the emulator."""

from __future__ import annotations

import copy
import math
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from botocore.config import Config
from langchain_core.caches import InMemoryCache
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.globals import set_llm_cache
from langchain_core.load import dumps
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import PromptTemplate

import langchain_bedrock_claude as pkg
from langchain_bedrock_claude import AnthropicBedrock, AsyncAnthropicBedrock, BedrockClaude
from langchain_bedrock_claude.testing import Reply

from .conftest import CREDENTIALS, SONNET_45
from .test_llm import AsyncTokenRecorder, TokenRecorder

GUARDRAIL_ID = "gr7x2k9a1b"


# --- item 4: a stop string is one stop sequence --------------------------------------------


def test_a_stop_string_is_one_stop_sequence_everywhere(llm_factory, emu):
    llm = llm_factory()
    llm.invoke("hi", stop="\nObservation")
    assert emu.requests[-1].json["stop_sequences"] == ["\nObservation"]
    list(llm.stream("hi", stop="END"))
    assert emu.requests[-1].json["stop_sequences"] == ["END"]
    llm.batch(["a", "b"], stop="END")
    assert [sent.json["stop_sequences"] for sent in emu.requests[-2:]] == [["END"], ["END"]]
    llm.generate(["hi"], stop="END")
    assert emu.requests[-1].json["stop_sequences"] == ["END"]
    llm_factory(stop=["A"]).invoke("hi", stop="END")
    assert emu.requests[-1].json["stop_sequences"] == ["A", "END"]


async def test_a_stop_string_is_one_stop_sequence_everywhere_async(llm_factory, emu):
    llm = llm_factory()
    await llm.ainvoke("hi", stop="\nObservation")
    assert emu.requests[-1].json["stop_sequences"] == ["\nObservation"]
    [piece async for piece in llm.astream("hi", stop="END")]
    assert emu.requests[-1].json["stop_sequences"] == ["END"]
    await llm.abatch(["a", "b"], stop="END")
    assert [sent.json["stop_sequences"] for sent in emu.requests[-2:]] == [["END"], ["END"]]
    await llm.agenerate(["hi"], stop="END")
    assert emu.requests[-1].json["stop_sequences"] == ["END"]


# --- item 6: values that passed the checks and failed later -------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_tokens", True, "'max_tokens' must be an integer, not a bool"),
        ("top_k", True, "'top_k' must be an integer, not a bool"),
        ("temperature", True, "'temperature' must be a number, not a bool"),
        ("thinking_budget_tokens", True, "'thinking_budget_tokens' must be an integer"),
        ("max_retries", -1, "'max_retries' must be an integer of at least 0"),
        ("max_retries", math.inf, "'max_retries' must be an integer"),
        ("max_retries", math.nan, "'max_retries' must be an integer"),
    ],
)
def test_values_that_pydantic_would_coerce_fail_at_construction(field, value, message, emu):
    with pytest.raises(pkg.InvalidParameterError) as caught:
        BedrockClaude(**{field: value})
    assert message in str(caught.value)
    assert emu.requests == []


@pytest.mark.parametrize("kind", [AnthropicBedrock, AsyncAnthropicBedrock])
@pytest.mark.parametrize("value", [-1, math.inf, 1.5, True])
def test_the_clients_refuse_a_bad_max_retries_at_construction(kind, value):
    with pytest.raises(pkg.InvalidParameterError, match="'max_retries' must be an integer"):
        kind(max_retries=value)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_max_retries_sets_the_count_of_a_given_retry_policy(make_twin, emu, kind):
    # The documented rule: max_retries, when given, is the count; the policy keeps its backoff.
    policy = pkg.RetryPolicy(max_retries=2, initial_delay=0.0)
    twin = make_twin(kind, retry_policy=policy, max_retries=0)
    assert twin.client.max_retries == 0
    emu.throttle(5)
    with pytest.raises(pkg.ThrottlingError):
        twin.create()
    assert len(emu.requests) == 1
    emu.reset()
    emu.throttle(5)
    with pytest.raises(pkg.ThrottlingError):
        make_twin(kind, retry_policy=policy).create()
    assert len(emu.requests) == 3  # without max_retries, the policy's own count


# --- item 7: constructor arguments are checked; langchain-aws spellings apply ---------------


def test_a_misspelled_constructor_argument_is_refused_with_a_suggestion():
    with pytest.raises(pkg.InvalidParameterError) as caught:
        BedrockClaude(temprature=0.1)
    assert "'temprature' (did you mean 'temperature'?)" in str(caught.value)


def test_langchain_aws_guardrails_dict_is_applied(llm_factory, emu):
    emu.add_guardrail(GUARDRAIL_ID, "3", blocked_words=["password"])
    llm = llm_factory(
        guardrails={"guardrailIdentifier": GUARDRAIL_ID, "guardrailVersion": "3", "trace": True}
    )
    assert (llm.guardrail_identifier, llm.guardrail_version, llm.guardrail_trace) == (
        GUARDRAIL_ID,
        "3",
        "enabled",
    )
    llm.invoke("What is the capital of France?")
    sent = emu.requests[-1]
    assert (sent.guardrail_identifier, sent.guardrail_version, sent.trace) == (
        GUARDRAIL_ID,
        "3",
        "ENABLED",
    )


def test_langchain_aws_constructor_call_ports_unchanged(emu):
    llm = BedrockClaude(
        model_id=SONNET_45,
        region_name="us-east-1",
        endpoint_url=emu.endpoint_url,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
        provider="anthropic",
        model_kwargs={"temperature": 0.2},
        streaming=True,
        config=Config(read_timeout=7, connect_timeout=3, retries={"max_attempts": 1}),
    )
    assert (llm.timeout, llm.max_retries) == ((3, 7), 1)
    emu.throttle(1)
    assert llm.invoke("hi")
    assert len(emu.requests) == 2  # the Config's one retry, not our default two
    assert emu.requests[-1].json["temperature"] == 0.2


def test_config_pool_size_and_region_are_applied_and_the_rest_refused():
    llm = BedrockClaude(config=Config(max_pool_connections=3, region_name="eu-west-1"))
    assert (llm.max_connections, llm.region_name) == (3, "eu-west-1")
    assert llm._runtime.settings.max_connections == 3
    with pytest.raises(pkg.InvalidParameterError, match="'proxies' cannot be honoured"):
        BedrockClaude(config=Config(proxies={"https": "http://proxy:3128"}))
    with pytest.raises(pkg.InvalidParameterError, match="cannot be honoured"):
        BedrockClaude(config=Config(retries={"mode": "adaptive", "max_attempts": 3}))
    with pytest.raises(pkg.InvalidParameterError, match="given twice"):
        BedrockClaude(config=Config(read_timeout=1), timeout=5)


def test_bedrock_api_key_and_base_model_id_are_applied(llm_factory, emu):
    llm = BedrockClaude(bedrock_api_key="ABSK-secret-key")
    assert llm.api_key.get_secret_value() == "ABSK-secret-key"
    arn = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123"
    legacy = llm_factory(model_id=arn, base_model_id="anthropic.claude-v2:1")
    # The base model's rules apply: the legacy Text Completions body, and its limits.
    assert legacy._request("hi", None, {}).params.api == "text_completions"
    with pytest.raises(pkg.InvalidParameterError, match="for arn:aws:bedrock"):
        llm_factory(model_id=arn, base_model="anthropic.claude-v2:1", max_tokens=10**6)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"provider": "amazon"}, "'provider' must be 'anthropic'"),
        ({"bedrock_client": object()}, "control-plane client is never used"),
        ({"provider_stop_sequence_key_name_map": {}}, "stop sequence key is fixed"),
        ({"guardrails": {"guardrailId": "x"}}, "'guardrails' takes the keys"),
        ({"guardrails": {"guardrailVersion": "1"}}, "needs a 'guardrailIdentifier'"),
        ({"config": {"read_timeout": 1}}, "must be a botocore.config.Config"),
        ({"bedrock_api_key": "a", "api_key": "b"}, "pass one of them"),
        (
            {"guardrails": {"guardrailIdentifier": "g"}, "guardrail_identifier": "h"},
            "given twice",
        ),
    ],
)
def test_langchain_aws_arguments_without_a_meaning_here_are_refused(arguments, message):
    with pytest.raises(pkg.InvalidParameterError, match=message):
        BedrockClaude(**arguments)


# --- item 8: pickle and deepcopy at any time ------------------------------------------------


def _complete_in_worker(model: Any, prompt: str) -> str:
    if isinstance(model, BedrockClaude):
        return model.invoke(prompt)
    return model.Completion.create(model=SONNET_45, prompt=prompt).completion


def _client_options(emu: Any) -> dict[str, Any]:
    return {"region": "us-east-1", "endpoint_url": emu.endpoint_url, **CREDENTIALS}


def test_llm_and_clients_pickle_and_deepcopy_before_and_after_calls(llm_factory, emu):
    llm = llm_factory()
    client = AnthropicBedrock(**_client_options(emu))
    async_client = AsyncAnthropicBedrock(**_client_options(emu))
    for _ in ("before calls", "after calls"):
        for thing in (llm, client, async_client):
            for twin in (pickle.loads(pickle.dumps(thing)), copy.deepcopy(thing)):
                assert type(twin) is type(thing)
        assert llm.invoke("hi")
        assert client.Completion.create(model=SONNET_45, prompt="hi").completion
        assert list(llm.stream("hi"))
    restored = pickle.loads(pickle.dumps(llm))
    assert restored.invoke("again") and restored._runtime is not llm._runtime
    assert copy.deepcopy(client).Completion.create(model=SONNET_45, prompt="x").completion
    client.close()


async def test_async_client_pickles_after_calls(emu):
    client = AsyncAnthropicBedrock(**_client_options(emu))
    assert (await client.Completion.create(model=SONNET_45, prompt="hi")).completion
    restored = pickle.loads(pickle.dumps(client))
    assert (await restored.Completion.create(model=SONNET_45, prompt="hi")).completion
    assert restored.executor is not client.executor
    await restored.aclose()
    await client.aclose()


def test_llm_and_client_run_in_a_process_pool(llm_factory, emu):
    llm = llm_factory(api_key="ABSK-pickled-secret")
    llm_plain = llm_factory()
    assert llm_plain.invoke("warm up the clients first")
    client = AnthropicBedrock(**_client_options(emu))
    assert client.Completion.create(model=SONNET_45, prompt="warm up").completion
    emu.reply("from a worker")
    emu.reply("from another worker")
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        answers = {
            pool.submit(_complete_in_worker, llm_plain, "one").result(timeout=60),
            pool.submit(_complete_in_worker, client, "two").result(timeout=60),
        }
    assert answers == {"from a worker", "from another worker"}
    # The secret survives the pickle (the copy must work) but never shows in repr or dumps.
    assert pickle.loads(pickle.dumps(llm)).api_key.get_secret_value() == "ABSK-pickled-secret"
    assert "ABSK-pickled-secret" not in repr(llm) + dumps(llm)
    client.close()


def test_a_passed_boto3_client_is_shared_by_a_deepcopy_and_refuses_pickle(llm_factory, emu):
    import boto3

    boto = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=emu.endpoint_url,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
    )
    llm = llm_factory(client=boto)
    assert copy.deepcopy(llm)._runtime.get() is boto
    for thing in (llm, AnthropicBedrock(client=boto)):
        with pytest.raises(TypeError, match="pass the connection settings"):
            pickle.dumps(thing)


# --- item 9: per-call options are part of the LLM cache key --------------------------------


def test_per_call_options_are_part_of_the_llm_cache_key(llm_factory, emu):
    set_llm_cache(InMemoryCache())
    try:
        llm = llm_factory()
        for answer in ("plain", "warm", "short", "rude", "flex"):
            emu.reply(answer)
        assert llm.invoke("p") == "plain"
        assert llm.invoke("p", temperature=0.5) == "warm"
        assert llm.invoke("p", max_tokens=5) == "short"
        assert llm.invoke("p", system="Be rude.") == "rude"
        assert llm.invoke("p", service_tier="flex") == "flex"
        assert llm.invoke("p", temperature=0.5) == "warm"  # cached with its option
        assert llm.invoke("p") == "plain"
        assert len(emu.requests) == 5
        assert emu.requests[1].json["temperature"] == 0.5
        assert emu.requests[2].json["max_tokens"] == 5
    finally:
        set_llm_cache(None)


async def test_per_call_options_are_part_of_the_llm_cache_key_async(llm_factory, emu):
    set_llm_cache(InMemoryCache())
    try:
        llm = llm_factory()
        for answer in ("plain", "warm", "rude"):
            emu.reply(answer)
        assert await llm.ainvoke("p") == "plain"
        assert await llm.ainvoke("p", temperature=0.5) == "warm"
        assert await llm.ainvoke("p", system="Be rude.") == "rude"
        assert await llm.ainvoke("p", temperature=0.5) == "warm"
        assert len(emu.requests) == 3
    finally:
        set_llm_cache(None)


def test_per_call_options_reach_tracers_and_do_not_change_the_model(llm_factory, emu):
    seen: list[dict[str, Any]] = []

    class Recorder(BaseCallbackHandler):
        def on_llm_start(self, serialized: Any, prompts: Any, **kwargs: Any) -> None:
            seen.append(kwargs["invocation_params"])

    llm = llm_factory(model_kwargs={"top_k": 5})
    call = {"temperature": 0.5, "model_kwargs": {"stop_sequences": ["ZZ"]}}
    llm.invoke("p", **call, config={"callbacks": [Recorder()]})
    assert seen[-1]["temperature"] == 0.5
    assert emu.requests[-1].json["top_k"] == 5
    assert emu.requests[-1].json["stop_sequences"] == ["ZZ"]
    assert (llm.temperature, llm.model_kwargs) == (None, {"top_k": 5})
    with pytest.raises(pkg.InvalidParameterError, match="did you mean 'temperature'"):
        llm.invoke("p", temprature=0.5)


# --- item 11: no empty token reaches a consumer ---------------------------------------------


def test_no_empty_token_reaches_stream_or_callbacks(llm_factory, emu):
    emu.reply(Reply(text="Paris.", thinking="France's capital."))
    recorder = TokenRecorder()
    llm = llm_factory(thinking_budget_tokens=1024, max_tokens=2048)
    pieces = list(llm.stream("Capital?", config={"callbacks": [recorder]}))
    assert "" not in pieces and "".join(pieces) == "Paris."
    assert "" not in recorder.tokens and "".join(recorder.tokens) == "Paris."
    info = recorder.ends[0].generations[0][0].generation_info
    assert info["stop_reason"] == "end_turn" and info["request_id"]
    assert info["usage"]["output_tokens"] > 0 and info["thinking"] == "France's capital."
    emu.reply(["a", "b"])
    chain = PromptTemplate.from_template("{question}") | llm_factory() | StrOutputParser()
    assert list(chain.stream({"question": "hi"})) == ["a", "b"]  # through Runnable.transform


async def test_no_empty_token_reaches_astream_or_callbacks(llm_factory, emu):
    emu.reply(["x", "y"])
    recorder = AsyncTokenRecorder()
    llm = llm_factory()
    pieces = [piece async for piece in llm.astream("hi", config={"callbacks": [recorder]})]
    assert pieces == ["x", "y"] and recorder.tokens == ["x", "y"]
    info = recorder.ends[0].generations[0][0].generation_info
    assert info["stop_reason"] == "end_turn" and info["usage"]["output_tokens"] == 2
    emu.reply(["p", "q"])
    events = [event async for event in llm.astream_events("hi", version="v2")]
    assert [e["data"]["chunk"] for e in events if e["event"] == "on_llm_stream"] == ["p", "q"]


# --- issue #11 item 8: checks the mutation run found unpinned -------------------------------


def test_generate_sums_usage_over_all_its_prompts(llm_factory, emu):
    # The prompts run at once: each gets its answer by its text, not by arrival.
    answers = {"a": "one", "bb": "two words", "ccc": "three words here"}
    emu.set_responder(lambda request: answers[request.prompt_text])
    result = llm_factory().generate(["a", "bb", "ccc"])
    usages = [generation[0].generation_info["usage"] for generation in result.generations]
    assert [usage["output_tokens"] for usage in usages] == [1, 2, 3]
    total = result.llm_output["token_usage"]
    for key in ("input_tokens", "output_tokens", "total_tokens"):
        assert total[key] == sum(usage[key] for usage in usages)


def test_call_time_max_tokens_reaches_the_tracers_metadata(llm_factory, emu):
    seen: list[dict[str, Any]] = []

    class Recorder(BaseCallbackHandler):
        def on_llm_start(self, serialized: Any, prompts: Any, **kwargs: Any) -> None:
            seen.append(kwargs["metadata"])

    llm_factory(max_tokens=99).invoke("p", max_tokens=5, config={"callbacks": [Recorder()]})
    assert seen[-1]["ls_max_tokens"] == 5
    assert emu.requests[-1].json["max_tokens"] == 5


def test_a_streams_last_chunk_names_the_stop_sequence_it_hit(twin, emu):
    emu.reply("Thought: look it up\nObservation: found")
    _, pieces = twin.stream(stop_sequences=["\nObservation"])
    assert "".join(piece.completion for piece in pieces) == "Thought: look it up"
    assert (pieces[-1].stop_reason, pieces[-1].stop_sequence) == ("stop_sequence", "\nObservation")


async def test_a_bool_for_a_number_per_call_is_refused_before_any_request(llm_factory, emu):
    llm = llm_factory()
    for call in ({"max_tokens": True}, {"top_k": True}, {"temperature": True}):
        with pytest.raises(pkg.InvalidParameterError, match="got True"):
            llm.invoke("p", **call)
        with pytest.raises(pkg.InvalidParameterError, match="got True"):
            await llm.ainvoke("p", **call)
    assert emu.requests == []

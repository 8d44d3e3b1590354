"""A chat model's conversations as one Bedrock batch job: ``chat.batch_jobs`` end to end.

The emulator's control plane runs the job (each record through its InvokeModel logic) and
moto's S3 holds the files; the chat model finds both through boto3's endpoint variables.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from pydantic import BaseModel

from langchain_bedrock_claude import ChatBedrockClaude, InvalidParameterError, ThrottlingError
from langchain_bedrock_claude.batch import (
    BatchJobConfig,
    BatchJobInfo,
    BatchResult,
    ChatBatchResult,
)
from langchain_bedrock_claude.testing import BedrockEmulator

from .conftest import BATCH_ROLE, s3_client
from .test_chat_standard import pdf_bytes

HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
RECORDS = 100
"""Bedrock's minimum per job."""


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}."


def conversations() -> list[Any]:
    """A data set of every kind of input ``invoke`` takes; 1 names the tool, 3 is a prompt."""
    prompt = ChatPromptTemplate.from_messages([("system", "You sort tickets."), ("human", "{t}")])
    # An OpenAI-format file block: langchain-core normalizes it before the model sees it.
    pdf = base64.b64encode(pdf_bytes()).decode()
    openai_file = {"filename": "report.pdf", "file_data": f"data:application/pdf;base64,{pdf}"}
    inputs: list[Any] = [
        [SystemMessage("Answer in French."), HumanMessage("What is the capital of Italy?")],
        [HumanMessage("What is the weather in Paris? Use get_weather.")],
        "Say hello.",
        prompt.invoke({"t": "My invoice is wrong."}),
        [("human", "Hi"), ("ai", "Hello!"), ("human", "Tell me a joke.")],
        [
            HumanMessage(
                [{"type": "text", "text": "Sum it up."}, {"type": "file", "file": openai_file}]
            )
        ],
    ]
    return inputs + [f"Summarize ticket {number}." for number in range(len(inputs), RECORDS)]


class ChatJobs:
    """Drives ``chat.batch_jobs`` sync or async with the same calls."""

    def __init__(self, kind: str, chat: ChatBedrockClaude) -> None:
        self.kind, self.chat = kind, chat

    def run(self, value: Any) -> Any:
        return value if self.kind == "sync" else asyncio.run(value)

    def create(self, inputs: Any, config: BatchJobConfig, **kwargs: Any) -> Any:
        entry = self.chat.batch_jobs
        if self.kind == "sync":
            return entry.create(inputs, config, **kwargs)
        return asyncio.run(entry.acreate(inputs, config, **kwargs))

    def get(self, arn: str, chat: ChatBedrockClaude | None = None) -> Any:
        entry = (chat or self.chat).batch_jobs
        return entry.get(arn) if self.kind == "sync" else asyncio.run(entry.aget(arn))

    def wait(self, job: Any) -> BatchJobInfo:
        return self.run(job.wait(poll_interval=0.02, timeout=60))  # type: ignore[no-any-return]

    def results(self, job: Any) -> list[ChatBatchResult]:
        if self.kind == "sync":
            return list(job.results())

        async def collect() -> list[ChatBatchResult]:
            return [result async for result in job.results()]

        return asyncio.run(collect())


@pytest.fixture
def aws(emu: BedrockEmulator, moto_s3_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """boto3's own endpoint settings point the chat model's control-plane and S3 clients."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", emu.endpoint_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_s3_url)


@pytest.fixture(params=["sync", "async"])
def jobs(request: pytest.FixtureRequest, aws: None, chat_factory: Any) -> ChatJobs:
    return ChatJobs(request.param, chat_factory(model=f"us.{HAIKU}", max_tokens=64))


def config(bucket: str) -> BatchJobConfig:
    return BatchJobConfig(s3_uri=f"s3://{bucket}/jobs/", role_arn=BATCH_ROLE)


def uploaded(url: str, bucket: str, prefix: str = "") -> list[str]:
    listed = s3_client(url).list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents", ()))


def record_lines(url: str, bucket: str, info: BatchJobInfo) -> list[bytes]:
    (key,) = uploaded(url, bucket, f"jobs/{info.job_name}/input/")
    return s3_client(url).get_object(Bucket=bucket, Key=key)["Body"].read().splitlines()  # type: ignore[no-any-return]


def test_conversations_come_back_as_ai_messages_in_input_order(
    jobs: ChatJobs, emu: BedrockEmulator, bucket: str
) -> None:
    emu.jobs.output_order = "shuffled"  # Bedrock does not promise the input order
    emu.jobs.fail_record("00000000004", "ThrottlingException")
    inputs = conversations()

    job = jobs.create(inputs, config(bucket), tools=[get_weather])
    assert jobs.wait(job).status == "Completed"
    results = jobs.results(job)

    assert [result.index for result in results] == list(range(RECORDS))
    assert all(isinstance(result, ChatBatchResult) for result in results)
    first = results[0].message
    assert isinstance(first, AIMessage) and isinstance(first.content, str) and first.content
    assert first.tool_calls == [] and first.response_metadata["stop_reason"] == "end_turn"
    assert first.response_metadata["model"] and first.id and first.id.startswith("msg_")
    usage = first.usage_metadata
    assert usage is not None and usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]

    called = results[1].message
    assert called is not None and called.response_metadata["stop_reason"] == "tool_use"
    (call,) = called.tool_calls
    assert call["name"] == "get_weather" and set(call["args"]) == {"city"}
    assert call["id"] and call["id"].startswith("toolu_")
    assert isinstance(called.content, list)  # the text and the tool_use block, as invoked
    assert [block["type"] for block in called.content] == ["text", "tool_use"]  # type: ignore[index]

    failed = results[4]
    assert not failed.ok and failed.message is None and isinstance(failed.error, ThrottlingError)
    assert all(result.message is not None for result in results if result.index != 4)
    # The text answers are the ones invoke gives for the same conversation.
    assert results[2].text == results[2].message.content  # type: ignore[union-attr]


def comparable(message: AIMessage | None) -> dict[str, Any]:
    """A message's fields without the ids each call draws anew (message, tool use, request)."""
    assert message is not None
    data = message.model_dump()
    data.pop("id")
    for call in data["tool_calls"]:
        call.pop("id")
    for block in data["content"] if isinstance(data["content"], list) else ():
        block.pop("id", None)
    metadata = data["response_metadata"]
    metadata.pop("id")  # Bedrock's message id
    metadata.pop("request_id")
    # InvokeModel's latency header: a batch record has no HTTP answer of its own.
    metadata.pop("invocation_latency_ms", None)
    return data


def test_answers_are_the_messages_invoke_returns(
    jobs: ChatJobs, emu: BedrockEmulator, bucket: str
) -> None:
    inputs = conversations()
    job = jobs.create(inputs, config(bucket), tools=[get_weather])
    jobs.wait(job)
    results = jobs.results(job)
    for index in (0, 1, 3, 5):
        invoked = jobs.chat.invoke(inputs[index], tools=[get_weather])
        assert comparable(results[index].message) == comparable(invoked), index
    # A record has no request of its own: no request id, where invoke has Bedrock's.
    assert results[0].message.response_metadata["request_id"] is None  # type: ignore[union-attr]
    assert invoked.response_metadata["request_id"]


def test_a_v1_chat_model_gets_standard_blocks_as_invoke_gives_them(
    aws: None, emu: BedrockEmulator, bucket: str, chat_factory: Any
) -> None:
    chat = chat_factory(model=f"us.{HAIKU}", max_tokens=64, output_version="v1")
    inputs = conversations()
    job = chat.batch_jobs.create(inputs, config(bucket), tools=[get_weather])
    job.wait(poll_interval=0.02, timeout=60)
    results = list(chat.batch_jobs.get(job.job_arn).results())
    called = results[1].message
    assert called is not None and called.response_metadata["output_version"] == "v1"
    assert [block["type"] for block in called.content] == ["text", "tool_call"]  # type: ignore[index]
    for index in (0, 1):
        invoked = chat.invoke(inputs[index], tools=[get_weather])
        assert comparable(results[index].message) == comparable(invoked), index


class Ticket(BaseModel):
    """A support ticket's category."""

    category: str


@pytest.mark.parametrize("how", ["kwargs", "bind_tools", "with_structured_output"])
def test_records_are_exactly_the_bodies_invoke_sends(
    emu: BedrockEmulator, bucket: str, moto_s3_url: str, aws: None, chat_factory: Any, how: str
) -> None:
    chat = chat_factory(
        model=f"us.{HAIKU}", max_tokens=80, temperature=0.3, system="Be brief.", stop=["END"]
    )
    emu.jobs.auto = False  # the records are under test, not the job
    inputs = conversations()
    if how == "kwargs":
        options: dict[str, Any] = {"tools": [get_weather], "tool_choice": "auto"}
        runnable: Any = chat
    elif how == "bind_tools":
        runnable = chat.bind_tools([get_weather], tool_choice="get_weather", strict=True)
        options = dict(runnable.kwargs)
    else:  # the bound model of a structured-output chain (its kwargs hold tracing facts too)
        runnable = chat.with_structured_output(Ticket).first  # type: ignore[attr-defined]
        options = dict(runnable.kwargs)
        assert "ls_structured_output_format" in options
    if how == "kwargs":
        job = chat.batch_jobs.create(inputs, config(bucket), stop=["\n\n"], top_k=5, **options)
    else:  # a bound runnable's own jobs: they send its arguments, as its invoke does
        job = runnable.batch_jobs.create(inputs, config(bucket), stop=["\n\n"], top_k=5)
    lines = record_lines(moto_s3_url, bucket, job.info)
    assert len(lines) == RECORDS

    for index in (0, 1, 2, 3, 4, 5, 50):
        if how == "kwargs":
            runnable.invoke(inputs[index], stop=["\n\n"], top_k=5, **options)
        else:
            runnable.invoke(inputs[index], stop=["\n\n"], top_k=5)
        sent = emu.requests[-1].body
        assert lines[index] == b'{"recordId":"%011d","modelInput":%s}' % (index, sent)
    body = json.loads(emu.requests[-1].body)
    assert body["system"] == "Be brief." and body["stop_sequences"] == ["END", "\n\n"]
    if how == "with_structured_output":
        assert body["tool_choice"] == {"type": "tool", "name": "Ticket"}
        return
    assert [tool["name"] for tool in body["tools"]] == ["get_weather"]
    if how == "bind_tools":
        assert body["tools"][0]["strict"] is True
        assert body["tool_choice"] == {"type": "tool", "name": "get_weather"}


@pytest.mark.parametrize(
    ("bad", "kwargs"),
    [
        # A message Bedrock cannot take (an empty conversation), refused by the chat model.
        ([], {}),
        # Not a message at all: langchain-core's own ValueError, as invoke raises it.
        ([{"role": "nobody", "content": "hi"}], {}),
        (42, {}),
        # A per-call option the conversation cannot have (tool_choice without tools).
        ([HumanMessage("hi")], {"tool_choice": "any"}),
    ],
    ids=["empty", "bad-role", "not-a-conversation", "tool-choice-without-tools"],
)
def test_a_bad_input_is_refused_as_invoke_refuses_it_before_any_upload(
    jobs: ChatJobs,
    emu: BedrockEmulator,
    bucket: str,
    moto_s3_url: str,
    bad: Any,
    kwargs: dict[str, Any],
) -> None:
    with pytest.raises(Exception) as invoked:  # the class is compared below
        jobs.chat.invoke(bad, **kwargs)
    assert emu.requests == []  # invoke refused it before any request
    inputs = conversations()
    position = 57 if not kwargs else 0  # a shared option fails on the first record
    inputs[position] = bad

    with pytest.raises(type(invoked.value)) as refused:
        jobs.create(inputs, config(bucket), **kwargs)

    assert type(refused.value) is type(invoked.value)
    assert str(refused.value).startswith(f"Record {position}: ")
    assert str(invoked.value) in str(refused.value)
    assert uploaded(moto_s3_url, bucket) == []  # nothing reached S3
    assert emu.requests == [] and emu.jobs.jobs == []  # nor Bedrock


def test_a_single_conversation_is_not_a_data_set(jobs: ChatJobs, bucket: str) -> None:
    with pytest.raises(InvalidParameterError, match="'inputs' must be a list"):
        jobs.create("Hello there", config(bucket))


def test_reattach_from_the_arn_with_a_new_chat_model(
    jobs: ChatJobs, bucket: str, chat_factory: Any
) -> None:
    job = jobs.create(conversations(), config(bucket), tools=[get_weather])
    jobs.wait(job)
    first = jobs.results(job)

    later = jobs.get(job.job_arn, chat_factory(model=f"us.{HAIKU}"))  # only the ARN carried over
    assert later.job_arn == job.job_arn and later.status == "Completed"
    again = jobs.results(later)
    assert all(isinstance(result, ChatBatchResult) for result in again)
    assert [result.message for result in again] == [result.message for result in first]
    assert again[1].message is not None and again[1].message.tool_calls


def test_the_llm_jobs_still_give_plain_results(
    aws: None, bucket: str, llm_factory: Any, chat_factory: Any
) -> None:
    llm = llm_factory(model=f"us.{HAIKU}", max_tokens=32)
    job = llm.batch_jobs.create([f"p{number}" for number in range(RECORDS)], config(bucket))
    job.wait(poll_interval=0.02, timeout=60)
    results = list(job.results())
    assert all(type(result) is BatchResult and result.ok for result in results)
    # The chat model re-attaching to the same job reads the same answers as messages.
    chat_results = list(chat_factory(model=f"us.{HAIKU}").batch_jobs.get(job.job_arn).results())
    assert [result.message.content for result in chat_results] == [  # type: ignore[union-attr]
        result.text for result in results
    ]


def test_a_chat_model_with_batch_jobs_still_pickles(aws: None, chat_factory: Any) -> None:
    import copy
    import pickle

    chat = chat_factory(model=f"us.{HAIKU}")
    chat.batch_jobs  # noqa: B018 (cached on the model)
    for copied in (pickle.loads(pickle.dumps(chat)), copy.deepcopy(chat)):
        assert copied.model == chat.model


def test_a_bound_model_is_langchain_cores_binding_and_keeps_its_arguments_when_copied(
    aws: None, chat_factory: Any
) -> None:
    import copy
    import pickle

    from langchain_core.load import dumpd

    chat = chat_factory(model=f"us.{HAIKU}")
    bound = chat.bind_tools([get_weather]).bind(stop=["END"])
    assert isinstance(bound, type(BaseChatModel.bind(chat)))  # core's class, for its overloads
    assert dumpd(bound)["id"] == ["langchain", "schema", "runnable", "RunnableBinding"]
    for copied in (pickle.loads(pickle.dumps(bound)), copy.deepcopy(bound)):
        assert copied.kwargs == bound.kwargs
        assert copied.batch_jobs._bound == bound.kwargs


def test_an_llm_bound_with_stop_sends_it_in_its_jobs_records(
    emu: BedrockEmulator, bucket: str, moto_s3_url: str, aws: None, llm_factory: Any
) -> None:
    emu.jobs.auto = False
    llm = llm_factory(model=f"us.{HAIKU}").bind(stop=["END"], temperature=0.5)
    prompts = [f"prompt {n}" for n in range(RECORDS)]

    def records(job: Any) -> list[Any]:
        lines = record_lines(moto_s3_url, bucket, job.info)
        return [json.loads(line)["modelInput"] for line in lines]

    sent = records(llm.batch_jobs.create(prompts, config(bucket)))
    assert {(tuple(r["stop_sequences"]), r["temperature"]) for r in sent} == {(("END",), 0.5)}
    sent = records(llm.batch_jobs.create(prompts, config(bucket), stop=["HALT"]))  # the call's
    assert {tuple(r["stop_sequences"]) for r in sent} == {("HALT",)}


def test_a_per_call_model_is_the_jobs_model(
    jobs: ChatJobs, emu: BedrockEmulator, bucket: str
) -> None:
    emu.jobs.auto = False  # the job is not run: only its model matters
    other = "anthropic.claude-3-5-haiku-20241022-v1:0"
    job = jobs.create([f"p{number}" for number in range(RECORDS)], config(bucket), model=other)
    assert job.info.model_id == other
    assert emu.jobs.job(job.job_arn).request["modelId"] == other

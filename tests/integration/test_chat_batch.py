"""ChatBedrockClaude's batch paths run their inputs at once, as BedrockClaude's do.

``batch``, ``abatch``, ``batch_as_completed``, ``abatch_as_completed``, a prompt template
piped into the model, and ``generate`` / ``agenerate`` of several message lists: bounded by
``max_concurrency`` or the connection pool, in input order, one run per input, stopped as a
whole by a first error, an interrupt or a cancel. Concurrency is counted at the emulator
(``Arrivals`` in ``_batches.py``), not timed.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import uuid4

import pytest
from langchain_core.caches import InMemoryCache
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import LLMResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.rate_limiters import BaseRateLimiter

from langchain_bedrock_claude import (
    ChatBedrockClaude,
    InvalidParameterError,
    ServiceError,
)
from langchain_bedrock_claude.testing import BedrockEmulator

from ._batches import (
    SLOW,
    STOPPED_WITHIN,
    Arrivals,
    Runs,
    a_throttled_one_fails_alone,
    ain_order,
    answer,
    answer_text,
    cancel_stops_the_rest,
    fails_on,
    first_error_stops_the_rest,
    in_order,
    interrupt_stops_the_rest,
    next_batch_runs,
    numbered,
    stoppable,
    sync_threads,
)
from ._sockets import connections_to, wait_until
from .conftest import sigv4_boto3

EXPLICIT_TRANSPORTS = True
"""Batching is the same on both transports: only the tests that name ``async_transport``
(aborting, cancelling, per-prompt runs) run on both."""


def _chain(chat: ChatBedrockClaude) -> Any:
    return ChatPromptTemplate.from_messages([("human", "{question}")]) | chat


def _questions(prompts: list[Any]) -> list[dict[str, Any]]:
    return [{"question": prompt} for prompt in prompts]


def _texts(results: list[Any]) -> list[Any]:
    """Each answer's text; an exception (``return_exceptions``) as it is."""
    return [result.content if isinstance(result, AIMessage) else result for result in results]


def _conversations(prompts: list[str]) -> list[list[HumanMessage]]:
    return [[HumanMessage(prompt)] for prompt in prompts]


def _generated(result: LLMResult) -> list[Any]:
    assert all(len(generations) == 1 for generations in result.generations)
    return [generations[0].message.content for generations in result.generations]  # type: ignore[attr-defined]


def _callbacks(config: dict[str, Any] | None) -> Any:
    return (config or {}).get("callbacks")


async def _abatch(chat: ChatBedrockClaude, prompts: list[Any], **options: Any) -> list[Any]:
    return _texts(await chat.abatch(prompts, **options))


async def _chain_abatch(chat: ChatBedrockClaude, prompts: list[Any], **options: Any) -> list[Any]:
    return _texts(await _chain(chat).abatch(_questions(prompts), **options))


async def _abatch_as_completed(
    chat: ChatBedrockClaude, prompts: list[Any], **options: Any
) -> list[Any]:
    return _texts(await ain_order(chat.abatch_as_completed(prompts, **options)))


async def _agenerate(
    chat: ChatBedrockClaude, prompts: list[str], config: dict[str, Any] | None = None
) -> list[Any]:
    return _generated(await chat.agenerate(_conversations(prompts), callbacks=_callbacks(config)))


ASYNC_PATHS: dict[str, Callable[..., Awaitable[list[Any]]]] = {
    "abatch": _abatch,
    "chain.abatch": _chain_abatch,
    "abatch_as_completed": _abatch_as_completed,
    "agenerate": _agenerate,
}
"""The async batch paths: (chat, prompts, **batch options) -> awaitable answers' texts."""


def _in_a_loop(path: str) -> Callable[..., list[Any]]:
    return lambda chat, prompts, **options: asyncio.run(ASYNC_PATHS[path](chat, prompts, **options))


PATHS: dict[str, Callable[..., list[Any]]] = {
    "batch": lambda chat, prompts, **options: _texts(chat.batch(prompts, **options)),
    "chain.batch": lambda chat, prompts, **options: _texts(
        _chain(chat).batch(_questions(prompts), **options)
    ),
    "batch_as_completed": lambda chat, prompts, **options: _texts(
        in_order(chat.batch_as_completed(prompts, **options))
    ),
    "generate": lambda chat, prompts, config=None: _generated(
        chat.generate(_conversations(prompts), callbacks=_callbacks(config))
    ),
    **{path: _in_a_loop(path) for path in ASYNC_PATHS},
}
"""Every batch path: (chat, prompts, **batch options) -> the answers' texts, in input order.
``generate`` takes only the config's callbacks."""
BOUNDED = [path for path in PATHS if "generate" not in path]
"""The paths that take a config (``max_concurrency``, ``return_exceptions``)."""
BATCHES = ["batch", "abatch", "batch_as_completed", "abatch_as_completed"]
"""The model's own batch methods (a chain's steps check ``max_concurrency`` first)."""
GENERATES = ["generate", "agenerate"]


@pytest.fixture
def chat(chat_factory: Any) -> ChatBedrockClaude:
    return chat_factory(max_retries=0)  # type: ignore[no-any-return]


def _answers(prompts: list[str]) -> list[str]:
    return [answer_text(prompt) for prompt in prompts]


# --- concurrency, counted at the emulator -------------------------------------------------


@pytest.mark.parametrize("path", list(PATHS))
def test_sixteen_inputs_are_all_in_flight_at_once(
    emu: BedrockEmulator, chat: ChatBedrockClaude, path: str
) -> None:
    # langchain-core: 6 threads here for batch (min(32, cpus + 4)), 1 for generate.
    arrivals = Arrivals(latency=SLOW)
    emu.set_responder(arrivals)
    prompts = numbered(16)
    assert PATHS[path](chat, prompts) == _answers(prompts)
    assert arrivals.peak() == 16


@pytest.mark.parametrize("path", BOUNDED)
def test_max_concurrency_4_never_has_more_than_4_in_flight(
    emu: BedrockEmulator, chat: ChatBedrockClaude, path: str
) -> None:
    arrivals = Arrivals(latency=SLOW)
    emu.set_responder(arrivals)
    prompts = numbered(8)
    assert PATHS[path](chat, prompts, config={"max_concurrency": 4}) == _answers(prompts)
    assert len(arrivals.times) == 8
    assert arrivals.peak() == 4  # four at once (so it is concurrent), never five


@pytest.mark.parametrize("path", list(PATHS))
def test_without_max_concurrency_the_connection_pool_bounds_every_path(
    emu: BedrockEmulator, chat_factory: Any, path: str
) -> None:
    arrivals = Arrivals(latency=SLOW)
    emu.set_responder(arrivals)
    chat = chat_factory(max_connections=3)
    assert PATHS[path](chat, numbered(5)) == _answers(numbered(5))
    assert arrivals.peak() == 3


@pytest.mark.parametrize("path", ["batch", "generate"])
def test_a_passed_boto3_client_bounds_the_batch_by_its_own_pool(
    emu: BedrockEmulator, chat_factory: Any, path: str
) -> None:
    arrivals = Arrivals(latency=SLOW)
    emu.set_responder(arrivals)
    runtime = sigv4_boto3(emu, max_pool_connections=2)
    try:
        chat = chat_factory(client=runtime)
        assert PATHS[path](chat, numbered(4)) == _answers(numbered(4))
    finally:
        runtime.close()
    assert arrivals.peak() == 2


@pytest.mark.parametrize("given", [0, -1, 1.5, True])
def test_a_bad_max_concurrency_is_refused_before_any_request(
    emu: BedrockEmulator, chat: ChatBedrockClaude, given: object
) -> None:
    for path in BATCHES:
        with pytest.raises(InvalidParameterError, match="'max_concurrency' must be a positive"):
            PATHS[path](chat, numbered(3), config={"max_concurrency": given})
    assert emu.requests == []


# --- order --------------------------------------------------------------------------------


def _later_first(prompt: str) -> float:
    """Of six prompts, Question 0 is answered last, Question 5 first (0.25 s apart)."""
    return 0.25 * (5 - int(prompt.split()[-1]))


@pytest.mark.parametrize("path", list(PATHS))
def test_answers_keep_the_input_order_when_later_inputs_finish_first(
    emu: BedrockEmulator, chat: ChatBedrockClaude, path: str
) -> None:
    arrivals = Arrivals(latency=_later_first)
    emu.set_responder(arrivals)
    prompts = numbered(6)
    assert PATHS[path](chat, prompts) == _answers(prompts)
    assert arrivals.peak() > 1


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("kind", ["BedrockClaude", "ChatBedrockClaude"])
def test_as_completed_yields_each_answer_when_it_comes(
    emu: BedrockEmulator, llm_factory: Any, chat_factory: Any, kind: str, mode: str
) -> None:
    arrivals = Arrivals(latency=_later_first)
    emu.set_responder(arrivals)
    model = (llm_factory if kind == "BedrockClaude" else chat_factory)(max_retries=0)
    prompts = numbered(6)

    async def collect() -> list[tuple[int, Any]]:
        return [pair async for pair in model.abatch_as_completed(prompts)]

    pairs = list(model.batch_as_completed(prompts)) if mode == "sync" else asyncio.run(collect())
    # When the emulator answered each prompt: its arrival there plus its latency. Arrivals on a
    # busy machine may be spread out, so the order is judged against these, not assumed.
    answered = {
        prompts.index(prompt): arrival + latency
        for prompt, (arrival, latency) in zip(arrivals.prompts, arrivals.times, strict=True)
    }
    apart = [(i, j) for i in answered for j in answered if answered[i] + 0.1 < answered[j]]
    assert any(i > j for i, j in apart)  # a later input answered well before an earlier one
    position = {index: place for place, (index, _) in enumerate(pairs)}
    assert all(position[i] < position[j] for i, j in apart), (position, answered)
    assert _texts([result for _, result in pairs]) == _answers([prompts[i] for i, _ in pairs])


# --- one run per input: callbacks, streamed tokens, usage, cache, rate limiter ------------

STREAMING = {
    "invoke": {},
    "streaming": {"streaming": True},
    "disable_streaming": {"streaming": True, "disable_streaming": True},
}
"""Model fields, and whether tokens reach the callbacks (as for ``invoke``)."""


@pytest.mark.parametrize("fields", list(STREAMING))
@pytest.mark.parametrize("path", list(PATHS))
def test_each_input_is_its_own_run_with_its_own_callbacks_tokens_and_usage(
    emu: BedrockEmulator, chat_factory: Any, path: str, fields: str, async_transport: str
) -> None:
    arrivals = Arrivals(latency=0.3)
    emu.set_responder(arrivals)
    chat = chat_factory(**STREAMING[fields])
    runs = Runs()
    prompts = numbered(8)
    assert PATHS[path](chat, prompts, config={"callbacks": [runs]}) == _answers(prompts)
    assert arrivals.peak() > 1
    # on_chat_model_start once per input, each its own run id, and on_llm_end for each.
    assert sorted(runs.prompts.values()) == prompts
    assert runs.ends.keys() == runs.prompts.keys()
    for run_id, prompt in runs.prompts.items():
        # Every token of its own answer, in order, on its own run (an empty one marks the
        # end of the message); none when the model does not stream.
        tokens = [token for token in runs.tokens[run_id] if token]
        assert tokens == (answer(prompt) if fields == "streaming" else [])
        message = runs.ends[run_id].generations[0][0].message
        assert message.content == answer_text(prompt)
        assert message.usage_metadata["output_tokens"] == 3


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_generate_gives_each_list_its_own_run_and_the_given_run_id_to_the_first(
    emu: BedrockEmulator, chat: ChatBedrockClaude, mode: str
) -> None:
    arrivals = Arrivals(latency=lambda prompt: 0.4 if prompt == "Question 0" else 0.1)
    emu.set_responder(arrivals)
    runs = Runs()
    given = uuid4()
    conversations = _conversations(numbered(5))
    result = (
        chat.generate(conversations, callbacks=[runs], run_id=given)
        if mode == "sync"
        else asyncio.run(chat.agenerate(conversations, callbacks=[runs], run_id=given))
    )
    assert _generated(result) == _answers(numbered(5))
    assert result.run is not None
    run_ids = [info.run_id for info in result.run]
    assert run_ids[0] == given and len(set(run_ids)) == 5
    # The runs in input order, although the first list was answered last.
    assert [runs.prompts[run_id] for run_id in run_ids] == numbered(5)
    assert arrivals.peak() > 1
    assert result.llm_output == {}  # as langchain-core joins a chat model's lists


@pytest.mark.parametrize("path", [*BATCHES, *GENERATES])
def test_a_concurrent_batch_answers_cached_inputs_from_the_cache(
    emu: BedrockEmulator, chat_factory: Any, path: str
) -> None:
    arrivals = Arrivals(latency=0.3)
    emu.set_responder(arrivals)
    chat = chat_factory(cache=InMemoryCache())
    prompts = numbered(6)
    for prompt in prompts[:2]:
        assert chat.invoke(prompt).content == answer_text(prompt)
    runs = Runs()
    assert PATHS[path](chat, prompts, config={"callbacks": [runs]}) == _answers(prompts)
    # As for invoke: a cached input sends nothing (a chat model's cache hit is still a run).
    assert arrivals.prompts[:2] == prompts[:2]
    assert sorted(arrivals.prompts[2:]) == prompts[2:]
    assert sorted(runs.prompts.values()) == prompts
    assert arrivals.peak() > 1


class CountingRateLimiter(BaseRateLimiter):
    """A rate limiter that lets every request through and counts them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acquired = 0

    def acquire(self, *, blocking: bool = True) -> bool:
        with self.lock:
            self.acquired += 1
        return True

    async def aacquire(self, *, blocking: bool = True) -> bool:
        return self.acquire(blocking=blocking)


@pytest.mark.parametrize("path", GENERATES)
def test_generate_asks_the_rate_limiter_once_per_request(
    emu: BedrockEmulator, chat_factory: Any, path: str
) -> None:
    arrivals = Arrivals(latency=0.3)
    emu.set_responder(arrivals)
    limiter = CountingRateLimiter()
    chat = chat_factory(cache=InMemoryCache(), rate_limiter=limiter)
    chat.invoke("Question 0")  # cached: later answered without a request, nor a turn
    assert PATHS[path](chat, numbered(5)) == _answers(numbered(5))
    assert limiter.acquired == 1 + 4
    assert len(arrivals.prompts) == 1 + 4
    assert arrivals.peak() > 1


# --- errors -------------------------------------------------------------------------------

CACHE_BLOCKS = 5
"""One more ``cache_control`` block than Bedrock takes (4): refused before any request."""


def _too_many_cache_points() -> list[HumanMessage]:
    blocks = [
        {"type": "text", "text": f"Part {index}", "cache_control": {"type": "ephemeral"}}
        for index in range(CACHE_BLOCKS)
    ]
    return [HumanMessage(content=blocks)]  # type: ignore[arg-type]


@pytest.mark.parametrize("path", BATCHES)
def test_return_exceptions_gives_each_failed_input_its_own_typed_error(
    emu: BedrockEmulator, chat: ChatBedrockClaude, path: str
) -> None:
    emu.set_responder(fails_on("Question 3"))
    refused = _too_many_cache_points()
    inputs: list[Any] = ["Question 0", refused, "Question 2", "Question 3", "Question 4"]
    results = PATHS[path](chat, inputs, return_exceptions=True)
    answered = [results[0], results[2], results[4]]
    assert answered == _answers(["Question 0", "Question 2", "Question 4"])
    # One refused before any request; one failed at the server, with its request id.
    assert isinstance(results[1], InvalidParameterError)
    assert "at most 4 cache points" in str(results[1])
    assert isinstance(results[3], ServiceError) and results[3].status_code == 500
    assert results[3].request_id
    assert len(emu.requests) == 4


@pytest.mark.parametrize("path", BOUNDED)
def test_return_exceptions_a_throttled_input_fails_alone(
    emu: BedrockEmulator, chat: ChatBedrockClaude, path: str
) -> None:
    a_throttled_one_fails_alone(chat, emu, PATHS[path])


# --- the first error stops the rest; nothing is left behind --------------------------------


@pytest.mark.parametrize("streaming", [False, True], ids=["invoke", "streaming"])
@pytest.mark.parametrize("path", list(PATHS))
def test_the_first_error_is_raised_and_the_requests_in_flight_are_aborted(
    emu: BedrockEmulator, chat_factory: Any, path: str, streaming: bool, async_transport: str
) -> None:
    chat = stoppable(chat_factory, max_retries=2, streaming=streaming)
    first_error_stops_the_rest(chat, emu, PATHS[path], ASYNC_PATHS.get(path))


@pytest.mark.parametrize("path", ["batch", "chain.batch", "batch_as_completed", "generate"])
def test_an_interrupted_sync_batch_aborts_its_requests_and_ends_its_threads(
    emu: BedrockEmulator, chat_factory: Any, path: str
) -> None:
    interrupt_stops_the_rest(stoppable(chat_factory), emu, PATHS[path])


@pytest.mark.parametrize("path", list(ASYNC_PATHS))
def test_a_cancelled_async_batch_aborts_its_requests_and_frees_its_workers(
    emu: BedrockEmulator, chat_factory: Any, path: str, async_transport: str
) -> None:
    cancel_stops_the_rest(stoppable(chat_factory), emu, PATHS[path], ASYNC_PATHS[path])


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("kind", ["BedrockClaude", "ChatBedrockClaude"])
def test_leaving_as_completed_early_aborts_the_requests_still_in_flight(
    emu: BedrockEmulator,
    llm_factory: Any,
    chat_factory: Any,
    kind: str,
    mode: str,
    async_transport: str,
) -> None:
    model = stoppable(llm_factory if kind == "BedrockClaude" else chat_factory)
    connections_before = connections_to(emu.port)
    emu.hang(times=7)  # the eighth to arrive is answered: the first (and only) to come back
    emu.set_responder(Arrivals())
    prompts = numbered(8)
    started = time.monotonic()
    if mode == "sync":
        pairs = model.batch_as_completed(prompts)
        index, first = next(pairs)
        pairs.close()
    else:

        async def first_only() -> tuple[int, Any]:
            pairs = model.abatch_as_completed(prompts)
            found = await anext(pairs)
            await pairs.aclose()
            assert asyncio.all_tasks() == {asyncio.current_task()}
            return found  # type: ignore[no-any-return]

        index, first = asyncio.run(first_only())
    assert time.monotonic() - started < STOPPED_WITHIN
    assert _texts([first]) == [answer_text(prompts[index])]
    assert emu.request_count == 1 + 8
    assert sync_threads() == []
    assert wait_until(lambda: connections_to(emu.port) <= connections_before + 1)
    next_batch_runs(lambda model, prompts: _texts(model.batch(prompts)), model, emu)

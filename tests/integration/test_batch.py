"""Every batch path runs its prompts at once: bounded, in order, one run per prompt, stoppable.

Concurrency is counted at the emulator (``Arrivals`` in ``_batches.py``), not timed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from langchain_core.caches import InMemoryCache
from langchain_core.prompts import PromptTemplate

from langchain_bedrock_claude import (
    AnthropicBedrock,
    APIConnectionError,
    BedrockClaude,
    InvalidParameterError,
    RetryPolicy,
    ServiceError,
)
from langchain_bedrock_claude._exchange import Exchange
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
    numbered,
    stoppable,
)
from .conftest import CREDENTIALS, SONNET_45

EXPLICIT_TRANSPORTS = True
"""Batching is the same on both transports: only the tests that name ``async_transport``
(aborting, cancelling, per-prompt runs) run on both."""

Run = Callable[..., list[Any]]


def _chain(llm: BedrockClaude) -> Any:
    return PromptTemplate.from_template("{question}") | llm


def _questions(prompts: list[str]) -> list[dict[str, str]]:
    return [{"question": prompt} for prompt in prompts]


def _texts(result: Any) -> list[str]:
    return [generation[0].text for generation in result.generations]


async def _agenerate(llm: BedrockClaude, prompts: list[str]) -> list[str]:
    return _texts(await llm.agenerate(prompts))


ASYNC_PATHS: dict[str, Callable[..., Awaitable[list[Any]]]] = {
    "abatch": lambda llm, prompts, **options: llm.abatch(prompts, **options),
    "chain.abatch": lambda llm, prompts, **options: _chain(llm).abatch(
        _questions(prompts), **options
    ),
    "agenerate": _agenerate,
    "abatch_as_completed": lambda llm, prompts, **options: ain_order(
        llm.abatch_as_completed(prompts, **options)
    ),
}
"""The async batch paths: (llm, prompts, **batch options) -> awaitable answers."""


def _in_a_loop(path: str) -> Run:
    return lambda llm, prompts, **options: asyncio.run(ASYNC_PATHS[path](llm, prompts, **options))


PATHS: dict[str, Run] = {
    "batch": lambda llm, prompts, **options: llm.batch(prompts, **options),
    "chain.batch": lambda llm, prompts, **options: _chain(llm).batch(
        _questions(prompts), **options
    ),
    "generate": lambda llm, prompts: _texts(llm.generate(prompts)),
    "batch_as_completed": lambda llm, prompts, **options: in_order(
        llm.batch_as_completed(prompts, **options)
    ),
    **{path: _in_a_loop(path) for path in ASYNC_PATHS},
}
"""Every batch path: (llm, prompts, **batch options) -> the answers' texts, in order."""
AS_COMPLETED = ["batch_as_completed", "abatch_as_completed"]
BOUNDED = ["batch", "chain.batch", "abatch", "chain.abatch", *AS_COMPLETED]
"""The paths that take ``max_concurrency`` (in their config)."""
BATCHES = ["batch", "abatch", *AS_COMPLETED]


@pytest.fixture
def llm(llm_factory: Any) -> BedrockClaude:
    return llm_factory(max_retries=0)  # type: ignore[no-any-return]


# --- concurrency, counted at the emulator -------------------------------------------------


@pytest.mark.parametrize("path", BOUNDED)
def test_max_concurrency_bounds_the_requests_in_flight_at_the_server(
    emu: BedrockEmulator, llm: BedrockClaude, path: str
) -> None:
    arrivals = Arrivals(latency=SLOW)
    emu.set_responder(arrivals)
    prompts = numbered(8)
    assert PATHS[path](llm, prompts, config={"max_concurrency": 4}) == [
        answer_text(prompt) for prompt in prompts
    ]
    assert len(arrivals.times) == 8
    # Four at once (so it is concurrent), never five.
    assert arrivals.peak() == 4


@pytest.mark.parametrize("path", BOUNDED)
def test_with_max_concurrency_a_slow_prompt_does_not_hold_up_the_others(
    emu: BedrockEmulator, llm: BedrockClaude, path: str
) -> None:
    # A pool of four, not langchain-core's chunks of four run one chunk after another: the
    # seven quick prompts all reach the server while the slow first one is still there.
    arrivals = Arrivals(latency=lambda prompt: SLOW if prompt == "Question 0" else 0.05)
    emu.set_responder(arrivals)
    prompts = numbered(8)
    assert PATHS[path](llm, prompts, config={"max_concurrency": 4}) == [
        answer_text(prompt) for prompt in prompts
    ]
    slow_arrival, slow_latency = arrivals.times[arrivals.prompts.index("Question 0")]
    assert all(arrival < slow_arrival + slow_latency for arrival, _ in arrivals.times)
    assert arrivals.peak() <= 4


@pytest.mark.parametrize("path", list(PATHS))
def test_without_max_concurrency_all_sixteen_prompts_are_in_flight_at_once(
    emu: BedrockEmulator, llm: BedrockClaude, path: str
) -> None:
    arrivals = Arrivals(latency=SLOW)
    emu.set_responder(arrivals)
    prompts = numbered(16)
    assert PATHS[path](llm, prompts) == [answer_text(prompt) for prompt in prompts]
    assert arrivals.peak() == 16


def test_the_default_bound_is_the_connection_pool(emu: BedrockEmulator, llm_factory: Any) -> None:
    arrivals = Arrivals(latency=SLOW)
    emu.set_responder(arrivals)
    llm = llm_factory(max_connections=3)
    assert llm.batch(numbered(7)) == [answer_text(prompt) for prompt in numbered(7)]
    assert arrivals.peak() == 3


@pytest.mark.parametrize("given", [0, -1, 1.5, True])
def test_a_bad_max_concurrency_is_refused_before_any_request(
    emu: BedrockEmulator, llm: BedrockClaude, given: object
) -> None:
    for path in BATCHES:  # a chain's own steps refuse it first, with their own errors
        with pytest.raises(InvalidParameterError, match="'max_concurrency' must be a positive"):
            PATHS[path](llm, numbered(3), config={"max_concurrency": given})
    assert emu.requests == []


# --- order -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(PATHS))
def test_answers_keep_the_input_order_when_later_prompts_finish_first(
    emu: BedrockEmulator, llm: BedrockClaude, path: str
) -> None:
    prompts = numbered(6)
    # Question 0 takes longest, Question 5 is back first.
    arrivals = Arrivals(latency=lambda prompt: 0.1 * (6 - int(prompt.split()[-1])))
    emu.set_responder(arrivals)
    assert PATHS[path](llm, prompts) == [answer_text(prompt) for prompt in prompts]
    assert arrivals.peak() > 1


# --- one run per prompt: callbacks, streamed tokens, usage, cache -------------------------


@pytest.mark.parametrize("path", ["batch", "chain.batch", "abatch", "chain.abatch", *AS_COMPLETED])
def test_each_prompt_of_a_concurrent_batch_has_its_own_run_tokens_and_usage(
    emu: BedrockEmulator, llm_factory: Any, path: str, async_transport: str
) -> None:
    arrivals = Arrivals(latency=0.3)
    emu.set_responder(arrivals)
    llm = llm_factory(streaming=True)
    runs = Runs()
    prompts = numbered(8)
    assert PATHS[path](llm, prompts, config={"callbacks": [runs]}) == [
        answer_text(prompt) for prompt in prompts
    ]
    assert arrivals.peak() > 1
    assert sorted(runs.prompts.values()) == sorted(prompts)
    for run_id, prompt in runs.prompts.items():
        # Every token of its own answer, in order, on its own run; and its own usage.
        assert runs.tokens[run_id] == answer(prompt)
        generation = runs.ends[run_id].generations[0][0]
        assert generation.text == answer_text(prompt)
        assert generation.generation_info["usage"]["output_tokens"] == 3
        assert runs.ends[run_id].llm_output["token_usage"]["output_tokens"] == 3


@pytest.mark.parametrize("path", BATCHES)
def test_a_concurrent_batch_answers_cached_prompts_from_the_cache(
    emu: BedrockEmulator, llm_factory: Any, path: str
) -> None:
    arrivals = Arrivals(latency=0.3)
    emu.set_responder(arrivals)
    llm = llm_factory(cache=InMemoryCache())
    prompts = numbered(6)
    for prompt in prompts[:2]:
        assert llm.invoke(prompt) == answer_text(prompt)
    runs = Runs()
    assert PATHS[path](llm, prompts, config={"callbacks": [runs]}) == [
        answer_text(prompt) for prompt in prompts
    ]
    # As for invoke: a cached prompt sends nothing and starts no run.
    assert arrivals.prompts[:2] == prompts[:2]
    assert sorted(arrivals.prompts[2:]) == prompts[2:]
    assert sorted(runs.prompts.values()) == prompts[2:]
    assert arrivals.peak() > 1


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*BATCHES, "chain.batch", "chain.abatch"])
def test_return_exceptions_gives_each_failed_prompt_its_own_typed_error(
    emu: BedrockEmulator, llm: BedrockClaude, path: str
) -> None:
    emu.set_responder(fails_on("Question 3"))
    prompts = ["Question 0", "   ", "Question 2", "Question 3", "Question 4"]
    results = PATHS[path](llm, prompts, return_exceptions=True)
    assert [results[0], results[2], results[4]] == [
        answer_text(prompts[index]) for index in (0, 2, 4)
    ]
    # The blank prompt is refused before any request; the other failed at the server.
    assert isinstance(results[1], InvalidParameterError)
    assert "'prompt' must not be empty" in str(results[1])
    assert isinstance(results[3], ServiceError) and results[3].status_code == 500
    assert results[3].request_id
    assert len(emu.requests) == 4


@pytest.mark.parametrize("path", BATCHES)
def test_return_exceptions_a_throttled_prompt_fails_alone(
    emu: BedrockEmulator, llm: BedrockClaude, path: str
) -> None:
    a_throttled_one_fails_alone(llm, emu, PATHS[path])


# --- the first error stops the rest; nothing is left behind ------------------------------


@pytest.mark.parametrize("streaming", [False, True], ids=["invoke", "streaming"])
@pytest.mark.parametrize("path", list(PATHS))
def test_the_first_error_is_raised_and_the_requests_in_flight_are_aborted(
    emu: BedrockEmulator, llm_factory: Any, path: str, streaming: bool, async_transport: str
) -> None:
    llm = stoppable(llm_factory, max_retries=2, streaming=streaming)
    first_error_stops_the_rest(llm, emu, PATHS[path], ASYNC_PATHS.get(path))


@pytest.mark.parametrize("path", ["batch", "chain.batch", "generate", "batch_as_completed"])
def test_an_interrupted_sync_batch_aborts_its_requests_and_ends_its_threads(
    emu: BedrockEmulator, llm_factory: Any, path: str
) -> None:
    interrupt_stops_the_rest(stoppable(llm_factory), emu, PATHS[path])


@pytest.mark.parametrize("path", list(ASYNC_PATHS))
def test_a_cancelled_async_batch_aborts_its_requests_and_frees_its_workers(
    emu: BedrockEmulator, llm_factory: Any, path: str, async_transport: str
) -> None:
    cancel_stops_the_rest(stoppable(llm_factory), emu, PATHS[path], ASYNC_PATHS[path])


@pytest.mark.parametrize("stream", [False, True], ids=["create", "create(stream=True)"])
def test_a_call_aborted_by_its_batch_is_not_retried(emu: BedrockEmulator, stream: bool) -> None:
    # Retrying would only fail again (an aborted exchange sends nothing) after a backoff of
    # at least 30 s here.
    patient = RetryPolicy(max_retries=2, initial_delay=60.0, max_delay=60.0)
    client = AnthropicBedrock(
        region="us-east-1", endpoint_url=emu.endpoint_url, retry_policy=patient, **CREDENTIALS
    )
    exchange = Exchange()
    exchange.abort()  # as a batch's first error does to the calls in flight
    started = time.monotonic()
    with pytest.raises(APIConnectionError):
        exchange.run(
            lambda: client.Completion.create(model=SONNET_45, prompt="hi", stream=stream),
            finish=True,
        )
    assert time.monotonic() - started < STOPPED_WITHIN
    assert emu.requests == []
    client.close()

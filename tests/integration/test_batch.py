"""Every batch path runs its prompts at once: bounded, in order, one run per prompt, stoppable.

Concurrency is counted at the emulator, not timed: a responder notes when each request
arrives there, and every answer waits ``latency`` seconds before its first byte. A request is
therefore in flight at the server for at least ``[arrival, arrival + latency)``, and the
most of those intervals that overlap is never more than the requests truly in flight at once
(it can only be fewer). A client that sends its fifth request only after one of four came
back can never show five.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import pytest
from langchain_core.caches import InMemoryCache
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.prompts import PromptTemplate

from langchain_bedrock_claude import (
    AnthropicBedrock,
    APIConnectionError,
    BedrockClaude,
    InvalidParameterError,
    RetryPolicy,
    ServiceError,
    ThrottlingError,
    ValidationError,
)
from langchain_bedrock_claude._exchange import Exchange
from langchain_bedrock_claude.testing import BedrockEmulator, EmulatedRequest, Reply

from ._sockets import connections_to, wait_until
from .conftest import CREDENTIALS, SONNET_45

Run = Callable[..., list[Any]]

SLOW = 1.0
"""Seconds the emulator waits before answering where a test counts requests in flight: far
longer than a loaded machine takes to send a batch's requests."""


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
    **{path: _in_a_loop(path) for path in ASYNC_PATHS},
}
"""Every batch path: (llm, prompts, **batch options) -> the answers' texts, in order."""
BOUNDED = ["batch", "chain.batch", "abatch", "chain.abatch"]
"""The paths that take ``max_concurrency`` (in their config)."""
BATCHES = ["batch", "abatch"]


def answer(prompt: str) -> list[str]:
    """The emulated model's exact tokens for ``prompt``: three, naming it."""
    return [f"{prompt}:", " answered", " alone."]


def answer_text(prompt: str) -> str:
    return "".join(answer(prompt))


class Arrivals:
    """A responder: answers each prompt with :func:`answer`, after ``latency(prompt)``
    seconds, and notes when each request arrived at the emulator."""

    def __init__(self, latency: float | Callable[[str], float] = 0.0) -> None:
        self._latency = latency if callable(latency) else (lambda _prompt: latency)
        self._lock = threading.Lock()
        self.times: list[tuple[float, float]] = []
        """(arrival, latency) of every request, in arrival order."""
        self.prompts: list[str] = []

    def __call__(self, request: EmulatedRequest) -> Reply:
        prompt = request.prompt_text
        latency = self._latency(prompt)
        with self._lock:
            self.times.append((time.monotonic(), latency))
            self.prompts.append(prompt)
        return Reply(text=answer(prompt), first_byte_latency=latency)

    def peak(self) -> int:
        """The most requests in flight at the emulator at once (a lower bound, see above)."""
        return max(
            (
                sum(start <= arrival < start + latency for start, latency in self.times)
                for arrival, _ in self.times
            ),
            default=0,
        )


def _prompts(count: int) -> list[str]:
    return [f"Question {index}" for index in range(count)]


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
    prompts = _prompts(8)
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
    prompts = _prompts(8)
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
    prompts = _prompts(16)
    assert PATHS[path](llm, prompts) == [answer_text(prompt) for prompt in prompts]
    assert arrivals.peak() == 16


def test_the_default_bound_is_the_connection_pool(emu: BedrockEmulator, llm_factory: Any) -> None:
    arrivals = Arrivals(latency=SLOW)
    emu.set_responder(arrivals)
    llm = llm_factory(max_connections=3)
    assert llm.batch(_prompts(7)) == [answer_text(prompt) for prompt in _prompts(7)]
    assert arrivals.peak() == 3


@pytest.mark.parametrize("given", [0, -1, 1.5, True])
def test_a_bad_max_concurrency_is_refused_before_any_request(
    emu: BedrockEmulator, llm: BedrockClaude, given: object
) -> None:
    for path in BATCHES:  # a chain's own steps refuse it first, with their own errors
        with pytest.raises(InvalidParameterError, match="'max_concurrency' must be a positive"):
            PATHS[path](llm, _prompts(3), config={"max_concurrency": given})
    assert emu.requests == []


# --- order -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(PATHS))
def test_answers_keep_the_input_order_when_later_prompts_finish_first(
    emu: BedrockEmulator, llm: BedrockClaude, path: str
) -> None:
    prompts = _prompts(6)
    # Question 0 takes longest, Question 5 is back first.
    arrivals = Arrivals(latency=lambda prompt: 0.1 * (6 - int(prompt.split()[-1])))
    emu.set_responder(arrivals)
    assert PATHS[path](llm, prompts) == [answer_text(prompt) for prompt in prompts]
    assert arrivals.peak() > 1


# --- one run per prompt: callbacks, streamed tokens, usage, cache -------------------------


class Runs(BaseCallbackHandler):
    """What the callbacks saw, by run."""

    def __init__(self) -> None:
        self.prompts: dict[UUID, str] = {}
        self.tokens: dict[UUID, list[str]] = defaultdict(list)
        self.ends: dict[UUID, Any] = {}

    def on_llm_start(
        self, serialized: Any, prompts: list[str], *, run_id: UUID, **kwargs: Any
    ) -> None:
        assert len(prompts) == 1
        self.prompts[run_id] = prompts[0]

    def on_llm_new_token(self, token: str, *, run_id: UUID, **kwargs: Any) -> None:
        self.tokens[run_id].append(token)

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.ends[run_id] = response


@pytest.mark.parametrize("path", ["batch", "chain.batch", "abatch", "chain.abatch"])
def test_each_prompt_of_a_concurrent_batch_has_its_own_run_tokens_and_usage(
    emu: BedrockEmulator, llm_factory: Any, path: str
) -> None:
    arrivals = Arrivals(latency=0.3)
    emu.set_responder(arrivals)
    llm = llm_factory(streaming=True)
    runs = Runs()
    prompts = _prompts(8)
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
    prompts = _prompts(6)
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


def _fails_on(prompt: str) -> Callable[[EmulatedRequest], Reply]:
    """Answers with :func:`answer`, and fails (500, ``InternalServerException``) on ``prompt``."""

    def respond(request: EmulatedRequest) -> Reply:
        if request.prompt_text == prompt:
            raise RuntimeError("this prompt fails")
        return Reply(text=answer(request.prompt_text), first_byte_latency=0.2)

    return respond


@pytest.mark.parametrize("path", [*BATCHES, "chain.batch", "chain.abatch"])
def test_return_exceptions_gives_each_failed_prompt_its_own_typed_error(
    emu: BedrockEmulator, llm: BedrockClaude, path: str
) -> None:
    emu.set_responder(_fails_on("Question 3"))
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
    emu.set_responder(Arrivals(latency=0.2))
    emu.throttle(1)  # whichever request arrives first
    prompts = _prompts(4)
    results = PATHS[path](llm, prompts, return_exceptions=True)
    throttled = [index for index, result in enumerate(results) if not isinstance(result, str)]
    assert len(throttled) == 1
    assert isinstance(results[throttled[0]], ThrottlingError)
    assert results[throttled[0]].status_code == 429
    assert [result for result in results if isinstance(result, str)] == [
        answer_text(prompt) for index, prompt in enumerate(prompts) if index not in throttled
    ]


# --- the first error stops the rest; nothing is left behind ------------------------------

READ_TIMEOUT = 60.0
"""Far longer than any wait below: a hung request nobody aborted would be waited for."""
STOPPED_WITHIN = 10.0
"""Seconds a stopped batch may take to return: the hung requests never answer on their own."""


def _batch_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("bedrock-claude-")]


def _sync_threads() -> list[str]:
    """Threads of a sync batch or generate (the async client's own workers are not counted:
    they serve later calls, and end after 10 s idle)."""
    return [name for name in _batch_threads() if name.startswith(BATCH_THREADS)]


BATCH_THREADS = ("bedrock-claude-batch", "bedrock-claude-generate")


def _stoppable(llm_factory: Any, **fields: Any) -> BedrockClaude:
    """An LLM with eight connections (and async workers): a hung request still holding one
    would keep the next batch of eight waiting for it."""
    llm: BedrockClaude = llm_factory(max_connections=8, timeout=(5.0, READ_TIMEOUT), **fields)
    llm.invoke("warm")  # the client and one pooled connection exist before counting
    return llm


def _next_batch_runs(llm: BedrockClaude, emu: BedrockEmulator, path: str) -> None:
    """Eight more prompts on the same LLM are answered: no worker or connection is stuck."""
    emu.set_responder(Arrivals())
    prompts = [f"Again {index}" for index in range(8)]
    finished: list[list[Any]] = []
    runner = threading.Thread(target=lambda: finished.append(PATHS[path](llm, prompts)))
    runner.start()
    runner.join(STOPPED_WITHIN)
    assert finished == [[answer_text(prompt) for prompt in prompts]]


@pytest.mark.parametrize("streaming", [False, True], ids=["invoke", "streaming"])
@pytest.mark.parametrize("path", list(PATHS))
def test_the_first_error_is_raised_and_the_requests_in_flight_are_aborted(
    emu: BedrockEmulator, llm_factory: Any, path: str, streaming: bool
) -> None:
    llm = _stoppable(llm_factory, max_retries=2, streaming=streaming)
    connections_before = connections_to(emu.port)
    # The first seven requests to arrive hang; the eighth, sent while they are in flight, is
    # refused. With max_retries=2, an aborted request must not be retried either.
    emu.hang(times=7)
    emu.fail_next("ValidationException", message="This prompt is refused.")
    started = time.monotonic()
    if path in ASYNC_PATHS:

        async def fail() -> None:
            with pytest.raises(ValidationError, match="This prompt is refused"):
                await ASYNC_PATHS[path](llm, _prompts(8))
            # Nothing of the batch still runs once its error is raised.
            assert asyncio.all_tasks() == {asyncio.current_task()}

        asyncio.run(fail())
    else:
        with pytest.raises(ValidationError, match="This prompt is refused"):
            PATHS[path](llm, _prompts(8))
    assert time.monotonic() - started < STOPPED_WITHIN
    assert emu.request_count == 1 + 8  # the warm-up and the batch: nothing retried
    assert _sync_threads() == []
    # The seven hung requests' connections are closed, not kept (nor back in the pool).
    assert wait_until(lambda: connections_to(emu.port) <= connections_before + 1)
    _next_batch_runs(llm, emu, path)


@pytest.mark.parametrize("path", ["batch", "chain.batch", "generate"])
def test_an_interrupted_sync_batch_aborts_its_requests_and_ends_its_threads(
    emu: BedrockEmulator, llm_factory: Any, path: str
) -> None:
    llm = _stoppable(llm_factory)
    connections_before = connections_to(emu.port)
    emu.hang(times=8)

    def interrupt_once_all_are_sent() -> None:
        wait_until(lambda: emu.request_count == 1 + 8, STOPPED_WITHIN)
        # A real SIGINT, as Ctrl-C sends: it wakes the main thread's wait.
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    interrupter = threading.Thread(target=interrupt_once_all_are_sent)
    interrupter.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        PATHS[path](llm, _prompts(8))
    assert time.monotonic() - started < STOPPED_WITHIN
    interrupter.join()
    assert emu.request_count == 1 + 8
    assert _sync_threads() == []
    assert wait_until(lambda: connections_to(emu.port) <= connections_before)
    _next_batch_runs(llm, emu, path)


@pytest.mark.parametrize("path", list(ASYNC_PATHS))
def test_a_cancelled_async_batch_aborts_its_requests_and_frees_its_workers(
    emu: BedrockEmulator, llm_factory: Any, path: str
) -> None:
    llm = _stoppable(llm_factory)
    connections_before = connections_to(emu.port)
    emu.hang(times=8)

    async def cancel_once_all_are_sent() -> None:
        batch = asyncio.ensure_future(ASYNC_PATHS[path](llm, _prompts(8)))
        deadline = time.monotonic() + STOPPED_WITHIN
        while emu.request_count < 1 + 8 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        batch.cancel()
        with pytest.raises(asyncio.CancelledError):
            await batch
        assert asyncio.all_tasks() == {asyncio.current_task()}

    asyncio.run(cancel_once_all_are_sent())
    assert emu.request_count == 1 + 8
    assert wait_until(lambda: connections_to(emu.port) <= connections_before)
    # Its eight workers are free: with one stuck, eight more prompts would wait for it.
    _next_batch_runs(llm, emu, path)


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
